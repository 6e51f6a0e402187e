/** The frame of every signed-in page: brand, navigation, the user, sign out. */
import type { ReactNode } from 'react';
import { NavLink, useNavigate } from 'react-router';
import { useAuth } from '../hooks/app';
import { useBrowserOnline } from '../hooks/time';

export function Layout({
  children,
  wide = false,
  offlineBar = true,
}: {
  children: ReactNode;
  wide?: boolean;
  /** Pages that show their own connection state turn the general bar off. */
  offlineBar?: boolean;
}) {
  const { user, profile, isAdmin, signOut } = useAuth();
  const navigate = useNavigate();
  const online = useBrowserOnline();
  const username = profile.state === 'ready' ? profile.profile.username : user?.email;
  return (
    <div className={wide ? 'app app-wide' : 'app'}>
      <header className="topbar">
        <NavLink to="/" className="brand" aria-label="PeerPrep home">
          <span className="brand-mark" aria-hidden="true">
            {'</>'}
          </span>
          PeerPrep
        </NavLink>
        {user && (
          <nav className="nav" aria-label="Main">
            <NavLink to="/match" data-testid="nav-match">
              Match
            </NavLink>
            <NavLink to="/history" data-testid="nav-history">
              History
            </NavLink>
            {isAdmin && (
              <NavLink to="/admin/questions" data-testid="nav-admin">
                Questions
              </NavLink>
            )}
          </nav>
        )}
        {user && (
          <div className="account">
            <NavLink to="/profile" className="account-name" title={user.email ?? undefined}>
              {username}
            </NavLink>
            <button
              type="button"
              className="button button-quiet"
              data-testid="sign-out"
              onClick={() => {
                void signOut().then(() => navigate('/signin'));
              }}
            >
              Sign out
            </button>
          </div>
        )}
      </header>
      {!online && offlineBar && (
        <div className="offline-bar" role="alert">
          You are offline. Changes are kept and sent when the connection is back.
        </div>
      )}
      <main className={wide ? 'main main-wide' : 'main'}>{children}</main>
    </div>
  );
}
