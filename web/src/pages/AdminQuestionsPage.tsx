/** Administrators manage the question bank: list and search, create, edit, delete. */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import {
  call,
  DIFFICULTIES,
  LANGUAGE_LABELS,
  LANGUAGES,
  type Difficulty,
  type Question,
  type QuestionSummary,
  type TopicCount,
} from '../api/client';
import { ApiError, describeError } from '../api/errors';
import { Layout } from '../components/Layout';
import { Markdown } from '../components/Markdown';
import { DifficultyBadge, Notice, PageTitle, Spinner } from '../components/ui';
import { useServices } from '../hooks/app';
import {
  changedFields,
  draftFrom,
  draftToBody,
  emptyDraft,
  emptyExample,
  fieldErrors,
  type ExampleDraft,
  type QuestionDraft,
} from '../logic/questionForm';

export function AdminQuestionsPage() {
  const { api } = useServices();
  const [text, setText] = useState('');
  const [difficulty, setDifficulty] = useState<Difficulty | ''>('');
  const [items, setItems] = useState<QuestionSummary[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(
    async (after: string | null) => {
      setLoading(true);
      setError(null);
      try {
        const query = {
          limit: 25,
          ...(after ? { cursor: after } : {}),
          ...(text.trim() ? { text: text.trim() } : {}),
          ...(difficulty ? { difficulty } : {}),
        };
        const page = await call(api.GET('/questions', { params: { query } }));
        setItems((prev) => (after && prev ? [...prev, ...page.items] : page.items));
        setCursor(page.nextCursor ?? null);
      } catch (caught) {
        setError(caught);
      } finally {
        setLoading(false);
      }
    },
    [api, text, difficulty],
  );

  useEffect(() => {
    void load(null);
    // Reload when the difficulty filter changes; the text filter applies on submit.
  }, [difficulty]);

  const remove = async (question: QuestionSummary) => {
    setError(null);
    try {
      await call(api.DELETE('/questions/{id}', { params: { path: { id: question.id } } }));
      setItems((prev) => prev?.filter((item) => item.id !== question.id) ?? null);
      setNotice(`Deleted "${question.title}". Sessions that used it keep their copy.`);
    } catch (caught) {
      setError(caught);
    } finally {
      setConfirming(null);
    }
  };

  return (
    <Layout>
      <PageTitle
        aside={
          <Link to="/admin/questions/new" className="button button-primary" data-testid="question-new">
            New question
          </Link>
        }
      >
        Question bank
      </PageTitle>
      <form
        className="filters"
        onSubmit={(event) => {
          event.preventDefault();
          void load(null);
        }}
        role="search"
      >
        <label className="field">
          <span>Search titles</span>
          <input value={text} maxLength={100} onChange={(event) => setText(event.target.value)} />
        </label>
        <label className="field">
          <span>Difficulty</span>
          <select value={difficulty} onChange={(event) => setDifficulty(event.target.value as Difficulty | '')}>
            <option value="">Any</option>
            {DIFFICULTIES.map((item) => (
              <option key={item} value={item}>
                {item}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="button">
          Search
        </button>
      </form>
      {notice && <Notice tone="success">{notice}</Notice>}
      {error !== null && (
        <Notice tone="error" title="That did not work">
          {describeError(error)}
        </Notice>
      )}
      {items === null ? (
        loading && <Spinner label="Loading questions…" />
      ) : items.length === 0 ? (
        <div className="empty">
          <h2>No questions found</h2>
          <p>Change the filters, or add a question.</p>
        </div>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Difficulty</th>
              <th scope="col">Topics</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((question) => (
              <tr key={question.id} data-testid="question-row">
                <td>
                  <Link to={`/admin/questions/${question.id}`}>{question.title}</Link>
                </td>
                <td>
                  <DifficultyBadge difficulty={question.difficulty} />
                </td>
                <td className="hint">{question.topics.join(', ')}</td>
                <td className="row-actions">
                  {confirming === question.id ? (
                    <>
                      <button type="button" className="button button-danger" onClick={() => void remove(question)}>
                        Delete for good
                      </button>
                      <button type="button" className="button button-quiet" onClick={() => setConfirming(null)}>
                        Keep
                      </button>
                    </>
                  ) : (
                    <>
                      <Link to={`/admin/questions/${question.id}`} className="button button-quiet">
                        Edit
                      </Link>
                      <button
                        type="button"
                        className="button button-quiet"
                        aria-label={`Delete ${question.title}`}
                        onClick={() => setConfirming(question.id)}
                      >
                        Delete
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor && (
        <div className="actions">
          <button type="button" className="button" disabled={loading} onClick={() => void load(cursor)}>
            {loading ? 'Loading…' : 'Show more'}
          </button>
        </div>
      )}
    </Layout>
  );
}

export function AdminQuestionEditPage() {
  const { questionId } = useParams();
  const { api } = useServices();
  const [original, setOriginal] = useState<Question | null>(null);
  const [error, setError] = useState<unknown>(null);
  const isNew = !questionId || questionId === 'new';

  useEffect(() => {
    if (isNew) return;
    call(api.GET('/questions/{id}', { params: { path: { id: questionId } } })).then(setOriginal, setError);
  }, [api, questionId, isNew]);

  if (!isNew && error !== null) {
    return (
      <Layout>
        <Notice tone="error" title="The question could not be loaded">
          {error instanceof ApiError && error.status === 404 ? 'It does not exist (any more).' : describeError(error)}{' '}
          <Link to="/admin/questions">Back to the list</Link>
        </Notice>
      </Layout>
    );
  }
  if (!isNew && !original) {
    return (
      <Layout>
        <Spinner label="Loading the question…" />
      </Layout>
    );
  }
  return <QuestionForm original={original} />;
}

/** The fields of one example in the form (rows 0: a one-line input). */
const EXAMPLE_FIELDS: { key: keyof ExampleDraft; label: (n: number) => string; rows: number; mono?: boolean }[] = [
  { key: 'input', label: (n) => `Input ${n}`, rows: 2 },
  { key: 'output', label: (n) => `Output ${n}`, rows: 2 },
  { key: 'explanation', label: () => 'Explanation (optional)', rows: 0 },
  { key: 'args', label: (n) => `Test arguments ${n} (JSON array, one per parameter)`, rows: 2, mono: true },
  { key: 'expected', label: (n) => `Expected answer ${n} (JSON)`, rows: 1, mono: true },
];

function QuestionForm({ original }: { original: Question | null }) {
  const { api } = useServices();
  const navigate = useNavigate();
  const [draft, setDraft] = useState<QuestionDraft>(() => (original ? draftFrom(original) : emptyDraft()));
  const [catalogue, setCatalogue] = useState<TopicCount[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [preview, setPreview] = useState(false);

  useEffect(() => {
    call(api.GET('/topics')).then((answer) => setCatalogue(answer.items), setFailure);
  }, [api]);

  const update = <K extends keyof QuestionDraft>(key: K, value: QuestionDraft[K]) =>
    setDraft((prev) => ({ ...prev, [key]: value }));
  const setExample = (index: number, key: keyof ExampleDraft, value: string) =>
    setDraft((prev) => ({
      ...prev,
      examples: prev.examples.map((example, i) => (i === index ? { ...example, [key]: value } : example)),
    }));

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setErrors({});
    setFailure(null);
    try {
      const body = draftToBody(draft);
      if (original) {
        const changes = changedFields(draftToBody(draftFrom(original)), body);
        if (Object.keys(changes).length > 0) {
          await call(api.PATCH('/questions/{id}', { params: { path: { id: original.id } }, body: changes }));
        }
      } else {
        await call(api.POST('/questions', { body }));
      }
      navigate('/admin/questions');
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === 'validation_error') setErrors(fieldErrors(caught.details));
      setFailure(caught);
      setSaving(false);
    }
  };

  const fieldError = (name: string) =>
    errors[name] ? (
      <small className="field-error" role="alert">
        {errors[name]}
      </small>
    ) : null;

  return (
    <Layout>
      <PageTitle>{original ? `Edit “${original.title}”` : 'New question'}</PageTitle>
      <form className="card form question-form" onSubmit={(event) => void save(event)}>
        <label className="field">
          <span>Title</span>
          <input required minLength={3} maxLength={120} value={draft.title} onChange={(e) => update('title', e.target.value)} />
          {fieldError('title')}
        </label>
        <div className="field-row">
          <label className="field">
            <span>Difficulty</span>
            <select value={draft.difficulty} onChange={(e) => update('difficulty', e.target.value as Difficulty)}>
              {DIFFICULTIES.map((item) => (
                <option key={item} value={item}>
                  {item}
                </option>
              ))}
            </select>
          </label>
        </div>
        <fieldset className="field">
          <legend>Topics (1 to 10)</legend>
          <div className="topics">
            {catalogue.map((topic) => {
              const checked = draft.topics.includes(topic.slug);
              return (
                <label key={topic.slug} className={`topic${checked ? ' topic-on' : ''}`}>
                  <input
                    type="checkbox"
                    checked={checked}
                    onChange={() =>
                      update('topics', checked ? draft.topics.filter((t) => t !== topic.slug) : [...draft.topics, topic.slug])
                    }
                  />
                  <span>{topic.name}</span>
                </label>
              );
            })}
          </div>
          {fieldError('topics')}
        </fieldset>
        <div className="field">
          <span className="field-label-row">
            <label htmlFor="description">Description (Markdown)</label>
            <button type="button" className="link-button" onClick={() => setPreview((p) => !p)}>
              {preview ? 'Edit' : 'Preview'}
            </button>
          </span>
          {preview ? (
            <div className="preview">
              <Markdown>{draft.description || '*Nothing yet.*'}</Markdown>
            </div>
          ) : (
            <textarea
              id="description"
              required
              rows={8}
              value={draft.description}
              onChange={(e) => update('description', e.target.value)}
            />
          )}
          {fieldError('description')}
        </div>
        <fieldset className="field">
          <legend>Examples</legend>
          {draft.examples.map((example, index) => (
            <div className="example-edit" key={index}>
              {EXAMPLE_FIELDS.map(({ key, label, rows, mono }) => (
                <label className="field" key={key}>
                  <span>{label(index + 1)}</span>
                  {rows === 0 ? (
                    <input value={example[key]} onChange={(e) => setExample(index, key, e.target.value)} />
                  ) : (
                    <textarea
                      rows={rows}
                      className={mono ? 'mono' : undefined}
                      value={example[key]}
                      onChange={(e) => setExample(index, key, e.target.value)}
                    />
                  )}
                </label>
              ))}
              {draft.examples.length > 1 && (
                <button
                  type="button"
                  className="button button-quiet"
                  onClick={() => update('examples', draft.examples.filter((_, i) => i !== index))}
                >
                  Remove example {index + 1}
                </button>
              )}
            </div>
          ))}
          <button
            type="button"
            className="button"
            onClick={() => update('examples', [...draft.examples, emptyExample()])}
          >
            Add an example
          </button>
          {fieldError('examples')}
        </fieldset>
        <label className="field">
          <span>Constraints (one per line)</span>
          <textarea rows={4} value={draft.constraints} onChange={(e) => update('constraints', e.target.value)} />
          {fieldError('constraints')}
        </label>
        <fieldset className="field">
          <legend>Starter code</legend>
          <div className="starter-grid">
            {LANGUAGES.map((language) => (
              <label className="field" key={language}>
                <span>{LANGUAGE_LABELS[language]}</span>
                <textarea
                  className="mono"
                  rows={6}
                  required
                  spellCheck={false}
                  value={draft.starterCode[language]}
                  onChange={(e) => update('starterCode', { ...draft.starterCode, [language]: e.target.value })}
                />
              </label>
            ))}
          </div>
          {fieldError('starterCode')}
        </fieldset>
        {failure !== null && (
          <Notice tone="error" title="Not saved">
            {describeError(failure)}
          </Notice>
        )}
        <div className="actions">
          <Link to="/admin/questions" className="button">
            Cancel
          </Link>
          <button type="submit" className="button button-primary" disabled={saving}>
            {saving ? 'Saving…' : original ? 'Save changes' : 'Create question'}
          </button>
        </div>
      </form>
    </Layout>
  );
}
