// Typed text never leaves the device: every request the browser makes (page
// and worker, any origin) is recorded while a user types into the widget,
// accepts completions, asks for completions and fine-tunes on their text.
import { createPredictor } from '../../dist/index.js';
import { assert, assertEqual } from '../helpers.js';
import { press, recordRequests, recordedRequests, type } from './commands.js';
import { MODEL, focusedTextarea } from './util.js';

const SECRET = 'Zorblax';

describe('privacy', () => {
  it('loading fetches only model and runtime files; typing, completion and fine-tuning make no request at all', async () => {
    await recordRequests();
    const predictor = await createPredictor({ model: MODEL, cache: false });
    const loading = await recordedRequests();
    // The recorder sees the worker's own fetches (the weights), so it is not blind to them later.
    assert(loading.some((r) => r.url.endsWith('/models/default/weights.bin')), `weights fetch recorded: ${JSON.stringify(loading.map((r) => r.url))}`);
    for (const r of loading) {
      assertEqual(new URL(r.url).origin, location.origin, `same origin: ${r.url}`);
      assertEqual(r.method, 'GET', `GET only: ${r.url}`);
      assert(/\/(models\/default\/|dist\/)/.test(new URL(r.url).pathname), `only model and runtime files: ${r.url}`);
    }

    await recordRequests();
    const { box, ta, rec, handle } = await focusedTextarea(predictor);
    await type(`My password is ${SECRET} and I live at 12 Elm Stre`);
    await rec.answered();
    await press('Tab');
    const s = await predictor.session();
    await s.setText(`Dear ${SECRET}, thank yo`);
    await s.complete({ stop: 'phrase', maxChars: 24 });
    await predictor.fineTune(`${SECRET} writes letters. `.repeat(40), { timeBudgetMs: 1500, validationSplit: 0 });
    await s.setText(`Dear ${SECRET}, thank you`);
    await predictor.save(`privacy-${Date.now()}`);
    const typing = await recordedRequests();
    assertEqual(typing.map((r) => `${r.method} ${r.url}`), [], 'no request while typing, completing, fine-tuning and saving');

    await handle.detach();
    box.remove();
    await predictor.dispose();
  });
});
