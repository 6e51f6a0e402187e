/** What the AI panel says when there is no answer. */
import { ApiError, describeError, formatWait } from '../api/errors';
import { formatTime } from './format';

export interface AiFailure {
  title: string;
  text: string;
}

export function aiFailure(error: unknown, now: number = Date.now()): AiFailure {
  if (error instanceof ApiError) {
    if (error.code === 'rate_limited') {
      if (error.retryAfterS !== null) {
        const at = formatTime(new Date(now + error.retryAfterS * 1000));
        return {
          title: 'AI limit reached',
          text: `You have used this hour's AI requests. Try again ${formatWait(error.retryAfterS)} (at ${at}).`,
        };
      }
      return {
        title: 'No hints left',
        text: 'You have used every hint of this session. Explain and review still work.',
      };
    }
    if (error.code === 'ai_unavailable') {
      return { title: 'AI assistant unavailable', text: describeError(error) };
    }
    if (error.code === 'permission_denied' || error.code === 'not_found') {
      return { title: 'AI assistant unavailable', text: 'The assistant only answers participants of an active session.' };
    }
  }
  return { title: 'No answer', text: describeError(error) };
}

export const AI_MODES = [
  { mode: 'hint', label: 'Hint', help: 'A nudge in the right direction, never the solution' },
  { mode: 'explain', label: 'Explain', help: 'Explain the code, or the selected part of it' },
  { mode: 'review', label: 'Review', help: 'Correctness, complexity and style' },
] as const;
