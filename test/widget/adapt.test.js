// Once is enough, with real keys: two fields with the widget and no predictor
// of their own share the page's predictor, and so what it learns. A name typed
// in the first (the model has never seen it) is offered in the second after
// its first letters; a page whose widgets were made with adapt off is not.
import { createPredictor } from '../../dist/index.js';
import { attach } from '../../dist/widget.js';
import { assert } from '../helpers.js';
import { screenshot, type } from './commands.js';
import { FONT, MODEL, recorder, stage, waitFor } from './util.js';

/** Two textareas on one predictor; `predictor` undefined: the page's shared one, as a page without code gets. */
async function twoFields(predictor) {
  const box = stage(
    `<textarea id="a" style='${FONT}width:560px;height:70px'></textarea><br><textarea id="b" style='${FONT}width:560px;height:70px'></textarea>`,
  );
  const [a, b] = box.querySelectorAll('textarea');
  const recA = recorder(a);
  const recB = recorder(b);
  const options = { model: MODEL, mode: 'word', minConfidence: 0.2, ...(predictor ? { predictor } : {}) };
  const ha = attach(a, { ...options, onSuggestion: recA.onSuggestion });
  const hb = attach(b, { ...options, onSuggestion: recB.onSuggestion });
  await Promise.all([ha.ready, hb.ready]);
  return { box, a, b, ha, hb, recA, recB };
}

const ghost = (h) => (h.overlay.hidden ? '' : h.overlay.querySelector('.nextkey-ghost').textContent);

describe('widget: what is typed once is offered the next time', () => {
  it('a name typed in one field is suggested in another after "Ok"; with adapt: false it is not', async () => {
    const f = await twoFields(undefined);
    try {
      f.a.focus();
      await type('Please welcome Okonkwo to the team. He starts on Monday');
      await f.recA.answered();
      f.b.focus();
      await type('Hi Ok');
      await f.recB.answered();
      // The second field's first keystroke left the first one: its text was committed and learned
      // after that answer, so every later keystroke knows the name.
      const shown = await waitFor(() => ghost(f.hb), 'a ghost in the second field');
      assert(shown.startsWith('onkwo'), `ghost after "Hi Ok": ${JSON.stringify(shown)}`);
      await screenshot('adapt-once', '.stage');
    } finally {
      await f.ha.detach();
      await f.hb.detach();
      f.box.remove();
    }

    const off = await createPredictor({ model: MODEL, adapt: false });
    const g = await twoFields(off);
    try {
      g.a.focus();
      await type('Please welcome Okonkwo to the team. He starts on Monday');
      await g.recA.answered();
      g.b.focus();
      await type('Hi Ok');
      await g.recB.answered();
      assert(!ghost(g.hb).startsWith('onkwo'), `the model alone: ${JSON.stringify(ghost(g.hb))}`);
    } finally {
      await g.ha.detach();
      await g.hb.detach();
      g.box.remove();
      await off.dispose();
    }
  });
});
