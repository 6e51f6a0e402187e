/**
 * The AI assistant's streamed answers: `POST /ai/{mode}` with `Accept: text/event-stream`
 * answers server-sent events (`delta` {text}, `done` {mode, text, messageId}, `error` {error}).
 * EventSource cannot POST nor send a token, so this reads the body with fetch.
 */
import { ApiError, apiErrorFrom, networkError } from './errors';

export type AiMode = 'hint' | 'explain' | 'review';

export interface SseEvent {
  event: string;
  data: string;
}

/** An incremental parser of a text/event-stream body (fields `event` and `data`). */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];

  /** Feed decoded text; return the events it completed. */
  feed(text: string): SseEvent[] {
    this.buffer += text;
    const events: SseEvent[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A lone \r at the very end may be the first half of \r\n: wait for more.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const complete = this.line(line);
      if (complete) events.push(complete);
    }
    return events;
  }

  /** End of the body: an event not yet closed by a blank line is dispatched. */
  end(): SseEvent[] {
    const events = this.buffer ? this.feed('\n') : [];
    const last = this.line('');
    return last ? [...events, last] : events;
  }

  private line(line: string): SseEvent | null {
    if (line === '') {
      if (this.data.length === 0) {
        this.event = '';
        return null;
      }
      const complete = { event: this.event || 'message', data: this.data.join('\n') };
      this.event = '';
      this.data = [];
      return complete;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    return null;
  }
}

export interface AiAnswer {
  mode: AiMode;
  text: string;
  messageId: string;
}

export interface AiRequestOptions {
  apiBaseUrl: string;
  token: string;
  mode: AiMode;
  sessionId: string;
  selection?: string | undefined;
  onDelta: (text: string, soFar: string) => void;
  signal?: AbortSignal | undefined;
}

/** Ask the assistant and stream its answer; resolve with the final answer, or throw ApiError. */
export async function streamAi(options: AiRequestOptions): Promise<AiAnswer> {
  const body: Record<string, string> = { sessionId: options.sessionId };
  if (options.mode === 'explain' && options.selection) body.selection = options.selection;
  let response: Response;
  try {
    response = await fetch(`${options.apiBaseUrl}/ai/${options.mode}`, {
      method: 'POST',
      headers: {
        Accept: 'text/event-stream',
        'Content-Type': 'application/json',
        Authorization: `Bearer ${options.token}`,
      },
      body: JSON.stringify(body),
      signal: options.signal ?? null,
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw networkError();
  }
  const type = response.headers.get('Content-Type') ?? '';
  if (!response.ok || !type.startsWith('text/event-stream')) {
    let payload: unknown = null;
    try {
      payload = await response.json();
    } catch {
      // not JSON: apiErrorFrom describes it by its status
    }
    if (response.ok && payload && typeof payload === 'object' && 'text' in payload) {
      const answer = payload as AiAnswer;
      options.onDelta(answer.text, answer.text);
      return answer;
    }
    throw apiErrorFrom(response.ok ? 502 : response.status, payload, response.headers);
  }
  return readStream(response, options.onDelta);
}

/** Read an SSE answer body to its `done` (or `error`) event. */
export async function readStream(
  response: Response,
  onDelta: (text: string, soFar: string) => void,
): Promise<AiAnswer> {
  if (!response.body) throw new ApiError(502, 'ai_upstream_error', 'The answer had no body.');
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  let soFar = '';
  const handle = (events: SseEvent[]): AiAnswer | null => {
    for (const { event, data } of events) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(data);
      } catch {
        continue;
      }
      if (event === 'delta') {
        const text = (parsed as { text?: unknown }).text;
        if (typeof text === 'string' && text) {
          soFar += text;
          onDelta(text, soFar);
        }
      } else if (event === 'done') {
        return parsed as AiAnswer;
      } else if (event === 'error') {
        throw apiErrorFrom(502, parsed, response.headers);
      }
    }
    return null;
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const answer = handle(parser.feed(decoder.decode(value, { stream: true })));
      if (answer) return answer;
    }
    const answer = handle(parser.end());
    if (answer) return answer;
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError(0, 'network', 'The connection was lost while the answer was streaming.');
  } finally {
    // Done (or failed): let go of the connection, whatever is left of the body.
    reader.cancel().catch(() => undefined);
  }
  throw new ApiError(502, 'ai_upstream_error', 'The answer stopped before it was complete.');
}
