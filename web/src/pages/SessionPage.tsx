/**
 * The session: the question, the shared editor with the partner's cursor, chat, the AI
 * assistant, and leaving. The URL names the session, so a reload rejoins it.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { Link, Navigate, useParams } from 'react-router';
import { call, LANGUAGE_LABELS, LANGUAGES, type Language, type Session } from '../api/client';
import { ApiError, describeError } from '../api/errors';
import { trackPending } from '../api/pending';
import { CodeEditor, type EditorHandle } from '../editor/CodeEditor';
import type { RemoteCursor } from '../editor/remoteCursor';
import { Layout } from '../components/Layout';
import { Markdown } from '../components/Markdown';
import { DifficultyBadge, Notice, Spinner } from '../components/ui';
import type { ChatMessage, RunDoc, SessionDoc, TestOutcome } from '../data/firestore';
import { useAi } from '../hooks/ai';
import { useServices, useUser } from '../hooks/app';
import { useCollabDoc } from '../hooks/collab';
import { useMessages, usePresence, useRuns, useSendChat, useSessionDoc } from '../hooks/firestore';
import { useOwnPresence } from '../hooks/presence';
import { useBrowserOnline, useNow } from '../hooks/time';
import { aiFailure, AI_MODES } from '../logic/ai';
import { formatTime, verdictLabel } from '../logic/format';
import { authorName, checkChatMessage, latestAiMessage, sessionView, type SessionView } from '../logic/session';

type Loaded = { state: 'loading' } | { state: 'error'; error: unknown } | { state: 'ready'; session: Session };

/** `/session` without an id: find the active session (after a reload of an old link). */
export function ActiveSessionRedirect() {
  const { api } = useServices();
  const [target, setTarget] = useState<string | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    call(api.GET('/sessions/active')).then(
      (session) => setTarget(session.id),
      (caught: unknown) => {
        if (caught instanceof ApiError && caught.status === 404) setTarget(null);
        else setError(caught);
      },
    );
  }, [api]);
  if (target) return <Navigate to={`/session/${target}`} replace />;
  return (
    <Layout>
      {error !== null ? (
        <Notice tone="error" title="Your session could not be looked up">
          {describeError(error)}
        </Notice>
      ) : target === null ? (
        <Notice tone="info" title="You are not in a session">
          <Link to="/match">Find a partner</Link> to start one.
        </Notice>
      ) : (
        <Spinner label="Looking for your session…" />
      )}
    </Layout>
  );
}

export function SessionPage() {
  const { sessionId = '' } = useParams();
  const { api } = useServices();
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });

  const load = useCallback(() => {
    setLoaded({ state: 'loading' });
    call(api.GET('/sessions/{id}', { params: { path: { id: sessionId } } })).then(
      (session) => setLoaded({ state: 'ready', session }),
      (error: unknown) => setLoaded({ state: 'error', error }),
    );
  }, [api, sessionId]);
  useEffect(load, [load]);

  if (loaded.state === 'loading') {
    return (
      <Layout>
        <Spinner label="Opening the session…" />
      </Layout>
    );
  }
  if (loaded.state === 'error') {
    const { error } = loaded;
    const missing = error instanceof ApiError && (error.status === 404 || error.status === 403);
    return (
      <Layout>
        <Notice tone="error" title={missing ? 'Session not found' : 'The session could not be opened'}>
          <p>{missing ? 'This session does not exist, or you are not one of its participants.' : describeError(error)}</p>
          <div className="actions-inline">
            {!missing && (
              <button type="button" className="button" onClick={load}>
                Try again
              </button>
            )}
            <Link to="/match" className="button">
              Find a partner
            </Link>
          </div>
        </Notice>
      </Layout>
    );
  }
  return <SessionRoom key={sessionId} initial={loaded.session} />;
}

function asDoc(session: Session): SessionDoc {
  return {
    id: session.id,
    participants: session.participants,
    participantInfo: session.participantInfo,
    language: session.language,
    status: session.status,
    leftBy: session.leftBy ?? [],
    endedAt: session.endedAt ? new Date(session.endedAt) : null,
    endReason: null,
    submission: session.submission ?? null,
  };
}

