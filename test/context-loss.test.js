// A lost WebGL context (GPU reset) mid-typing: the predictor moves to wasm (or
// cpu) and every session goes on with the same predictions.
import { createPredictor } from '../dist/index.js';
import { GOLDEN, assert, assertClose, assertEqual } from './helpers.js';

const probs = (preds) => preds.map((p) => p.p);

describe('WebGL context loss', () => {
  it('sessions continue on wasm with the predictions a fresh wasm session gives', async () => {
    const predictor = await createPredictor({ model: `${GOLDEN}/lstm/`, backend: 'webgl', cache: false, workerUrl: '/test/fixtures/crash/worker.js', wasmBaseUrl: '/dist/' });
    assertEqual(predictor.backend.name, 'webgl', 'starts on webgl');
    const a = await predictor.session();
    const b = await predictor.session();
    await a.setText('the tea is h');
    await b.feed('what a d');
    const onGl = await a.predict({ k: 39 });

    new BroadcastChannel('nextkey-crash-test').postMessage('lose-context');
    await new Promise((r) => setTimeout(r, 200));

    const r = await a.setText('the tea is ho');
    assertEqual((await predictor.stats()).backend, 'wasm', 'moved to wasm');
    const reference = await createPredictor({ model: `${GOLDEN}/lstm/`, backend: 'wasm', cache: false });
    const ra = await reference.session();
    const want = await ra.setText('the tea is ho');
    assertClose(probs(r.predictions), probs(want.predictions), 1e-5, 'session a after the loss');
    await ra.setText('the tea is h');
    assertClose(probs(await ra.predict({ k: 39 })), probs(onGl).slice(0, 39), 1e-3, 'webgl answers before the loss agreed with wasm');
    const rb = await reference.session();
    await rb.feed('what a d');
    assertClose(probs(await b.predict({ k: 39 })), probs(await rb.predict({ k: 39 })), 1e-5, 'session b after the loss');
    const c = await b.complete({ maxChars: 6 });
    assert(c.completions.length > 0, 'completion works after the loss');
    await reference.dispose();
    await predictor.dispose();
  });
});
