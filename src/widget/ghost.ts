import type { FieldState } from './field.js';
import { selectionOf } from './field.js';

/** Computed styles that decide where text lays out in a text control; copied onto its mirror. */
const LAYOUT = [
  'box-sizing', 'direction', 'writing-mode', 'unicode-bidi',
  'font-family', 'font-size', 'font-weight', 'font-style', 'font-variant', 'font-stretch', 'font-kerning',
  'font-feature-settings', 'font-variation-settings', 'font-size-adjust', 'font-optical-sizing',
  'line-height', 'letter-spacing', 'word-spacing', 'text-indent', 'text-transform', 'text-align',
  'text-rendering', 'tab-size', 'white-space', 'word-break', 'overflow-wrap', 'hyphens',
  'padding-top', 'padding-right', 'padding-bottom', 'padding-left',
  'border-top-width', 'border-right-width', 'border-bottom-width', 'border-left-width',
];
/** What the ghost copies from the text around a contenteditable caret. */
const FONT = [...LAYOUT.slice(4, 15), 'letter-spacing', 'word-spacing', 'text-transform'];

const px = (v: string): number => parseFloat(v) || 0;
const ZWNJ = '\u200c';

function css(el: HTMLElement, rules: Record<string, string>): void {
  for (const [k, v] of Object.entries(rules)) el.style.setProperty(k, v);
}

/**
 * Draws the suggestion after the caret without touching the field: an
 * overlay (pointer-events: none, aria-hidden) appended to the page (the
 * field's shadow root, open dialog or popover, else `<body>`), positioned
 * over the field.
 *
 * - Text controls: a mirror box with the field's box model and typography,
 *   holding the text before and after the caret in transparent ink and the
 *   ghost between them, so it wraps and scrolls exactly as typed text would.
 * - contenteditable: the ghost is placed at the caret's rectangle, in the
 *   font of the text there, clipped to the field.
 */
export class GhostView {
  /** Our one node in the page: the overlay and the accessible description. */
  readonly root = document.createElement('div');
  /** A 0×0 box at the overlay's containing block origin: what positions are measured against. */
  readonly overlay = document.createElement('div');
  /** The element holding the suggestion's text (the render hook's target). */
  readonly ghost = document.createElement('span');
  /** Visually hidden, referenced by the field's aria-describedby. */
  readonly description = document.createElement('div');
  readonly #box = document.createElement('div');
  readonly #before = document.createTextNode('');
  readonly #after = document.createTextNode('');

