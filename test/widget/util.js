// Shared pieces of the widget's end-to-end tests.
import { createPredictor } from '../../dist/index.js';
import { attach, completeOptions, pickSuggestion } from '../../dist/widget.js';
import { assert } from '../helpers.js';
import { command } from './commands.js';

/** The model every widget test runs on: the shipped default model. */
export const MODEL = '/models/default/';

/** Options under test: minConfidence 0 so a suggestion shows for any text, whatever the model's quality. */
export const POLICY = { mode: 'word', minConfidence: 0, maxChars: 16 };

/** Polls `fn` until it returns a truthy value (returned). The timeout only turns a hang into a readable failure. */
export async function waitFor(fn, what, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Lets the worker answer whatever is in flight (a pause, not a timing assertion). */
export const pause = (ms = 400) => new Promise((r) => setTimeout(r, ms));

/** The ghost text on screen for a handle: read from the overlay, '' when hidden. */
export function ghostText(handle) {
  const ghost = handle.overlay.querySelector('.nextkey-ghost');
  return handle.overlay.hidden ? '' : ghost.textContent;
}

export function ghostElement(handle) {
  return handle.overlay.querySelector('.nextkey-ghost');
}

/** Text before the caret of a textarea/input, or of a contenteditable (plain text nodes only). */
export function textBefore(el) {
  if ('selectionStart' in el) return el.value.slice(0, el.selectionStart);
  const r = getSelection().getRangeAt(0);
  const head = document.createRange();
  head.setStart(el, 0);
  head.setEnd(r.startContainer, r.startOffset);
  return head.toString();
}

/**
 * Records every onSuggestion event, with the field's text before the caret at
 * that moment (`now`). `answered()` waits for the first answer, since the last
 * call, that is for the field's current text.
 */
export function recorder(el) {
  const events = [];
  let seen = 0;
  return {
    events,
    onSuggestion: (e) => events.push({ ...e, now: textBefore(el) }),
    async answered(what = 'an answer for the current text') {
      const e = await waitFor(() => {
        const last = events[events.length - 1];
        // The widget reads a contenteditable's no-break spaces as the spaces they stand for.
        return events.length > seen && last.text === textBefore(el).replace(/\u00a0/g, ' ') ? last : null;
      }, what);
      seen = events.length;
      return e;
    },
  };
}

/** What the model says for `text`, computed on a separate session: the widget must show exactly this. */
export async function expectedSuggestion(predictor, text, policy = POLICY) {
  const s = await predictor.session();
  await s.setText(text);
  const r = await s.complete(completeOptions(policy));
  await s.dispose();
  return pickSuggestion(r.completions, policy);
}

/** A fresh box at the top of the page for one test's fields. */
export function stage(html) {
  const box = document.createElement('div');
  box.className = 'stage';
  box.style.cssText = 'padding:16px;background:#fff;';
  box.innerHTML = html;
  document.body.prepend(box);
  return box;
}

/** The text style of the fields the widget tests type into. */
export const FONT = 'font:20px/1.4 "DejaVu Sans",sans-serif;color:#111;background:#fff;';

/** A contenteditable keeps typed and inserted spaces as no-break spaces: its text with plain ones. */
export const plain = (s) => s.replace(/\u00a0/g, ' ');

/**
 * The set-up of a widget suite (call it inside `describe`): one predictor on
 * the default model for the suite; `attachTo(el, options)` attaches the widget
 * with `policy` and a recorder and waits until it is ready; `stage(html)` as
 * above. What they attached and staged is detached and removed after each test.
 */
export function widgetSuite(policy = POLICY) {
  const handles = [];
  const boxes = [];
  const suite = {
    predictor: null,
    async attachTo(el, options = {}) {
      const rec = recorder(el);
      const handle = attach(el, { predictor: suite.predictor, ...policy, onSuggestion: rec.onSuggestion, ...options });
      handles.push(handle);
      await handle.ready;
      return { handle, rec };
    },
    stage(html) {
      const box = stage(html);
      boxes.push(box);
      return box;
    },
  };
  before(async () => {
    // adapt: false: the suites compare the ghost with what a fresh session says; learning mid-test would move it (adaptation: adapt.test.js).
    suite.predictor = await createPredictor({ model: MODEL, adapt: false });
  });
  after(() => suite.predictor.dispose());
  afterEach(async () => {
    await Promise.all(handles.splice(0).map((h) => h.detach()));
    for (const box of boxes.splice(0)) box.remove();
  });
  return suite;
}

/**
 * Pixels of a viewport rectangle from a real screenshot, reduced to an ink
 * mask: a pixel is ink when it is at least half as dark as the darkest pixel
 * in the rectangle, so grey ghost text and black typed text give the same
 * glyph shapes.
 */
export async function inkMask(rect) {
  // Rounded inwards: a column of the glyph before the ghost would set the scale.
  const x = Math.ceil(rect.left);
  const y = Math.ceil(rect.top);
  const clip = { x, y, width: Math.floor(rect.left + rect.width) - x, height: Math.floor(rect.top + rect.height) - y };
  const b64 = await command('nk-pixels', clip);
  const bitmap = await createImageBitmap(await (await fetch(`data:image/png;base64,${b64}`)).blob());
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, 0, 0);
  const { data } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
  const dark = new Float32Array(data.length / 4);
  let max = 0;
  for (let i = 0; i < dark.length; i++) {
    dark[i] = 255 - (data[4 * i] * 0.299 + data[4 * i + 1] * 0.587 + data[4 * i + 2] * 0.114);
    max = Math.max(max, dark[i]);
  }
  assert(max > 40, `no ink in the rectangle ${JSON.stringify(clip)}`);
  return Array.from(dark, (d) => d >= max / 2);
}

/** Intersection over union of two ink masks. */
export function overlap(a, b) {
  let both = 0;
  let either = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] && b[i]) both++;
    if (a[i] || b[i]) either++;
  }
  return either ? both / either : 0;
}

/**
 * The ghost must be drawn where the text lands once accepted, in the same
 * font: the ink of the ghost (grey) and of the accepted text (black) in the
 * ghost's rectangle (within the field's padding box) must coincide. Accepts with Tab.
 */
export async function assertGhostWhereTextLands(handle, press) {
  const el = handle.element;
  const g = ghostElement(handle).getBoundingClientRect();
  const f = el.getBoundingClientRect();
  const inner = { left: f.left + el.clientLeft, top: f.top + el.clientTop };
  const left = Math.max(g.left, inner.left);
  const top = Math.max(g.top, inner.top);
  const right = Math.min(g.right, inner.left + el.clientWidth);
  const bottom = Math.min(g.bottom, inner.top + el.clientHeight);
  const rect = { left, top, width: right - left, height: bottom - top };
  assert(rect.width > 2 && rect.height > 2, `ghost visible in the field: ${JSON.stringify(g)}`);
  const ghostInk = await inkMask(rect);
  await press('Tab');
  const textInk = await inkMask(rect);
  const iou = overlap(ghostInk, textInk);
  assert(iou >= 0.8, `ghost and accepted text overlap only ${iou.toFixed(2)} (intersection over union of their ink)`);
  return iou;
}

/** A plain <textarea> with the widget attached (POLICY), a recorder of its answers, and focus. */
export async function focusedTextarea(predictor) {
  const box = stage('<textarea style="font:18px sans-serif;width:400px;height:80px"></textarea>');
  const ta = box.querySelector('textarea');
  const rec = recorder(ta);
  const handle = attach(ta, { predictor, ...POLICY, onSuggestion: rec.onSuggestion });
  await handle.ready;
  ta.focus();
  return { box, ta, rec, handle };
}
