import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { MAX_UPDATE_BYTES, planWrites, sliceUpdate, UpdateTooLargeError } from './splitUpdate';

const TEXT = 'code';

/** A document with a fixed client id that records the updates of its local transactions. */
function recordingDoc(clientID: number): { doc: Y.Doc; updates: Uint8Array[] } {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array, _origin: unknown, _doc: Y.Doc, tr: Y.Transaction) => {
    if (tr.local) updates.push(update);
  });
  return { doc, updates };
}

/** A fresh replica of `doc` as it is now. */
function replicaOf(doc: Y.Doc): Y.Doc {
  const replica = new Y.Doc();
  Y.applyUpdate(replica, Y.encodeStateAsUpdate(doc));
  return replica;
}

function text(doc: Y.Doc): string {
  return doc.getText(TEXT).toString();
}

function applyAll(doc: Y.Doc, updates: readonly Uint8Array[]): void {
  for (const update of updates) Y.applyUpdate(doc, update);
}

/** Some text with 1-, 2-, 3- and 4-byte UTF-8 characters (the last as surrogate pairs). */
function mixedText(length: number): string {
  const alphabet = ['a', 'é', '€', '😀', '\n', 'z', '𝄞', ' '];
  let out = '';
  for (let i = 0; out.length < length; i += 1) out += alphabet[(i * 7 + (i >> 3)) % alphabet.length];
  return out;
}

describe('planWrites', () => {
  it('merges a batch that fits into one update (Y.mergeUpdates)', () => {
    const { doc, updates } = recordingDoc(1);
    for (const ch of 'hello') doc.getText(TEXT).insert(doc.getText(TEXT).length, ch);
    const writes = planWrites(doc, updates, 65536);
    expect(writes).toEqual([Y.mergeUpdates(updates)]);
    const replica = new Y.Doc();
    applyAll(replica, writes);
    expect(text(replica)).toBe('hello');
  });

  it('plans nothing for an empty batch', () => {
    expect(planWrites(new Y.Doc(), [], 100)).toEqual([]);
  });

  it('groups small updates into several writes under the limit when the merge is too big', () => {
    const { doc, updates } = recordingDoc(2);
    const ytext = doc.getText(TEXT);
    for (let i = 0; i < 200; i += 1) ytext.insert(i % 7 === 0 ? 0 : ytext.length, `w${i} `);
    const limit = 300;
    expect(Y.mergeUpdates(updates).length).toBeGreaterThan(limit);
    const writes = planWrites(doc, updates, limit);
    expect(writes.length).toBeGreaterThan(1);
    expect(writes.length).toBeLessThan(updates.length);
    for (const write of writes) expect(write.length).toBeLessThanOrEqual(limit);
    const replica = new Y.Doc();
    applyAll(replica, writes);
    expect(text(replica)).toBe(text(doc));
  });

  it('slices a single update larger than the limit, next to small ones', () => {
    const { doc, updates } = recordingDoc(3);
    const ytext = doc.getText(TEXT);
    ytext.insert(0, 'start ');
    ytext.insert(ytext.length, mixedText(5000));
    ytext.insert(ytext.length, ' end');
    const writes = planWrites(doc, updates, 1024);
    expect(writes.length).toBeGreaterThan(5);
    for (const write of writes) expect(write.length).toBeLessThanOrEqual(1024);
    const replica = new Y.Doc();
    applyAll(replica, writes);
    expect(text(replica)).toBe(text(doc));
  });
});

