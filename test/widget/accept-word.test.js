// Accepting a suggestion word by word (Ctrl+→, ⌘+→, acceptWord()) on a
// <textarea>, an <input> and a contenteditable, with trusted key events on
// the default model in phrase mode.
import { attach, nextWordLength } from '../../dist/widget.js';
import { assert, assertEqual } from '../helpers.js';
import { press, type } from './commands.js';
import { FONT, expectedSuggestion, ghostText, pause, plain, textBefore, widgetSuite } from './util.js';

/** Phrase mode, and minConfidence 0 so a phrase shows for any text, whatever the model's quality. */
const PHRASE = { mode: 'phrase', minConfidence: 0, maxChars: 32 };

describe('accepting the next word of a suggestion', () => {
  const suite = widgetSuite(PHRASE);
  const attachTo = async (el, options = {}) => {
    const attached = await suite.attachTo(el, options);
    el.focus();
    return attached;
  };

  /** Types `text`, waits for the model's phrase for it and checks it has more than one word. */
  async function phraseAfter(el, handle, rec, text) {
    await type(text);
    await rec.answered();
    const g = ghostText(handle);
    assertEqual(g, await expectedSuggestion(suite.predictor, plain(textBefore(el)), PHRASE), 'ghost is the policy\'s phrase');
    assert(nextWordLength(g) < g.length, `a suggestion of more than one word (got ${JSON.stringify(g)})`);
    return g;
  }

  /**
   * Presses `key` and checks: the field holds the text and the phrase's next
   * word, the caret after it, the rest of the phrase on screen as the key's
   * input event ends (no flicker), then the model's next suggestion.
   */
  async function acceptWordWith(el, handle, rec, key, value) {
    const before = plain(textBefore(el));
    const g = ghostText(handle);
    const word = g.slice(0, nextWordLength(g));
    const seen = [];
    el.addEventListener('input', () => seen.push(ghostText(handle)), { once: true });
    await press(key);
    assertEqual(plain(value()), before + word, `${key} inserted the next word ${JSON.stringify(word)}`);
    assertEqual(plain(textBefore(el)), before + word, 'caret after it');
    assertEqual(seen, [g.slice(word.length)], 'the rest of the phrase on screen when the input event ends');
    await rec.answered('an answer for the text with the word');
    assertEqual(ghostText(handle) || null, await expectedSuggestion(suite.predictor, before + word, PHRASE), 'then the model\'s suggestion for the new text');
    return word;
  }


  it('<textarea>: Ctrl+→ and ⌘+→ take one word each as native edits; Ctrl+Z undoes one; Tab takes the rest', async () => {
    const box = suite.stage(`<textarea style='${FONT}width:460px;height:120px'></textarea>`);
    const ta = box.querySelector('textarea');
    const { handle, rec } = await attachTo(ta);
    const text = 'I don\'t know what';
    await phraseAfter(ta, handle, rec, text);
    const w1 = await acceptWordWith(ta, handle, rec, 'Control+ArrowRight', () => ta.value);
    const w2 = await acceptWordWith(ta, handle, rec, 'Meta+ArrowRight', () => ta.value);
    assert(document.activeElement === ta, 'focus stays');
    // Each undo and redo is answered before the next key, so an answer for an
    // earlier text that matches this one cannot stand in for this one's.
    await press('Control+z');
    assertEqual(ta.value, text + w1, 'undo removes the last word only');
    await rec.answered('an answer after the first undo');
    await press('Control+z');
    assertEqual(ta.value, text, 'and then the first');
    await rec.answered('an answer after the second undo');
    await press('Control+Shift+z');
    assertEqual(ta.value, text + w1, 'redo');
    await rec.answered('an answer after redo');
    const g = ghostText(handle);
    assert(g, 'a suggestion');
    await press('Tab');
    assertEqual(ta.value, text + w1 + g, 'Tab still takes all of it');
    assert(w2, 'second word');
  });

  it('<input type=text>: Ctrl+→ takes the next word; acceptWord() does the same from script', async () => {
    const box = suite.stage(`<input type="text" style='${FONT}width:520px'>`);
    const input = box.querySelector('input');
    const { handle, rec } = await attachTo(input);
    await phraseAfter(input, handle, rec, 'It was the be');
    const w1 = await acceptWordWith(input, handle, rec, 'Control+ArrowRight', () => input.value);
    await press('Control+z');
    assertEqual(input.value, 'It was the be', 'undo');
    await rec.answered('an answer after undo');
    const g = ghostText(handle);
    assertEqual(g.slice(0, nextWordLength(g)), w1, 'the same phrase again');
    assertEqual(handle.acceptWord(), true, 'acceptWord() with a suggestion');
    assertEqual(input.value, `It was the be${w1}`, 'acceptWord() inserted the next word');
    assertEqual(ghostText(handle), g.slice(w1.length), 'the rest stays on screen');
    await press('Escape');
    assertEqual(handle.acceptWord(), false, 'acceptWord() with nothing on screen');
    assertEqual(input.value, `It was the be${w1}`, 'nothing inserted');
  });

  it('contenteditable: Ctrl+→ takes the next word; Ctrl+Z undoes it', async () => {
    const box = suite.stage(`<div contenteditable style='${FONT}padding:8px;width:460px;min-height:80px'></div>`);
    const div = box.querySelector('div');
    const { handle, rec } = await attachTo(div);
    await phraseAfter(div, handle, rec, 'Thank you very mu');
    const w1 = await acceptWordWith(div, handle, rec, 'Control+ArrowRight', () => div.textContent);
    await acceptWordWith(div, handle, rec, 'Control+ArrowRight', () => div.textContent);
    await press('Control+z');
    assertEqual(plain(div.textContent), `Thank you very mu${w1}`, 'undo removes the last word');
  });

  it('the keys are configurable; arrow keys take nothing with text after the caret; other modifiers move the caret as usual', async () => {
    const box = suite.stage(`<textarea style='${FONT}width:460px;height:120px'></textarea>`);
    const ta = box.querySelector('textarea');
    const { handle, rec } = await attachTo(ta, { acceptWordKeys: ['Alt+w'] });
    await phraseAfter(ta, handle, rec, 'Once upon a ti');
    await press('Control+ArrowRight');
    await press('Shift+Tab');
    ta.focus();
    assertEqual(ta.value, 'Once upon a ti', 'Ctrl+→ and Shift+Tab are not ours here');
    await rec.answered('an answer after focus');
    await acceptWordWith(ta, handle, rec, 'Alt+w', () => ta.value);

    // Caret at the end of line 1 with a line 2 after it: Ctrl+→ moves on as usual.
    await handle.detach();
    ta.value = 'The quick brown fo\nand a lazy dog';
    ta.setSelectionRange(18, 18);
    const { handle: h2, rec: rec2 } = await attachTo(ta);
    await press('End');
    await rec2.answered('an answer at the end of line 1');
    assert(ghostText(h2), 'a suggestion at the end of line 1');
    await press('Control+ArrowRight');
    await pause(100);
    assertEqual(ta.value, 'The quick brown fo\nand a lazy dog', 'Ctrl+→ before more text accepts nothing');
    assert(ta.selectionStart > 18, 'and moves the caret');
  });

  it('rejects keys it cannot read', async () => {
    const other = document.createElement('textarea');
    for (const bad of [['Hyper+ArrowRight'], 'Control+ArrowRight', [''], [1]]) {
      let error;
      try {
        attach(other, { predictor: suite.predictor, acceptWordKeys: bad });
      } catch (e) {
        error = e;
      }
      assert(error && error.name === 'InvalidArgumentError' && /acceptWordKeys/.test(error.message), `${JSON.stringify(bad)}: ${error}`);
    }
  });
});
