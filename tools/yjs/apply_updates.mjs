// Apply Yjs v1 updates with the JavaScript `yjs` library, as a browser would.
//
//     echo '{"updates": ["<base64>", ...]}' | node tools/yjs/apply_updates.mjs
//
// Reads that JSON from stdin, applies the updates in the given order to a fresh Y.Doc and prints
// {"text": ytext.toString(), "length": ytext.length} (length in UTF-16 code units) for the Y.Text
// named "code". Used by tests/test_yjs_interop.py.
import { readFileSync } from 'node:fs'
import * as Y from 'yjs'

const { updates } = JSON.parse(readFileSync(0, 'utf8'))
const doc = new Y.Doc()
for (const update of updates) Y.applyUpdate(doc, new Uint8Array(Buffer.from(update, 'base64')))
const text = doc.getText('code')
process.stdout.write(JSON.stringify({ text: text.toString(), length: text.length }) + '\n')
