/** Asking the AI assistant: one streamed answer at a time, with its failure explained. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { streamAi, type AiMode } from '../api/aiStream';
import { ApiError } from '../api/errors';
import { useServices } from './app';

export interface AiState {
  mode: AiMode;
  status: 'waiting' | 'streaming' | 'done' | 'error';
  text: string;
  messageId: string | null;
  error: unknown;
  startedAt: number;
}

export function useAi(sessionId: string) {
  const { auth, config } = useServices();
  const [state, setState] = useState<AiState | null>(null);
  const abort = useRef<AbortController | null>(null);

  useEffect(() => () => abort.current?.abort(), []);

  const ask = useCallback(
    async (mode: AiMode, selection?: string) => {
      const user = auth.currentUser;
      if (!user) return;
      abort.current?.abort();
      const controller = new AbortController();
      abort.current = controller;
      const startedAt = Date.now();
      setState({ mode, status: 'waiting', text: '', messageId: null, error: null, startedAt });
      try {
        const token = await user.getIdToken();
        const answer = await streamAi({
          apiBaseUrl: config.apiBaseUrl,
          token,
          mode,
          sessionId,
          selection,
          signal: controller.signal,
          onDelta: (_piece, soFar) => {
            if (!controller.signal.aborted) setState((prev) => prev && { ...prev, status: 'streaming', text: soFar });
          },
        });
        if (!controller.signal.aborted) {
          setState((prev) => prev && { ...prev, status: 'done', text: answer.text, messageId: answer.messageId });
        }
      } catch (error) {
        if (controller.signal.aborted && !(error instanceof ApiError)) return;
        setState((prev) => prev && { ...prev, status: 'error', error });
      }
    },
    [auth, config.apiBaseUrl, sessionId],
  );

  return { state, ask };
}