function SessionRoom({ initial }: { initial: Session }) {
  const user = useUser();
  const { api } = useServices();
  const sessionId = initial.id;
  const live = useSessionDoc(sessionId);
  const presence = usePresence(sessionId);
  const messages = useMessages(sessionId);
  const now = useNow(5000);
  const online = useBrowserOnline();

  const session = live.data ?? asDoc(initial);
  const view = sessionView(session, user.uid, presence.data ?? {}, now);
  const collab = useCollabDoc(sessionId, user.uid, true);
  const reportSelection = useOwnPresence(sessionId, user.uid, !view.readOnly);

  const [leaving, setLeaving] = useState(false);
  const [leaveError, setLeaveError] = useState<unknown>(null);
  const editor = useRef<EditorHandle | null>(null);

  const [switching, setSwitching] = useState(false);
  const [languageError, setLanguageError] = useState<unknown>(null);
  const switchLanguage = useCallback(
    async (language: Language) => {
      setSwitching(true);
      setLanguageError(null);
      try {
        // Both editors follow through the session document and, for untouched starter code,
        // the update the server writes.
        await call(
          api.PATCH('/sessions/{id}/language', { params: { path: { id: sessionId } }, body: { language } }),
        );
      } catch (error) {
        setLanguageError(error);
      } finally {
        setSwitching(false);
      }
    },
    [api, sessionId],
  );

  const leave = useCallback(async () => {
    setLeaving(true);
    setLeaveError(null);
    try {
      // Tracked: the history and the match page wait for it, even after this page is gone.
      await trackPending(call(api.POST('/sessions/{id}/leave', { params: { path: { id: sessionId } } })));
    } catch (error) {
      setLeaveError(error);
    } finally {
      setLeaving(false);
    }
  }, [api, sessionId]);

  // When the partner leaves, the session is over for both: leave too, so that this attempt is
  // saved and the session ends (leaving again is harmless).
  const autoLeft = useRef(false);
  useEffect(() => {
    if (view.partnerLeft && !view.iLeft && !view.ended && !autoLeft.current) {
      autoLeft.current = true;
      void leave();
    }
  }, [view.partnerLeft, view.iLeft, view.ended, leave]);

  const partnerPresence = view.partnerUid ? presence.data?.[view.partnerUid] : undefined;
  const remote = useMemo<RemoteCursor | null>(() => {
    if (view.partnerState !== 'online' || !partnerPresence) return null;
    const selection = partnerPresence.selection;
    const cursor = partnerPresence.cursor;
    if (selection) return { anchor: selection.anchor, head: selection.head, name: view.partnerName };
    if (cursor !== null) return { anchor: cursor, head: cursor, name: view.partnerName };
    return null;
  }, [view.partnerState, view.partnerName, partnerPresence]);

  const connectionLost = !online || collab?.status === 'offline' || (live.data !== undefined && live.fromCache);
  const connection = useConnectionNotice(connectionLost);
  const question = initial.question;

  return (
    <Layout wide offlineBar={false}>
      <div className="session">
        <div className="session-bar">
          <div className="session-bar-main">
            <PartnerStatus view={view} />
            <label className="inline-field">
              <span>Language</span>
              <select
                data-testid="language-select"
                value={session.language}
                disabled={view.readOnly || switching}
                onChange={(event) => void switchLanguage(event.target.value as Language)}
              >
                {LANGUAGES.map((item) => (
                  <option key={item} value={item}>
                    {LANGUAGE_LABELS[item]}
                  </option>
                ))}
              </select>
            </label>
            <SyncBadge status={collab?.status} lost={connectionLost} />
            {languageError !== null && (
              <span className="inline-error" role="alert">
                {describeError(languageError)}
              </span>
            )}
          </div>
          <button
            type="button"
            className="button button-danger"
            data-testid="session-leave"
            onClick={() => void leave()}
            disabled={leaving}
          >
            {leaving ? 'Leaving…' : view.iLeft ? 'Left' : 'Leave session'}
          </button>
        </div>

        {connection}
        {leaveError !== null && (
          <Notice tone="error" title="Leaving failed">
            {describeError(leaveError)} Try again.
          </Notice>
        )}
        {view.endedText && (
          <div className="ended-banner" data-testid="session-ended" role="status">
            <strong>{view.ended ? 'Session ended' : 'You left'}</strong>
            <span>
              {autoLeft.current && view.iLeft
                ? `${view.partnerName} left, so the session is over. Your attempt is saved in your history.`
                : `${view.partnerLeft && !view.iLeft ? `${view.partnerName} left. ` : ''}${view.endedText}`}
            </span>
            <span className="actions-inline">
              <Link to="/match" className="button button-primary">
                Find a new partner
              </Link>
              <Link to="/history" className="button">
                See your history
              </Link>
            </span>
          </div>
        )}
        {!view.endedText && view.partnerLeft && (
          <Notice tone="warning" title={`${view.partnerName} left the session`}>
            The editor is now read-only. Saving your attempt…
          </Notice>
        )}

        <div className="session-grid">
          <section className="panel question-panel" aria-labelledby="question-title">
            <div className="question-head">
              <h1 id="question-title" data-testid="session-question-title">
                {question.title}
              </h1>
              <div className="tags">
                <DifficultyBadge difficulty={question.difficulty} />
                {question.topics.map((topic) => (
                  <span key={topic} className="tag">
                    {topic}
                  </span>
                ))}
              </div>
            </div>
            <Markdown>{question.description}</Markdown>
            {question.examples.length > 0 && (
              <>
                <h2>Examples</h2>
                {question.examples.map((example, index) => (
                  <div className="example" key={index}>
                    <div>
                      <span className="example-label">Input</span>
                      <pre>{example.input}</pre>
                    </div>
                    <div>
                      <span className="example-label">Output</span>
                      <pre>{example.output}</pre>
                    </div>
                    {example.explanation && <p className="hint">{example.explanation}</p>}
                  </div>
                ))}
              </>
            )}
            {question.constraints.length > 0 && (
              <>
                <h2>Constraints</h2>
                <ul className="constraints">
                  {question.constraints.map((item, index) => (
                    <li key={index}>
                      <code>{item}</code>
                    </li>
                  ))}
                </ul>
              </>
            )}
          </section>

          <section className="panel editor-panel" aria-label="Shared editor">
            {collab?.error && !collab.synced ? (
              <Notice tone="error" title="The shared code could not be loaded">
                {collab.error.message}. Reload the page to try again.
              </Notice>
            ) : collab && collab.synced ? (
              <CodeEditor
                text={collab.text}
                language={session.language}
                readOnly={view.readOnly}
                remote={remote}
                onSelection={reportSelection}
                handle={(handle) => {
                  editor.current = handle;
                }}
                label={`Shared ${LANGUAGE_LABELS[session.language]} code`}
              />
            ) : (
              <div className="editor-loading">
                <Spinner label="Loading the shared code…" />
              </div>
            )}
            {collab?.error && collab.synced && (
              <p className="editor-error" role="alert">
                Some edits could not be sent: {collab.error.message}
              </p>
            )}
            <RunPanel sessionId={sessionId} session={session} disabled={view.readOnly} />
          </section>

          <aside className="side">
            <AiPanel
              sessionId={sessionId}
              disabled={view.readOnly}
              messages={messages.data ?? []}
              selectedText={() => editor.current?.selectedText() ?? ''}
            />
            <ChatPanel
              sessionId={sessionId}
              uid={user.uid}
              session={session}
              messages={messages.data}
              error={messages.error}
              disabled={view.readOnly}
            />
          </aside>
        </div>
      </div>
    </Layout>
  );
}

