/**
 * Keeps a `Y.Doc` in sync with a session through a `CollabTransport` (the protocol of README
 * "Sessions and the shared editor"):
 *
 * - join: apply the session's `snapshot`, then listen to the updates from `snapshotAt` in
 *   `createdAt` order; when `snapshotVersion` changes (a compaction ran), apply the new snapshot
 *   to the same document and listen again from the new `snapshotAt`. Applying an update twice is
 *   a no-op in Yjs, and updates whose predecessors are missing wait inside Yjs;
 * - write: local updates are batched for `batchMs`, merged with `Y.mergeUpdates`, split under
 *   the rules' size limit (`splitUpdate.ts`) and written one document at a time, in order (the
 *   server merges in `createdAt` order, which must stay causal), retried with backoff; a refused
 *   write (`permission-denied`) stops sending;
 * - remote updates are applied with this object as the transaction origin, so they (and the
 *   echo of own updates) are never queued for sending;
 * - the client never compacts or deletes: the server does.
 */
import * as Y from 'yjs';
import { MAX_UPDATE_BYTES, planWrites } from './splitUpdate';
import {
  CollabError,
  toCollabError,
  type CollabTransport,
  type SessionState,
  type UpdatesSnapshot,
  type Unsubscribe,
} from './transport';

/** The provider's connection state, as the UI shows it. */
export type ProviderStatus = 'connecting' | 'synced' | 'offline' | 'ended';

/** Exponential backoff: `baseMs * 2^attempt`, capped at `maxMs`. */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export interface YjsSyncOptions<At> {
  transport: CollabTransport<At>;
  doc: Y.Doc;
  /** Own uid: the session ends for this client once it is in `leftBy`. */
  uid: string;
  /** How long local edits are gathered into one write (default 150 ms). */
  batchMs?: number;
  /** Largest update document (default 65,536 bytes, as `firestore.rules`). */
  maxUpdateBytes?: number;
  /** Delays between failed writes and between listener restarts (default 500 ms to 30 s). */
  backoff?: BackoffOptions;
}

/** Write failures that no retry can fix. */
const FATAL_WRITE_CODES: ReadonlySet<string> = new Set(['permission-denied', 'invalid-argument']);

export const DEFAULT_BATCH_MS = 150;
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000 };

type Events = { status: ProviderStatus; error: Error };
type Listener<T> = (value: T) => void;

/** Sync logic of `FirestoreYjsProvider`, independent of Firestore (see the module comment). */
export class YjsSync<At> {
  private readonly transport: CollabTransport<At>;
  private readonly doc: Y.Doc;
  private readonly uid: string;
  private readonly batchMs: number;
  private readonly maxUpdateBytes: number;
  private readonly backoff: BackoffOptions;
  private readonly listeners: { [K in keyof Events]: Set<Listener<Events[K]>> } = {
    status: new Set(),
    error: new Set(),
  };

  private currentStatus: ProviderStatus = 'connecting';
  private started = false;
  private destroyed = false;
  /** The session ended, or this user left it: nothing more is sent. */
  private ended = false;
  /** A write was refused for good, or a local update cannot be written. */
  private sendingStopped = false;

  private stopSession: Unsubscribe | null = null;
  private sessionFromCache = true;
  private sessionFailed = false;
  private sessionAttempts = 0;
  private sessionTimer: ReturnType<typeof setTimeout> | null = null;

  /** `snapshotVersion` whose snapshot is applied, null until the first one. */
  private appliedVersion: number | null = null;
  private snapshotAt: At | null = null;
  private stopUpdates: Unsubscribe | null = null;
  /** Bumped per updates subscription, so callbacks of an old one are ignored. */
  private updatesGeneration = 0;
  private updatesLoaded = false;
  private updatesFromCache = true;
  private updatesFailed = false;
  private updatesAttempts = 0;
  private updatesTimer: ReturnType<typeof setTimeout> | null = null;
  /** Ids of update documents applied since the last (re)subscription. */
  private readonly seen = new Set<string>();

  private synced = false;
  private syncedPromise: Promise<void>;
  private resolveSynced: () => void = () => undefined;
  private rejectSynced: (error: Error) => void = () => undefined;

  /** Local updates not yet planned into writes. */
  private buffer: Uint8Array[] = [];
  /** Planned writes; the first one is in flight or waiting for its retry. */
  private outbox: Uint8Array[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  /** The batch window closed while a write was busy: plan it as soon as the write is done. */
  private flushDue = false;
  private writing = false;
  private writeFailures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: YjsSyncOptions<At>) {
    this.transport = options.transport;
    this.doc = options.doc;
    this.uid = options.uid;
    this.batchMs = options.batchMs ?? DEFAULT_BATCH_MS;
    this.maxUpdateBytes = options.maxUpdateBytes ?? MAX_UPDATE_BYTES;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.syncedPromise = new Promise<void>((resolve, reject) => {
      this.resolveSynced = resolve;
      this.rejectSynced = reject;
    });
    // Whoever does not await whenSynced() must not see an unhandled rejection on destroy().
    this.syncedPromise.catch(() => undefined);
  }

