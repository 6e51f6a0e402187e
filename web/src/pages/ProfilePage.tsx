/** Create one's profile after signing up; later, see it and change it. */
import { useEffect, useState, type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { call, LANGUAGE_LABELS, LANGUAGES, type Language, type Profile } from '../api/client';
import { ApiError, describeError } from '../api/errors';
import { Layout } from '../components/Layout';
import { Notice, PageTitle } from '../components/ui';
import { useAuth, useServices } from '../hooks/app';
import { safeNext } from '../logic/auth';
import { formatDateTime } from '../logic/format';

type Proficiency = Profile['proficiency'];
const PROFICIENCIES: Proficiency[] = ['beginner', 'intermediate', 'advanced'];

export function ProfilePage() {
  const { profile } = useAuth();
  if (profile.state === 'ready') return <ProfileView profile={profile.profile} />;
  return <ProfileForm existing={null} />;
}

function ProfileView({ profile }: { profile: Profile }) {
  const [editing, setEditing] = useState(false);
  if (editing) return <ProfileForm existing={profile} onDone={() => setEditing(false)} />;
  const { stats } = profile;
  return (
    <Layout>
      <PageTitle
        aside={
          <button type="button" className="button" onClick={() => setEditing(true)}>
            Edit profile
          </button>
        }
      >
        {profile.displayName}
      </PageTitle>
      <div className="card">
        <dl className="facts">
          <dt>Username</dt>
          <dd>@{profile.username}</dd>
          <dt>Email</dt>
          <dd>{profile.email ?? '—'}</dd>
          <dt>Preferred language</dt>
          <dd>{LANGUAGE_LABELS[profile.preferredLanguage]}</dd>
          <dt>Proficiency</dt>
          <dd>{profile.proficiency}</dd>
          <dt>Member since</dt>
          <dd>{formatDateTime(profile.createdAt)}</dd>
        </dl>
      </div>
      <h2>Practice so far</h2>
      <div className="stats">
        <div className="stat">
          <span className="stat-value">{stats.sessions}</span>
          <span className="stat-label">sessions</span>
        </div>
        <div className="stat">
          <span className="stat-value">{Math.round(stats.minutesPractised ?? 0)}</span>
          <span className="stat-label">minutes practised</span>
        </div>
        <div className="stat">
          <span className="stat-value">{stats.partners}</span>
          <span className="stat-label">partners</span>
        </div>
      </div>
    </Layout>
  );
}

function ProfileForm({ existing, onDone }: { existing: Profile | null; onDone?: () => void }) {
  const { api } = useServices();
  const { setProfile } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [username, setUsername] = useState(existing?.username ?? '');
  const [displayName, setDisplayName] = useState(existing?.displayName ?? '');
  const [language, setLanguage] = useState<Language>(existing?.preferredLanguage ?? 'python');
  const [proficiency, setProficiency] = useState<Proficiency>(existing?.proficiency ?? 'beginner');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => setError(null), [username]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      let saved: Profile;
      if (existing) {
        const changes: Partial<Pick<Profile, 'username' | 'displayName' | 'preferredLanguage' | 'proficiency'>> = {};
        if (username.trim() !== existing.username) changes.username = username.trim();
        if (displayName.trim() && displayName.trim() !== existing.displayName) changes.displayName = displayName.trim();
        if (language !== existing.preferredLanguage) changes.preferredLanguage = language;
        if (proficiency !== existing.proficiency) changes.proficiency = proficiency;
        saved = Object.keys(changes).length ? await call(api.PATCH('/users/me', { body: changes })) : existing;
      } else {
        const body = {
          username: username.trim(),
          preferredLanguage: language,
          proficiency,
          ...(displayName.trim() ? { displayName: displayName.trim() } : {}),
        };
        saved = await call(api.POST('/users', { body }));
      }
      setProfile(saved);
      if (onDone) onDone();
      else navigate(safeNext(params.get('next'), '/match'), { replace: true });
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === 'username_taken') {
        setError('That username is taken: choose another.');
      } else if (caught instanceof ApiError && caught.code === 'already_exists') {
        setError('You already have a profile. Reload the page.');
      } else {
        setError(describeError(caught));
      }
      setBusy(false);
    }
  };

  return (
    <Layout>
      <PageTitle>{existing ? 'Edit your profile' : 'Create your profile'}</PageTitle>
      {!existing && <p className="lead">Pick the name your partners will see. You can change it later.</p>}
      <form className="card form" onSubmit={(event) => void submit(event)}>
        <label className="field">
          <span>Username</span>
          <input
            data-testid="profile-username"
            required
            minLength={3}
            maxLength={20}
            pattern="[A-Za-z0-9_]+"
            autoComplete="username"
            value={username}
            onChange={(event) => setUsername(event.target.value)}
            aria-describedby="username-hint"
          />
          <small className="hint" id="username-hint">
            3 to 20 letters, digits or underscores.
          </small>
        </label>
        <label className="field">
          <span>Display name (optional)</span>
          <input maxLength={50} value={displayName} onChange={(event) => setDisplayName(event.target.value)} />
        </label>
        <div className="field-row">
          <label className="field">
            <span>Preferred language</span>
            <select value={language} onChange={(event) => setLanguage(event.target.value as Language)}>
              {LANGUAGES.map((item) => (
                <option key={item} value={item}>
                  {LANGUAGE_LABELS[item]}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Proficiency</span>
            <select value={proficiency} onChange={(event) => setProficiency(event.target.value as Proficiency)}>
              {PROFICIENCIES.map((item) => (
                <option key={item} value={item}>
                  {item}
                </option>
              ))}
            </select>
          </label>
        </div>
        {error && <Notice tone="error">{error}</Notice>}
        <div className="actions">
          {onDone && (
            <button type="button" className="button" onClick={onDone}>
              Cancel
            </button>
          )}
          <button type="submit" className="button button-primary" data-testid="profile-submit" disabled={busy}>
            {busy ? 'Saving…' : existing ? 'Save' : 'Create profile'}
          </button>
        </div>
      </form>
    </Layout>
  );
}
