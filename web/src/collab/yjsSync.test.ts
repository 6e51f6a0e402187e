import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { FAKE_TEXT, FakeBackend } from './fakeBackend';
import { CollabError } from './transport';
import { YjsSync, type ProviderStatus, type YjsSyncOptions } from './yjsSync';

const BATCH_MS = 100;

interface Client {
  doc: Y.Doc;
  sync: YjsSync<number>;
  statuses: ProviderStatus[];
  errors: Error[];
  text: () => string;
  /** Insert at `index` (default: the end), as a keystroke in the editor would. */
  type: (value: string, index?: number) => void;
}

function client(
  backend: FakeBackend,
  uid: string,
  options: Partial<YjsSyncOptions<number>> = {},
): Client {
  const doc = new Y.Doc();
  const sync = new YjsSync<number>({
    transport: backend.transport(uid),
    doc,
    uid,
    batchMs: BATCH_MS,
    backoff: { baseMs: 500, maxMs: 4000 },
    ...options,
  });
  const statuses: ProviderStatus[] = [];
  const errors: Error[] = [];
  sync.on('status', (status) => statuses.push(status));
  sync.on('error', (error) => errors.push(error));
  const ytext = doc.getText(FAKE_TEXT);
  return {
    doc,
    sync,
    statuses,
    errors,
    text: () => ytext.toString(),
    type: (value, index) => ytext.insert(index ?? ytext.length, value),
  };
}

/** Run due timers and pending deliveries. */
async function settle(ms = 0): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

/** Yjs updates of a writer that starts from the backend's current snapshot. */
function writerUpdates(backend: FakeBackend, clientID: number, edits: ReadonlyArray<[number, string]>): Uint8Array[] {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  Y.applyUpdate(doc, backend.session.snapshot);
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  for (const [index, value] of edits) doc.getText(FAKE_TEXT).insert(index, value);
  return updates;
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('join', () => {
  it('loads the snapshot, then the updates from snapshotAt, and reports synced', async () => {
    const backend = new FakeBackend('def f():\n');
    const [update] = writerUpdates(backend, 50, [[9, '    return 1\n']]);
    backend.inject([{ author: 'bob', update: update!, createdAt: 2000 }]);
    const alice = client(backend, 'alice');
    let synced = false;
    void alice.sync.whenSynced().then(() => {
      synced = true;
    });
    expect(alice.sync.status).toBe('connecting');
    alice.sync.start();
    await settle();
    expect(alice.text()).toBe('def f():\n    return 1\n');
    expect(alice.statuses).toEqual(['synced']);
    expect(synced).toBe(true);
    expect(backend.updateSubscriptions).toEqual([backend.session.snapshotAt]);
    expect(alice.errors).toEqual([]);
  });

  it('skips an update it cannot read, quietly, and applies the rest', async () => {
    const backend = new FakeBackend('a');
    const [first, second] = writerUpdates(backend, 51, [
      [1, 'b'],
      [2, 'c'],
    ]);
    const junk = new Uint8Array([0xff, 0x13, 0x6e, 0x6f, 0x74, 0x00]);
    backend.inject([
      { author: 'bob', update: first!, createdAt: 2000 },
      { author: 'mallory', update: junk, createdAt: 2001 },
      { author: 'bob', update: second!, createdAt: 2002 },
    ]);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const alice = client(backend, 'alice');
    alice.sync.start();
    await settle();
    expect(alice.text()).toBe('abc');
    expect(alice.statuses).toEqual(['synced']);
    expect(alice.errors).toEqual([]);
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  });

  it('sends edits made before the snapshot arrived once it is applied', async () => {
    const backend = new FakeBackend('x');
    const alice = client(backend, 'alice');
    alice.sync.start();
    alice.type('!');
    await settle(BATCH_MS * 3);
    expect(alice.text()).toBe('x!');
    expect(backend.writes).toHaveLength(1);
    expect(backend.text()).toBe('x!');
  });

  it('reports a session that does not exist and never syncs', async () => {
    const backend = new FakeBackend('x');
    backend.session.exists = false;
    const alice = client(backend, 'alice');
    const synced = alice.sync.whenSynced();
    alice.sync.start();
    await expect(synced).rejects.toThrow('does not exist');
    expect(alice.sync.status).toBe('ended');
    expect(alice.errors.map((error) => (error as CollabError).code)).toEqual(['not-found']);
  });
});

describe('ordering', () => {
  it('applies the updates of one delivery in createdAt order', async () => {
    const backend = new FakeBackend('');
    const [a, b, c] = writerUpdates(backend, 60, [[0, 'a'], [1, 'b'], [2, 'c']]);
    const alice = client(backend, 'alice');
    alice.sync.start();
    await settle();
    const seen: string[] = [];
    alice.doc.getText(FAKE_TEXT).observe(() => seen.push(alice.text()));
    backend.inject([
      { author: 'bob', update: c!, createdAt: 3003 },
      { author: 'bob', update: a!, createdAt: 3001 },
      { author: 'bob', update: b!, createdAt: 3002 },
    ]);
    await settle();
    expect(seen).toEqual(['a', 'ab', 'abc']);
  });

  it('converges: concurrent edits of two providers end in the same text everywhere', async () => {
    const backend = new FakeBackend('class Solution:\n    pass\n');
    const alice = client(backend, 'alice');
    const bob = client(backend, 'bob');
    alice.sync.start();
    bob.sync.start();
    await settle();
    // A seeded sequence of interleaved edits: inserts and deletes at varying positions.
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let step = 0; step < 200; step += 1) {
      const who = random(2) === 0 ? alice : bob;
      const ytext = who.doc.getText(FAKE_TEXT);
      if (random(4) === 0 && ytext.length > 0) ytext.delete(random(ytext.length), 1);
      else who.type(String.fromCharCode(97 + random(26)), random(ytext.length + 1));
      await settle(random(60));
    }
    await settle(BATCH_MS * 5);
    expect(alice.text()).toBe(bob.text());
    expect(backend.text()).toBe(alice.text());
    expect(backend.writes.length).toBeLessThan(200);
    const late = client(backend, 'alice');
    late.sync.start();
    await settle();
    expect(late.text()).toBe(alice.text());
  });
});