describe('sliceUpdate', () => {
  it('returns an update that fits as it is', () => {
    const { doc, updates } = recordingDoc(4);
    doc.getText(TEXT).insert(0, 'small');
    expect(sliceUpdate(doc, updates[0]!, 1000)).toEqual([updates[0]]);
  });

  it('cuts a big paste into pieces that fit, never inside a surrogate pair', () => {
    const { doc, updates } = recordingDoc(5);
    doc.getText(TEXT).insert(0, 'def solve():\n    pass\n');
    const before = replicaOf(doc);
    const paste = mixedText(40000);
    doc.getText(TEXT).insert(13, paste);
    const update = updates.at(-1)!;
    const limit = 4096;
    expect(update.length).toBeGreaterThan(limit * 4);
    const pieces = sliceUpdate(doc, update, limit);
    expect(pieces.length).toBeGreaterThan(4);
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(limit);
    applyAll(before, pieces);
    expect(text(before)).toBe(text(doc));
    expect(text(before)).not.toContain('\ufffd');
    expect(Y.encodeStateVector(before)).toEqual(Y.encodeStateVector(doc));
  });

  it('cuts a 170 KB paste under the rules\' real limit', () => {
    const { doc, updates } = recordingDoc(11);
    doc.getText(TEXT).insert(0, mixedText(100000));
    const update = updates[0]!;
    expect(update.length).toBeGreaterThan(2 * MAX_UPDATE_BYTES);
    const pieces = sliceUpdate(doc, update, MAX_UPDATE_BYTES);
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(MAX_UPDATE_BYTES);
    expect(pieces.length).toBeLessThan(8);
    const replica = new Y.Doc();
    applyAll(replica, pieces);
    expect(text(replica)).toBe(text(doc));
  });

  it('pieces applied in any order converge (missing predecessors wait in Yjs)', () => {
    const { doc, updates } = recordingDoc(6);
    doc.getText(TEXT).insert(0, mixedText(6000));
    const pieces = sliceUpdate(doc, updates[0]!, 2000);
    expect(pieces.length).toBeGreaterThan(2);
    const reversed = new Y.Doc();
    applyAll(reversed, [...pieces].reverse());
    expect(text(reversed)).toBe(text(doc));
  });

  it('keeps the deletions of the same transaction, as separate deletion-only pieces', () => {
    const { doc, updates } = recordingDoc(7);
    const ytext = doc.getText(TEXT);
    ytext.insert(0, 'x'.repeat(3000));
    const before = replicaOf(doc);
    doc.transact(() => {
      // Delete every other character (a fragmented delete set), then paste a block.
      for (let i = 0; i < 1500; i += 1) ytext.delete(i, 1);
      ytext.insert(0, mixedText(3000));
    });
    const limit = 1500;
    const update = updates.at(-1)!;
    expect(update.length).toBeGreaterThan(limit);
    const pieces = sliceUpdate(doc, update, limit);
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(limit);
    const deletionOnly = pieces.filter((piece) => Y.decodeUpdate(piece).structs.length === 0);
    expect(deletionOnly.length).toBeGreaterThan(1);
    // Causal order: every piece with structs comes before the deletion-only ones.
    for (const piece of pieces) {
      if (!deletionOnly.includes(piece)) expect(Y.decodeUpdate(piece).ds.clients.size).toBe(0);
    }
    const firstDeletion = pieces.indexOf(deletionOnly[0]!);
    expect(pieces.slice(firstDeletion).every((piece) => deletionOnly.includes(piece))).toBe(true);
    applyAll(before, pieces);
    expect(text(before)).toBe(text(doc));
  });

  it('cuts a paste that a partner edit already points into', () => {
    const own = recordingDoc(8);
    own.doc.getText(TEXT).insert(0, 'head\n');
    const partner = new Y.Doc();
    partner.clientID = 9;
    Y.applyUpdate(partner, Y.encodeStateAsUpdate(own.doc));
    const partnerStart = replicaOf(partner);
    own.doc.getText(TEXT).insert(5, mixedText(8000));
    const paste = own.updates.at(-1)!;
    // The partner receives the paste and types inside it before our pieces are planned.
    Y.applyUpdate(partner, paste);
    partner.getText(TEXT).insert(4000, '<partner>');
    Y.applyUpdate(own.doc, Y.encodeStateAsUpdate(partner, Y.encodeStateVector(own.doc)));

    const pieces = sliceUpdate(own.doc, paste, 2048);
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(2048);
    applyAll(partnerStart, pieces);
    Y.applyUpdate(partnerStart, Y.encodeStateAsUpdate(partner, Y.encodeStateVector(partnerStart)));
    expect(text(partnerStart)).toBe(text(own.doc));
    expect(text(own.doc)).toContain('<partner>');
  });

  it('refuses a single struct that no cut can fit', () => {
    const { doc, updates } = recordingDoc(10);
    doc.getArray<Uint8Array>('blobs').push([new Uint8Array(5000)]);
    expect(() => sliceUpdate(doc, updates[0]!, 1000)).toThrow(UpdateTooLargeError);
  });
});
