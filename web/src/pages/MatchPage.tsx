/** Ask for a partner: difficulty, topics, language; then wait (countdown, cancel) until matched. */
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import {
  call,
  DIFFICULTIES,
  LANGUAGE_LABELS,
  LANGUAGES,
  type Difficulty,
  type Language,
  type Session,
  type TopicCount,
  type TopicSlug,
} from '../api/client';
import { ApiError, describeError } from '../api/errors';
import { pendingSettled } from '../api/pending';
import { Layout } from '../components/Layout';
import { Notice, PageTitle, Spinner } from '../components/ui';
import { useAuth, useServices, useUser } from '../hooks/app';
import { useMatchRequest } from '../hooks/firestore';
import { useNow } from '../hooks/time';
import { matchView, MAX_MATCH_TOPICS, toggleTopic, topicOptions } from '../logic/match';

export function MatchPage() {
  const user = useUser();
  const { api } = useServices();
  const { profile } = useAuth();
  const navigate = useNavigate();
  const live = useMatchRequest(user.uid);

  const [difficulty, setDifficulty] = useState<Difficulty>('easy');
  const [language, setLanguage] = useState<Language>(
    profile.state === 'ready' ? profile.profile.preferredLanguage : 'python',
  );
  const [topics, setTopics] = useState<string[]>([]);
  const [catalogue, setCatalogue] = useState<TopicCount[] | null>(null);
  const [catalogueError, setCatalogueError] = useState<unknown>(null);
  const [active, setActive] = useState<Session | null>(null);

  // The request this page follows: the one it started, or one found waiting on arrival.
  const [watched, setWatched] = useState<string | null>(null);
  // While a start is under way: the request id that was there before, so the new one is known
  // even if the listener reports it (even already matched) before the POST answers.
  const [baseline, setBaseline] = useState<string | null | undefined>(undefined);
  const [busy, setBusy] = useState<'start' | 'cancel' | null>(null);
  const [failure, setFailure] = useState<unknown>(null);

  const loadTopics = () => {
    setCatalogueError(null);
    call(api.GET('/topics')).then(
      (answer) => setCatalogue(answer.items),
      (error: unknown) => setCatalogueError(error),
    );
  };
  // Load the topics once (loadTopics is also the retry button's action).
  useEffect(loadTopics, [api]);

  useEffect(() => {
    let alive = true;
    pendingSettled()
      .then(() => call(api.GET('/sessions/active')))
      .then(
      (session) => alive && setActive(session),
      () => alive && setActive(null),
    );
    return () => {
      alive = false;
    };
  }, [api]);

  const current = live.data ?? null;
  useEffect(() => {
    if (!current) return;
    if (watched === null && baseline === undefined && current.status === 'waiting') {
      // Back on the page while a request waits (a reload): follow it and show its criteria.
      setWatched(current.requestId);
      setDifficulty(current.difficulty);
      setLanguage(current.language);
      setTopics(current.topics);
    } else if (baseline !== undefined && current.requestId !== baseline) {
      setWatched(current.requestId);
      setBaseline(undefined);
    }
  }, [current, watched, baseline]);

  const request = current && current.requestId === watched ? current : null;
  const waiting = request?.status === 'waiting';
  const now = useNow(250, waiting);
  const view = request ? matchView(request, now) : null;

  useEffect(() => {
    if (view?.sessionId) navigate(`/session/${view.sessionId}`);
  }, [view?.sessionId, navigate]);

  const options = useMemo(() => (catalogue ? topicOptions(catalogue, difficulty) : []), [catalogue, difficulty]);

  const start = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(null);
    setBusy('start');
    setBaseline(current?.requestId ?? null);
    try {
      const created = await call(api.POST('/match', { body: { difficulty, topics: topics as TopicSlug[], language } }));
      setWatched(created.requestId);
      setBaseline(undefined);
    } catch (error) {
      setBaseline(undefined);
      if (error instanceof ApiError && error.code === 'already_waiting' && current) {
        setWatched(current.requestId);
      } else if (error instanceof ApiError && error.code === 'profile_required') {
        navigate('/profile?next=/match');
      } else {
        setFailure(error);
      }
    } finally {
      setBusy(null);
    }
  };

  const cancel = async () => {
    setBusy('cancel');
    setFailure(null);
    try {
      await call(api.DELETE('/match'));
    } catch (error) {
      // 409: it was matched or ended meanwhile; the listener shows what happened.
      if (!(error instanceof ApiError && error.status === 409)) setFailure(error);
    } finally {
      setBusy(null);
    }
  };

  const inSessionId =
    failure instanceof ApiError && failure.code === 'in_session'
      ? (failure.details.find((d) => d.field === 'sessionId')?.message ?? active?.id ?? null)
      : null;

  return (
    <Layout>
      <PageTitle>Find a partner</PageTitle>
      {active && !waiting && (
        <Notice tone="info" title="You are in a session">
          <p>
            {active.question.title}, with {partnerName(active, user.uid)}.{' '}
            <Link to={`/session/${active.id}`} className="button button-primary">
              Rejoin
            </Link>
          </p>
        </Notice>
      )}
      {live.error && (
        <Notice tone="error" title="Live updates are unavailable">
          {live.error.message}. Reload the page to try again.
        </Notice>
      )}
      <div className="match-layout">
        <form className="card form" onSubmit={(event) => void start(event)} aria-label="Match criteria">
          <fieldset disabled={waiting || busy === 'start'}>
            <div className="field-row">
              <label className="field">
                <span>Difficulty</span>
                <select
                  data-testid="match-difficulty"
                  value={difficulty}
                  onChange={(event) => setDifficulty(event.target.value as Difficulty)}
                >
                  {DIFFICULTIES.map((item) => (
                    <option key={item} value={item}>
                      {item[0]?.toUpperCase() + item.slice(1)}
                    </option>
                  ))}
                </select>
              </label>
              <label className="field">
                <span>Language</span>
                <select
                  data-testid="match-language"
                  value={language}
                  onChange={(event) => setLanguage(event.target.value as Language)}
                >
                  {LANGUAGES.map((item) => (
                    <option key={item} value={item}>
                      {LANGUAGE_LABELS[item]}
                    </option>
                  ))}
                </select>
              </label>
            </div>
            <div className="field">
              <span id="topics-label">
                Topics <small className="hint">(up to {MAX_MATCH_TOPICS}; none means any topic)</small>
              </span>
              {catalogueError ? (
                <Notice tone="error">
                  Topics could not be loaded: {describeError(catalogueError)}{' '}
                  <button type="button" className="link-button" onClick={loadTopics}>
                    Retry
                  </button>
                </Notice>
              ) : !catalogue ? (
                <Spinner label="Loading topics…" />
              ) : (
                <div className="topics" role="group" aria-labelledby="topics-label">
                  {options.map((topic) => {
                    const checked = topics.includes(topic.slug);
                    return (
                      <label key={topic.slug} className={`topic${checked ? ' topic-on' : ''}${topic.count ? '' : ' topic-empty'}`}>
                        <input
                          type="checkbox"
                          data-testid={`match-topic-${topic.slug}`}
                          checked={checked}
                          onChange={() => setTopics((prev) => toggleTopic(prev, topic.slug))}
                        />
                        <span>{topic.name}</span>
                        <small title={`${topic.count} ${difficulty} questions`}>{topic.count}</small>
                      </label>
                    );
                  })}
                </div>
              )}
            </div>
          </fieldset>
          {failure !== null && (
            <Notice tone="error" title={failureTitle(failure)}>
              <p>{failureText(failure)}</p>
              {inSessionId && (
                <Link to={`/session/${inSessionId}`} className="button button-primary">
                  Rejoin your session
                </Link>
              )}
            </Notice>
          )}
          <div className="actions">
            {waiting ? (
              <button
                type="button"
                className="button"
                data-testid="match-cancel"
                onClick={() => void cancel()}
                disabled={busy === 'cancel'}
              >
                {busy === 'cancel' ? 'Cancelling…' : 'Cancel'}
              </button>
            ) : (
              <button type="submit" className="button button-primary" data-testid="match-start" disabled={busy === 'start'}>
                {busy === 'start' ? 'Asking…' : request ? 'Try again' : 'Find a partner'}
              </button>
            )}
          </div>
        </form>
        <section
          className={view ? 'card match-status-card has-status' : 'card match-status-card'}
          aria-live="polite"
          aria-label="Match status"
        >
          {view ? (
            <div data-testid="match-status" className={`match-status tone-${view.tone}`}>
              <span className={`status-chip chip-${view.tone}`}>{view.status}</span>
              <h2>{view.title}</h2>
              <p>{view.detail}</p>
              {view.countdown && (
                <div className="countdown">
                  <span className="countdown-time" aria-label={`${view.countdown} left`}>
                    {view.countdown}
                  </span>
                  <span className="hint">left before the request expires</span>
                  {view.progress !== null && (
                    <div className="progress" aria-hidden="true">
                      <div className="progress-bar" style={{ width: `${Math.round(view.progress * 100)}%` }} />
                    </div>
                  )}
                </div>
              )}
            </div>
          ) : busy === 'start' ? (
            <Spinner label="Sending your request…" />
          ) : (
            <div className="match-idle">
              <h2>How matching works</h2>
              <p>
                You are paired with someone who asked for the same difficulty and language, and a topic in common. After a
                few seconds any topic is accepted. Then you both get the same question in a shared editor.
              </p>
            </div>
          )}
        </section>
      </div>
    </Layout>
  );
}

function partnerName(session: Session, uid: string): string {
  const partner = session.participants.find((p) => p !== uid);
  return (partner && session.participantInfo[partner]?.username) || 'your partner';
}

function failureTitle(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'in_session') return 'You are already in a session';
    if (error.code === 'no_questions') return 'No question fits';
  }
  return 'Matching could not start';
}

function failureText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'in_session') return 'Finish or leave it before asking for another partner.';
    if (error.code === 'no_questions') {
      return 'No question has this difficulty and these topics. Pick other topics, or none to accept any.';
    }
  }
  return describeError(error);
}
