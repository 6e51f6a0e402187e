import { describe, expect, it } from 'vitest';
import type { MatchRequestDoc } from '../data/firestore';
import { matchView, MAX_MATCH_TOPICS, toggleTopic, topicOptions } from './match';

const T0 = Date.parse('2026-01-01T10:00:00Z');

function request(overrides: Partial<MatchRequestDoc> = {}): MatchRequestDoc {
  return {
    requestId: 'r1',
    status: 'waiting',
    difficulty: 'easy',
    topics: ['arrays'],
    language: 'python',
    relaxed: false,
    createdAt: new Date(T0),
    relaxAt: new Date(T0 + 10_000),
    expiresAt: new Date(T0 + 30_000),
    endedAt: null,
    sessionId: null,
    partner: null,
    reason: null,
    reasonMessage: null,
    ...overrides,
  };
}

describe('matchView', () => {
  it('counts down while waiting and allows cancelling', () => {
    const view = matchView(request(), T0 + 4_200);
    expect(view).toMatchObject({ status: 'waiting', countdown: '0:26', canCancel: true, sessionId: null });
    expect(view.progress).toBeCloseTo(0.14, 2);
    expect(view.detail).toContain('a shared topic');
  });

  it('never counts below zero, and says when topics were relaxed', () => {
    const view = matchView(request({ relaxed: true }), T0 + 45_000);
    expect(view.countdown).toBe('0:00');
    expect(view.progress).toBe(1);
    expect(view.detail).toContain('any topic');
  });

  it('names the session once matched', () => {
    const view = matchView(request({ status: 'matched', sessionId: 's1', partner: { uid: 'u2', username: 'bob' } }), T0);
    expect(view).toMatchObject({ status: 'matched', sessionId: 's1', title: 'Matched with bob', canCancel: false });
  });

  it('explains timed out and cancelled requests', () => {
    expect(matchView(request({ status: 'timed_out' }), T0)).toMatchObject({ tone: 'warning', title: 'No match found', countdown: null });
    expect(matchView(request({ status: 'cancelled' }), T0)).toMatchObject({ title: 'Matching cancelled', canCancel: false });
    const noQuestion = matchView(request({ status: 'timed_out', reason: 'no_question', reasonMessage: 'No question fits' }), T0);
    expect(noQuestion).toMatchObject({ status: 'timed_out', title: 'No question for you two' });
    expect(noQuestion.detail).toBe('No question fits.');
  });
});

describe('topics', () => {
  it('offers topics by name with their count at the difficulty', () => {
    const options = topicOptions(
      [
        { slug: 'trees', name: 'Trees', counts: { easy: 0, hard: 2 } },
        { slug: 'arrays', name: 'Arrays', counts: { easy: 3 } },
      ],
      'easy',
    );
    expect(options).toEqual([
      { slug: 'arrays', name: 'Arrays', count: 3 },
      { slug: 'trees', name: 'Trees', count: 0 },
    ]);
  });

  it('toggles a topic and keeps at most the limit', () => {
    expect(toggleTopic(['a'], 'b')).toEqual(['a', 'b']);
    expect(toggleTopic(['a', 'b'], 'a')).toEqual(['b']);
    const full = Array.from({ length: MAX_MATCH_TOPICS }, (_, i) => `t${i}`);
    expect(toggleTopic(full, 'extra')).toEqual(full);
  });
});