function PartnerStatus({ view }: { view: SessionView }) {
  return (
    <span className={`partner partner-${view.partnerState}`} data-testid="partner-status" role="status">
      <span className="presence-dot" aria-hidden="true" />
      {view.partnerText}
    </span>
  );
}

function SyncBadge({ status, lost }: { status: string | undefined; lost: boolean }) {
  let text = 'Connecting…';
  let tone = 'info';
  if (lost) {
    text = 'Offline';
    tone = 'warning';
  } else if (status === 'synced') {
    text = 'Saved';
    tone = 'success';
  } else if (status === 'ended') {
    text = 'Closed';
    tone = 'muted';
  }
  return (
    <span className={`sync sync-${tone}`} title="State of the shared code">
      {text}
    </span>
  );
}

/** A banner while the connection is lost, and a short "back online" once it returns. */
function useConnectionNotice(lost: boolean) {
  const [back, setBack] = useState(false);
  const wasLost = useRef(false);
  useEffect(() => {
    if (lost) {
      wasLost.current = true;
      setBack(false);
      return undefined;
    }
    if (!wasLost.current) return undefined;
    wasLost.current = false;
    setBack(true);
    const timer = window.setTimeout(() => setBack(false), 4000);
    return () => window.clearTimeout(timer);
  }, [lost]);
  if (lost) {
    return (
      <Notice tone="warning" title="Connection lost" testId="connection-status">
        Reconnecting… Your edits are kept here and sent as soon as the connection is back.
      </Notice>
    );
  }
  if (back) {
    return (
      <Notice tone="success" title="Back online" testId="connection-status">
        Everything is in sync again.
      </Notice>
    );
  }
  return null;
}

