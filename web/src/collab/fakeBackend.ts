/**
 * An in-memory stand-in for one session in Firestore, for unit tests of `YjsSync`: the session
 * document, its `updates` collection with server-assigned `createdAt`, the rules that matter
 * (author is self, the session is active and not left, size limit), compaction as the server
 * does it, cache/offline flips, and injected failures. Deliveries are asynchronous (microtasks),
 * as Firestore's are.
 */
import * as Y from 'yjs';
import { MAX_UPDATE_BYTES } from './splitUpdate';
import {
  CollabError,
  type CollabTransport,
  type SessionState,
  type UpdateRecord,
  type UpdatesSnapshot,
  type Unsubscribe,
} from './transport';

export const FAKE_TEXT = 'code';

interface FakeSession {
  exists: boolean;
  snapshot: Uint8Array;
  snapshotAt: number;
  snapshotVersion: number;
  status: string;
  leftBy: string[];
}

interface SessionWatcher {
  next: (state: SessionState<number>) => void;
  error: (error: CollabError) => void;
}

interface UpdatesWatcher {
  from: number | null;
  next: (snapshot: UpdatesSnapshot) => void;
  error: (error: CollabError) => void;
}

/** A write waiting for `releaseWrites()` while writes are held. */
interface HeldWrite {
  author: string;
  update: Uint8Array;
  resolve: () => void;
  reject: (error: CollabError) => void;
}

/** One session "on the server", shared by the fake transports of its participants. */
export class FakeBackend {
  readonly session: FakeSession;
  /** The update documents now in the collection (compaction deletes some). */
  readonly updates: UpdateRecord[] = [];
  /** Every accepted write, in commit order (never deleted). */
  readonly writes: UpdateRecord[] = [];
  /** Every `listenUpdates` call: from which `snapshotAt`. */
  readonly updateSubscriptions: Array<number | null> = [];
  /** Every `addUpdate` call that reached the server (accepted or not). */
  writeAttempts = 0;
  /** While true, writes wait for `releaseWrites()`. */
  holdWrites = false;

  private readonly held: HeldWrite[] = [];
  private readonly failures: string[] = [];
  private readonly sessionWatchers = new Set<SessionWatcher>();
  private readonly updatesWatchers = new Set<UpdatesWatcher>();
  private fromCache = false;
  private time = 1000;
  private nextId = 1;

  /** A session whose document starts as `initialText` (as the server creates it). */
  constructor(initialText = '', readonly participants: readonly string[] = ['alice', 'bob']) {
    const doc = new Y.Doc();
    doc.clientID = 1;
    doc.getText(FAKE_TEXT).insert(0, initialText);
    this.session = {
      exists: true,
      snapshot: Y.encodeStateAsUpdate(doc),
      snapshotAt: this.time,
      snapshotVersion: 0,
      status: 'active',
      leftBy: [],
    };
  }

  /** The transport a participant's provider uses. */
  transport(uid: string): CollabTransport<number> {
    return {
      listenSession: (next, error) => this.listenSession({ next, error }),
      listenUpdates: (from, next, error) => this.listenUpdates({ from, next, error }),
      addUpdate: (update) => this.addUpdate(uid, update),
    };
  }

