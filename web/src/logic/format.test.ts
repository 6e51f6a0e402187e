import { describe, expect, it } from 'vitest';
import { formatCountdown, formatDuration, verdictLabel } from './format';
import { authErrorMessage, safeNext } from './auth';
import { aiFailure } from './ai';
import { ApiError } from '../api/errors';

describe('formatCountdown', () => {
  it.each([
    [30_000, '0:30'],
    [29_001, '0:30'],
    [65_000, '1:05'],
    [0, '0:00'],
    [-5_000, '0:00'],
  ])('%d ms -> %s', (ms, text) => expect(formatCountdown(ms)).toBe(text));
});

describe('formatDuration', () => {
  it.each([
    [12.4, '12 s'],
    [59.6, '1 min'],
    [754, '13 min'],
    [3900, '1 h 05 min'],
  ])('%d s -> %s', (s, text) => expect(formatDuration(s)).toBe(text));
});

describe('auth helpers', () => {
  it('explains Firebase Auth codes for the mode', () => {
    expect(authErrorMessage('auth/email-already-in-use', 'signup')).toContain('sign in instead');
    expect(authErrorMessage('auth/invalid-credential', 'signin')).toContain('Wrong email or password');
    expect(authErrorMessage(undefined, 'signin')).toBe('Signing in failed. Try again.');
  });

  it('only follows next to a path of this app', () => {
    expect(safeNext('/session/abc')).toBe('/session/abc');
    expect(safeNext('https://evil.example')).toBe('/');
    expect(safeNext('//evil.example')).toBe('/');
    expect(safeNext(null, '/match')).toBe('/match');
  });
});

describe('aiFailure', () => {
  it('says when the hourly limit frees, and that the hint limit does not', () => {
    const now = Date.parse('2026-01-01T10:40:00');
    const hourly = aiFailure(new ApiError(429, 'rate_limited', 'x', [], 1200), now);
    expect(hourly.title).toBe('AI limit reached');
    expect(hourly.text).toContain('in 20 minutes');
    expect(aiFailure(new ApiError(429, 'rate_limited', 'x')).title).toBe('No hints left');
  });

  it('says the assistant is unavailable when not configured', () => {
    const failure = aiFailure(new ApiError(503, 'ai_unavailable', 'x'));
    expect(failure.title).toBe('AI assistant unavailable');
    expect(failure.text).toContain('not configured');
  });
});

describe('verdictLabel', () => {
  it('says a submission is accepted and a run ran', () => {
    expect(verdictLabel('accepted', 'submit')).toBe('Accepted');
    expect(verdictLabel('accepted', 'run')).toBe('Ran without error');
    expect(verdictLabel('wrong_answer', 'submit')).toBe('Wrong answer');
    expect(verdictLabel('some_new_verdict', 'run')).toBe('some new verdict');
  });
});