function AiPanel({
  sessionId,
  disabled,
  messages,
  selectedText,
}: {
  sessionId: string;
  disabled: boolean;
  messages: ChatMessage[];
  selectedText: () => string;
}) {
  const { state, ask } = useAi(sessionId);
  const latest = latestAiMessage(messages);
  const busy = state?.status === 'waiting' || state?.status === 'streaming';
  // The newest of: this user's own request (streaming, failed or done), or the latest AI answer
  // in the chat (which is how the partner sees an answer, and how it survives a reload).
  const showOwn =
    state !== null &&
    (state.status !== 'done' ||
      !latest ||
      latest.id === state.messageId ||
      (latest.createdAt !== null && latest.createdAt.getTime() < state.startedAt));
  const failure = state?.status === 'error' ? aiFailure(state.error) : null;
  return (
    <section className="panel ai-panel" aria-labelledby="ai-title">
      <h2 id="ai-title">AI assistant</h2>
      <div className="ai-buttons">
        {AI_MODES.map(({ mode, label, help }) => (
          <button
            key={mode}
            type="button"
            className="button"
            data-testid={`ai-${mode}`}
            title={help}
            disabled={disabled || busy}
            onClick={() => void ask(mode, mode === 'explain' ? selectedText() || undefined : undefined)}
          >
            {label}
          </button>
        ))}
      </div>
      {showOwn && state ? (
        <div
          className={`ai-answer${failure ? ' ai-answer-error' : ''}`}
          data-testid="ai-answer"
          aria-live="polite"
          aria-busy={busy}
        >
          {failure ? (
            <>
              <strong>{failure.title}</strong>
              <p>{failure.text}</p>
            </>
          ) : state.status === 'waiting' ? (
            <Spinner label={`Asking for ${state.mode === 'hint' ? 'a hint' : `a${state.mode === 'explain' ? 'n explanation' : ' review'}`}…`} />
          ) : (
            <>
              <span className="ai-mode">{state.mode}</span>
              <Markdown>{state.text}</Markdown>
              {state.status === 'streaming' && <span className="typing" aria-label="still answering" />}
            </>
          )}
        </div>
      ) : latest ? (
        <div className="ai-answer" data-testid="ai-answer" aria-live="polite">
          <span className="ai-mode">{latest.mode ?? 'answer'}</span>
          <Markdown>{latest.text}</Markdown>
        </div>
      ) : (
        <p className="hint">Ask for a hint, an explanation (of the selection, if any) or a review. Answers also go to the chat.</p>
      )}
    </section>
  );
}

