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

/** Where a callout points: the caret's x and the top and bottom of what it must not cover, in viewport pixels. */
interface Anchor {
  x: number;
  top: number;
  bottom: number;
  /** The computed style whose font the suggestion is drawn in. */
  font: CSSStyleDeclaration;
}

/** Border and padding of the callout, left: its text starts this far right of its box, at the caret. */
const INSET = 7;
/** Pixels between the caret's line and the callout (the notch's tip reaches into them). */
const GAP = 4;

const hits = (a: DOMRectReadOnly, b: DOMRectReadOnly): boolean => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

/**
 * Draws the suggestion without touching the field: an overlay
 * (pointer-events: none, aria-hidden) appended to the page (the field's
 * shadow root, open dialog or popover, else `<body>`), positioned over the
 * field.
 *
 * At the end of a line the ghost continues the text:
 * - Text controls: a mirror box with the field's box model and typography,
 *   holding the text before and after the caret in transparent ink and the
 *   ghost between them, so it wraps and scrolls exactly as typed text would.
 * - contenteditable: the ghost is placed at the caret's rectangle, in the
 *   font of the text there, clipped to the field.
 *
 * In the middle of a line the ghost would paint over the text after the
 * caret, so it goes into a callout instead: a small box in the field's
 * font and background whose text starts at the caret's x, just below the
 * caret's line with a notch pointing up at the caret (below an `<input>`,
 * like a dropdown), or just above it when below would cover text after the
 * caret or leave the window. The text after the caret is never covered.
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
  /** Mid-line: the box below or above the caret's line that holds the ghost (class `nextkey-callout`). */
  readonly callout = document.createElement('div');
  readonly #notch = document.createElement('div');
  readonly #box = document.createElement('div');
  readonly #before = document.createTextNode('');
  /** An empty span at the caret in the mirror: where the caret is, once the ghost has moved to the callout. */
  readonly #mark = document.createElement('span');
  readonly #after = document.createTextNode('');
  /** The ghost's colour and opacity, wherever it is. */
  readonly #ink = 'color:var(--nextkey-ghost-color,var(--nextkey-ink));opacity:var(--nextkey-ghost-opacity,.45);';
  /** The ghost's style in line with the text (it changes parent and style in a callout). */
  readonly #inline: string;

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
    const ink = this.#ink;
    this.#inline = mirror ? 'all:unset;' + ink : 'all:initial;' + ink + 'position:absolute;white-space:pre;overflow:hidden;';
    this.#mark.style.cssText = 'all:unset;';
    if (mirror) this.#box.append(this.#before, this.#mark, this.#after);
    this.callout.className = 'nextkey-callout';
    this.callout.style.cssText =
      'all:initial;position:absolute;display:none;white-space:pre;padding:2px 6px;border:1px solid rgba(128,128,128,.5);border-radius:4px;' +
      'box-shadow:0 2px 6px rgba(0,0,0,.2);background:var(--nextkey-callout-background,var(--nextkey-paper));';
    // A square turned 45° on the callout's edge, half outside it: a notch pointing at the caret.
    this.#notch.style.cssText = 'all:initial;position:absolute;width:7px;height:7px;background:inherit;border:solid rgba(128,128,128,.5);';
    this.callout.append(this.#notch);
    this.overlay.append(this.#box, this.callout);
    this.overlay.hidden = true;
    this.description.id = id;
    this.description.setAttribute('aria-live', 'polite');
    this.description.style.cssText = 'all:initial;position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap;';
    this.root.append(this.overlay, this.description);
    const root = element.getRootNode();
    const host = element.closest('dialog,[popover]') ?? (root instanceof ShadowRoot ? root : document.body);
    host.append(this.root);
  }

  /**
   * Shows `text` at the caret of `state`; false when it cannot be drawn there
   * without covering text. `callout`: in the callout beside the caret's line
   * wherever the caret is (a correction offered for the word just typed).
   */
  show(state: FieldState, text: string, render: (ghost: HTMLElement, suggestion: string) => void, callout = false): boolean {
    const el = this.element;
    if (!el.isConnected || !el.offsetWidth) return this.hide();
    const cs = getComputedStyle(el);
    const box = this.#box;
    const ghost = this.ghost;
    const origin = this.overlay.getBoundingClientRect();
    const r = el.getBoundingClientRect();
    // The field's client area: text scrolled out of it is not on screen.
    const inner = new DOMRect(r.left + el.clientLeft, r.top + el.clientTop, el.clientWidth, el.clientHeight);
    const midLine = state.after !== '' && state.after[0] !== '\n';
    this.overlay.style.setProperty('--nextkey-ink', cs.color);
    this.overlay.hidden = false;
    this.callout.style.display = 'none';
    ghost.style.cssText = this.#inline;
    let anchor: Anchor;
    let after: DOMRectReadOnly[];
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
      // Out of the mirror, the ghost leaves the mark where the field draws the caret.
      this.callout.append(ghost);
      box.scrollTop = el.scrollTop;
      box.scrollLeft = el.scrollLeft;
      const m = state.after || callout ? this.#mark.getBoundingClientRect() : null;
      if (!midLine && !callout) {
        this.#mark.after(ghost);
        render(ghost, text);
        // At a line end with more lines after it, a ghost that wraps (or takes the word it
        // ends onto the next line) would run over that line's text in the real field: a callout then.
        if (!m || (ghost.getClientRects().length < 2 && Math.abs(this.#mark.getBoundingClientRect().top - m.top) < 1)) return true;
        this.callout.append(ghost);
      }
      anchor = { x: m!.left, top: input ? r.top : m!.top, bottom: input ? r.bottom : m!.bottom, font: cs };
      // Only the first lines after the caret can lie beside the callout.
      const range = document.createRange();
      range.setStart(this.#after, 0);
      range.setEnd(this.#after, Math.min(this.#after.length, 2000));
      after = [...range.getClientRects()];
      if (m!.top < inner.top - 1 || m!.bottom > inner.bottom + 1 || m!.left < inner.left - 1 || m!.left > inner.right + 1) return this.hide();
    } else {
      const caret = caretRect(el);
      if (!caret) return this.hide();
      const [bt, bl] = [px(cs.borderTopWidth), px(cs.borderLeftWidth)];
      const left = r.left + bl;
      const top = r.top + bt;
      const room = left + el.clientWidth - px(cs.paddingRight) - caret.x;
      if (caret.top < top || caret.top + caret.height > top + el.clientHeight + 1) return this.hide();
      const textStyle = getComputedStyle(caret.parent);
      this.overlay.style.setProperty('--nextkey-ink', textStyle.color);
      if (!midLine && !callout && room >= 1) {
        css(box, {
          left: `${left - origin.left}px`,
          top: `${top - origin.top}px`,
          width: `${el.clientWidth}px`,
          height: `${el.clientHeight}px`,
          'border-width': '0',
          padding: '0',
        });
        box.append(ghost);
        for (const p of FONT) ghost.style.setProperty(p, textStyle.getPropertyValue(p));
        css(ghost, {
          left: `${caret.x - left}px`,
          top: `${caret.top - top}px`,
          'line-height': `${caret.height}px`,
          'max-width': `${room}px`,
        });
        render(ghost, text);
        return true;
      }
      // No room left of the field's edge at a line end: a callout too.
      this.callout.append(ghost);
      anchor = { x: caret.x, top: caret.top, bottom: caret.top + caret.height, font: textStyle };
      after = textRectsAfter(el);
    }
    // In the callout the ghost takes the callout's font.
    ghost.style.cssText = 'all:unset;' + this.#ink;
    return this.#place(anchor, after.filter((q) => q.width && hits(q, inner)), text, render, origin);
  }

  /** Puts the callout below the anchor, or above it when below covers one of `after` (text after the caret) or leaves the window. */
  #place(a: Anchor, after: DOMRectReadOnly[], text: string, render: (ghost: HTMLElement, suggestion: string) => void, origin: DOMRect): true {
    const c = this.callout;
    for (const p of FONT) c.style.setProperty(p, a.font.getPropertyValue(p));
    c.style.setProperty('--nextkey-paper', paperOf(this.element));
    c.style.display = 'block';
    render(this.ghost, text);
    const w = c.offsetWidth;
    const h = c.offsetHeight;
    const view = document.documentElement;
    const left = Math.max(0, Math.min(a.x - INSET, view.clientWidth - w));
    const below = new DOMRect(left, a.bottom + GAP, w, h);
    const above = new DOMRect(left, a.top - GAP - h, w, h);
    const bad = (b: DOMRect): boolean => after.some((q) => hits(q, b));
    const up = (bad(below) || below.bottom > view.clientHeight) && !bad(above) && above.top >= 0;
    const at = up ? above : below;
    css(c, { left: `${at.left - origin.left}px`, top: `${at.top - origin.top}px` });
    css(this.#notch, {
      left: `${a.x - left - 4.5}px`,
      top: up ? 'auto' : '-4.5px',
      bottom: up ? '-4.5px' : 'auto',
      'border-width': up ? '0 1px 1px 0' : '1px 0 0 1px',
      transform: 'rotate(45deg)',
    });
    return true;
  }

  hide(): false {
    this.overlay.hidden = true;
    this.callout.style.display = 'none';
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

/** Client rectangles of the text after a contenteditable's caret, up to 2,000 characters of it. */
function textRectsAfter(el: HTMLElement): DOMRectReadOnly[] {
  const sel = selectionOf(el);
  if (!sel || !sel.rangeCount) return [];
  const caret = sel.getRangeAt(0);
  const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  const rects: DOMRectReadOnly[] = [];
  for (let n: Node | null, seen = 0; (n = walk.nextNode()) && seen < 2000; ) {
    const t = n as Text;
    if (caret.comparePoint(t, t.length) < 1) continue;
    range.selectNodeContents(t);
    if (t === caret.endContainer) range.setStart(t, caret.endOffset);
    seen += t.length;
    rects.push(...range.getClientRects());
  }
  return rects;
}

/** The colour the field's text sits on: its own background, else the nearest ancestor's that is not transparent. */
function paperOf(el: Element): string {
  for (let e: Element | null = el; e; e = e.parentElement) {
    const c = getComputedStyle(e).backgroundColor;
    if (c !== 'transparent' && !/^rgba\(.*,\s*0\)$/.test(c)) return c;
  }
  return 'Canvas';
}
