/** The app's services (config, Firebase, API) and the signed-in user with their profile. */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { onAuthStateChanged, signOut as firebaseSignOut, type User } from 'firebase/auth';
import type { AppConfig } from '../config';
import type { FirebaseServices } from '../firebase';
import { call, createApi, type Api, type Profile } from '../api/client';
import { ApiError } from '../api/errors';

export interface Services extends FirebaseServices {
  config: AppConfig;
  api: Api;
}

const ServicesContext = createContext<Services | null>(null);

export function createServices(config: AppConfig, firebase: FirebaseServices): Services {
  const api = createApi(config.apiBaseUrl, async () => {
    const user = firebase.auth.currentUser;
    return user ? user.getIdToken() : null;
  });
  return { ...firebase, config, api };
}

export function ServicesProvider({ services, children }: { services: Services; children: ReactNode }) {
  return <ServicesContext.Provider value={services}>{children}</ServicesContext.Provider>;
}

export function useServices(): Services {
  const services = useContext(ServicesContext);
  if (!services) throw new Error('useServices outside ServicesProvider');
  return services;
}

export type ProfileState =
  | { state: 'loading' }
  | { state: 'missing' }
  | { state: 'ready'; profile: Profile }
  | { state: 'error'; error: unknown };

export interface AuthState {
  /** `undefined` until Firebase has restored the session. */
  user: User | null | undefined;
  profile: ProfileState;
  isAdmin: boolean;
  reloadProfile: () => Promise<void>;
  setProfile: (profile: Profile) => void;
  signOut: () => Promise<void>;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const { auth, api } = useServices();
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [profile, setProfileState] = useState<ProfileState>({ state: 'loading' });
  const [isAdmin, setIsAdmin] = useState(false);

  const loadProfile = useCallback(
    async (current: User | null) => {
      if (!current) {
        setProfileState({ state: 'missing' });
        setIsAdmin(false);
        return;
      }
      setProfileState({ state: 'loading' });
      try {
        const token = await current.getIdTokenResult();
        setIsAdmin(token.claims.admin === true);
        const me = await call(api.GET('/users/me'));
        setProfileState({ state: 'ready', profile: me });
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) setProfileState({ state: 'missing' });
        else setProfileState({ state: 'error', error });
      }
    },
    [api],
  );

  useEffect(
    () =>
      onAuthStateChanged(auth, (current) => {
        setUser(current);
        void loadProfile(current);
      }),
    [auth, loadProfile],
  );

  const value = useMemo<AuthState>(
    () => ({
      user,
      profile,
      isAdmin,
      reloadProfile: () => loadProfile(auth.currentUser),
      setProfile: (next) => setProfileState({ state: 'ready', profile: next }),
      signOut: () => firebaseSignOut(auth),
    }),
    [user, profile, isAdmin, loadProfile, auth],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error('useAuth outside AuthProvider');
  return state;
}

/** The signed-in user, for pages behind the sign-in guard. */
export function useUser(): User {
  const { user } = useAuth();
  if (!user) throw new Error('useUser without a signed-in user');
  return user;
}