function ChatPanel({
  sessionId,
  uid,
  session,
  messages,
  error,
  disabled,
}: {
  sessionId: string;
  uid: string;
  session: SessionDoc;
  messages: ChatMessage[] | undefined;
  error: Error | null;
  disabled: boolean;
}) {
  const post = useSendChat(sessionId, uid);
  const [draft, setDraft] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const list = useRef<HTMLOListElement>(null);

  useEffect(() => {
    const element = list.current;
    if (element) element.scrollTop = element.scrollHeight;
  }, [messages?.length]);

  const send = async (event: FormEvent) => {
    event.preventDefault();
    const checked = checkChatMessage(draft);
    if (!checked.ok) {
      setProblem(checked.reason);
      return;
    }
    setProblem(null);
    setDraft('');
    try {
      await post(checked.text);
    } catch {
      setDraft(checked.text);
      setProblem('Your message was not sent (the session may have ended). Try again.');
    }
  };

  return (
    <section className="panel chat-panel" aria-labelledby="chat-title">
      <h2 id="chat-title">Chat</h2>
      {error && <Notice tone="error">The chat could not be loaded: {error.message}</Notice>}
      <ol className="chat-list" ref={list} aria-live="polite">
        {messages === undefined ? (
          <li className="hint">Loading messages…</li>
        ) : messages.length === 0 ? (
          <li className="hint">No messages yet. Say hello to your partner.</li>
        ) : (
          messages.map((message) => (
            <li
              key={message.id}
              className={`chat-message${message.author === uid ? ' chat-own' : ''}${message.author === 'ai' ? ' chat-ai' : ''}`}
              data-testid="chat-message"
            >
              <span className="chat-meta">
                <strong>{authorName(message, uid, session)}</strong>
                {message.createdAt && <time dateTime={message.createdAt.toISOString()}>{formatTime(message.createdAt)}</time>}
                {message.pending && <span className="hint">sending…</span>}
              </span>
              {message.author === 'ai' ? <Markdown>{message.text}</Markdown> : <p className="chat-text">{message.text}</p>}
            </li>
          ))
        )}
      </ol>
      <form className="chat-form" onSubmit={(event) => void send(event)}>
        <label className="visually-hidden" htmlFor="chat-input">
          Message
        </label>
        <input
          id="chat-input"
          data-testid="chat-input"
          placeholder={disabled ? 'The chat is closed' : 'Write a message'}
          maxLength={1000}
          value={draft}
          disabled={disabled}
          onChange={(event) => setDraft(event.target.value)}
          autoComplete="off"
        />
        <button type="submit" className="button button-primary" data-testid="chat-send" disabled={disabled}>
          Send
        </button>
      </form>
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
    </section>
  );
}

/** Run the shared code with an input, or submit it to the question's tests; either partner's
 * latest run or submission shows below. */
function RunPanel({ sessionId, session, disabled }: { sessionId: string; session: SessionDoc; disabled: boolean }) {
  const { api } = useServices();
  const runs = useRuns(sessionId);
  const [stdin, setStdin] = useState('');
  const [busy, setBusy] = useState<'run' | 'submit' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const latest: RunDoc | undefined = runs.data?.[runs.data.length - 1];
  const inProgress = latest?.status === 'queued' || latest?.status === 'running';
  const running = busy !== null || inProgress;

  const start = async (kind: 'run' | 'submit') => {
    setBusy(kind);
    setError(null);
    try {
      const path = { params: { path: { id: sessionId } } };
      if (kind === 'run') {
        await call(api.POST('/sessions/{id}/run', { ...path, body: { stdin } }));
      } else {
        await call(api.POST('/sessions/{id}/submit', path));
      }
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(null);
    }
  };

  const runLabel = busy === 'run' || (inProgress && latest?.kind === 'run') ? 'Running…' : `Run ${LANGUAGE_LABELS[session.language]}`;
  const submitLabel = busy === 'submit' || (inProgress && latest?.kind === 'submit') ? 'Judging…' : 'Submit';
  return (
    <div className="run-panel">
      <div className="run-controls">
        <label className="run-stdin">
          <span>Input</span>
          <textarea
            value={stdin}
            onChange={(event) => setStdin(event.target.value)}
            rows={2}
            placeholder="Standard input for your program (optional)"
            disabled={disabled}
            maxLength={16000}
          />
        </label>
        <div className="run-buttons">
          <button
            type="button"
            className="button"
            data-testid="run-code"
            onClick={() => void start('run')}
            disabled={disabled || running}
            title="Run the code as a program with the input above"
          >
            {runLabel}
          </button>
          <button
            type="button"
            className="button button-primary"
            data-testid="submit-code"
            onClick={() => void start('submit')}
            disabled={disabled || running}
            title="Judge the code on the question's examples and hidden tests"
          >
            {submitLabel}
          </button>
        </div>
      </div>
      {session.submission && (
        <p className="hint submission-summary">
          Latest submission: <strong>{verdictLabel(session.submission.verdict, 'submit')}</strong> ({session.submission.passed}/
          {session.submission.total} tests)
        </p>
      )}
      <div className="run-result" data-testid="run-result" aria-live="polite">
        {error !== null ? (
          <p className="run-error" role="alert">
            {describeError(error)}
            {error instanceof ApiError && error.retryAfterS !== null && ` Try again in ${error.retryAfterS} s.`}
          </p>
        ) : latest ? (
          <RunOutcome run={latest} session={session} />
        ) : (
          <p className="hint">Run the code to see its output, or submit it to the question&apos;s tests; your partner sees the result too.</p>
        )}
      </div>
    </div>
  );
}

