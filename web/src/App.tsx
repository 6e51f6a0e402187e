/** Routes of the client. */
import { useEffect, useState } from 'react';
import { BrowserRouter, Link, Navigate, Route, Routes } from 'react-router';
import { call } from './api/client';
import { pendingSettled } from './api/pending';
import { RequireAdmin, RequireAuth, FullPageSpinner } from './components/guards';
import { Layout } from './components/Layout';
import { Notice } from './components/ui';
import { AuthProvider, ServicesProvider, useServices, type Services } from './hooks/app';
import { AdminQuestionEditPage, AdminQuestionsPage } from './pages/AdminQuestionsPage';
import { AuthPage } from './pages/AuthPage';
import { HistoryPage } from './pages/HistoryPage';
import { MatchPage } from './pages/MatchPage';
import { ProfilePage } from './pages/ProfilePage';
import { ActiveSessionRedirect, SessionPage } from './pages/SessionPage';

export function App({ services }: { services: Services }) {
  return (
    <ServicesProvider services={services}>
      <AuthProvider>
        <BrowserRouter>
          <Routes>
            <Route path="/signin" element={<AuthPage />} />
            <Route path="/" element={<RequireAuth><Home /></RequireAuth>} />
            <Route path="/profile" element={<RequireAuth profile={false}><ProfilePage /></RequireAuth>} />
            <Route path="/match" element={<RequireAuth><MatchPage /></RequireAuth>} />
            <Route path="/session" element={<RequireAuth><ActiveSessionRedirect /></RequireAuth>} />
            <Route path="/session/:sessionId" element={<RequireAuth><SessionPage /></RequireAuth>} />
            <Route path="/history" element={<RequireAuth><HistoryPage /></RequireAuth>} />
            <Route
              path="/admin/questions"
              element={<RequireAuth><RequireAdmin><AdminQuestionsPage /></RequireAdmin></RequireAuth>}
            />
            <Route
              path="/admin/questions/:questionId"
              element={<RequireAuth><RequireAdmin><AdminQuestionEditPage /></RequireAdmin></RequireAuth>}
            />
            <Route path="*" element={<NotFound />} />
          </Routes>
        </BrowserRouter>
      </AuthProvider>
    </ServicesProvider>
  );
}

/** The start page: back into one's active session if there is one, else to matching. */
function Home() {
  const { api } = useServices();
  const [target, setTarget] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    pendingSettled()
      .then(() => call(api.GET('/sessions/active')))
      .then(
      (session) => alive && setTarget(`/session/${session.id}`),
      () => alive && setTarget('/match'),
    );
    return () => {
      alive = false;
    };
  }, [api]);
  if (!target) return <FullPageSpinner label="Loading…" />;
  return <Navigate to={target} replace />;
}

function NotFound() {
  return (
    <Layout>
      <Notice tone="warning" title="Page not found">
        <Link to="/">Go to the start page</Link>.
      </Notice>
    </Layout>
  );
}