describe('batching', () => {
  it('turns keystrokes within the window into one write, merged with Y.mergeUpdates', async () => {
    const backend = new FakeBackend('');
    const alice = client(backend, 'alice');
    alice.sync.start();
    await settle();
    const local: Uint8Array[] = [];
    alice.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin !== alice.sync) local.push(update);
    });
    for (const ch of 'print(42)') {
      alice.type(ch);
      await settle(5);
    }
    expect(backend.writes).toHaveLength(0);
    await settle(BATCH_MS);
    expect(backend.writes).toHaveLength(1);
    expect(backend.writes[0]!.update).toEqual(Y.mergeUpdates(local));
    expect(backend.writes[0]!.author).toBe('alice');
    expect(backend.text()).toBe('print(42)');
  });

  it('writes edits made after the window as separate documents', async () => {
    const backend = new FakeBackend('');
    const alice = client(backend, 'alice');
    alice.sync.start();
    await settle();
    alice.type('a');
    await settle(BATCH_MS + 10);
    alice.type('b');
    await settle(BATCH_MS + 10);
    alice.type('c');
    await settle(BATCH_MS + 10);
    expect(backend.writes).toHaveLength(3);
    expect(backend.text()).toBe('abc');
  });

  it('writes one document at a time; edits made meanwhile go into the next one', async () => {
    const backend = new FakeBackend('');
    const alice = client(backend, 'alice');
    alice.sync.start();
    await settle();
    backend.holdWrites = true;
    alice.type('first');
    await settle(BATCH_MS);
    expect(backend.heldWrites).toBe(1);
    for (const ch of 'second') {
      alice.type(ch);
      await settle(BATCH_MS);
    }
    expect(backend.heldWrites).toBe(1);
    backend.holdWrites = false;
    backend.releaseWrites();
    await settle();
    expect(backend.writes).toHaveLength(2);
    expect(backend.text()).toBe('firstsecond');
  });
});

