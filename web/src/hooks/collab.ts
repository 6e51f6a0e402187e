/** The session's shared document: a Y.Doc kept in sync through Firestore by the provider. */
import { useEffect, useState } from 'react';
import * as Y from 'yjs';
import { FirestoreYjsProvider, TEXT_NAME, type ProviderStatus } from '../collab/firestoreProvider';
import { useServices } from './app';

export interface CollabState {
  doc: Y.Doc;
  text: Y.Text;
  status: ProviderStatus;
  /** The document has loaded (snapshot and updates), so the editor may show it. */
  synced: boolean;
  error: Error | null;
}

/** Start the provider for a session while mounted (and `enabled`); destroy it on unmount. */
export function useCollabDoc(sessionId: string, uid: string, enabled: boolean): CollabState | null {
  const { db } = useServices();
  const [state, setState] = useState<CollabState | null>(null);
  useEffect(() => {
    if (!enabled) return undefined;
    const doc = new Y.Doc();
    const text = doc.getText(TEXT_NAME);
    const provider = new FirestoreYjsProvider({ db, sessionId, uid, doc });
    let alive = true;
    setState({ doc, text, status: 'connecting', synced: false, error: null });
    const offStatus = provider.on('status', (status) => {
      if (alive) setState((prev) => (prev && prev.doc === doc ? { ...prev, status } : prev));
    });
    const offError = provider.on('error', (error) => {
      if (alive) setState((prev) => (prev && prev.doc === doc ? { ...prev, error } : prev));
    });
    provider.start();
    provider.whenSynced().then(
      () => {
        if (alive) setState((prev) => (prev && prev.doc === doc ? { ...prev, synced: true, error: null } : prev));
      },
      (error: unknown) => {
        if (alive)
          setState((prev) =>
            prev && prev.doc === doc ? { ...prev, error: error instanceof Error ? error : new Error(String(error)) } : prev,
          );
      },
    );
    return () => {
      alive = false;
      offStatus();
      offError();
      provider.destroy();
      doc.destroy();
    };
  }, [db, sessionId, uid, enabled]);
  return state;
}
