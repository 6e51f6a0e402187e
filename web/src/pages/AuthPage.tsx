/** Sign in or sign up with email and password (Firebase Auth). */
import { useState, type FormEvent } from 'react';
import { Navigate, useSearchParams } from 'react-router';
import { createUserWithEmailAndPassword, signInWithEmailAndPassword } from 'firebase/auth';
import { FirebaseError } from 'firebase/app';
import { useAuth, useServices } from '../hooks/app';
import { authErrorMessage, safeNext } from '../logic/auth';
import { Notice } from '../components/ui';

type Mode = 'signin' | 'signup';

export function AuthPage() {
  const { auth } = useServices();
  const { user } = useAuth();
  const [params] = useSearchParams();
  const [mode, setMode] = useState<Mode>('signin');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const next = safeNext(params.get('next'));

  if (user) return <Navigate to={next} replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mode === 'signup') await createUserWithEmailAndPassword(auth, email.trim(), password);
      else await signInWithEmailAndPassword(auth, email.trim(), password);
    } catch (caught) {
      setError(authErrorMessage(caught instanceof FirebaseError ? caught.code : undefined, mode));
      setBusy(false);
    }
  };

  const signup = mode === 'signup';
  return (
    <div className="auth-screen">
      <div className="auth-card">
        <div className="auth-brand">
          <span className="brand-mark" aria-hidden="true">
            {'</>'}
          </span>
          PeerPrep
        </div>
        <p className="auth-tagline">Practise technical interviews with a peer: one question, one shared editor.</p>
        <h1>{signup ? 'Create your account' : 'Sign in'}</h1>
        <form onSubmit={(event) => void submit(event)} noValidate={false}>
          <label className="field">
            <span>Email</span>
            <input
              type="email"
              data-testid="auth-email"
              autoComplete="email"
              required
              value={email}
              onChange={(event) => setEmail(event.target.value)}
            />
          </label>
          <label className="field">
            <span>Password</span>
            <input
              type="password"
              data-testid="auth-password"
              autoComplete={signup ? 'new-password' : 'current-password'}
              minLength={signup ? 6 : undefined}
              required
              value={password}
              onChange={(event) => setPassword(event.target.value)}
            />
            {signup && <small className="hint">At least 6 characters.</small>}
          </label>
          {error && <Notice tone="error">{error}</Notice>}
          <button type="submit" className="button button-primary button-block" data-testid="auth-submit" disabled={busy}>
            {busy ? (signup ? 'Creating your account…' : 'Signing in…') : signup ? 'Create account' : 'Sign in'}
          </button>
        </form>
        <p className="auth-switch">
          {signup ? 'Already have an account?' : 'New to PeerPrep?'}{' '}
          <button
            type="button"
            className="link-button"
            data-testid="auth-mode"
            onClick={() => {
              setMode(signup ? 'signin' : 'signup');
              setError(null);
            }}
          >
            {signup ? 'Sign in instead' : 'Create an account'}
          </button>
        </p>
      </div>
    </div>
  );
}