  /** The current status. */
  get status(): ProviderStatus {
    return this.currentStatus;
  }

  /** Load the snapshot, listen to the updates and start sending local edits. */
  start(): void {
    if (this.started || this.destroyed) return;
    this.started = true;
    this.doc.on('update', this.onDocUpdate);
    this.subscribeSession();
  }

  /** Stop listening and sending; pending local edits are written once, best-effort. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.doc.off('update', this.onDocUpdate);
    this.stopSession?.();
    this.stopUpdates?.();
    this.stopSession = null;
    this.stopUpdates = null;
    for (const timer of [this.sessionTimer, this.updatesTimer, this.flushTimer, this.retryTimer]) {
      if (timer !== null) clearTimeout(timer);
    }
    if (this.canSend()) {
      // The write in flight (if any) is already with the transport.
      const pending = [...this.outbox.slice(this.writing ? 1 : 0), ...this.plan(this.buffer)];
      for (const update of pending) this.transport.addUpdate(update).catch(() => undefined);
    }
    this.buffer = [];
    this.outbox = [];
    if (!this.synced) this.rejectSynced(new Error('The provider was destroyed before it synced'));
  }

  /** Subscribe to status changes or errors; returns the unsubscribe function. */
  on(event: 'status', callback: (status: ProviderStatus) => void): () => void;
  on(event: 'error', callback: (error: Error) => void): () => void;
  on<K extends keyof Events>(event: K, callback: Listener<Events[K]>): () => void {
    const set = this.listeners[event] as Set<Listener<Events[K]>>;
    set.add(callback);
    return () => {
      set.delete(callback);
    };
  }

  /**
   * Resolves once the snapshot and the first server snapshot of the updates are applied (even if
   * the session has ended); rejects if the session does not exist or on destroy() before that.
   */
  whenSynced(): Promise<void> {
    return this.syncedPromise;
  }

  // Receiving.

  private subscribeSession(): void {
    this.sessionTimer = null;
    if (this.destroyed) return;
    let alive = true;
    const stop = this.transport.listenSession(
      (state) => {
        if (alive && !this.destroyed) this.onSession(state);
      },
      (error) => {
        if (!alive || this.destroyed) return;
        alive = false;
        this.sessionFailed = true;
        this.emit('error', error);
        this.updateStatus();
        const delay = this.delay(this.sessionAttempts++);
        this.sessionTimer = setTimeout(() => this.subscribeSession(), delay);
      },
    );
    this.stopSession = () => {
      alive = false;
      stop();
    };
  }

  private onSession(state: SessionState<At>): void {
    this.sessionFailed = false;
    this.sessionAttempts = 0;
    this.sessionFromCache = state.fromCache;
    if (!state.exists) {
      if (!state.fromCache) {
        const error = new CollabError('not-found', 'The session does not exist');
        this.emit('error', error);
        this.markEnded();
        this.rejectSynced(error);
      }
      this.updateStatus();
      return;
    }
    if (state.status === 'ended' || state.leftBy.includes(this.uid)) this.markEnded();
    if (state.snapshotVersion !== this.appliedVersion) {
      if (state.snapshot !== null && state.snapshot.length > 0) this.apply(state.snapshot);
      this.appliedVersion = state.snapshotVersion;
      this.snapshotAt = state.snapshotAt;
      this.subscribeUpdates();
      if (this.buffer.length > 0) this.scheduleFlush();
    }
    this.updateStatus();
  }

  private subscribeUpdates(): void {
    if (this.updatesTimer !== null) clearTimeout(this.updatesTimer);
    this.updatesTimer = null;
    if (this.destroyed) return;
    this.stopUpdates?.();
    const generation = ++this.updatesGeneration;
    this.seen.clear();
    this.updatesLoaded = false;
    this.updatesFailed = false;
    this.stopUpdates = this.transport.listenUpdates(
      this.snapshotAt,
      (snapshot) => {
        if (generation === this.updatesGeneration && !this.destroyed) this.onUpdates(snapshot);
      },
      (error) => {
        if (generation !== this.updatesGeneration || this.destroyed) return;
        this.updatesGeneration += 1;
        this.stopUpdates = null;
        this.updatesFailed = true;
        this.emit('error', error);
        this.updateStatus();
        const delay = this.delay(this.updatesAttempts++);
        this.updatesTimer = setTimeout(() => this.subscribeUpdates(), delay);
      },
    );
  }