describe('resync after compaction', () => {
  it('applies the new snapshot to the same doc, listens from the new snapshotAt, keeps pending edits', async () => {
    const backend = new FakeBackend('start\n');
    const alice = client(backend, 'alice');
    const bob = client(backend, 'bob');
    alice.sync.start();
    bob.sync.start();
    await settle();
    const aliceDoc = alice.doc;
    bob.type('bob1\n');
    await settle(BATCH_MS);
    alice.type('alice1\n');
    await settle(BATCH_MS);
    expect(alice.text()).toBe('start\nbob1\nalice1\n');
    // Alice types, and before her batch is written the server compacts everything so far.
    alice.type('alice2\n');
    backend.compact();
    await settle();
    expect(backend.session.snapshotVersion).toBe(1);
    expect(backend.updates).toHaveLength(0);
    const compactedAt = backend.session.snapshotAt;
    expect(backend.updateSubscriptions).toEqual([1000, 1000, compactedAt, compactedAt]);
    expect(backend.listenerCount.updates).toBe(2);
    bob.type('bob2\n', 0);
    await settle(BATCH_MS * 3);
    expect(alice.doc).toBe(aliceDoc);
    const expected = 'bob2\nstart\nbob1\nalice1\nalice2\n';
    expect(alice.text()).toBe(expected);
    expect(bob.text()).toBe(expected);
    expect(backend.text()).toBe(expected);
    expect(alice.statuses).toEqual(['synced']);
  });

  it('a late joiner loads the compacted snapshot and the updates after it', async () => {
    const backend = new FakeBackend('');
    const bob = client(backend, 'bob');
    bob.sync.start();
    await settle();
    bob.type('folded ');
    await settle(BATCH_MS);
    backend.compact();
    bob.type('after');
    await settle(BATCH_MS);
    const alice = client(backend, 'alice');
    alice.sync.start();
    await settle();
    expect(alice.text()).toBe('folded after');
    expect(backend.updateSubscriptions.at(-1)).toBe(backend.session.snapshotAt);
  });

  it('ignores session changes that are not compactions', async () => {
    const backend = new FakeBackend('x');
    const alice = client(backend, 'alice');
    alice.sync.start();
    await settle();
    backend.touch();
    backend.touch();
    await settle();
    expect(backend.updateSubscriptions).toHaveLength(1);
  });
});

describe('echo of own updates', () => {
  it('applies its own update coming back without sending it again', async () => {
    const backend = new FakeBackend('');
    const alice = client(backend, 'alice');
    alice.sync.start();
    await settle();
    alice.type('hello');
    await settle(BATCH_MS);
    expect(backend.writes).toHaveLength(1);
    await settle(BATCH_MS * 10);
    expect(backend.writes).toHaveLength(1);
    expect(alice.text()).toBe('hello');
    // The echo also comes back in a snapshot after compaction: still nothing to send.
    backend.compact();
    await settle(BATCH_MS * 10);
    expect(backend.writes).toHaveLength(1);
    expect(alice.text()).toBe('hello');
  });
});

