/**
 * The shared editor's Yjs provider over Firestore: `sessions/{id}` (snapshot) and
 * `sessions/{id}/updates` (one document per batch of edits). See `yjsSync.ts` for the behaviour
 * and README "Sessions and the shared editor" for the protocol.
 *
 * ```ts
 * const doc = new Y.Doc();
 * const provider = new FirestoreYjsProvider({ db, sessionId, uid, doc });
 * provider.on('status', setStatus);
 * provider.start();
 * await provider.whenSynced();   // doc.getText(TEXT_NAME) now holds the session's code
 * // ... on leave / unmount:
 * provider.destroy();
 * ```
 *
 * The document must be empty when `start()` is called: its content comes from the session.
 */
import type { Firestore, Timestamp } from 'firebase/firestore';
import type * as Y from 'yjs';
import { FirestoreTransport } from './firestoreTransport';
import { YjsSync } from './yjsSync';

export type { ProviderStatus } from './yjsSync';

/** The name of the session's code in the Y.Doc: `doc.getText(TEXT_NAME)`. */
export const TEXT_NAME = 'code';

export interface FirestoreYjsProviderOptions {
  db: Firestore;
  sessionId: string;
  /** The signed-in user's uid (the `author` of its updates). */
  uid: string;
  doc: Y.Doc;
  /** Batch window for local edits, in milliseconds (default 150). */
  batchMs?: number;
}

/** Syncs a Y.Doc with a session in Firestore. */
export class FirestoreYjsProvider extends YjsSync<Timestamp> {
  constructor(options: FirestoreYjsProviderOptions) {
    super({
      transport: new FirestoreTransport(options.db, options.sessionId, options.uid),
      doc: options.doc,
      uid: options.uid,
      ...(options.batchMs === undefined ? {} : { batchMs: options.batchMs }),
    });
  }
}
