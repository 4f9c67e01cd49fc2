// Smart punctuation: after an accepted suggestion that ends with a space,
// typing , . ; : ! or ? puts it in the space's place, as a native edit that
// Ctrl+Z undoes. Trusted key events on a <textarea> and a contenteditable,
// on the default model.
import { createPredictor } from '../../dist/index.js';
import { attach } from '../../dist/widget.js';
import { assert, assertEqual } from '../helpers.js';
import { press, type } from './commands.js';
import { MODEL, POLICY, ghostText, recorder, stage } from './util.js';

const FONT = 'font:20px/1.4 "DejaVu Sans",sans-serif;color:#111;background:#fff;';
const plain = (s) => s.replace(/\u00a0/g, ' ');

describe('smart punctuation after an accepted suggestion', () => {
  let predictor;
  let box;
  const handles = [];
  before(async () => {
    predictor = await createPredictor({ model: MODEL });
  });
  after(() => predictor.dispose());
  afterEach(async () => {
    await Promise.all(handles.splice(0).map((h) => h.detach()));
    box?.remove();
  });

  /** Attaches to `el`, types `text` and waits for a suggestion that ends with a space. */
  async function spacedSuggestion(el, text, options = {}) {
    const rec = recorder(el);
    const handle = attach(el, { predictor, ...POLICY, onSuggestion: rec.onSuggestion, ...options });
    handles.push(handle);
    await handle.ready;
    el.focus();
    await type(text);
    await rec.answered();
    const g = ghostText(handle);
    assert(g.endsWith(' ') && g.trim().length > 0, `a suggestion that ends with a space (got ${JSON.stringify(g)})`);
    return g;
  }

  it('<textarea>: Tab, then "," replaces the space; Ctrl+Z brings it back; a letter keeps it', async () => {
    box = stage(`<textarea style='${FONT}width:460px;height:120px'></textarea>`);
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
    box = stage(`<div contenteditable style='${FONT}padding:8px;width:460px;min-height:80px'></div>`);
    const div = box.querySelector('div');
    const text = 'Thank you very mu';
    const g = await spacedSuggestion(div, text);
    await press('Tab');
    assertEqual(plain(div.textContent), text + g, 'accepted with its space');
    await type('.');
    assertEqual(plain(div.textContent), `${text}${g.trimEnd()}.`, 'the full stop took the space\'s place');
  });

  it('smartPunctuation: false leaves the space', async () => {
    box = stage(`<textarea style='${FONT}width:460px;height:120px'></textarea>`);
    const ta = box.querySelector('textarea');
    const text = 'Thank you very mu';
    const g = await spacedSuggestion(ta, text, { smartPunctuation: false });
    await press('Tab');
    await type(',');
    assertEqual(ta.value, `${text}${g},`, 'the comma after the space');
  });
});
