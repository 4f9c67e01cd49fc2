// Ghost text after an "f": in a proportional font the typed "f" and the ghost's
// first letter could form a ligature (fi, ff, fl, ffi, ffl) in the overlay that
// draws them, and that glyph was painted in the typed text's transparent ink,
// so "conf" + "idence" showed as "conf dence". Checked by pixels: the ghost's
// first letter must leave ink where it is laid out, in textarea, input and
// contenteditable, in two proportional fonts.
import { assert } from '../helpers.js';
import { command, type } from './commands.js';
import { ghostElement, widgetSuite, waitFor } from './util.js';

/** Share of a viewport rectangle's pixels (from a real screenshot) that are the ghost's red. */
async function redShare(rect) {
  const x = Math.floor(rect.left);
  const y = Math.floor(rect.top);
  const clip = { x, y, width: Math.ceil(rect.left + rect.width) - x, height: Math.ceil(rect.top + rect.height) - y };
  const b64 = await command('nk-pixels', clip);
  const bitmap = await createImageBitmap(await (await fetch(`data:image/png;base64,${b64}`)).blob());
  const ctx = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d');
  ctx.drawImage(bitmap, 0, 0);
  const { data } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
  let red = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i] > 150 && data[i + 1] < 110 && data[i + 2] < 110) red++;
  return red / (data.length / 4);
}

// typed text, ghost: each pair meets inside a ligature the fonts have
const PAIRS = [['conf', 'idence'], ['dif', 'ferent'], ['af', 'fectionate'], ['sel', 'f'], ['of', 'fice'], ['shuf', 'fle'], ['f', 'lower']];
const FONTS = ['"DejaVu Serif"', '"DejaVu Sans"'];
const FIELDS = {
  textarea: (style) => `<textarea style='${style}width:460px;height:80px;'></textarea>`,
  input: (style) => `<input type="text" style='${style}width:460px;'>`,
  contenteditable: (style) => `<div contenteditable="true" style='${style}width:460px;min-height:40px;'></div>`,
};

describe('ghost text after an "f" (ligatures)', function () {
  this.timeout(0);
  const suite = widgetSuite();
  // The ghost in pure red at full opacity, so its pixels tell from the typed text's black.
  before(() => {
    document.body.style.setProperty('--nextkey-ghost-color', 'rgb(255, 0, 0)');
    document.body.style.setProperty('--nextkey-ghost-opacity', '1');
  });
  after(() => {
    document.body.style.removeProperty('--nextkey-ghost-color');
    document.body.style.removeProperty('--nextkey-ghost-opacity');
  });

  for (const [kind, html] of Object.entries(FIELDS)) {
    for (const font of FONTS) {
      it(`${kind}, ${font}: the ghost's first letter is drawn`, async () => {
        const style = `font:28px/1.4 ${font},serif;padding:6px 8px;border:1px solid #888;caret-color:transparent;outline:none;color:#000;background:#fff;`;
        const box = suite.stage(html(style));
        const el = box.firstElementChild;
        let want = '';
        // The render hook draws the pair's ghost whatever the model suggests.
        const { handle } = await suite.attachTo(el, { render: (ghost) => void (ghost.textContent = want) });
        el.focus();
        for (const [typed, ghost] of PAIRS) {
          want = ghost;
          if ('value' in el) el.value = '';
          else el.textContent = '';
          await type(typed);
          await waitFor(() => !handle.overlay.hidden && ghostElement(handle).textContent === ghost, `the ghost "${ghost}" after "${typed}"`);
          const node = ghostElement(handle).firstChild;
          const r = document.createRange();
          r.setStart(node, 0);
          r.setEnd(node, 1);
          const rect = r.getBoundingClientRect();
          assert(rect.width > 2 && rect.height > 2, `${kind} ${font} "${typed}|${ghost}": the first ghost letter has a box (${JSON.stringify(rect)})`);
          // A glyph painted in transparent ink leaves no red where the letter is laid out.
          const share = await redShare(rect);
          assert(share > 0.04, `${kind} ${font} "${typed}|${ghost}": the first ghost letter's red covers ${(share * 100).toFixed(1)}% of its box`);
        }
      });
    }
  }
});