  private onUpdates(snapshot: UpdatesSnapshot): void {
    this.updatesFailed = false;
    this.updatesAttempts = 0;
    this.updatesFromCache = snapshot.fromCache;
    this.updatesLoaded = true;
    const fresh = snapshot.updates
      .filter((record) => !this.seen.has(record.id))
      .sort((a, b) => a.createdAt - b.createdAt);
    for (const record of fresh) {
      this.seen.add(record.id);
      this.apply(record.update);
    }
    if (!this.synced && !snapshot.fromCache && !this.sessionFromCache) {
      this.synced = true;
      this.resolveSynced();
    }
    this.updateStatus();
  }

  /**
   * Apply a remote update. One the document cannot read (a partner's client wrote junk) is skipped,
   * as the server sets it aside: it must not stop the session, nor alarm the person typing.
   */
  private apply(update: Uint8Array): void {
    try {
      Y.applyUpdate(this.doc, update, this);
    } catch (cause) {
      console.warn('PeerPrep: skipped an unreadable Yjs update', cause);
    }
  }

  // Sending.

  private readonly onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === this || this.ended || this.sendingStopped) return;
    this.buffer.push(update);
    this.scheduleFlush();
  };

  /** Local edits are sent once the first snapshot is applied, until the session ends. */
  private canSend(): boolean {
    return this.appliedVersion !== null && !this.ended && !this.sendingStopped;
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== null || this.flushDue || !this.canSend()) return;
    this.flushTimer = setTimeout(() => this.flush(), this.batchMs);
  }

  private flush(): void {
    this.flushTimer = null;
    if (this.destroyed || !this.canSend() || this.buffer.length === 0) return;
    if (this.writing || this.retryTimer !== null) {
      this.flushDue = true;
      return;
    }
    this.flushDue = false;
    const batch = this.buffer;
    this.buffer = [];
    this.outbox.push(...this.plan(batch));
    this.sendNext();
  }

  /** The writes for a batch; reports and stops sending if one cannot be written at all. */
  private plan(batch: readonly Uint8Array[]): Uint8Array[] {
    try {
      return planWrites(this.doc, batch, this.maxUpdateBytes);
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      this.stopSending(new CollabError('out-of-range', `Local edit not sent: ${message}`, { cause }));
      return [];
    }
  }

  private sendNext(): void {
    if (this.destroyed || this.writing || this.retryTimer !== null || !this.canSend()) return;
    const update = this.outbox[0];
    if (update === undefined) {
      if (this.flushDue) this.flush();
      return;
    }
    this.writing = true;
    this.transport.addUpdate(update).then(
      () => {
        this.writing = false;
        this.writeFailures = 0;
        this.outbox.shift();
        this.sendNext();
      },
      (cause: unknown) => {
        this.writing = false;
        // Once the session has ended, a refused write is expected, not news.
        if (this.destroyed || this.ended) return;
        const error = toCollabError(cause);
        if (FATAL_WRITE_CODES.has(error.code)) {
          this.stopSending(error);
          return;
        }
        this.emit('error', error);
        const delay = this.delay(this.writeFailures++);
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          this.sendNext();
        }, delay);
      },
    );
  }

  /** A write can never succeed: report it, stop sending, and show the session as ended. */
  private stopSending(error: Error): void {
    this.emit('error', error);
    this.sendingStopped = true;
    this.dropPending();
    this.updateStatus();
  }

  private markEnded(): void {
    if (this.ended) return;
    this.ended = true;
    this.dropPending();
  }

  private dropPending(): void {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.flushTimer = null;
    this.retryTimer = null;
    this.flushDue = false;
    this.buffer = [];
    this.outbox = [];
  }

  // Status and events.

  private updateStatus(): void {
    const status = this.computeStatus();
    if (status === this.currentStatus || this.destroyed) return;
    this.currentStatus = status;
    this.emit('status', status);
  }

  private computeStatus(): ProviderStatus {
    if (this.ended || this.sendingStopped) return 'ended';
    const offline =
      this.sessionFailed ||
      this.updatesFailed ||
      this.sessionFromCache ||
      (this.updatesLoaded && this.updatesFromCache);
    if (offline) return 'offline';
    return this.synced ? 'synced' : 'connecting';
  }

  private delay(attempt: number): number {
    return Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** attempt);
  }

  private emit<K extends keyof Events>(event: K, value: Events[K]): void {
    for (const listener of [...this.listeners[event]] as Array<Listener<Events[K]>>) {
      try {
        listener(value);
      } catch (error) {
        // A failing listener must not break the sync; surface it where it can be seen.
        console.error(error);
      }
    }
  }
}
