/**
 * Fitting local Yjs updates under the rules' size limit for one update document.
 *
 * A batch is merged with `Y.mergeUpdates` into one write when it fits. When it does not, its
 * updates are grouped greedily (in order) into merged writes that fit. A single update larger
 * than the limit (a big paste is one transaction, hence one update) is cut losslessly:
 *
 * - its inserted structs are re-encoded in clock ranges `[lo, hi)` of the document's own state:
 *   `Y.createDocFromSnapshot` builds the state up to `hi` (splitting an item at `hi`, never in the
 *   middle of a UTF-16 surrogate pair, which Yjs would replace with U+FFFD), and
 *   `Y.encodeStateAsUpdate(thatDoc, stateVectorAt(lo))` is exactly the range (re-encoded without
 *   the document's delete set); ranges are halved until each piece fits;
 * - its delete set is sent as separate deletion-only updates, split by ranges.
 *
 * The pieces come in causal order (structs by clock, deletions last), as the server merges in
 * `createdAt` order. The only input that cannot be cut is a single struct that alone exceeds the
 * limit (a huge embed or binary value, never text): `UpdateTooLargeError`.
 */
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';

/** `firestore.rules`: `update.size() <= 65536`. */
export const MAX_UPDATE_BYTES = 65536;

/** A local update that no split can fit under the limit. */
export class UpdateTooLargeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpdateTooLargeError';
  }
}

/**
 * The update documents to write for a batch of local updates of `doc` (in the order they were
 * made): one merged update when it fits in `maxBytes`, otherwise several that each fit.
 */
export function planWrites(
  doc: Y.Doc,
  updates: readonly Uint8Array[],
  maxBytes: number = MAX_UPDATE_BYTES,
): Uint8Array[] {
  const [first] = updates;
  if (first === undefined) return [];
  const merged = updates.length === 1 ? first : Y.mergeUpdates([...updates]);
  if (merged.length <= maxBytes) return [merged];
  const writes: Uint8Array[] = [];
  let group: Uint8Array | null = null;
  for (const update of updates) {
    if (update.length > maxBytes) {
      if (group !== null) writes.push(group);
      group = null;
      writes.push(...sliceUpdate(doc, update, maxBytes));
      continue;
    }
    if (group === null) {
      group = update;
      continue;
    }
    const grown = Y.mergeUpdates([group, update]);
    if (grown.length <= maxBytes) {
      group = grown;
    } else {
      writes.push(group);
      group = update;
    }
  }
  if (group !== null) writes.push(group);
  return writes;
}

/**
 * Cut one update of `doc` (already applied to it) into updates of at most `maxBytes` whose
 * union has the same effect, in causal order.
 */
export function sliceUpdate(doc: Y.Doc, update: Uint8Array, maxBytes: number): Uint8Array[] {
  if (update.length <= maxBytes) return [update];
  const { structs, ds } = Y.decodeUpdate(update);
  const { from, to } = Y.parseUpdateMeta(update);
  const pieces: Uint8Array[] = [];
  if (from.size > 0) {
    // Garbage collection off, so createDocFromSnapshot accepts it; its own copy, as that call
    // splits items of the document it reads.
    const origin = new Y.Doc({ gc: false });
    try {
      Y.applyUpdate(origin, Y.encodeStateAsUpdate(doc));
      Y.applyUpdate(origin, update);
      const state = Y.decodeStateVector(Y.encodeStateVector(origin));
      const unsafe = surrogateCuts(structs);
      for (const [client, start] of from) {
        const end = to.get(client) ?? start;
        const range = { client, start, end, unsafe: unsafe.get(client) ?? new Set<number>() };
        pieces.push(...sliceClient(origin, state, range, maxBytes));
      }
    } finally {
      origin.destroy();
    }
  }
  pieces.push(...deleteSetUpdates(ds, maxBytes));
  return pieces;
}

interface ClientRange {
  client: number;
  start: number;
  end: number;
  /** Clocks where a cut would split a surrogate pair. */
  unsafe: ReadonlySet<number>;
}

/** The structs of one client in `[start, end)`, as updates of at most `maxBytes`. */
function sliceClient(
  origin: Y.Doc,
  state: ReadonlyMap<number, number>,
  range: ClientRange,
  maxBytes: number,
): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let lo = range.start;
  let span = range.end - range.start;
  while (lo < range.end) {
    const hi = safeCut(range, lo, Math.min(range.end, lo + span));
    const piece = encodeRange(origin, state, range.client, lo, hi);
    if (piece.length <= maxBytes) {
      pieces.push(piece);
      lo = hi;
      continue;
    }
    if (hi - lo <= 1 || safeCut(range, lo, lo + Math.floor((hi - lo) / 2)) >= hi) {
      throw new UpdateTooLargeError(
        `a single Yjs struct (client ${range.client}, clock ${lo}) encodes to ${piece.length} bytes, ` +
          `more than the ${maxBytes} bytes an update document may hold`,
      );
    }
    span = Math.floor((hi - lo) / 2);
  }
  return pieces;
}