describe('size limit', () => {
  it('splits a paste larger than the limit into documents that fit', async () => {
    const backend = new FakeBackend('# paste below\n');
    const alice = client(backend, 'alice', { maxUpdateBytes: 2000 });
    const bob = client(backend, 'bob');
    alice.sync.start();
    bob.sync.start();
    await settle();
    const paste = Array.from({ length: 600 }, (_, i) => `line ${i} 😀\n`).join('');
    alice.type(paste);
    await settle(BATCH_MS);
    expect(backend.writes.length).toBeGreaterThan(3);
    for (const write of backend.writes) expect(write.update.length).toBeLessThanOrEqual(2000);
    expect(bob.text()).toBe(`# paste below\n${paste}`);
    expect(alice.errors).toEqual([]);
  });

  it('reports an edit that cannot fit and stops sending instead of dropping it silently', async () => {
    const backend = new FakeBackend('');
    const alice = client(backend, 'alice', { maxUpdateBytes: 1000 });
    alice.sync.start();
    await settle();
    alice.doc.getArray<Uint8Array>('blobs').push([new Uint8Array(4000)]);
    await settle(BATCH_MS);
    expect(backend.writeAttempts).toBe(0);
    expect(alice.errors).toHaveLength(1);
    expect(alice.errors[0]!.message).toContain('Local edit not sent');
    expect(alice.sync.status).toBe('ended');
  });
});

describe('write failures', () => {
  it('retries a failed write with exponential backoff, then sends what was typed meanwhile', async () => {
    const backend = new FakeBackend('');
    const alice = client(backend, 'alice');
    alice.sync.start();
    await settle();
    backend.failWrites('unavailable', 'unavailable');
    alice.type('a');
    await settle(BATCH_MS);
    expect(backend.writeAttempts).toBe(1);
    expect(alice.errors.map((error) => (error as CollabError).code)).toEqual(['unavailable']);
    alice.type('b');
    await settle(499);
    expect(backend.writeAttempts).toBe(1);
    await settle(1);
    expect(backend.writeAttempts).toBe(2);
    await settle(999);
    expect(backend.writeAttempts).toBe(2);
    await settle(1);
    expect(backend.writeAttempts).toBe(4);
    expect(backend.writes).toHaveLength(2);
    expect(backend.text()).toBe('ab');
    expect(alice.errors).toHaveLength(2);
    expect(alice.sync.status).toBe('synced');
  });

  it('stops on permission-denied (the session ended meanwhile): no retry, error and ended', async () => {
    const backend = new FakeBackend('');
    const alice = client(backend, 'alice');
    alice.sync.start();
    await settle();
    // Ended on the server; the session listener has not told the client yet.
    backend.session.status = 'ended';
    alice.type('late edit');
    await settle(BATCH_MS);
    expect(backend.writeAttempts).toBe(1);
    expect(alice.errors.map((error) => (error as CollabError).code)).toEqual(['permission-denied']);
    expect(alice.sync.status).toBe('ended');
    alice.type(' and more');
    await settle(60_000);
    expect(backend.writeAttempts).toBe(1);
  });
});

describe('session end', () => {
  it('reports ended when the session ends and sends nothing more', async () => {
    const backend = new FakeBackend('');
    const alice = client(backend, 'alice');
    alice.sync.start();
    await settle();
    alice.type('unsent');
    backend.end();
    await settle(BATCH_MS * 3);
    alice.type('after');
    await settle(BATCH_MS * 3);
    expect(alice.statuses).toEqual(['synced', 'ended']);
    expect(backend.writeAttempts).toBe(0);
  });

  it('takes the refusal of a write in flight when the session ends quietly', async () => {
    const backend = new FakeBackend('');
    const alice = client(backend, 'alice');
    alice.sync.start();
    await settle();
    backend.holdWrites = true;
    alice.type('in flight');
    await settle(BATCH_MS);
    expect(backend.heldWrites).toBe(1);
    backend.end();
    await settle();
    backend.releaseWrites();
    await settle(60_000);
    expect(backend.writeAttempts).toBe(1);
    expect(backend.writes).toHaveLength(0);
    expect(alice.errors).toEqual([]);
    expect(alice.statuses).toEqual(['synced', 'ended']);
  });

  it('stops sending once its own uid is in leftBy; the partner goes on', async () => {
    const backend = new FakeBackend('');
    const alice = client(backend, 'alice');
    const bob = client(backend, 'bob');
    alice.sync.start();
    bob.sync.start();
    await settle();
    backend.leave('alice');
    await settle();
    alice.type('gone');
    bob.type('still here');
    await settle(BATCH_MS * 3);
    expect(alice.sync.status).toBe('ended');
    expect(bob.sync.status).toBe('synced');
    expect(backend.writes.map((write) => write.author)).toEqual(['bob']);
  });

  it('loads an ended session read-only: synced data, status ended', async () => {
    const backend = new FakeBackend('final code');
    backend.session.status = 'ended';
    const alice = client(backend, 'alice');
    alice.sync.start();
    await alice.sync.whenSynced();
    expect(alice.text()).toBe('final code');
    expect(alice.sync.status).toBe('ended');
  });
});

