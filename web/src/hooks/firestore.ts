/** Hooks over the listeners of src/data/firestore.ts: each subscribes on mount, unsubscribes on unmount. */
import { useCallback, useEffect, useState } from 'react';
import {
  listenMatchRequest,
  listenMessages,
  listenPresence,
  listenRuns,
  listenSession,
  sendChatMessage,
  type ChatMessage,
  type MatchRequestDoc,
  type Presence,
  type RunDoc,
  type SessionDoc,
} from '../data/firestore';
import { useServices } from './app';

export interface Live<T> {
  /** `undefined` until the first snapshot. */
  data: T | undefined;
  error: Error | null;
}

export function useMatchRequest(uid: string): Live<MatchRequestDoc | null> {
  const { db } = useServices();
  const [state, setState] = useState<Live<MatchRequestDoc | null>>({ data: undefined, error: null });
  useEffect(
    () =>
      listenMatchRequest(
        db,
        uid,
        (data) => setState({ data, error: null }),
        (error) => setState((prev) => ({ ...prev, error })),
      ),
    [db, uid],
  );
  return state;
}

export interface LiveSession extends Live<SessionDoc | null> {
  fromCache: boolean;
}

export function useSessionDoc(sessionId: string): LiveSession {
  const { db } = useServices();
  const [state, setState] = useState<LiveSession>({ data: undefined, error: null, fromCache: false });
  useEffect(
    () =>
      listenSession(
        db,
        sessionId,
        (data, meta) => setState({ data, error: null, fromCache: meta.fromCache }),
        (error) => setState((prev) => ({ ...prev, error })),
      ),
    [db, sessionId],
  );
  return state;
}

export function useMessages(sessionId: string): Live<ChatMessage[]> {
  const { db } = useServices();
  const [state, setState] = useState<Live<ChatMessage[]>>({ data: undefined, error: null });
  useEffect(
    () =>
      listenMessages(
        db,
        sessionId,
        (data) => setState({ data, error: null }),
        (error) => setState((prev) => ({ ...prev, error })),
      ),
    [db, sessionId],
  );
  return state;
}

export function useRuns(sessionId: string): Live<RunDoc[]> {
  const { db } = useServices();
  const [state, setState] = useState<Live<RunDoc[]>>({ data: undefined, error: null });
  useEffect(
    () =>
      listenRuns(
        db,
        sessionId,
        (data) => setState({ data, error: null }),
        (error) => setState((prev) => ({ ...prev, error })),
      ),
    [db, sessionId],
  );
  return state;
}

export function usePresence(sessionId: string): Live<Record<string, Presence>> {
  const { db } = useServices();
  const [state, setState] = useState<Live<Record<string, Presence>>>({ data: undefined, error: null });
  useEffect(
    () =>
      listenPresence(
        db,
        sessionId,
        (data) => setState({ data, error: null }),
        (error) => setState((prev) => ({ ...prev, error })),
      ),
    [db, sessionId],
  );
  return state;
}

/** Post a chat message as `uid` (already trimmed and checked). */
export function useSendChat(sessionId: string, uid: string): (text: string) => Promise<void> {
  const { db } = useServices();
  return useCallback((text: string) => sendChatMessage(db, sessionId, uid, text), [db, sessionId, uid]);
}
