import { describe, expect, it } from 'vitest';
import { EditorState } from '@codemirror/state';
import { clampCursor, remoteCursor, remoteCursorOf, setRemoteCursor } from './remoteCursor';

function state(doc: string) {
  return EditorState.create({ doc, extensions: [remoteCursor()] });
}

describe('remote cursor', () => {
  it('shows where the partner is, clamped to the document', () => {
    const start = state('hello');
    const moved = start.update({ effects: setRemoteCursor.of({ anchor: 1, head: 99, name: 'bob' }) }).state;
    expect(remoteCursorOf(moved)).toEqual({ anchor: 1, head: 5, name: 'bob' });
  });

  it('moves with edits made before it until the next presence update', () => {
    let current = state('abc def');
    current = current.update({ effects: setRemoteCursor.of({ anchor: 4, head: 7, name: 'bob' }) }).state;
    current = current.update({ changes: { from: 0, insert: 'XY' } }).state;
    expect(remoteCursorOf(current)).toMatchObject({ anchor: 6, head: 9 });
    current = current.update({ changes: { from: 8, insert: '!' } }).state;
    expect(remoteCursorOf(current)).toMatchObject({ anchor: 6, head: 10 });
    current = current.update({ effects: setRemoteCursor.of(null) }).state;
    expect(remoteCursorOf(current)).toBeNull();
  });

  it('clamps negative and fractional positions', () => {
    expect(clampCursor({ anchor: -3, head: 2.7, name: 'x' }, 10)).toEqual({ anchor: 0, head: 2, name: 'x' });
  });
});