describe('offline', () => {
  it('is offline while the listeners read from the cache, synced again when they recover', async () => {
    const backend = new FakeBackend('');
    const alice = client(backend, 'alice');
    alice.sync.start();
    await settle();
    backend.setFromCache(true);
    await settle();
    expect(alice.sync.status).toBe('offline');
    backend.setFromCache(false);
    await settle();
    expect(alice.statuses).toEqual(['synced', 'offline', 'synced']);
  });

  it('starts offline (and not synced) when the first snapshots come from the cache', async () => {
    const backend = new FakeBackend('cached');
    backend.setFromCache(true);
    const alice = client(backend, 'alice');
    let synced = false;
    void alice.sync.whenSynced().then(() => {
      synced = true;
    });
    alice.sync.start();
    await settle();
    expect(alice.sync.status).toBe('offline');
    expect(synced).toBe(false);
    backend.setFromCache(false);
    await settle();
    expect(alice.sync.status).toBe('synced');
    expect(synced).toBe(true);
  });

  it('restarts failed listeners with backoff and catches up on what it missed', async () => {
    const backend = new FakeBackend('');
    const alice = client(backend, 'alice');
    const bob = client(backend, 'bob');
    alice.sync.start();
    bob.sync.start();
    await settle();
    backend.failListeners('unavailable');
    await settle();
    expect(alice.sync.status).toBe('offline');
    expect(alice.errors.map((error) => (error as CollabError).code)).toEqual(['unavailable', 'unavailable']);
    expect(backend.listenerCount).toEqual({ session: 0, updates: 0 });
    const [missed] = writerUpdates(backend, 70, [[0, 'missed']]);
    backend.inject([{ author: 'bob', update: missed!, createdAt: 5000 }]);
    await settle(500);
    expect(backend.listenerCount).toEqual({ session: 2, updates: 2 });
    expect(alice.text()).toBe('missed');
    expect(alice.sync.status).toBe('synced');
  });
});

describe('destroy', () => {
  it('writes pending edits at once, best-effort, and stops listening and sending', async () => {
    const backend = new FakeBackend('');
    const alice = client(backend, 'alice');
    alice.sync.start();
    await settle();
    alice.type('last words');
    alice.sync.destroy();
    await settle();
    expect(backend.text()).toBe('last words');
    expect(backend.listenerCount).toEqual({ session: 0, updates: 0 });
    alice.type(' unsent');
    await settle(BATCH_MS * 3);
    expect(backend.writes).toHaveLength(1);
  });

  it('rejects whenSynced when destroyed before syncing', async () => {
    const backend = new FakeBackend('');
    const alice = client(backend, 'alice');
    alice.sync.start();
    const synced = alice.sync.whenSynced();
    alice.sync.destroy();
    await expect(synced).rejects.toThrow('destroyed');
  });

  it('unsubscribes event listeners with the function on() returns', async () => {
    const backend = new FakeBackend('');
    const alice = client(backend, 'alice');
    const seen: ProviderStatus[] = [];
    const off = alice.sync.on('status', (status) => seen.push(status));
    off();
    alice.sync.start();
    await settle();
    expect(seen).toEqual([]);
    expect(alice.statuses).toEqual(['synced']);
  });
});
