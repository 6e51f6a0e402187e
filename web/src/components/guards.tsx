/** Route guards: signed in, then with a profile. */
import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { describeError } from '../api/errors';
import { useAuth } from '../hooks/app';
import { Layout } from './Layout';
import { Notice, Spinner } from './ui';

export function RequireAuth({ children, profile = true }: { children: ReactNode; profile?: boolean }) {
  const auth = useAuth();
  const location = useLocation();
  if (auth.user === undefined) return <FullPageSpinner label="Signing you in…" />;
  if (auth.user === null) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/signin?next=${encodeURIComponent(next)}`} replace />;
  }
  if (!profile) return <>{children}</>;
  if (auth.profile.state === 'loading') return <FullPageSpinner label="Loading your profile…" />;
  if (auth.profile.state === 'missing') {
    return <Navigate to={`/profile?next=${encodeURIComponent(location.pathname)}`} replace />;
  }
  if (auth.profile.state === 'error') {
    return (
      <Layout>
        <Notice tone="error" title="Your profile could not be loaded">
          <p>{describeError(auth.profile.error)}</p>
          <button type="button" className="button" onClick={() => void auth.reloadProfile()}>
            Try again
          </button>
        </Notice>
      </Layout>
    );
  }
  return <>{children}</>;
}

export function RequireAdmin({ children }: { children: ReactNode }) {
  const { isAdmin } = useAuth();
  if (!isAdmin) {
    return (
      <Layout>
        <Notice tone="warning" title="Administrators only">
          This page manages the question bank. Ask an administrator for access, then sign in again.
        </Notice>
      </Layout>
    );
  }
  return <>{children}</>;
}

export function FullPageSpinner({ label }: { label: string }) {
  return (
    <div className="fullpage">
      <Spinner label={label} />
    </div>
  );
}
