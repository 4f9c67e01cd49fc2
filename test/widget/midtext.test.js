// Suggestions with the caret in the middle of a line (issue 19): offered
// before a space or punctuation, never inside a word; drawn in a callout
// beside the caret's line so the text after the caret stays in view; Tab
// inserts at the caret and leaves that text as it was. Trusted key events on
// a <textarea>, an <input> and a contenteditable, on the default model.
import { completeOptions, nextWordLength, pickSuggestion } from '../../dist/widget.js';
import { assert, assertEqual } from '../helpers.js';
import { press, screenshot, type } from './commands.js';
import { POLICY, ghostElement, ghostText, inkMask, overlap, pause, plain, textBefore, waitFor, widgetSuite } from './util.js';

// A visible caret: the screenshots show where the suggestion goes. The pixel
// checks below leave out the caret's column.
const FONT = 'font:20px/1.4 "DejaVu Sans",sans-serif;outline:none;color:#111;background:#fff;';

/**
 * What the widget must show with the caret at `cursor` in `value`: a fresh
 * session's pick for that text and caret, less its closing space where the
 * text after the caret starts with a space or punctuation (it has one there).
 */
async function expectedAt(predictor, value, cursor) {
  const s = await predictor.session();
  await s.setText(value, { cursor });
  const r = await s.complete(completeOptions(POLICY));
  await s.dispose();
  const pick = pickSuggestion(r.completions, POLICY);
  if (!pick || !/^[ ,.;:!?]/.test(value.slice(cursor))) return pick;
  const fitted = pick.replace(/\s+$/, '');
  return [...fitted].length < 2 ? null : fitted;
}

/**
 * Where a <textarea> or <input> lays out its text from `start` on, measured
 * by the test itself (not the widget): a fixed box with the field's box and
 * text style over it, transparent, holding the same text. The rects of that
 * text, clipped to the field's client area, and the caret's x.
 */
function controlLayout(el, start) {
  const cs = getComputedStyle(el);
  const r = el.getBoundingClientRect();
  const input = el instanceof HTMLInputElement;
  const m = document.createElement('div');
  for (const p of ['font-family', 'font-size', 'font-weight', 'line-height', 'letter-spacing', 'word-spacing', 'tab-size',
    'padding-top', 'padding-right', 'padding-bottom', 'padding-left',
    'border-top-width', 'border-right-width', 'border-bottom-width', 'border-left-width']) {
    m.style.setProperty(p, cs.getPropertyValue(p));
  }
  Object.assign(m.style, {
    position: 'fixed', left: `${r.left}px`, top: `${r.top}px`, width: `${r.width}px`, height: `${r.height}px`, margin: '0',
    boxSizing: 'border-box', borderStyle: 'solid', borderColor: 'transparent', color: 'transparent', overflow: 'hidden',
    whiteSpace: input ? 'pre' : 'pre-wrap', overflowWrap: 'break-word', pointerEvents: 'none',
  });
  // An input centres its one line in the content box.
  if (input) m.style.lineHeight = `${el.clientHeight - parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom)}px`;
  const rest = document.createElement('span');
  rest.textContent = el.value.slice(start);
  m.append(el.value.slice(0, start), rest);
  document.body.append(m);
  m.scrollTop = el.scrollTop;
  m.scrollLeft = el.scrollLeft;
  const client = clientBox(el);
  const rects = [...rest.getClientRects()].map((q) => clip(q, client)).filter(Boolean);
  const caretX = rest.getClientRects()[0].left;
  m.remove();
  return { rects, caretX };
}

/** The rects of a contenteditable's text after its caret (Range rects), clipped to its client area, and the caret's x. */
function editableLayout(el) {
  const sel = getSelection().getRangeAt(0);
  const rest = document.createRange();
  rest.setStart(sel.endContainer, sel.endOffset);
  rest.setEnd(el, el.childNodes.length);
  const client = clientBox(el);
  const rects = [...rest.getClientRects()].map((q) => clip(q, client)).filter(Boolean);
  const first = rest.cloneRange();
  first.setEnd(sel.endContainer, sel.endOffset + 1);
  return { rects, caretX: first.getClientRects()[0].left };
}

const clientBox = (el) => {
  const r = el.getBoundingClientRect();
  return new DOMRect(r.left + el.clientLeft, r.top + el.clientTop, el.clientWidth, el.clientHeight);
};

