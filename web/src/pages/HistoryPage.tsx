/** One's past sessions: question, partner, language, when and how long; the final code. */
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { call, LANGUAGE_LABELS, type Attempt } from '../api/client';
import { describeError } from '../api/errors';
import { pendingSettled } from '../api/pending';
import { Layout } from '../components/Layout';
import { DifficultyBadge, Notice, PageTitle, Spinner } from '../components/ui';
import { useServices } from '../hooks/app';
import { formatDateTime, formatDuration, verdictLabel } from '../logic/format';

const PAGE = 20;

export function HistoryPage() {
  const { api } = useServices();
  const [items, setItems] = useState<Attempt[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(
    async (after: string | null) => {
      setLoading(true);
      setError(null);
      try {
        await pendingSettled();
        const page = await call(
          api.GET('/users/me/attempts', { params: { query: { limit: PAGE, ...(after ? { cursor: after } : {}) } } }),
        );
        setItems((prev) => (after && prev ? [...prev, ...page.items] : page.items));
        setCursor(page.nextCursor ?? null);
      } catch (caught) {
        setError(caught);
      } finally {
        setLoading(false);
      }
    },
    [api],
  );

  useEffect(() => {
    void load(null);
  }, [load]);

  return (
    <Layout>
      <PageTitle>Your practice history</PageTitle>
      {error !== null && (
        <Notice tone="error" title="History could not be loaded">
          <p>{describeError(error)}</p>
          <button type="button" className="button" onClick={() => void load(items ? cursor : null)}>
            Try again
          </button>
        </Notice>
      )}
      {items === null ? (
        loading && <Spinner label="Loading your sessions…" />
      ) : items.length === 0 ? (
        <div className="empty">
          <h2>No sessions yet</h2>
          <p>Your finished sessions show up here, with your partner, the question and the final code.</p>
          <Link to="/match" className="button button-primary">
            Find a partner
          </Link>
        </div>
      ) : (
        <>
          <ul className="history">
            {items.map((attempt) => (
              <li key={attempt.sessionId} className="card history-item" data-testid="history-item">
                <div className="history-head">
                  <h2>{attempt.question.title}</h2>
                  <DifficultyBadge difficulty={attempt.question.difficulty} />
                </div>
                <dl className="history-facts">
                  <div>
                    <dt>Partner</dt>
                    <dd>@{attempt.partner.username}</dd>
                  </div>
                  <div>
                    <dt>Language</dt>
                    <dd>{LANGUAGE_LABELS[attempt.language]}</dd>
                  </div>
                  <div>
                    <dt>Started</dt>
                    <dd>{formatDateTime(attempt.startedAt)}</dd>
                  </div>
                  <div>
                    <dt>Duration</dt>
                    <dd>{formatDuration(attempt.durationS)}</dd>
                  </div>
                  <div>
                    <dt>Verdict</dt>
                    <dd>
                      {attempt.submission
                        ? `${verdictLabel(attempt.submission.verdict, 'submit')} (${attempt.submission.passed}/${attempt.submission.total} tests)`
                        : 'Not submitted'}
                    </dd>
                  </div>
                </dl>
                <details>
                  <summary>Final code</summary>
                  <pre className="code-block">{attempt.finalCode || '(empty)'}</pre>
                </details>
              </li>
            ))}
          </ul>
          {cursor && (
            <div className="actions">
              <button type="button" className="button" disabled={loading} onClick={() => void load(cursor)}>
                {loading ? 'Loading…' : 'Show older sessions'}
              </button>
            </div>
          )}
        </>
      )}
    </Layout>
  );
}
