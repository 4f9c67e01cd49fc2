// A lost WebGL context (GPU reset) mid-typing: the predictor moves to wasm (or
// cpu) and every session goes on with the same predictions.
import { ContextLostError, WorkerLostError, createPredictor } from '../dist/index.js';
import { GOLDEN, assert, assertClose, assertEqual } from './helpers.js';

const probs = (preds) => preds.map((p) => p.p);

describe('WebGL context loss', () => {
  it('sessions continue on wasm with the predictions a fresh wasm session gives', async () => {
    // adapt: false: these numbers are the network's own, compared with a reference (adaptation is tested in adapt-api.test.js).
    const predictor = await createPredictor({ adapt: false, model: `${GOLDEN}/lstm/`, backend: 'webgl', cache: false, workerUrl: '/test/fixtures/crash/worker.js', wasmBaseUrl: '/dist/' });
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
    const reference = await createPredictor({ adapt: false, model: `${GOLDEN}/lstm/`, backend: 'wasm', cache: false });
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

describe('WebGL context loss while calls are in flight', () => {
  it('every call settles (an answer, or a retryable ContextLostError); the sessions go on; predictor.backend says what runs now', async () => {
    const predictor = await createPredictor({ adapt: false, model: `${GOLDEN}/lstm/`, backend: 'webgl', cache: false, workerUrl: '/test/fixtures/crash/worker.js', wasmBaseUrl: '/dist/' });
    const channel = new BroadcastChannel('nextkey-crash-test');
    try {
      const a = await predictor.session();
      const b = await predictor.session();
      const text = 'the tea is hot and the dog ate the red pot. ';
      // A long paste in flight on one session, keystrokes fired without awaiting on the other.
      const calls = [b.setText(text.repeat(40))];
      await new Promise((r) => setTimeout(r, 30));
      for (let i = 1; i <= 30; i++) {
        calls.push(a.setText(text.slice(0, i)));
        if (i === 8) channel.postMessage('lose-context');
        await new Promise((r) => setTimeout(r, 5));
      }
      const outcomes = await Promise.all(calls.map((c) => c.then(() => null, (e) => e)));
      for (const e of outcomes) {
        assert(e === null || (e instanceof ContextLostError && e.retryable && e instanceof WorkerLostError), `an answer or a retryable ContextLostError, got ${e?.name}: ${e?.message}`);
      }
      const r = await a.setText(text.slice(0, 30));
      const rb = await b.setText(text.repeat(40));
      assertEqual(predictor.backend.name, 'wasm', 'predictor.backend after the fallback');
      assertEqual((await predictor.stats()).backend, 'wasm', 'the worker runs on wasm');
      const reference = await createPredictor({ adapt: false, model: `${GOLDEN}/lstm/`, backend: 'wasm', cache: false });
      const fresh = await reference.session();
      assertClose(probs(r.predictions), probs((await fresh.setText(text.slice(0, 30))).predictions), 1e-5, 'session a answers as a fresh read');
      assertClose(probs(rb.predictions), probs((await fresh.setText(text.repeat(40))).predictions), 1e-5, 'session b answers as a fresh read');
      await reference.dispose();
    } finally {
      channel.close();
      await predictor.dispose();
    }
  });
});