function clip(q, box) {
  const left = Math.max(q.left, box.left);
  const top = Math.max(q.top, box.top);
  const right = Math.min(q.right, box.right);
  const bottom = Math.min(q.bottom, box.bottom);
  return right - left > 0.5 && bottom - top > 0.5 ? new DOMRect(left, top, right - left, bottom - top) : null;
}

const hits = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

/**
 * Nothing drawn covers the text after the caret: the ghost's rects and the
 * callout's box intersect none of `rects`; the ghost's text starts at the
 * caret's x; and the ink of that text on screen is the same with the
 * suggestion up as once it is dismissed (Escape). Returns where the callout
 * went relative to the caret's line.
 */
async function assertClearOfText(handle, { rects, caretX }, name) {
  assert(rects.length > 0, 'text after the caret to check against');
  const callout = handle.overlay.querySelector('.nextkey-callout');
  const ghost = ghostElement(handle);
  assertEqual(ghost.parentElement, callout, 'mid-line the ghost is in the callout');
  const drawn = [callout.getBoundingClientRect(), ...ghost.getClientRects()];
  for (const d of drawn) {
    for (const q of rects) assert(!hits(d, q), `drawn box ${JSON.stringify(d)} covers text after the caret ${JSON.stringify(q)}`);
  }
  const g = ghost.getClientRects()[0];
  assert(Math.abs(g.left - caretX) <= 1.5, `the suggestion starts at the caret's x (${g.left} vs ${caretX})`);
  assert(getComputedStyle(ghost).fontFamily === getComputedStyle(handle.element).fontFamily, 'in the field\'s font');
  assert(Number(getComputedStyle(ghost).opacity) < 1, 'muted');
  await screenshot(name);
  // Pixels: each line of the text after the caret, less the caret's column, looks the same without the suggestion.
  const regions = rects.map((q) => (Math.abs(q.left - caretX) < 2 ? clip(q, new DOMRect(caretX + 3, q.top, 1e4, q.height)) : q)).filter((q) => q && q.width > 4);
  const shown = [];
  for (const q of regions) shown.push(await inkMask(q));
  const text = handle.suggestion;
  await press('Escape');
  await waitFor(() => ghostText(handle) === '', 'Escape to dismiss the mid-line suggestion');
  for (let i = 0; i < regions.length; i++) {
    const iou = overlap(shown[i], await inkMask(regions[i]));
    assert(iou >= 0.99, `text after the caret looks the same with the suggestion up (ink overlap ${iou.toFixed(3)})`);
  }
  const lineTop = Math.min(...rects.map((q) => q.top));
  return { text, above: drawn[0].bottom <= lineTop + 1 };
}

