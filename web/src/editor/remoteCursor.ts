/**
 * The partner's cursor and selection in CodeMirror, fed from their presence document (plain
 * offsets: no Yjs awareness travels over Firestore). Local and remote edits map the positions
 * until the next presence update replaces them.
 */
import { StateEffect, StateField, type EditorState, type Extension } from '@codemirror/state';
import { Decoration, EditorView, WidgetType, type DecorationSet } from '@codemirror/view';

export interface RemoteCursor {
  anchor: number;
  head: number;
  name: string;
}

export const setRemoteCursor = StateEffect.define<RemoteCursor | null>();

/** Keep a cursor inside a document of `length` characters. */
export function clampCursor(cursor: RemoteCursor, length: number): RemoteCursor {
  const clamp = (n: number) => Math.min(Math.max(0, Math.trunc(n)), length);
  return { ...cursor, anchor: clamp(cursor.anchor), head: clamp(cursor.head) };
}

class CaretWidget extends WidgetType {
  constructor(readonly name: string) {
    super();
  }

  override eq(other: CaretWidget): boolean {
    return other.name === this.name;
  }

  toDOM(): HTMLElement {
    // The name is drawn by CSS (::after from data-name), so that it never becomes part of the
    // editor's text content (copying, reading the code from the page).
    const caret = document.createElement('span');
    caret.className = 'cm-remote-caret';
    caret.setAttribute('aria-hidden', 'true');
    caret.dataset.name = this.name;
    return caret;
  }

  override ignoreEvent(): boolean {
    return true;
  }
}

function decorations(cursor: RemoteCursor | null, state: EditorState): DecorationSet {
  if (!cursor) return Decoration.none;
  const from = Math.min(cursor.anchor, cursor.head);
  const to = Math.max(cursor.anchor, cursor.head);
  const ranges = [];
  if (from < to) ranges.push(Decoration.mark({ class: 'cm-remote-selection' }).range(from, to));
  ranges.push(
    Decoration.widget({ widget: new CaretWidget(cursor.name), side: 1 }).range(
      Math.min(cursor.head, state.doc.length),
    ),
  );
  return Decoration.set(ranges, true);
}

interface CursorState {
  cursor: RemoteCursor | null;
  decorations: DecorationSet;
}

export const remoteCursorField = StateField.define<CursorState>({
  create: () => ({ cursor: null, decorations: Decoration.none }),
  update(value, tr) {
    let cursor = value.cursor;
    if (cursor && tr.docChanged) {
      cursor = { ...cursor, anchor: tr.changes.mapPos(cursor.anchor), head: tr.changes.mapPos(cursor.head) };
    }
    let replaced = false;
    for (const effect of tr.effects) {
      if (effect.is(setRemoteCursor)) {
        cursor = effect.value ? clampCursor(effect.value, tr.state.doc.length) : null;
        replaced = true;
      }
    }
    if (!replaced && !tr.docChanged) return value;
    return { cursor, decorations: decorations(cursor, tr.state) };
  },
  provide: (field) => EditorView.decorations.from(field, (value) => value.decorations),
});

/** Where the partner's cursor is now, in this editor's document. */
export function remoteCursorOf(state: EditorState): RemoteCursor | null {
  return state.field(remoteCursorField, false)?.cursor ?? null;
}

export const remoteCursorTheme = EditorView.baseTheme({
  '.cm-remote-selection': { backgroundColor: 'rgba(214, 93, 14, 0.22)' },
  '.cm-remote-caret': {
    position: 'relative',
    borderLeft: '2px solid #d65d0e',
    marginLeft: '-1px',
    marginRight: '-1px',
  },
  '.cm-remote-caret::after': {
    content: 'attr(data-name)',
    position: 'absolute',
    top: '-1.35em',
    left: '-2px',
    fontSize: '0.7rem',
    lineHeight: '1.2',
    padding: '0 4px',
    borderRadius: '3px 3px 3px 0',
    backgroundColor: '#d65d0e',
    color: '#fff',
    whiteSpace: 'nowrap',
    fontFamily: 'system-ui, sans-serif',
    pointerEvents: 'none',
    zIndex: '5',
  },
});

export function remoteCursor(): Extension {
  return [remoteCursorField, remoteCursorTheme];
}