function RunOutcome({ run, session }: { run: RunDoc; session: SessionDoc }) {
  const who = session.participantInfo[run.author]?.username ?? 'Someone';
  const what = run.kind === 'submit' ? 'submission' : 'run';
  if (run.status !== 'done') {
    return <Spinner label={`${who}'s ${what} is ${run.status === 'queued' ? 'waiting' : 'running'}…`} />;
  }
  const verdict = run.verdict ?? 'runner_error';
  const output = verdict === 'compile_error' ? run.compileOutput : run.stdout;
  const failedHidden = run.tests.find((test) => test.hidden && test.verdict !== 'accepted' && test.verdict !== 'skipped');
  return (
    <>
      <p className={`run-verdict run-${verdict === 'accepted' ? 'ok' : 'failed'}`}>
        <strong>{verdictLabel(verdict, run.kind)}</strong>
        <span className="hint">
          {' '}
          · {who}&apos;s {what} · {LANGUAGE_LABELS[run.language]}
          {run.kind === 'submit' && run.total !== null && ` · ${run.passed ?? 0}/${run.total} tests passed`}
          {run.timeMs !== null && ` · ${run.timeMs} ms`}
          {run.memoryKb !== null && ` · ${Math.round(run.memoryKb / 1024)} MB`}
          {run.kind === 'run' && run.exitCode !== null && run.exitCode !== 0 && ` · exit code ${run.exitCode}`}
        </span>
      </p>
      {run.kind === 'submit' && run.tests.length > 0 && (
        <ol className="run-tests">
          {run.tests
            .filter((test) => !test.hidden)
            .map((test) => (
              <TestRow key={test.index} test={test} />
            ))}
          {failedHidden && (
            <li className="run-test run-test-failed">
              <span>Hidden test {failedHidden.index + 1}: {failedHidden.message ?? verdictLabel(failedHidden.verdict, 'submit')}</span>
            </li>
          )}
        </ol>
      )}
      {output && <pre className="run-output">{output}</pre>}
      {verdict !== 'compile_error' && run.stderr && <pre className="run-output run-stderr">{run.stderr}</pre>}
      {run.kind === 'run' && !output && !run.stderr && <p className="hint">The program printed nothing.</p>}
    </>
  );
}

function TestRow({ test }: { test: TestOutcome }) {
  const ok = test.verdict === 'accepted';
  return (
    <li className={`run-test run-test-${ok ? 'ok' : test.verdict === 'skipped' ? 'skipped' : 'failed'}`}>
      <span>
        Example {test.index + 1}: {ok ? 'passed' : verdictLabel(test.verdict, 'submit')}
        {test.message && ` (${test.message})`}
      </span>
      {!ok && test.verdict !== 'skipped' && test.args !== null && (
        <dl className="run-test-detail">
          <dt>Input</dt>
          <dd>
            <code>{test.args}</code>
          </dd>
          <dt>Expected</dt>
          <dd>
            <code>{test.expected}</code>
          </dd>
          {test.actual !== null && (
            <>
              <dt>Got</dt>
              <dd>
                <code>{test.actual}</code>
              </dd>
            </>
          )}
        </dl>
      )}
    </li>
  );
}