describe('suggestions with the caret in the middle of a line', () => {
  const suite = widgetSuite();

  /** Types `text`, then presses ← `left` times; resolves to the answer for that caret. */
  async function typeAndStepBack(el, rec, text, left) {
    el.focus();
    await type(text);
    await press('ArrowLeft', left);
    return rec.answered('an answer for the caret moved back into the text');
  }

  it('<textarea>: offered before a space, drawn below the line clear of the text, Tab inserts at the caret, Ctrl+Z undoes', async () => {
    const box = suite.stage(`<textarea style='${FONT}padding:8px 10px;border:2px solid #888;width:460px;height:130px'></textarea>`);
    const ta = box.querySelector('textarea');
    const { handle, rec } = await suite.attachTo(ta);
    const event = await typeAndStepBack(ta, rec, 'I will see you tomo at noon.', 9);
    assertEqual(ta.selectionStart, 19, 'caret after "tomo"');
    const want = await expectedAt(suite.predictor, ta.value, 19);
    assert(want, 'a suggestion for the caret before " at noon."');
    assertEqual(ghostText(handle), want, 'ghost');
    assertEqual(event.suggestion, want, 'onSuggestion');
    const description = document.getElementById(ta.getAttribute('aria-describedby'));
    assert(description.textContent.includes(`Suggestion: ${want}.`), `described: ${description.textContent}`);
    assert(!/Right Arrow/.test(description.textContent), `names no arrow key (they move the caret mid-line): ${description.textContent}`);

    const placed = await assertClearOfText(handle, controlLayout(ta, 19), 'midtext-textarea');
    assert(!placed.above, 'below the line: nothing after it there');

    // Back: typing its first letter keeps the rest; Tab inserts it at the caret.
    await press('ArrowRight');
    await press('ArrowLeft');
    await rec.answered('an answer after moving the caret away and back');
    assertEqual(ghostText(handle), want, 'the same suggestion again');
    await type(want[0]);
    await waitFor(() => ghostText(handle) === want.slice(1), 'typing its first letter to keep the rest');
    await press('Tab');
    assertEqual(ta.value, `I will see you tomo${want} at noon.`, 'inserted at the caret, the rest intact');
    assertEqual([ta.selectionStart, ta.selectionEnd], [19 + want.length, 19 + want.length], 'caret right after the inserted text');
    await screenshot('midtext-textarea-accepted');
    await press('Control+z');
    assertEqual(ta.value, `I will see you tomo${want[0]} at noon.`, 'Ctrl+Z undoes just the accept');
  });

  it('<textarea>: with text on the next line the callout goes above, still clear of every character after the caret', async () => {
    const box = suite.stage(`<textarea style='${FONT}padding:8px 10px;border:2px solid #888;width:460px;height:130px;margin-top:40px'></textarea>`);
    const ta = box.querySelector('textarea');
    const { handle, rec } = await suite.attachTo(ta);
    ta.focus();
    await type('Dear Anna,\nI will see you tomo at noon.\nThen we can talk about it.');
    await press('ArrowUp');
    await press('End');
    await press('ArrowLeft', 9);
    await rec.answered('an answer mid-line on line 2');
    const at = ta.selectionStart;
    assertEqual(ta.value.slice(at, at + 4), ' at ', 'caret after "tomo" on line 2');
    const want = await expectedAt(suite.predictor, ta.value, at);
    assert(want, 'a suggestion');
    assertEqual(ghostText(handle), want, 'ghost');
    const placed = await assertClearOfText(handle, controlLayout(ta, at), 'midtext-textarea-above');
    assert(placed.above, 'above the line: below it is line 3');
    await press('ArrowLeft');
    await press('ArrowRight');
    await rec.answered('an answer after moving back');
    await press('Tab');
    assertEqual(ta.value, `Dear Anna,\nI will see you tomo${want} at noon.\nThen we can talk about it.`, 'inserted at the caret, both lines after intact');
    assertEqual(ta.selectionStart, at + want.length, 'caret after the inserted text');
  });

  it('<textarea>: nothing inside a word; → and Ctrl+→ move the caret mid-line; midLine: false keeps to line ends', async () => {
    const box = suite.stage(`<textarea style='${FONT}width:460px;height:100px'></textarea>`);
    const ta = box.querySelector('textarea');
    const { handle, rec } = await suite.attachTo(ta);
    await typeAndStepBack(ta, rec, 'I will see you tomo at noon.', 9);
    assert(ghostText(handle), 'a suggestion before " at"');
    await press('ArrowRight');
    assertEqual([ta.value, ta.selectionStart], ['I will see you tomo at noon.', 20], '→ mid-line moved the caret and took nothing');
    await press('ArrowRight', 2); // "at| noon": served (a space follows)
    // Typing the text went through "…at n" at its end (served there): only events from now on count.
    const seen = rec.events.length;
    await press('ArrowRight', 2); // "n|oon"
    assertEqual(ta.value.slice(0, ta.selectionStart), 'I will see you tomo at n', 'caret inside "noon"');
    await pause();
    assertEqual(ghostText(handle), '', 'no ghost inside a word');
    assert(!rec.events.slice(seen).some((e) => e.text === 'I will see you tomo at n'), 'no prediction shown for a caret inside a word');
    await press('Control+ArrowLeft'); // start of "noon": still inside the text of a word
    await pause();
    assertEqual(ghostText(handle), '', 'no ghost at the start of a word');
    await press('ArrowLeft', 4); // "tomo| at"
    await rec.answered('an answer before " at"');
    assert(ghostText(handle), 'a suggestion again');
    await press('Control+ArrowRight');
    assertEqual(ta.value, 'I will see you tomo at noon.', 'Ctrl+→ mid-line accepts nothing');
    assert(ta.selectionStart > 19, 'and moves the caret as usual');

    await handle.detach();
    const off = await suite.attachTo(ta, { midLine: false });
    ta.setSelectionRange(19, 19);
    ta.blur();
    ta.focus();
    await pause();
    assertEqual(ghostText(off.handle), '', 'midLine: false: no suggestion mid-line');
    await press('End');
    const end = await off.rec.answered('an answer at the end');
    assertEqual(end.text, ta.value, 'line ends still served');
  });

  it('<textarea>: at a line end with a line after it, a suggestion too long for the line goes in the callout too', async () => {
    const box = suite.stage(`<textarea style='${FONT}padding:8px 10px;border:2px solid #888;height:130px;margin-top:40px;overflow:hidden;box-sizing:border-box'></textarea>`);
    const ta = box.querySelector('textarea');
    // Line 1 just fits: no suggestion fits after it.
    const probe = document.createElement('span');
    probe.style.cssText = `${FONT}white-space:pre`;
    probe.textContent = 'The quick brown fo';
    document.body.append(probe);
    ta.style.width = `${Math.ceil(probe.getBoundingClientRect().width) + 2 + 20 + 4}px`;
    probe.remove();
    const { handle, rec } = await suite.attachTo(ta);
    ta.focus();
    await type('The quick brown fo\nand a lazy dog');
    await press('ArrowUp');
    await press('End');
    await rec.answered('an answer at the end of line 1');
    assertEqual(ta.selectionStart, 18, 'caret at the end of line 1');
    const want = await expectedAt(suite.predictor, ta.value, 18);
    assert(want, 'a suggestion');
    assertEqual(ghostText(handle), want, 'ghost, with its closing space (a line break follows)');
    // Below line 1, beside the end of the shorter line 2, or above line 1: wherever it covers none of line 2.
    await assertClearOfText(handle, controlLayout(ta, 18), 'midtext-textarea-line-end');
    await press('ArrowLeft');
    await press('End');
    await rec.answered('an answer back at the end of line 1');
    await press('Tab');
    assertEqual(ta.value, `The quick brown fo${want}\nand a lazy dog`, 'Tab inserts it at the end of line 1');
  });

  it('<input>: the callout hangs below the field like a dropdown; Tab and the next-word key insert at the caret', async () => {
    const box = suite.stage(`<input type="text" style='${FONT}padding:6px 8px;border:1px solid #888;width:420px;height:44px;box-sizing:border-box'><p style="margin:40px 0 0">Below</p>`);
    const input = box.querySelector('input');
    const { handle, rec } = await suite.attachTo(input, { acceptWordKeys: ['Control+ArrowRight', 'Alt+w'] });
    await typeAndStepBack(input, rec, 'Shall I compare thee to a summ, my love?', 10);
    const at = input.selectionStart;
    assertEqual(input.value.slice(0, at), 'Shall I compare thee to a summ', 'caret after "summ"');
    const want = await expectedAt(suite.predictor, input.value, at);
    assert(want, 'a suggestion before ", my love?"');
    assertEqual(ghostText(handle), want, 'ghost (no closing space before the comma)');
    const placed = await assertClearOfText(handle, controlLayout(input, at), 'midtext-input');
    assert(!placed.above, 'below');
    const callout = handle.overlay.querySelector('.nextkey-callout');
    await press('ArrowLeft');
    await press('ArrowRight');
    await rec.answered('an answer after moving back');
    assert(callout.getBoundingClientRect().top >= input.getBoundingClientRect().bottom, 'below the field, not over its text');
    const word = want.slice(0, nextWordLength(want));
    await press('Alt+w');
    assertEqual(input.value, `Shall I compare thee to a summ${word}, my love?`, 'the next-word key inserted at the caret, the rest intact');
    assertEqual(input.selectionStart, at + word.length, 'caret after it');
    await press('Control+z');
    assertEqual(input.value, 'Shall I compare thee to a summ, my love?', 'undo');
  });

  it('contenteditable: offered before punctuation, drawn clear of the text after the caret (Range rects), Tab inserts at the caret', async () => {
    const box = suite.stage(`<div contenteditable style='${FONT}padding:8px 10px;border:2px solid #888;width:460px;min-height:90px'></div>`);
    const div = box.querySelector('div');
    const { handle, rec } = await suite.attachTo(div);
    await typeAndStepBack(div, rec, 'All the world\'s a sta, and all the men', 17);
    const before = plain(textBefore(div));
    assertEqual(before, 'All the world\'s a sta', 'caret after "sta"');
    const value = plain(div.textContent);
    const want = await expectedAt(suite.predictor, value, before.length);
    assert(want, 'a suggestion before ", and all"');
    assertEqual(ghostText(handle), want, 'ghost');
    const placed = await assertClearOfText(handle, editableLayout(div), 'midtext-contenteditable');
    assert(!placed.above, 'below the line');
    await press('ArrowLeft');
    await press('ArrowRight');
    await rec.answered('an answer after moving back');
    await press('Tab');
    assertEqual(plain(div.textContent), `All the world's a sta${want}, and all the men`, 'inserted at the caret, the rest intact');
    assertEqual(plain(textBefore(div)), `All the world's a sta${want}`, 'caret right after the inserted text');
    await press('Control+z');
    assertEqual(plain(div.textContent), value, 'Ctrl+Z undoes just the accept');
  });
});