  constructor(
    readonly element: HTMLElement,
    readonly mirror: boolean,
    id: string,
  ) {
    // all:initial first: page rules (`div { padding }`, `span { font-weight }`) must not reach the overlay.
    const hidden = 'all:initial;position:absolute;top:0;left:0;width:0;height:0;overflow:visible;';
    this.root.style.cssText = hidden;
    this.root.setAttribute('data-nextkey', '');
    this.overlay.style.cssText = hidden + 'pointer-events:none;z-index:2147483646;';
    this.overlay.setAttribute('aria-hidden', 'true');
    this.overlay.className = 'nextkey-overlay';
    this.ghost.className = 'nextkey-ghost';
    this.#box.style.cssText = 'all:initial;position:absolute;overflow:hidden;border-style:solid;border-color:transparent;color:transparent;';
    const ink = 'color:var(--nextkey-ghost-color,var(--nextkey-ink));opacity:var(--nextkey-ghost-opacity,.45);';
    if (mirror) {
      this.ghost.style.cssText = 'all:unset;' + ink;
      this.#box.append(this.#before, this.ghost, this.#after);
    } else {
      this.ghost.style.cssText = 'all:initial;' + ink + 'position:absolute;white-space:pre;overflow:hidden;';
      this.#box.append(this.ghost);
    }
    this.overlay.append(this.#box);
    this.overlay.hidden = true;
    this.description.id = id;
    this.description.setAttribute('aria-live', 'polite');
    this.description.style.cssText = 'all:initial;position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap;';
    this.root.append(this.overlay, this.description);
    const root = element.getRootNode();
    const host = element.closest('dialog,[popover]') ?? (root instanceof ShadowRoot ? root : document.body);
    host.append(this.root);
  }

  /** Shows `text` after the caret of `state`; false when it cannot be drawn there without covering text. */
  show(state: FieldState, text: string, render: (ghost: HTMLElement, suggestion: string) => void): boolean {
    const el = this.element;
    if (!el.isConnected || !el.offsetWidth) return this.hide();
    const cs = getComputedStyle(el);
    const box = this.#box;
    const origin = this.overlay.getBoundingClientRect();
    const r = el.getBoundingClientRect();
    box.style.setProperty('--nextkey-ink', cs.color);
    this.overlay.hidden = false;
    if (this.mirror) {
      const input = el instanceof HTMLInputElement;
      for (const p of LAYOUT) box.style.setProperty(p, cs.getPropertyValue(p));
      const [bt, br, bb, bl] = [cs.borderTopWidth, cs.borderRightWidth, cs.borderBottomWidth, cs.borderLeftWidth].map(px);
      // Scrollbars take their room from the content box; the mirror has none, so pad instead.
      css(box, {
        'box-sizing': 'border-box',
        left: `${r.left - origin.left}px`,
        top: `${r.top - origin.top}px`,
        width: `${el.offsetWidth}px`,
        height: `${el.offsetHeight}px`,
        'padding-right': `${px(cs.paddingRight) + el.offsetWidth - el.clientWidth - bl - br}px`,
        'padding-bottom': `${px(cs.paddingBottom) + el.offsetHeight - el.clientHeight - bt - bb}px`,
      });
      if (input) {
        // One line, vertically centred in the content box as Chromium and Firefox draw an input's text.
        css(box, { 'white-space': 'pre', 'line-height': `${el.clientHeight - px(cs.paddingTop) - px(cs.paddingBottom)}px` });
      }
      // A zero-width non-joiner on each side of the ghost: without it the text's last
      // letter and the ghost's first (conf|idence, dif|ferent) can shape into one
      // ligature glyph (fi, ff, fl, ffi), painted in the mirror's transparent ink.
      this.#before.data = state.before + ZWNJ;
      this.#after.data = ZWNJ + state.after;
      render(this.ghost, text);
      box.scrollTop = el.scrollTop;
      box.scrollLeft = el.scrollLeft;
      // A ghost that wraps at a line end would run over the next line's text in the real field.
      if (state.after && this.ghost.getClientRects().length > 1) return this.hide();
      return true;
    }
    const caret = caretRect(el);
    if (!caret) return this.hide();
    const [bt, bl] = [px(cs.borderTopWidth), px(cs.borderLeftWidth)];
    const left = r.left + bl;
    const top = r.top + bt;
    const room = left + el.clientWidth - px(cs.paddingRight) - caret.x;
    if (room < 1 || caret.top < top || caret.top + caret.height > top + el.clientHeight + 1) return this.hide();
    css(box, {
      left: `${left - origin.left}px`,
      top: `${top - origin.top}px`,
      width: `${el.clientWidth}px`,
      height: `${el.clientHeight}px`,
      'border-width': '0',
      padding: '0',
    });
    const textStyle = getComputedStyle(caret.parent);
    for (const p of FONT) this.ghost.style.setProperty(p, textStyle.getPropertyValue(p));
    box.style.setProperty('--nextkey-ink', textStyle.color);
    css(this.ghost, {
      left: `${caret.x - left}px`,
      top: `${caret.top - top}px`,
      'line-height': `${caret.height}px`,
      'max-width': `${room}px`,
    });
    render(this.ghost, text);
    return true;
  }

  hide(): false {
    this.overlay.hidden = true;
    this.ghost.textContent = '';
    return false;
  }

  remove(): void {
    this.root.remove();
  }
}

/** Where the caret of a contenteditable is drawn: x, line top and height, and the element holding the text there. */
function caretRect(el: HTMLElement): { x: number; top: number; height: number; parent: Element } | null {
  const sel = selectionOf(el);
  if (!sel || !sel.rangeCount) return null;
  const range = sel.getRangeAt(0);
  const node = range.startContainer;
  const offset = range.startOffset;
  const parent = node.nodeType === 1 ? (node as Element) : node.parentElement;
  if (!parent) return null;
  // The box of the character before the caret has the height of the text's
  // inline box, so a ghost of that height lines up on the same baseline.
  if (node.nodeType === 3 && offset > 0) {
    const r = document.createRange();
    r.setStart(node, offset - 1);
    r.setEnd(node, offset);
    const rects = r.getClientRects();
    const last = rects[rects.length - 1];
    if (last && last.height) return { x: last.right, top: last.top, height: last.height, parent };
  }
  const b = range.getBoundingClientRect();
  return b.height ? { x: b.left, top: b.top, height: b.height, parent } : null;
}
