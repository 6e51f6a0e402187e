/** The typed API client (types generated from the served OpenAPI document: `npm run gen:api`). */
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';
import { ApiError, apiErrorFrom, networkError } from './errors';

export type Schemas = components['schemas'];
export type Profile = Schemas['Profile'];
export type Session = Schemas['Session'];
export type MatchRequest = Schemas['MatchRequest'];
export type Attempt = Schemas['Attempt'];
export type TopicCount = Schemas['TopicCount'];
export type Question = Schemas['Question'];
export type QuestionSummary = Schemas['QuestionSummary'];
export type QuestionCreate = Schemas['QuestionCreate'];
export type Difficulty = MatchRequest['difficulty'];
export type Language = MatchRequest['language'];
export type TopicSlug = Schemas['MatchCreate']['topics'] extends (infer T)[] | undefined ? T : never;

export const DIFFICULTIES: readonly Difficulty[] = ['easy', 'medium', 'hard'];
export const LANGUAGES: readonly Language[] = ['python', 'javascript', 'java', 'cpp'];
export const LANGUAGE_LABELS: Record<Language, string> = {
  python: 'Python',
  javascript: 'JavaScript',
  java: 'Java',
  cpp: 'C++',
};

export type TokenSource = () => Promise<string | null>;

export function createApi(baseUrl: string, getToken: TokenSource) {
  const client = createClient<paths>({ baseUrl });
  const auth: Middleware = {
    async onRequest({ request }) {
      const token = await getToken();
      if (token) request.headers.set('Authorization', `Bearer ${token}`);
      return request;
    },
  };
  client.use(auth);
  return client;
}

export type Api = ReturnType<typeof createApi>;

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Await an openapi-fetch call; return its data or throw an ApiError. */
export async function call<T>(request: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await request;
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw networkError();
  }
  if (!result.response.ok) {
    throw apiErrorFrom(result.response.status, result.error, result.response.headers);
  }
  return result.data as T;
}
