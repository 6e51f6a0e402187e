/** What the match page shows for a match request, as pure functions of the request and the time. */
import type { Difficulty } from '../api/client';
import type { MatchRequestDoc, MatchStatus } from '../data/firestore';
import { formatCountdown } from './format';

export type Tone = 'info' | 'success' | 'warning' | 'error';

export interface MatchView {
  status: MatchStatus;
  tone: Tone;
  title: string;
  detail: string;
  /** Time left before the request expires, while waiting. */
  countdown: string | null;
  /** 0..1 of the waiting time elapsed, for a progress bar. */
  progress: number | null;
  canCancel: boolean;
  /** Where to go now: the session, once matched. */
  sessionId: string | null;
}

/** Describe a request (the one this page started or found waiting) at time `now` (ms). */
export function matchView(request: MatchRequestDoc, now: number): MatchView {
  const base = { status: request.status, countdown: null, progress: null, canCancel: false, sessionId: null };
  switch (request.status) {
    case 'waiting': {
      const expires = request.expiresAt?.getTime() ?? null;
      const created = request.createdAt?.getTime() ?? null;
      const left = expires === null ? null : expires - now;
      const span = expires !== null && created !== null ? expires - created : null;
      return {
        ...base,
        tone: 'info',
        title: 'Looking for a partner…',
        detail: request.relaxed
          ? 'No one with your topics yet: now accepting a partner on any topic.'
          : `Same difficulty (${request.difficulty}) and language, ${
              request.topics.length ? 'a shared topic' : 'any topic'
            }.`,
        countdown: left === null ? null : formatCountdown(left),
        progress: left !== null && span ? Math.min(1, Math.max(0, 1 - left / span)) : null,
        canCancel: true,
      };
    }
    case 'matched':
      return {
        ...base,
        tone: 'success',
        title: request.partner ? `Matched with ${request.partner.username}` : 'Matched',
        detail: 'Opening your session…',
        sessionId: request.sessionId,
      };
    case 'timed_out':
      if (request.reason === 'no_question') {
        return {
          ...base,
          tone: 'warning',
          title: 'No question for you two',
          detail: request.reasonMessage
            ? `${request.reasonMessage}.`
            : 'A partner was found, but no question fits this difficulty any more. Try another difficulty.',
        };
      }
      return {
        ...base,
        tone: 'warning',
        title: 'No match found',
        detail:
          'Nobody asked for the same difficulty and language in time. Try again, or pick another difficulty or fewer topics.',
      };
    case 'cancelled':
      return { ...base, tone: 'info', title: 'Matching cancelled', detail: 'Start again whenever you are ready.' };
  }
}

export interface TopicOption {
  slug: string;
  name: string;
  count: number;
}

/** The topics to offer for a difficulty, with how many questions each has at that difficulty. */
export function topicOptions(
  topics: { slug: string; name: string; counts: Partial<Record<Difficulty, number>> }[],
  difficulty: Difficulty,
): TopicOption[] {
  return topics
    .map((topic) => ({ slug: topic.slug, name: topic.name, count: topic.counts[difficulty] ?? 0 }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export const MAX_MATCH_TOPICS = 5;

/** Toggle a topic in a selection, keeping at most `MAX_MATCH_TOPICS`. */
export function toggleTopic(selected: readonly string[], slug: string): string[] {
  if (selected.includes(slug)) return selected.filter((item) => item !== slug);
  if (selected.length >= MAX_MATCH_TOPICS) return [...selected];
  return [...selected, slug];
}
