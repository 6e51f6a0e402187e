/** The shared editor: CodeMirror bound to the session's Y.Text, with the partner's cursor. */
import { useEffect, useRef } from 'react';
import { closeBrackets, closeBracketsKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { highlightSelectionMatches, searchKeymap } from '@codemirror/search';
import { Compartment, EditorState } from '@codemirror/state';
import {
  drawSelection,
  dropCursor,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
} from '@codemirror/view';
import { yCollab, yUndoManagerKeymap } from 'y-codemirror.next';
import type * as Y from 'yjs';
import type { Language } from '../api/client';
import type { Selection } from '../data/firestore';
import { languageMode } from './languages';
import { remoteCursor, setRemoteCursor, type RemoteCursor } from './remoteCursor';

export interface EditorHandle {
  /** The selected text, or '' when nothing is selected. */
  selectedText: () => string;
}

interface Props {
  text: Y.Text;
  language: Language;
  readOnly: boolean;
  remote: RemoteCursor | null;
  onSelection: (selection: Selection) => void;
  handle?: (handle: EditorHandle | null) => void;
  label: string;
}

export function CodeEditor({ text, language, readOnly, remote, onSelection, handle, label }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const languageSlot = useRef(new Compartment());
  const editableSlot = useRef(new Compartment());
  const onSelectionRef = useRef(onSelection);
  onSelectionRef.current = onSelection;

  useEffect(() => {
    if (!host.current) return undefined;
    const state = EditorState.create({
      doc: text.toString(),
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        drawSelection(),
        dropCursor(),
        indentOnInput(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        bracketMatching(),
        closeBrackets(),
        highlightActiveLine(),
        highlightSelectionMatches(),
        keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...yUndoManagerKeymap, indentWithTab]),
        EditorState.tabSize.of(4),
        languageSlot.current.of(languageMode(language)),
        editableSlot.current.of([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]),
        yCollab(text, null),
        remoteCursor(),
        EditorView.contentAttributes.of({ 'aria-label': label }),
        EditorView.updateListener.of((update) => {
          if (update.selectionSet || update.focusChanged) {
            const main = update.state.selection.main;
            onSelectionRef.current({ anchor: main.anchor, head: main.head });
          }
        }),
      ],
    });
    const created = new EditorView({ state, parent: host.current });
    view.current = created;
    handle?.({
      selectedText: () => {
        const main = created.state.selection.main;
        return created.state.sliceDoc(main.from, main.to);
      },
    });
    return () => {
      handle?.(null);
      created.destroy();
      view.current = null;
    };
    // The view is made once per shared text; the other props are applied below.
  }, [text]);

  useEffect(() => {
    view.current?.dispatch({ effects: languageSlot.current.reconfigure(languageMode(language)) });
  }, [language]);

  useEffect(() => {
    view.current?.dispatch({
      effects: editableSlot.current.reconfigure([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]),
    });
  }, [readOnly]);

  useEffect(() => {
    view.current?.dispatch({ effects: setRemoteCursor.of(remote) });
  }, [remote]);

  return <div className="editor-host" ref={host} data-testid="editor" />;
}
