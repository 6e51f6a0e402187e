/** The API's one error shape, turned into an exception the UI can explain. */

export interface ErrorDetail {
  field?: string | null;
  message: string;
  type?: string | null;
}

/** A failed API call: the server's stable code, or `network` when it could not be reached. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly retryAfterS: number | null = null,
    readonly requestId: string | null = null,
  ) {
    super(message);
  }
}

/** Read `Retry-After` (seconds, or an HTTP date) as seconds from `now`. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** Build the ApiError of a non-2xx answer from its status, JSON body (if any) and headers. */
export function apiErrorFrom(status: number, body: unknown, headers: Headers): ApiError {
  const retryAfterS = parseRetryAfter(headers.get('Retry-After'));
  const fallbackId = headers.get('X-Request-Id');
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const envelope = body as { error?: unknown; requestId?: unknown };
    const error = envelope.error as { code?: unknown; message?: unknown; details?: unknown } | undefined;
    if (error && typeof error.code === 'string') {
      const details = Array.isArray(error.details)
        ? (error.details.filter((d) => typeof d === 'object' && d !== null) as ErrorDetail[])
        : [];
      return new ApiError(
        status,
        error.code,
        typeof error.message === 'string' ? error.message : `HTTP ${status}`,
        details,
        retryAfterS,
        typeof envelope.requestId === 'string' ? envelope.requestId : fallbackId,
      );
    }
  }
  return new ApiError(status, status >= 500 ? 'unavailable' : 'unknown', `The server answered HTTP ${status}.`, [], retryAfterS, fallbackId);
}

export function networkError(): ApiError {
  return new ApiError(0, 'network', 'The server could not be reached.');
}

/** Say `in 12 minutes` / `in 40 seconds` for a wait. */
export function formatWait(seconds: number): string {
  if (seconds < 60) return `in ${Math.max(1, Math.round(seconds))} second${Math.round(seconds) === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `in ${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.round(minutes / 60);
  return `in about ${hours} hour${hours === 1 ? '' : 's'}`;
}

/** What to tell a person about a failure: what happened and what to do next. */
export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) {
    return error instanceof Error ? error.message : 'Something went wrong. Try again.';
  }
  switch (error.code) {
    case 'network':
      return 'The server could not be reached. Check your connection, then try again.';
    case 'unauthenticated':
    case 'token_expired':
    case 'token_revoked':
      return 'Your sign-in has expired. Sign in again.';
    case 'reauth_required':
      return 'For this, sign in again first.';
    case 'permission_denied':
      return 'You are not allowed to do this.';
    case 'user_disabled':
      return 'This account is disabled.';
    case 'rate_limited':
      return error.retryAfterS !== null
        ? `Limit reached: try again ${formatWait(error.retryAfterS)}.`
        : `Limit reached: ${error.message}`;
    case 'ai_unavailable':
      return 'The AI assistant is unavailable: it is not configured on this server, or its quota is spent.';
    case 'ai_timeout':
      return 'The AI assistant took too long to answer. Try again.';
    case 'ai_upstream_error':
      return 'The AI assistant failed to answer. Try again in a moment.';
    case 'ai_blocked':
      return 'The AI assistant declined to answer this (safety filters).';
    case 'unavailable':
      return error.retryAfterS !== null
        ? `The service is busy or down. Try again ${formatWait(error.retryAfterS)}.`
        : 'The service is busy or down. Try again in a moment.';
    case 'validation_error': {
      const first = error.details[0];
      return first ? `${first.field ? `${first.field}: ` : ''}${first.message}` : error.message;
    }
    default:
      return error.message;
  }
}
