/**
 * `CollabTransport` over Firestore (modular SDK): the session document and its `updates`
 * collection, as `firestore.rules` lets participants read and append them (each append paying
 * one from the participant's write budget, see `budget.ts`).
 */
import {
  Bytes,
  collection,
  doc,
  onSnapshot,
  orderBy,
  query,
  serverTimestamp,
  Timestamp,
  where,
  writeBatch,
  type DocumentData,
  type Firestore,
} from 'firebase/firestore';
import { spendBudget } from './budget';
import {
  toCollabError,
  type CollabError,
  type CollabTransport,
  type SessionState,
  type UpdateRecord,
  type UpdatesSnapshot,
  type Unsubscribe,
} from './transport';

/** Reads `sessions/{sessionId}` and its updates, writes updates as `uid`. */
export class FirestoreTransport implements CollabTransport<Timestamp> {
  constructor(
    private readonly db: Firestore,
    private readonly sessionId: string,
    private readonly uid: string,
  ) {}

  listenSession(
    next: (state: SessionState<Timestamp>) => void,
    error: (error: CollabError) => void,
  ): Unsubscribe {
    return onSnapshot(
      doc(this.db, 'sessions', this.sessionId),
      { includeMetadataChanges: true },
      (snapshot) => next(sessionState(snapshot.data(), snapshot.metadata.fromCache)),
      (cause) => error(toCollabError(cause)),
    );
  }

  listenUpdates(
    from: Timestamp | null,
    next: (snapshot: UpdatesSnapshot) => void,
    error: (error: CollabError) => void,
  ): Unsubscribe {
    const updates = collection(this.db, 'sessions', this.sessionId, 'updates');
    const ordered =
      from === null
        ? query(updates, orderBy('createdAt'))
        : query(updates, where('createdAt', '>=', from), orderBy('createdAt'));
    return onSnapshot(
      ordered,
      { includeMetadataChanges: true },
      (snapshot) => {
        const records: UpdateRecord[] = [];
        // Changes come in query order; removals are compactions (the snapshot covers them), and
        // a pending own write is skipped until the server has set its createdAt.
        for (const change of snapshot.docChanges()) {
          if (change.type === 'removed') continue;
          const record = updateRecord(change.doc.id, change.doc.data());
          if (record !== null) records.push(record);
        }
        next({ updates: records, fromCache: snapshot.metadata.fromCache });
      },
      (cause) => error(toCollabError(cause)),
    );
  }

  /** Append an update, with the raise of one's write budget that pays for it (one batch). */
  async addUpdate(update: Uint8Array): Promise<void> {
    const target = doc(collection(this.db, 'sessions', this.sessionId, 'updates'));
    const batch = writeBatch(this.db);
    batch.set(target, {
      author: this.uid,
      update: Bytes.fromUint8Array(update),
      createdAt: serverTimestamp(),
    });
    spendBudget(batch, this.db, this.sessionId, this.uid, 'updates', target.id);
    await batch.commit();
  }
}

/** The session fields the provider uses, read defensively (`exists` false without data). */
export function sessionState(data: DocumentData | undefined, fromCache: boolean): SessionState<Timestamp> {
  if (data === undefined) {
    return { exists: false, snapshot: null, snapshotAt: null, snapshotVersion: 0, status: '', leftBy: [], fromCache };
  }
  const { snapshot, snapshotAt, snapshotVersion, status, leftBy } = data;
  return {
    exists: true,
    snapshot: snapshot instanceof Bytes ? snapshot.toUint8Array() : null,
    snapshotAt: snapshotAt instanceof Timestamp ? snapshotAt : null,
    snapshotVersion: typeof snapshotVersion === 'number' ? snapshotVersion : 0,
    status: typeof status === 'string' ? status : '',
    leftBy: Array.isArray(leftBy) ? leftBy.filter((uid): uid is string => typeof uid === 'string') : [],
    fromCache,
  };
}

/** An update document as a record, or null if it is not one yet (or not one at all). */
export function updateRecord(id: string, data: DocumentData): UpdateRecord | null {
  const { author, update, createdAt } = data;
  if (!(update instanceof Bytes) || !(createdAt instanceof Timestamp)) return null;
  return {
    id,
    author: typeof author === 'string' ? author : '',
    update: update.toUint8Array(),
    createdAt: createdAt.seconds * 1_000_000 + Math.floor(createdAt.nanoseconds / 1000),
  };
}
