// The autocomplete widget on a <textarea>, driven by trusted key events,
// clipboard paste and DevTools-protocol IME on the shipped default model.
import { createPredictor, InvalidArgumentError } from '../../dist/index.js';
import { attach } from '../../dist/widget.js';
import { assert, assertEqual } from '../helpers.js';
import { ime, paste, press, screenshot, type } from './commands.js';
import { MODEL, POLICY, assertGhostWhereTextLands, expectedSuggestion, ghostElement, ghostText, pause, recorder, stage, waitFor } from './util.js';

// caret-color: transparent and outline: none keep the caret and focus ring out of the pixel checks.
const FIELD = 'font:20px/1.4 "DejaVu Sans",sans-serif;padding:8px 10px;border:2px solid #888;width:460px;height:120px;caret-color:transparent;outline:none;color:#111;background:#fff;';

describe('widget on a <textarea>', () => {
  let predictor;
  let box;
  let ta;
  let rec;
  let handle;

  before(async () => {
    predictor = await createPredictor({ model: MODEL, adapt: false });
  });
  after(() => predictor.dispose());

  beforeEach(async () => {
    box = stage(`<label>Message<br><textarea style='${FIELD}'></textarea></label><button>next</button>`);
    ta = box.querySelector('textarea');
    rec = recorder(ta);
    handle = attach(ta, { predictor, ...POLICY, onSuggestion: rec.onSuggestion });
    await handle.ready;
    ta.focus();
  });
  afterEach(async () => {
    await handle.detach();
    box.remove();
  });

  it('typing shows the model\'s completion as ghost text right after the caret, in the field\'s font', async () => {
    await type('The quick brown fo');
    const event = await rec.answered();
    const want = await expectedSuggestion(predictor, 'The quick brown fo');
    assert(want, 'the model offers a completion mid-word');
    assertEqual(ghostText(handle), want, 'ghost text is the model\'s completion for the text');
    assertEqual(handle.suggestion, want, 'handle.suggestion');
    assertEqual(event.suggestion, want, 'onSuggestion');
    assert(event.latencyMs >= 0, 'latency reported');
    const ghost = getComputedStyle(ghostElement(handle));
    const field = getComputedStyle(ta);
    for (const p of ['fontFamily', 'fontSize', 'lineHeight', 'letterSpacing']) assertEqual(ghost[p], field[p], `ghost ${p}`);
    assert(Number(ghost.opacity) < 1, 'ghost is muted');
    assertEqual(getComputedStyle(handle.overlay).pointerEvents, 'none', 'overlay lets clicks through');
    assertEqual(ta.value, 'The quick brown fo', 'the field holds only what was typed');
    await screenshot('textarea-ghost', '.stage');
    // Grey ghost glyphs and the black accepted glyphs must fall on the same pixels.
    await assertGhostWhereTextLands(handle, press);
    assertEqual(ta.value, `The quick brown fo${want}`, 'Tab inserted the suggestion');
    await screenshot('textarea-accepted', '.stage');
  });

  it('typing the suggestion\'s next character consumes it in the same task (no flicker)', async () => {
    await type('I will see you tomo');
    await rec.answered();
    const g = ghostText(handle);
    assert(g.length >= 2, `a suggestion of two or more characters (got ${JSON.stringify(g)})`);
    const seen = [];
    // Added after attach(), so it runs after the widget's own input listener, before any paint.
    ta.addEventListener('input', () => seen.push(ghostText(handle)), { once: true });
    await type(g[0]);
    assertEqual(seen, [g.slice(1)], 'rest of the suggestion on screen when the keystroke\'s input event ends');
  });

  it('Tab accepts as a native edit: focus stays, Ctrl+Z undoes just the accept, Ctrl+Shift+Z redoes it', async () => {
    await type('Thank you for your lett');
    await rec.answered();
    const g = ghostText(handle);
    assert(g, 'a suggestion');
    await press('Tab');
    assertEqual(ta.value, `Thank you for your lett${g}`, 'accepted');
    assertEqual([ta.selectionStart, ta.selectionEnd], [ta.value.length, ta.value.length], 'caret after the accepted text');
    assert(document.activeElement === ta, 'Tab did not move focus');
    await press('Control+z');
    assertEqual(ta.value, 'Thank you for your lett', 'undo removes the accepted text only');
    await press('Control+Shift+z');
    assertEqual(ta.value, `Thank you for your lett${g}`, 'redo');
  });

  it('Esc dismisses until the text changes; Tab then moves focus as usual', async () => {
    await type('What a wonderful wor');
    await rec.answered();
    assert(ghostText(handle), 'a suggestion');
    await press('Escape');
    assertEqual(ghostText(handle), '', 'dismissed');
    assertEqual(handle.suggestion, null, 'handle.suggestion');
    await pause();
    assertEqual(ghostText(handle), '', 'no answer brings it back while the text is unchanged');
    await press('Tab');
    assert(document.activeElement === box.querySelector('button'), 'Tab with no suggestion moves focus');
    assertEqual(ta.value, 'What a wonderful wor', 'text untouched');
    ta.focus();
    await type('l');
    await rec.answered();
    assertEqual(ghostText(handle) || null, await expectedSuggestion(predictor, 'What a wonderful worl'), 'suggests again after an edit');
  });

  it('Backspace and a trusted paste: the ghost follows the new text', async () => {
    await type('The morning sun rose');
    await rec.answered();
    await press('Backspace', 3);
    await rec.answered('an answer after Backspace');
    assertEqual(ta.value, 'The morning sun r', 'backspaced');
    assertEqual(ghostText(handle) || null, await expectedSuggestion(predictor, 'The morning sun r'), 'ghost after Backspace');
    await paste(' over the distant mou');
    assertEqual(ta.value, 'The morning sun r over the distant mou', 'pasted through the clipboard');
    await rec.answered('an answer after paste');
    const want = await expectedSuggestion(predictor, ta.value);
    assert(want, 'a suggestion after the paste');
    assertEqual(ghostText(handle), want, 'ghost after paste');
  });

  it('never draws over existing text: no ghost with the caret inside a word; at a line end it stays on its line', async () => {
    await type('The quick brown fo');
    await rec.answered();
    assert(ghostText(handle), 'a suggestion at the end');
    await press('ArrowLeft', 4);
    await waitFor(() => ghostText(handle) === '', 'the ghost to go when the caret moves into a word');
    const answers = rec.events.length;
    await pause();
    assertEqual(ghostText(handle), '', 'still no ghost inside a word');
    assertEqual(rec.events.length, answers, 'no prediction shown for a caret inside a word');
    await press('ArrowRight');
    assertEqual(ta.value, 'The quick brown fo', '→ mid-line moves the caret, accepts nothing');
    await press('End');
    await rec.answered('an answer with the caret back at the end');
    assertEqual(ghostText(handle), await expectedSuggestion(predictor, 'The quick brown fo'), 'ghost back at the end');

    // Two lines; the caret at the end of the first.
    await press('Enter');
    await type('and a lazy dog');
    await press('Control+Home');
    await press('End');
    await rec.answered('an answer at the end of line 1');
    const want = await expectedSuggestion(predictor, 'The quick brown fo');
    assert(want, 'a suggestion');
    assertEqual(ghostText(handle), want, 'ghost at the end of line 1 (the model reads only the text before the caret)');
    const rects = ghostElement(handle).getClientRects();
    assertEqual(rects.length, 1, 'one line box');
    const lineHeight = parseFloat(getComputedStyle(ta).lineHeight);
    assert(rects[0].bottom <= ta.getBoundingClientRect().top + 2 + 8 + lineHeight + 1, 'ghost on line 1, clear of line 2');
    await press('ArrowRight');
    assertEqual(ta.value, 'The quick brown fo\nand a lazy dog', '→ at a line end (not the text end) moves the caret, accepts nothing');
    assertEqual(ta.selectionStart, 19, 'caret moved to line 2');
  });

  it('never shows an answer for an old text while typing fast', async () => {
    await type('It was the best of times, it was the wor');
    const last = await rec.answered();
    for (const e of rec.events) assertEqual(e.now, e.text, 'each suggestion shown was for the text in the field at that moment');
    assertEqual(last.suggestion, await expectedSuggestion(predictor, ta.value), 'final suggestion is the model\'s for the final text');
    assertEqual(ghostText(handle) || null, last.suggestion, 'on screen');
  });

  it('an answer that arrives after a newer keystroke is dropped, not shown', async () => {
    await handle.detach();
    // A predictor whose sessions hold back one completion until the test lets it go.
    let hold = false;
    let release;
    const gate = new Promise((r) => (release = r));
    const slow = {
      async session(options) {
        const s = await predictor.session(options);
        return {
          setText: (...a) => s.setText(...a),
          dispose: () => s.dispose(),
          async complete(o) {
            const held = hold;
            hold = false;
            const r = await s.complete(o);
            if (held) await gate;
            return r;
          },
        };
      },
    };
    rec = recorder(ta);
    handle = attach(ta, { predictor: slow, ...POLICY, onSuggestion: rec.onSuggestion });
    await handle.ready;
    ta.focus();
    await type('The quick brown f');
    await rec.answered();
    hold = true;
    await type('o');
    await waitFor(() => hold === false, 'the completion for "…fo" to be requested (and held)');
    await type('r');
    const fresh = await rec.answered();
    assertEqual(fresh.text, 'The quick brown for', 'answer for the newest text');
    const events = rec.events.length;
    release();
    await pause();
    assertEqual(rec.events.length, events, 'the held answer for "…fo" was dropped');
    assertEqual(ghostText(handle) || null, await expectedSuggestion(predictor, 'The quick brown for'), 'ghost still for the newest text');
  });

  it('IME composition works exactly as without the widget, with no suggestion while composing', async () => {
    const plain = document.createElement('textarea');
    plain.style.cssText = FIELD;
    box.append(plain);
    const logOf = (el) => {
      const log = [];
      for (const t of ['keydown', 'compositionstart', 'compositionupdate', 'compositionend', 'beforeinput', 'input']) {
        el.addEventListener(t, (e) => log.push([t, e.data ?? e.key ?? null, e.inputType ?? null, e.defaultPrevented, el.value]));
      }
      return log;
    };
    const session = async (el) => {
      el.focus();
      await type('Hello ');
      await ime([{ compose: 'ㅎ' }, { compose: '하' }, { compose: '한' }]);
      if (el === ta) {
        assertEqual(ghostText(handle), '', 'no ghost while composing');
        await pause();
        assertEqual(ghostText(handle), '', 'no ghost while composing, even after the worker answered');
        assert(rec.events.every((e) => !e.text.includes('한')), 'no suggestion requested for composing text');
      }
      await ime([{ compose: '한그' }, { compose: '한글' }, { commit: '한글' }]);
      await type(' te');
    };
    const plainLog = logOf(plain);
    const widgetLog = logOf(ta);
    await session(plain);
    await session(ta);
    assertEqual(ta.value, 'Hello 한글 te', 'composed text');
    assertEqual(widgetLog, plainLog, 'same events, data, default actions and values as a field without the widget');
    await rec.answered('an answer after the composition');
    assertEqual(ghostText(handle) || null, await expectedSuggestion(predictor, 'Hello 한글 te'), 'suggestions resume after compositionend');
  });

  it('a script that sets the value (no input event) takes the ghost away at the next frame', async () => {
    await type('The quick brown fo');
    await rec.answered();
    const old = ghostText(handle);
    assert(old, 'a suggestion');
    ta.value = 'Sent!';
    await waitFor(() => ghostText(handle) !== old, 'the ghost for the old text to go');
    // Then the widget suggests for the script's text, as for any other.
    await rec.answered('an answer for the script\'s text');
    assertEqual(ghostText(handle) || null, await expectedSuggestion(predictor, 'Sent!'), 'the suggestion for "Sent!", if any');
    ta.setSelectionRange(5, 5);
    await type(' And the next messa');
    await rec.answered();
    assertEqual(ghostText(handle) || null, await expectedSuggestion(predictor, 'Sent! And the next messa'), 'suggests for the new text');
  });

  it('describes the suggestion to assistive technology, and only that', async () => {
    await type('See you tomo');
    await rec.answered();
    const g = ghostText(handle);
    assert(g, 'a suggestion');
    const ids = ta.getAttribute('aria-describedby').split(' ');
    const description = document.getElementById(ids[ids.length - 1]);
    assert(description.textContent.includes(g), `description names the suggestion: ${description.textContent}`);
    assertEqual(description.getAttribute('aria-live'), 'polite', 'live description');
    assertEqual(handle.overlay.getAttribute('aria-hidden'), 'true', 'the drawn ghost is hidden from assistive technology');
    await press('Escape');
    assertEqual(description.textContent, '', 'no description once dismissed');
  });

  it('detach() restores the element and the page exactly', async () => {
    await handle.detach();
    box.remove();
    box = stage(`<textarea aria-describedby="hint" class="x" style='${FIELD}'></textarea><p id="hint">Say hello</p>`);
    ta = box.querySelector('textarea');
    const snapshot = () => [document.body.innerHTML, ta.outerHTML, [...ta.attributes].map((a) => `${a.name}=${a.value}`)];
    const before = snapshot();
    rec = recorder(ta);
    handle = attach(ta, { predictor, ...POLICY, onSuggestion: rec.onSuggestion });
    await handle.ready;
    ta.focus();
    await type('The quick brown fo');
    await rec.answered();
    assert(ghostText(handle), 'working before detach');
    assert(ta.getAttribute('aria-describedby').startsWith('hint '), 'keeps the page\'s own description first');
    const value = ta.value;
    await handle.detach();
    ta.value = '';
    assertEqual(snapshot(), before, 'attributes, DOM and page as before attach');
    assertEqual(value, 'The quick brown fo', 'typed text was untouched');
    const events = rec.events.length;
    await type('Another sente');
    await press('Tab');
    await pause();
    assertEqual(ta.value, 'Another sente', 'no widget: Tab is not taken');
    assertEqual(rec.events.length, events, 'no predictions after detach');
    handle = attach(ta, { predictor, ...POLICY });
    await handle.ready;
  });

  it('rejects what it cannot serve with InvalidArgumentError', async () => {
    const bad = (fn, pattern) => {
      let error;
      try {
        fn();
      } catch (e) {
        error = e;
      }
      assert(error instanceof InvalidArgumentError, `InvalidArgumentError, got ${error}`);
      assert(pattern.test(error.message), error.message);
    };
    const pw = document.createElement('input');
    pw.type = 'password';
    bad(() => attach(pw, { predictor }), /type=password/);
    bad(() => attach(document.createElement('div'), { predictor }), /textarea/);
    bad(() => attach(ta, { predictor }), /already attached/);
    const other = document.createElement('textarea');
    bad(() => attach(other, { predictor, mode: 'sentence' }), /mode/);
    bad(() => attach(other, { predictor, minConfidence: 2 }), /minConfidence/);
    bad(() => attach(other, { predictor, maxChars: 0 }), /maxChars/);
  });
});