  /** The session's text as the server reads it: snapshot, then updates in `createdAt` order. */
  text(): string {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, this.session.snapshot);
    for (const record of [...this.updates].sort((a, b) => a.createdAt - b.createdAt)) {
      Y.applyUpdate(doc, record.update);
    }
    return doc.getText(FAKE_TEXT).toString();
  }

  /** Make the next writes fail with these codes, one each. */
  failWrites(...codes: string[]): void {
    this.failures.push(...codes);
  }

  /** Commit (or fail) the writes held so far, in order. */
  releaseWrites(): void {
    for (const write of this.held.splice(0)) this.commit(write);
  }

  /** Writes waiting while `holdWrites` is set. */
  get heldWrites(): number {
    return this.held.length;
  }

  /**
   * Fold every current update into the snapshot, as `common/sessions.py` does: apply them in
   * `createdAt` order, write snapshot, snapshotAt (their newest createdAt) and snapshotVersion+1,
   * then delete exactly those documents.
   */
  compact(): void {
    if (this.updates.length === 0) return;
    const folded = [...this.updates].sort((a, b) => a.createdAt - b.createdAt);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, this.session.snapshot);
    for (const record of folded) Y.applyUpdate(doc, record.update);
    this.session.snapshot = Y.encodeStateAsUpdate(doc);
    this.session.snapshotAt = folded.at(-1)?.createdAt ?? this.session.snapshotAt;
    this.session.snapshotVersion += 1;
    this.updates.splice(0);
    this.notifySession();
  }

  /** End the session (as the server does). */
  end(): void {
    this.session.status = 'ended';
    this.notifySession();
  }

  /** A participant leaves (as `POST /sessions/{id}/leave` does). */
  leave(uid: string): void {
    this.session.leftBy.push(uid);
    this.notifySession();
  }

  /** Any other change of the session document (e.g. `lastActivityAt`). */
  touch(): void {
    this.notifySession();
  }

  /** Listeners now report `fromCache` (the client lost the server) or not (it is back). */
  setFromCache(fromCache: boolean): void {
    this.fromCache = fromCache;
    this.notifySession();
    for (const watcher of this.updatesWatchers) this.deliver(watcher, []);
  }

  /** Every open listener fails with `code` (and is gone, as a Firestore listener is). */
  failListeners(code: string): void {
    const error = new CollabError(code, `listener failed: ${code}`);
    const session = [...this.sessionWatchers];
    const updates = [...this.updatesWatchers];
    this.sessionWatchers.clear();
    this.updatesWatchers.clear();
    void Promise.resolve().then(() => {
      for (const watcher of session) watcher.error(error);
      for (const watcher of updates) watcher.error(error);
    });
  }

  /** Add update documents with the given `createdAt`, delivered in one snapshot, as listed. */
  inject(records: ReadonlyArray<{ author: string; update: Uint8Array; createdAt: number }>): void {
    const added = records.map((record) => ({ ...record, id: `u${this.nextId++}` }));
    this.updates.push(...added);
    this.writes.push(...added);
    for (const watcher of this.updatesWatchers) {
      this.deliver(watcher, added.filter((record) => this.matches(watcher, record)));
    }
  }

  /** Open listeners: session and updates. */
  get listenerCount(): { session: number; updates: number } {
    return { session: this.sessionWatchers.size, updates: this.updatesWatchers.size };
  }

  private listenSession(watcher: SessionWatcher): Unsubscribe {
    this.sessionWatchers.add(watcher);
    const state = this.sessionState();
    void Promise.resolve().then(() => {
      if (this.sessionWatchers.has(watcher)) watcher.next(state);
    });
    return () => this.sessionWatchers.delete(watcher);
  }

  private listenUpdates(watcher: UpdatesWatcher): Unsubscribe {
    this.updateSubscriptions.push(watcher.from);
    this.updatesWatchers.add(watcher);
    const current = [...this.updates]
      .filter((record) => this.matches(watcher, record))
      .sort((a, b) => a.createdAt - b.createdAt);
    this.deliver(watcher, current);
    return () => this.updatesWatchers.delete(watcher);
  }

  private addUpdate(author: string, update: Uint8Array): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const write = { author, update: update.slice(), resolve, reject };
      if (this.holdWrites) this.held.push(write);
      else void Promise.resolve().then(() => this.commit(write));
    });
  }

  private commit(write: HeldWrite): void {
    this.writeAttempts += 1;
    const failure = this.failures.shift();
    if (failure !== undefined) {
      write.reject(new CollabError(failure, `write failed: ${failure}`));
      return;
    }
    const { session } = this;
    const allowed =
      session.exists &&
      session.status === 'active' &&
      this.participants.includes(write.author) &&
      !session.leftBy.includes(write.author) &&
      write.update.length > 0 &&
      write.update.length <= MAX_UPDATE_BYTES;
    if (!allowed) {
      write.reject(new CollabError('permission-denied', 'Missing or insufficient permissions.'));
      return;
    }
    this.time += 1;
    const record = { id: `u${this.nextId++}`, author: write.author, update: write.update, createdAt: this.time };
    this.updates.push(record);
    this.writes.push(record);
    write.resolve();
    for (const watcher of this.updatesWatchers) {
      if (this.matches(watcher, record)) this.deliver(watcher, [record]);
    }
  }

  private matches(watcher: UpdatesWatcher, record: UpdateRecord): boolean {
    return watcher.from === null || record.createdAt >= watcher.from;
  }

  private deliver(watcher: UpdatesWatcher, updates: UpdateRecord[]): void {
    const snapshot = { updates, fromCache: this.fromCache };
    void Promise.resolve().then(() => {
      if (this.updatesWatchers.has(watcher)) watcher.next(snapshot);
    });
  }

  private sessionState(): SessionState<number> {
    const { session } = this;
    return {
      exists: session.exists,
      snapshot: session.snapshot,
      snapshotAt: session.snapshotAt,
      snapshotVersion: session.snapshotVersion,
      status: session.status,
      leftBy: [...session.leftBy],
      fromCache: this.fromCache,
    };
  }

  private notifySession(): void {
    const state = this.sessionState();
    for (const watcher of this.sessionWatchers) {
      void Promise.resolve().then(() => {
        if (this.sessionWatchers.has(watcher)) watcher.next(state);
      });
    }
  }
}
