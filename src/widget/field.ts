/** The text around the selection of a field, as the widget sees it. */
export interface FieldState {
  /** Text before the selection (the text the model continues). */
  before: string;
  /** Text after the selection. */
  after: string;
  /** true when the selection is a caret (nothing selected). */
  caret: boolean;
}

/** What the widget needs from a kind of field. */
export interface Field {
  /** The text around the selection, or null when the selection is not in the field. */
  read(): FieldState | null;
  /** Inserts text at the selection as one native edit (undoable on its own), firing `input`. */
  insert(text: string): void;
  /** Replaces the one character before the caret with `text`, as one native edit. */
  replaceLast(text: string): void;
  /** Replaces the `n` characters (UTF-16 units; whole characters) before the caret with `text`, as one native edit. */
  replaceBefore(n: number, text: string): void;
}

export function sameState(a: FieldState | null, b: FieldState | null): boolean {
  return !!a && !!b && a.before === b.before && a.after === b.after && a.caret === b.caret;
}

function insertFallback(target: HTMLElement, text: string, edit: () => void): void {
  // Only for browsers without execCommand('insertText'): the edit skips the undo stack.
  edit();
  target.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertText', data: text }));
}

/** `<textarea>` and `<input type=text|search>`. */
export function textControl(el: HTMLTextAreaElement | HTMLInputElement): Field {
  return {
    read() {
      const start = el.selectionStart ?? el.value.length;
      const end = el.selectionEnd ?? start;
      return { before: el.value.slice(0, start), after: el.value.slice(end), caret: start === end };
    },
    insert(text) {
      const start = el.selectionStart ?? el.value.length;
      const end = el.selectionEnd ?? start;
      // Setting the selection closes Chromium's open typing command, so the
      // accepted text is its own undo step instead of merging with the typing before it.
      el.setSelectionRange(start, end);
      if (!document.execCommand('insertText', false, text)) {
        insertFallback(el, text, () => el.setRangeText(text, start, end, 'end'));
      }
    },
    replaceLast(text) {
      this.replaceBefore(1, text);
    },
    replaceBefore(n, text) {
      const end = el.selectionEnd ?? el.value.length;
      el.setSelectionRange(Math.max(0, end - n), end);
      this.insert(text);
    },
  };
}

const BLOCK = /^(ADDRESS|ARTICLE|ASIDE|BLOCKQUOTE|DD|DIV|DL|DT|FIGCAPTION|FIGURE|FOOTER|FORM|H[1-6]|HEADER|HR|LI|MAIN|NAV|OL|P|PRE|SECTION|TABLE|TR|UL)$/;

/**
 * Plain text of a fragment cloned from a contenteditable: `<br>` and block
 * boundaries become line breaks (as `innerText` would, without a layout),
 * no-break spaces plain spaces.
 * `open`: the fragment ends at the caret, so the blocks on its last-child
 * chain are still open there (their end is no line break).
 */
function textOf(fragment: Node, open: boolean): string {
  let text = '';
  let pending = false;
  const visit = (node: Node, chainOpen: boolean): void => {
    for (let c = node.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === 3) {
        // Editors keep typed spaces visible as no-break spaces: to the model they are spaces.
        const data = (c as Text).data.replace(/\u00a0/g, ' ');
        if (pending && data) {
          text += '\n';
          pending = false;
        }
        text += data;
      } else if (c.nodeName === 'BR') {
        text += '\n';
        pending = false;
      } else if (c.nodeType === 1) {
        const block = BLOCK.test(c.nodeName);
        const last = chainOpen && !c.nextSibling;
        if (block && text) pending = true;
        visit(c, last);
        if (block && !last) pending = true;
      }
    }
  };
  visit(fragment, open);
  // The caret sits at the start of a new block (an empty line): that is a line break before it.
  if (pending && open) text += '\n';
  return text;
}

/** The selection that holds `el`'s caret (a shadow root has its own in Chromium). */
export function selectionOf(el: HTMLElement): Selection | null {
  const root = el.getRootNode() as Document | (ShadowRoot & { getSelection?: () => Selection | null });
  return (root.getSelection ? root.getSelection() : null) ?? document.getSelection();
}

/** A contenteditable element. */
export function editable(el: HTMLElement): Field {
  const range = (): Range | null => {
    const sel = selectionOf(el);
    if (!sel || sel.rangeCount === 0) return null;
    const r = sel.getRangeAt(0);
    return el.contains(r.startContainer) && el.contains(r.endContainer) ? r : null;
  };
  return {
    read() {
      const r = range();
      if (!r) return null;
      const head = document.createRange();
      head.setStart(el, 0);
      head.setEnd(r.startContainer, r.startOffset);
      const tail = document.createRange();
      tail.setStart(r.endContainer, r.endOffset);
      tail.setEnd(el, el.childNodes.length);
      return { before: textOf(head.cloneContents(), true), after: textOf(tail.cloneContents(), false), caret: r.collapsed };
    },
    insert(text) {
      const r = range();
      const sel = selectionOf(el);
      if (!r || !sel) return;
      // Re-selecting closes the open typing command: the accept becomes its own undo step.
      const kept = r.cloneRange();
      sel.removeAllRanges();
      sel.addRange(kept);
      if (!document.execCommand('insertText', false, text)) {
        insertFallback(el, text, () => {
          kept.deleteContents();
          const node = document.createTextNode(text);
          kept.insertNode(node);
          sel.collapse(node, node.length);
        });
      }
    },
    replaceLast(text) {
      this.replaceBefore(1, text);
    },
    replaceBefore(n, text) {
      const sel = selectionOf(el);
      if (!sel || !range()) return;
      // Extends a character at a time until the selection holds n UTF-16 units (a surrogate pair is one step).
      for (let guard = 0; sel.toString().length < n && guard < n; guard++) sel.modify('extend', 'backward', 'character');
      this.insert(text);
    },
  };
}
