import { describe, expect, it } from 'vitest';
import { ApiError, apiErrorFrom, describeError, formatWait, parseRetryAfter } from './errors';

const body = (code: string, message = 'm', details: unknown[] = []) => ({
  error: { code, message, details },
  requestId: 'req-1',
});

describe('apiErrorFrom', () => {
  it('reads the one error shape, Retry-After and the request id', () => {
    const error = apiErrorFrom(429, body('rate_limited', 'slow down'), new Headers({ 'Retry-After': '120' }));
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', message: 'slow down', retryAfterS: 120, requestId: 'req-1' });
  });

  it('keeps the details of a validation error', () => {
    const details = [{ field: 'username', message: 'too short', type: 'string_too_short' }];
    const error = apiErrorFrom(422, body('validation_error', 'username: too short', details), new Headers());
    expect(error.details).toEqual(details);
    expect(describeError(error)).toBe('username: too short');
  });

  it('describes a body that is not the error shape by its status', () => {
    const error = apiErrorFrom(502, '<html>bad gateway</html>', new Headers({ 'X-Request-Id': 'abc' }));
    expect(error).toMatchObject({ code: 'unavailable', requestId: 'abc' });
    expect(apiErrorFrom(418, null, new Headers()).code).toBe('unknown');
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('30')).toBe(30);
    const now = Date.parse('2026-01-01T10:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 10:05:00 GMT', now)).toBe(300);
    expect(parseRetryAfter('Thu, 01 Jan 2026 09:00:00 GMT', now)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('')).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
  });
});

describe('describeError', () => {
  it('says when to retry a rate limit', () => {
    expect(describeError(new ApiError(429, 'rate_limited', 'x', [], 1500))).toBe('Limit reached: try again in 25 minutes.');
  });

  it('explains AI and network failures with what to do', () => {
    expect(describeError(new ApiError(503, 'ai_unavailable', 'x'))).toContain('not configured');
    expect(describeError(new ApiError(0, 'network', 'x'))).toContain('Check your connection');
    expect(describeError(new Error('plain'))).toBe('plain');
    expect(describeError('???')).toBe('Something went wrong. Try again.');
  });
});

describe('formatWait', () => {
  it.each([
    [1, 'in 1 second'],
    [45, 'in 45 seconds'],
    [60, 'in 1 minute'],
    [61, 'in 2 minutes'],
    [3600, 'in about 1 hour'],
    [7200, 'in about 2 hours'],
  ])('%d s -> %s', (seconds, text) => {
    expect(formatWait(seconds)).toBe(text);
  });
});
