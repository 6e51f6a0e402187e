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
import type { Firestore, Unsubscribe } from 'firebase/firestore';
import { useServices } from './app';

export interface Live<T> {
  /** `undefined` until the first snapshot. */
  data: T | undefined;
  error: Error | null;
}

type Listen<T> = (
  db: Firestore,
  key: string,
  onData: (data: T) => void,
  onError: (error: Error) => void,
) => Unsubscribe;

/** Subscribe to one listener of src/data/firestore.ts for `key` while mounted. */
function useLive<T>(listen: Listen<T>, key: string): Live<T> {
  const { db } = useServices();
  const [state, setState] = useState<Live<T>>({ data: undefined, error: null });
  useEffect(
    () =>
      listen(
        db,
        key,
        (data) => setState({ data, error: null }),
        (error) => setState((prev) => ({ ...prev, error })),
      ),
    [db, key, listen],
  );
  return state;
}

export function useMatchRequest(uid: string): Live<MatchRequestDoc | null> {
  return useLive(listenMatchRequest, uid);
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
  return useLive(listenMessages, sessionId);
}

export function useRuns(sessionId: string): Live<RunDoc[]> {
  return useLive(listenRuns, sessionId);
}

export function usePresence(sessionId: string): Live<Record<string, Presence>> {
  return useLive(listenPresence, sessionId);
}

/** Post a chat message as `uid` (already trimmed and checked). */
export function useSendChat(sessionId: string, uid: string): (text: string) => Promise<void> {
  const { db } = useServices();
  return useCallback((text: string) => sendChatMessage(db, sessionId, uid, text), [db, sessionId, uid]);
}
