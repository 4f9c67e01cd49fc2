// Smart punctuation: after an accepted suggestion that ends with a space,
// typing , . ; : ! or ? puts it in the space's place, as a native edit that
// Ctrl+Z undoes. Trusted key events on a <textarea> and a contenteditable,
// on the default model.
import { assert, assertEqual } from '../helpers.js';
import { press, type } from './commands.js';
import { FONT, ghostText, plain, widgetSuite } from './util.js';

describe('smart punctuation after an accepted suggestion', () => {
  const suite = widgetSuite();

  /** Attaches to `el`, types `text` and waits for a suggestion that ends with a space. */
  async function spacedSuggestion(el, text, options = {}) {
    const { handle, rec } = await suite.attachTo(el, options);
    el.focus();
    await type(text);
    await rec.answered();
    const g = ghostText(handle);
    assert(g.endsWith(' ') && g.trim().length > 0, `a suggestion that ends with a space (got ${JSON.stringify(g)})`);
    return g;
  }

  it('<textarea>: Tab, then "," replaces the space; Ctrl+Z brings it back; a letter keeps it', async () => {
    const box = suite.stage(`<textarea style='${FONT}width:460px;height:120px'></textarea>`);
    const ta = box.querySelector('textarea');
    const text = 'Thank you very mu';
    const g = await spacedSuggestion(ta, text);
    await press('Tab');
    assertEqual(ta.value, text + g, 'accepted with its space');
    await type(',');
    assertEqual(ta.value, `${text}${g.trimEnd()},`, 'the comma took the space\'s place');
    assertEqual(ta.selectionStart, ta.value.length, 'caret after the comma');
    await press('Control+z');
    assertEqual(ta.value, text + g, 'undo: the space is back, the comma gone');
    await press('End'); // undo re-selects the space it restored
    await type('a');
    assertEqual(ta.value, `${text}${g}a`, 'a letter after the space is typed as usual');
    await type('.');
    assertEqual(ta.value, `${text}${g}a.`, 'and only right after an accept');
  });

  it('contenteditable: Tab, then "." replaces the space', async () => {
    const box = suite.stage(`<div contenteditable style='${FONT}padding:8px;width:460px;min-height:80px'></div>`);
    const div = box.querySelector('div');
    const text = 'Thank you very mu';
    const g = await spacedSuggestion(div, text);
    await press('Tab');
    assertEqual(plain(div.textContent), text + g, 'accepted with its space');
    await type('.');
    assertEqual(plain(div.textContent), `${text}${g.trimEnd()}.`, 'the full stop took the space\'s place');
  });

  it('smartPunctuation: false leaves the space', async () => {
    const box = suite.stage(`<textarea style='${FONT}width:460px;height:120px'></textarea>`);
    const ta = box.querySelector('textarea');
    const text = 'Thank you very mu';
    const g = await spacedSuggestion(ta, text, { smartPunctuation: false });
    await press('Tab');
    await type(',');
    assertEqual(ta.value, `${text}${g},`, 'the comma after the space');
  });
});
