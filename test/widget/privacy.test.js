// Typed text never leaves the device: every request the browser makes (page
// and worker, any origin) is recorded while a user types into the widget,
// accepts completions, asks for completions and fine-tunes on their text.
// Only GETs of the model and of the runtime's own files are allowed.
import { createPredictor } from '../../dist/index.js';
import { assert, assertEqual } from '../helpers.js';
import { press, recordRequests, recordedRequests, type } from './commands.js';
import { MODEL, focusedTextarea } from './util.js';

const SECRET = 'Zorblax';

describe('privacy', () => {
  it('loading fetches only model and runtime files; typing, completion and saving make no request; fine-tuning fetches only runtime files', async () => {
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
    assertEqual((await recordedRequests()).map((r) => `${r.method} ${r.url}`), [], 'no request while typing, accepting and completing');

    await recordRequests();
    await predictor.fineTune(`${SECRET} writes letters. `.repeat(40), { timeBudgetMs: 1500, validationSplit: 0 });
    // Fine-tuning runs in a worker of its own, which loads the runtime (the
    // worker bundle, the wasm binary) as the first one did: those GETs, no more.
    const tuning = await recordedRequests();
    for (const r of tuning) {
      assertEqual(`${r.method} ${new URL(r.url).origin}`, `GET ${location.origin}`, `fine-tuning: a same-origin GET: ${r.url}`);
      assert(/^\/dist\/[\w.-]+\.(js|wasm)$/.test(new URL(r.url).pathname) && !new URL(r.url).search, `fine-tuning: only runtime files: ${r.url}`);
      assert(!r.url.includes(SECRET) && r.postData === null, 'the text is in no URL and no body');
    }

    await recordRequests();
    await s.setText(`Dear ${SECRET}, thank you`);
    await predictor.save(`privacy-${Date.now()}`);
    assertEqual((await recordedRequests()).map((r) => `${r.method} ${r.url}`), [], 'no request while typing with the tuned model and saving it');

    await handle.detach();
    box.remove();
    await predictor.dispose();
  });
});
