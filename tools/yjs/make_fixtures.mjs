// Yjs interop fixtures: updates made by the JavaScript `yjs` library (what browsers send), for
// tests/test_yjs_interop.py to replay in pycrdt (common/collab.py).
//
// Regenerate (from the repository root, after `npm install`):
//
//     node tools/yjs/make_fixtures.mjs                  # writes tests/fixtures/yjs_updates.json
//     node tools/yjs/make_fixtures.mjs /tmp/out.json    # or any other path
//
// The output is deterministic: fixed clientIDs, a seeded PRNG and no clock or random source, so
// running it again with the same yjs version gives byte-identical JSON (a test checks this).
//
// Each scenario lists base64 Yjs v1 updates in the order they were produced, and `text`, the text
// yjs ends with. Updates are CRDT operations: applying them in ANY order must converge to `text`
// (this script checks that in yjs before writing). Positions in yjs are UTF-16 code units.
import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as Y from 'yjs'

const TEXT_NAME = 'code'
const DEFAULT_OUT = fileURLToPath(new URL('../../tests/fixtures/yjs_updates.json', import.meta.url))
const YJS_VERSION = JSON.parse(
  readFileSync(fileURLToPath(new URL('../package.json', import.meta.resolve('yjs'))), 'utf8')
).version

// mulberry32: a small seeded PRNG, so the "random" edits are the same on every run.
function prng (seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const randInt = (rng, n) => Math.floor(rng() * n)

const b64 = (update) => Buffer.from(update).toString('base64')

// A client: a Y.Doc with a fixed clientID that records the updates of its local transactions
// (updates it receives from others are not its own, so they are not recorded again).
function client (clientID, log) {
  const doc = new Y.Doc()
  doc.clientID = clientID
  doc.on('update', (update, origin, _doc, transaction) => {
    if (transaction.local) log.push(update)
  })
  return { doc, text: doc.getText(TEXT_NAME) }
}

// UTF-16 offsets of code point boundaries: edits made here never split a surrogate pair.
function boundaries (str) {
  const offsets = [0]
  let offset = 0
  for (const ch of str) {
    offset += ch.length
    offsets.push(offset)
  }
  return offsets
}

// One random edit at code point boundaries: delete 1-3 code points or insert 1-3 symbols.
function randomEdit (rng, text, alphabet) {
  const at = boundaries(text.toString())
  const points = at.length - 1
  if (points > 0 && rng() < 0.4) {
    const i = randInt(rng, points)
    const count = 1 + randInt(rng, Math.min(3, points - i))
    text.delete(at[i], at[i + count] - at[i])
  } else {
    const i = randInt(rng, points + 1)
    let insert = ''
    const size = 1 + randInt(rng, 3)
    for (let k = 0; k < size; k++) insert += alphabet[randInt(rng, alphabet.length)]
    text.insert(at[i], insert)
  }
}

function textOf (updates) {
  const doc = new Y.Doc()
  for (const update of updates) Y.applyUpdate(doc, update)
  const text = doc.getText(TEXT_NAME)
  return { text: text.toString(), length: text.length }
}

function shuffled (rng, items) {
  const out = items.slice()
  for (let i = out.length - 1; i > 0; i--) {
    const j = randInt(rng, i + 1)
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

// Check that every client converged, and that yjs itself reaches the same text from the updates
// in production order, reversed and shuffled; then describe the scenario.
function scenario (name, description, clients, updates, extra = {}) {
  const expected = clients[0].text.toString()
  for (const c of clients) {
    if (c.text.toString() !== expected) {
      throw new Error(`${name}: clients diverged: ${JSON.stringify(c.text.toString())}`)
    }
  }
  const rng = prng(0x5eed)
  const orders = [updates, updates.slice().reverse(), shuffled(rng, updates), shuffled(rng, updates)]
  for (const order of orders) {
    const got = textOf(order).text
    if (got !== expected) throw new Error(`${name}: order-dependent result ${JSON.stringify(got)}`)
  }
  return {
    name,
    description,
    clientIDs: clients.map((c) => c.doc.clientID),
    updates: updates.map(b64),
    text: expected,
    utf16Length: clients[0].text.length,
    ...extra
  }
}

// Deliver every update made by `from` that `to` lacks (what a provider does on sync).
function sync (from, to) {
  Y.applyUpdate(to.doc, Y.encodeStateAsUpdate(from.doc, Y.encodeStateVector(to.doc)))
}

// (a) One client types a small Python function, a code point per transaction, fixing a typo.
function singleClientTyping () {
  const log = []
  const alice = client(1, log)
  const type = (str) => {
    for (const ch of str) alice.text.insert(alice.text.length, ch)
  }
  type('def two_sum(nums: list[int], target: int) -> list[int]:\n')
  type('    seen: dict[int, int] = {}\n')
  type('    for i, n in enumerate(nums):\n')
  type('        if target - n in seen:\n')
  type('            retrun')
  for (let k = 0; k < 4; k++) alice.text.delete(alice.text.length - 1, 1) // backspace "trun"
  type('turn [seen[target - n], i]\n')
  type('        seen[n] = i\n')
  type('    return []\n')
  return scenario(
    'single_client_python_function',
    'One client types a Python function one character per update, with a typo fixed by backspace.',
    [alice],
    log
  )
}

// (b) Two clients share a base text, then each makes 50 random edits on its own doc; they
// exchange their updates only at the end.
function twoClientsConcurrent () {
  const log = []
  const rng = prng(20240601)
  const base = client(10, log)
  base.text.insert(0, 'def solve(xs):\n    return sorted(xs)\n')
  const a = client(11, log)
  const b = client(12, log)
  sync(base, a)
  sync(base, b)
  const alphabet = 'abcdefghijklmnopqrstuvwxyz_ ()[]:=+-\n'.split('')
  for (let i = 0; i < 50; i++) {
    randomEdit(rng, a.text, alphabet)
    randomEdit(rng, b.text, alphabet)
  }
  sync(a, b)
  sync(b, a)
  sync(a, base)
  return scenario(
    'two_clients_concurrent',
    'Clients 11 and 12 start from client 10\'s text and make 50 random inserts/deletes each ' +
      'without seeing each other; updates are listed interleaved as they were produced.',
    [a, b, base],
    log
  )
}

// (c) Non-ASCII text: accented letters, CJK and emoji (surrogate pairs in UTF-16, some of them
// multi-code-point sequences), edited around and concurrently right after an emoji. Edits happen
// at code point boundaries, as an editor does.
function nonAsciiConcurrent () {
  const log = []
  const rng = prng(77)
  const base = client(20, log)
  base.text.insert(0, "# café naïve 日本語 😀 done\nprint('héllo 世界 🎉👍🏽')\n")
  const a = client(21, log)
  const b = client(22, log)
  sync(base, a)
  sync(base, b)
  const endOf = (str, part) => str.indexOf(part) + part.length
  // Both insert right after 😀 at the same time (same UTF-16 position, 2 units per emoji).
  const afterSmiley = endOf(a.text.toString(), '😀')
  a.text.insert(afterSmiley, 'é')
  b.text.insert(afterSmiley, '字🙂')
  // A deletes the party emoji (2 UTF-16 units) while B inserts right after it.
  const party = a.text.toString().indexOf('🎉')
  a.text.delete(party, '🎉'.length)
  b.text.insert(endOf(b.text.toString(), '🎉'), 'ß')
  // B inserts before the emoji and after the accented letters; A deletes "日本".
  b.text.insert(b.text.toString().indexOf('😀'), 'ñ')
  b.text.insert(endOf(b.text.toString(), 'naïve'), '👩‍💻')
  const cjk = a.text.toString().indexOf('日本')
  a.text.delete(cjk, '日本'.length)
  const alphabet = ['a', 'z', ' ', 'é', 'ü', 'ñ', 'Ω', '日', '本', '語', '世', '😀', '🎉', '🙂', '𝔘', '👍🏽', '👩‍💻']
  for (let i = 0; i < 30; i++) {
    randomEdit(rng, a.text, alphabet)
    randomEdit(rng, b.text, alphabet)
  }
  sync(a, b)
  sync(b, a)
  sync(a, base)
  // After the merge, one more edit right after the first emoji of the converged text.
  const first = boundaries(a.text.toString()).find((offset, i, all) =>
    i > 0 && all[i] - all[i - 1] === 2)
  a.text.insert(first, '→')
  sync(a, b)
  sync(a, base)
  return scenario(
    'non_ascii_concurrent',
    'Accented letters, CJK and emoji (UTF-16 surrogate pairs, ZWJ and skin-tone sequences); ' +
      'concurrent inserts at the same position right after an emoji, an emoji deleted while the ' +
      'other client inserts after it, then 30 random edits each at code point boundaries.',
    [a, b, base],
    log
  )
}

// (d) Out of order: updates that depend on a predecessor are delivered before it.
function outOfOrderDelivery () {
  const log = []
  const a = client(30, log)
  const b = client(31, log)
  a.text.insert(0, 'def f():\n') // u0
  a.text.insert(a.text.length, '    return 42\n') // u1: right of u0's text
  a.text.delete(a.text.toString().indexOf('42'), 2) // u2: deletes part of u1 (a delete set only)
  a.text.insert(a.text.toString().indexOf('\n', 10), 'None') // u3: between u1's characters
  sync(a, b)
  b.text.insert(0, '# answer\n') // u4: client 31, left of u0's text
  b.text.insert(b.text.toString().indexOf('None') + 4, '  # 😀') // u5: after u3's text
  sync(b, a)
  const order = [5, 2, 0, 4, 3, 1]
  const delivered = []
  const texts = []
  for (const i of order) {
    delivered.push(log[i])
    texts.push(textOf(delivered).text)
  }
  return scenario(
    'out_of_order_delivery',
    'Updates delivered in deliveryOrder (indexes into updates): each arrives before the ' +
      'update it depends on; deliveryTexts[i] is the text yjs shows after the first i+1 deliveries.',
    [a, b],
    log,
    { deliveryOrder: order, deliveryTexts: texts }
  )
}

// Known divergence: a yjs client edits INSIDE a surrogate pair (a UTF-16 position between the two
// halves of an emoji). yjs replaces both halves with U+FFFD; yrs (pycrdt) keeps the emoji whole,
// which also shifts the clocks of the rest of that item. Editors do not put the cursor there, but
// yjs's API allows it.
function surrogatePairSplit () {
  const log = []
  const a = client(40, log)
  const b = client(41, log)
  a.text.insert(0, "x = '😀🎉'\n")
  sync(a, b)
  const smiley = b.text.toString().indexOf('😀')
  b.text.insert(smiley + 1, '|') // between the two halves of 😀
  const party = b.text.toString().indexOf('🎉')
  b.text.delete(party + 1, 1) // the low half of 🎉 only
  b.text.delete(b.text.toString().indexOf('\n'), 1) // the newline typed by client 40
  b.text.insert(b.text.length, '  # end\n')
  sync(b, a)
  return scenario(
    'surrogate_pair_split',
    'Client 41 inserts between the two UTF-16 halves of 😀, deletes the low half of 🎉, then ' +
      'edits client 40\'s text after them; yjs turns each split half into U+FFFD.',
    [a, b],
    log
  )
}

function main () {
  const out = resolve(process.argv[2] ?? DEFAULT_OUT)
  const fixtures = {
    generator: 'tools/yjs/make_fixtures.mjs',
    regenerate: 'node tools/yjs/make_fixtures.mjs',
    yjsVersion: YJS_VERSION,
    textName: TEXT_NAME,
    note: 'updates are base64 Yjs v1 updates in the order they were produced; applying them in ' +
      'any order must converge to text. Positions and utf16Length are UTF-16 code units (yjs).',
    scenarios: [singleClientTyping(), twoClientsConcurrent(), nonAsciiConcurrent(), outOfOrderDelivery()],
    divergentScenarios: [surrogatePairSplit()]
  }
  writeFileSync(out, JSON.stringify(fixtures, null, 2) + '\n')
}

main()