/** The cut nearest below `target` (or else above it) in `(lo, end]` that splits no pair. */
function safeCut(range: ClientRange, lo: number, target: number): number {
  for (let clock = target; clock > lo; clock -= 1) {
    if (!range.unsafe.has(clock)) return clock;
  }
  for (let clock = target + 1; clock < range.end; clock += 1) {
    if (!range.unsafe.has(clock)) return clock;
  }
  return range.end;
}

/** The structs of `client` in `[lo, hi)` of `origin`, as one update. */
function encodeRange(
  origin: Y.Doc,
  state: ReadonlyMap<number, number>,
  client: number,
  lo: number,
  hi: number,
): Uint8Array {
  const upTo = new Map(state).set(client, hi);
  const cut = Y.createDocFromSnapshot(origin, Y.createSnapshot(Y.createDeleteSet(), upTo));
  try {
    const before = new Map(state).set(client, lo);
    return withoutDeletions(Y.encodeStateAsUpdate(cut, Y.encodeStateVector(before)));
  } finally {
    cut.destroy();
  }
}

/**
 * The same update without its delete set. A state encoded from a document carries the ranges of
 * every deleted item it holds: noise for a piece of one local update, whose own deletions are
 * sent separately, and it could grow past the limit in a heavily edited document.
 */
function withoutDeletions(update: Uint8Array): Uint8Array {
  const { structs, ds } = Y.decodeUpdate(update);
  if (ds.clients.size === 0) return update;
  const byClient = new Map<number, Array<Y.Item | Y.GC | Y.Skip>>();
  for (const struct of structs) {
    const list = byClient.get(struct.id.client) ?? [];
    list.push(struct);
    byClient.set(struct.id.client, list);
  }
  const encoder = new Y.UpdateEncoderV1();
  encoding.writeVarUint(encoder.restEncoder, byClient.size);
  for (const [client, list] of byClient) {
    encoding.writeVarUint(encoder.restEncoder, list.length);
    encoder.writeClient(client);
    encoding.writeVarUint(encoder.restEncoder, list[0]?.id.clock ?? 0);
    for (const struct of list) struct.write(encoder, 0);
  }
  encoding.writeVarUint(encoder.restEncoder, 0);
  return encoder.toUint8Array();
}

/** Per client, the clocks inside strings where a cut falls between a surrogate pair's halves. */
function surrogateCuts(structs: ReadonlyArray<Y.Item | Y.GC | Y.Skip>): Map<number, Set<number>> {
  const cuts = new Map<number, Set<number>>();
  for (const struct of structs) {
    if (!(struct instanceof Y.Item) || !(struct.content instanceof Y.ContentString)) continue;
    const text = struct.content.str;
    for (let i = 1; i < text.length; i += 1) {
      const unit = text.charCodeAt(i - 1);
      if (unit >= 0xd800 && unit <= 0xdbff) {
        const clocks = cuts.get(struct.id.client) ?? new Set<number>();
        clocks.add(struct.id.clock + i);
        cuts.set(struct.id.client, clocks);
      }
    }
  }
  return cuts;
}

type DeleteSet = ReturnType<typeof Y.decodeUpdate>['ds'];
type DeleteRanges = Array<[client: number, ranges: Array<[clock: number, len: number]>]>;

/** Worst-case bytes of a deletion-only update's framing, and of one client's header. */
const DS_FRAME_BYTES = 1 + 5;
const DS_CLIENT_BYTES = 5 + 5;

/** A delete set as deletion-only Yjs v1 updates of at most `maxBytes` each. */
function deleteSetUpdates(ds: DeleteSet, maxBytes: number): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let current: DeleteRanges = [];
  let size = DS_FRAME_BYTES;
  for (const [client, items] of ds.clients) {
    let ranges: Array<[number, number]> | null = null;
    for (const item of items) {
      const bytes = varUintBytes(item.clock) + varUintBytes(item.len);
      const extra = ranges === null ? DS_CLIENT_BYTES + bytes : bytes;
      if (size + extra > maxBytes && current.length > 0) {
        pieces.push(encodeDeletions(current));
        current = [];
        ranges = null;
        size = DS_FRAME_BYTES;
      }
      if (ranges === null) {
        ranges = [];
        current.push([client, ranges]);
        size += DS_CLIENT_BYTES;
      }
      ranges.push([item.clock, item.len]);
      size += bytes;
    }
  }
  if (current.length > 0) pieces.push(encodeDeletions(current));
  const oversized = pieces.find((piece) => piece.length > maxBytes);
  if (oversized !== undefined) {
    throw new UpdateTooLargeError(`one deleted range needs ${oversized.length} bytes, over ${maxBytes}`);
  }
  return pieces;
}

/** A Yjs v1 update with no structs and these deleted ranges. */
function encodeDeletions(clients: DeleteRanges): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 0);
  encoding.writeVarUint(encoder, clients.length);
  for (const [client, ranges] of clients) {
    encoding.writeVarUint(encoder, client);
    encoding.writeVarUint(encoder, ranges.length);
    for (const [clock, len] of ranges) {
      encoding.writeVarUint(encoder, clock);
      encoding.writeVarUint(encoder, len);
    }
  }
  return encoding.toUint8Array(encoder);
}

function varUintBytes(value: number): number {
  let bytes = 1;
  for (let rest = value; rest > 0x7f; rest = Math.floor(rest / 128)) bytes += 1;
  return bytes;
}
