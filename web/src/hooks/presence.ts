/** One's own presence in a session: online with a heartbeat, and the cursor, debounced. */
import { useCallback, useEffect, useRef } from 'react';
import { writePresence, type Selection } from '../data/firestore';
import { PRESENCE_HEARTBEAT_MS } from '../logic/session';
import { useServices } from './app';

const CURSOR_DEBOUNCE_MS = 150;

/** Publish presence while `active`; returns the function to report the local selection. */
export function useOwnPresence(sessionId: string, uid: string, active: boolean): (selection: Selection) => void {
  const { db } = useServices();
  const lastSelection = useRef<Selection | null>(null);
  const timer = useRef<number | null>(null);
  const activeRef = useRef(active);
  activeRef.current = active;

  const send = useCallback(
    (online: boolean) => {
      // Best effort: a refused write (the session ended meanwhile) must not disturb the page.
      writePresence(db, sessionId, uid, { online, selection: lastSelection.current }).catch(() => undefined);
    },
    [db, sessionId, uid],
  );

  useEffect(() => {
    if (!active) return undefined;
    send(true);
    const heartbeat = window.setInterval(() => send(true), PRESENCE_HEARTBEAT_MS);
    const hidden = () => send(false);
    const shown = () => send(true);
    window.addEventListener('pagehide', hidden);
    window.addEventListener('pageshow', shown);
    return () => {
      window.clearInterval(heartbeat);
      window.removeEventListener('pagehide', hidden);
      window.removeEventListener('pageshow', shown);
      if (timer.current !== null) window.clearTimeout(timer.current);
      send(false);
    };
  }, [active, send]);

  return useCallback(
    (selection: Selection) => {
      const previous = lastSelection.current;
      if (previous && previous.anchor === selection.anchor && previous.head === selection.head) return;
      lastSelection.current = selection;
      if (!activeRef.current) return;
      if (timer.current !== null) window.clearTimeout(timer.current);
      timer.current = window.setTimeout(() => {
        timer.current = null;
        if (activeRef.current) send(true);
      }, CURSOR_DEBOUNCE_MS);
    },
    [send],
  );
}
