/**
 * The narrow seam between the Yjs sync logic (`yjsSync.ts`) and Firestore
 * (`firestoreTransport.ts`), so ordering, batching, resync and echo handling are unit-tested
 * against an in-memory fake (`fakeBackend.ts`).
 *
 * `At` is the opaque position type of `snapshotAt` (a Firestore `Timestamp` in production): the
 * sync logic only hands it back to `listenUpdates`, never inspects it.
 */

/** What the sync logic needs of `sessions/{id}`. */
export interface SessionState<At> {
  /** False when the document does not exist (or is not in the cache, with `fromCache`). */
  exists: boolean;
  /** The compacted Yjs v1 state, or null when the field is missing. */
  snapshot: Uint8Array | null;
  /** `createdAt` of the newest update folded into `snapshot`; null when the field is missing. */
  snapshotAt: At | null;
  /** Bumped by each compaction (0 at creation). */
  snapshotVersion: number;
  /** `'active'` or `'ended'` (anything else is passed through as is). */
  status: string;
  /** Participants who left the session. */
  leftBy: readonly string[];
  /** True when this state comes from the local cache rather than the server. */
  fromCache: boolean;
}

/** One document of `sessions/{id}/updates`. */
export interface UpdateRecord {
  /** The document id: unique, used to skip documents delivered again. */
  id: string;
  author: string;
  /** Yjs v1 update bytes. */
  update: Uint8Array;
  /** A number that orders like `createdAt` (microseconds since the epoch for Firestore). */
  createdAt: number;
}

/** One delivery of the updates listener: the documents added (or changed) since the last one. */
export interface UpdatesSnapshot {
  updates: UpdateRecord[];
  fromCache: boolean;
}

/** A transport failure with a Firestore-style code (`permission-denied`, `unavailable`, ...). */
export class CollabError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CollabError';
    this.code = code;
  }
}

/** Stops a listener. */
export type Unsubscribe = () => void;

/**
 * How the sync logic reads and writes a session. Listeners call `next` with every snapshot and
 * `error` at most once, after which they are dead (as Firestore listeners are) and must be
 * started again by the caller.
 */
export interface CollabTransport<At> {
  /** Listen to `sessions/{id}`. */
  listenSession(
    next: (state: SessionState<At>) => void,
    error: (error: CollabError) => void,
  ): Unsubscribe;
  /**
   * Listen to `sessions/{id}/updates` with `createdAt >= from` (every update when `from` is
   * null), ordered by `createdAt`. Updates whose `createdAt` the server has not set yet (own
   * pending writes) are not delivered until it has.
   */
  listenUpdates(
    from: At | null,
    next: (snapshot: UpdatesSnapshot) => void,
    error: (error: CollabError) => void,
  ): Unsubscribe;
  /** Append one update document (author: own uid, createdAt: the server's time). */
  addUpdate(update: Uint8Array): Promise<void>;
}

/** Turn anything thrown by a transport into a `CollabError` (keeping a `code` if it has one). */
export function toCollabError(error: unknown): CollabError {
  if (error instanceof CollabError) return error;
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    const message = error instanceof Error ? error.message : String(code);
    if (typeof code === 'string') return new CollabError(code, message, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new CollabError('unknown', message, { cause: error });
}
