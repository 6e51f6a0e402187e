import { describe, expect, it } from 'vitest';
import { readStream, SseParser } from './aiStream';
import { ApiError } from './errors';

function sse(...chunks: string[]): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  return new Response(body, { headers: { 'Content-Type': 'text/event-stream' } });
}

describe('SseParser', () => {
  it('parses events split anywhere, with CRLF, comments and multi-line data', () => {
    const parser = new SseParser();
    const text = ': keep-alive\r\nevent: delta\r\ndata: {"text":"a"}\r\n\r\nevent: done\ndata: line1\ndata: line2\n\n';
    const events = [];
    for (const char of text) events.push(...parser.feed(char));
    expect(events).toEqual([
      { event: 'delta', data: '{"text":"a"}' },
      { event: 'done', data: 'line1\nline2' },
    ]);
  });

  it('dispatches an unterminated last event at the end, and defaults the name to message', () => {
    const parser = new SseParser();
    expect(parser.feed('data: x')).toEqual([]);
    expect(parser.end()).toEqual([{ event: 'message', data: 'x' }]);
  });
});

describe('readStream', () => {
  it('accumulates deltas and resolves with the done event', async () => {
    const seen: string[] = [];
    const answer = await readStream(
      sse('event: delta\ndata: {"text":"Think "}\n\n', 'event: delta\ndata: {"text":"again."}\n\nevent: done\n', 'data: {"mode":"hint","text":"Think again.","messageId":"m1"}\n\n'),
      (_piece, soFar) => seen.push(soFar),
    );
    expect(seen).toEqual(['Think ', 'Think again.']);
    expect(answer).toEqual({ mode: 'hint', text: 'Think again.', messageId: 'm1' });
  });

  it('throws the error event as an ApiError', async () => {
    const failing = sse('event: delta\ndata: {"text":"par"}\n\n', 'event: error\ndata: {"error":{"code":"ai_timeout","message":"late"}}\n\n');
    await expect(readStream(failing, () => undefined)).rejects.toMatchObject({ code: 'ai_timeout', message: 'late' });
  });

  it('fails when the stream stops before done', async () => {
    const cut = sse('event: delta\ndata: {"text":"par"}\n\n');
    const error = await readStream(cut, () => undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('ai_upstream_error');
  });
});
