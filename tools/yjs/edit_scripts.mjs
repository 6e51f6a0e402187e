// Play edit scripts with the JavaScript `yjs` library, as browsers would, for the property test
// tests/test_crdt_yjs_properties.py. One process answers many requests, one JSON line each:
//
//     {"script": [step, ...]}   -> {"updates": ["<base64>", ...], "text": "...", "length": N}
//     {"apply": ["<base64>", ...]} -> {"text": "...", "length": N}
//
// A script's steps edit the Y.Text named "code" of its clients (one Y.Doc each, clientID 1 + its
// index), at UTF-16 positions as yjs counts them, so edits land inside emoji's surrogate pairs:
//
//     ["insert", client, at, text]    at is taken modulo (length + 1)
//     ["delete", client, at, count]   at modulo length; count cut to what is left
//     ["flush", client]               write its edits since its last write, merged, as one update
//                                     (the web client batches with Y.mergeUpdates)
//     ["sync", from, to]              `from` flushes, then `to` applies what `from` has that it
//                                     lacks (clients see each other only through what was written)
//     ["resend", client]              flush, then write its whole state (a client that sends again
//                                     what it holds: the update overlaps earlier ones)
//
// "updates" lists every written update in the order written, which is causal, as the server
// reads them (every client flushes at the end); "text" is what a fresh Y.Doc reads from all of
// them, and "length" its length in UTF-16 units. "apply" applies updates in the given order to
// a fresh Y.Doc.
import { createInterface } from 'node:readline'
import * as Y from 'yjs'

const TEXT_NAME = 'code'

function read (updates) {
  const doc = new Y.Doc()
  for (const update of updates) Y.applyUpdate(doc, update)
  const text = doc.getText(TEXT_NAME)
  return { text: text.toString(), length: text.length }
}

function play (script) {
  const clients = 1 + Math.max(0, ...script.map((step) => Math.max(step[1], step[0] === 'sync' ? step[2] : 0)))
  const log = []
  const unsent = Array.from({ length: clients }, () => [])
  const docs = Array.from({ length: clients }, (_, index) => {
    const doc = new Y.Doc()
    doc.clientID = 1 + index
    doc.on('update', (update, origin) => {
      if (origin !== 'remote') unsent[index].push(update)
    })
    return doc
  })
  const flush = (client) => {
    if (unsent[client].length) log.push(Y.mergeUpdates(unsent[client].splice(0)))
  }
  for (const [kind, client, a, b] of script) {
    const text = docs[client].getText(TEXT_NAME)
    if (kind === 'insert') {
      text.insert(a % (text.length + 1), b)
    } else if (kind === 'delete' && text.length > 0) {
      const at = a % text.length
      text.delete(at, Math.min(b, text.length - at))
    } else if (kind === 'flush') {
      flush(client)
    } else if (kind === 'sync' && client !== a) {
      flush(client)
      const update = Y.encodeStateAsUpdate(docs[client], Y.encodeStateVector(docs[a]))
      Y.applyUpdate(docs[a], update, 'remote')
    } else if (kind === 'resend') {
      flush(client)
      log.push(Y.encodeStateAsUpdate(docs[client]))
    }
  }
  docs.forEach((_, client) => flush(client))
  return { updates: log.map((update) => Buffer.from(update).toString('base64')), ...read(log) }
}

const decode = (updates) => updates.map((update) => new Uint8Array(Buffer.from(update, 'base64')))

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue
  const request = JSON.parse(line)
  const answer = request.script ? play(request.script) : read(decode(request.apply))
  process.stdout.write(JSON.stringify(answer) + '\n')
}
