// Record a random editing session of three yjs clients, as browsers would produce it.
//
//     node tools/yjs/random_session.mjs SEED [STEPS]
//
// Each client types and deletes at random positions (UTF-16 positions, as yjs counts them, so
// edits land inside emoji's surrogate pairs too) and now and then syncs with another client.
// Prints the JSON list of every local update (base64), in the order they were made, which is
// the causal order in which the server reads them. Used by tests/test_yjs_interop.py.
import * as Y from 'yjs'

let state = Number(process.argv[2] ?? 1) || 1
const steps = Number(process.argv[3] ?? 300)
const random = () => {
  state = (state * 1103515245 + 12345) % 2147483648
  return state / 2147483648
}
const pieces = ['a', 'b', ' ', '\n', 'é', '日本', '😀', '👍🏽', 'x = 1']
const docs = [0, 1, 2].map((index) => {
  const doc = new Y.Doc()
  doc.clientID = 100 + index
  return doc
})
const log = []
for (const doc of docs) {
  doc.on('update', (update, origin) => {
    if (origin !== 'remote') log.push(Buffer.from(update).toString('base64'))
  })
}
for (let step = 0; step < steps; step++) {
  const doc = docs[Math.floor(random() * docs.length)]
  const text = doc.getText('code')
  if (random() < 0.7 || text.length === 0) {
    const at = Math.floor(random() * (text.length + 1))
    text.insert(at, pieces[Math.floor(random() * pieces.length)])
  } else {
    const at = Math.floor(random() * text.length)
    text.delete(at, Math.min(1 + Math.floor(random() * 3), text.length - at))
  }
  if (random() < 0.2) {
    const other = docs[Math.floor(random() * docs.length)]
    if (other !== doc) {
      const update = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(other))
      Y.applyUpdate(other, update, 'remote')
    }
  }
}
process.stdout.write(JSON.stringify(log) + '\n')
