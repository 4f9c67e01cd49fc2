import { createPredictor, DisposedError, InvalidArgumentError } from '../dist/index.js';
import { GOLDEN, assert, assertEqual, uniqueDb } from './helpers.js';

const MODEL = `${GOLDEN}/lstm/`;

describe('predictor and sessions', () => {
  let predictor;
  before(async () => {
    predictor = await createPredictor({ model: MODEL, backend: 'cpu', cache: false });
  });
  after(async () => {
    await predictor?.dispose();
  });

  it('reports the model it loaded', () => {
    assertEqual(predictor.model.cell, 'lstm', 'cell');
    assertEqual(predictor.model.hiddenSizes, [32, 32], 'hidden sizes');
    assertEqual(predictor.model.vocabSize, 40, 'vocab size');
    assert(predictor.model.parameters > 10000, `parameters ${predictor.model.parameters}`);
    assert(/^[0-9a-f]{64}$/.test(predictor.model.sha256), 'sha256');
  });

  it('carries state across feeds: feed("hel") + feed("lo") predicts exactly as feed("hello")', async () => {
    const a = await predictor.session();
    const b = await predictor.session();
    await a.feed('hel');
    const r = await a.feed('lo');
    assertEqual(r, { steps: 2, length: 5 }, 'feed result');
    await b.feed('hello');
    assertEqual(await a.predict({ k: 10 }), await b.predict({ k: 10 }), 'predictions');
    assertEqual(await a.state(), await b.state(), 'state');
    await a.dispose();
    await b.dispose();
  });

  it('sessions on one predictor do not disturb each other', async () => {
    const s1 = await predictor.session();
    const s2 = await predictor.session();
    const ref = await predictor.session();
    await ref.feed('the tea');
    for (const ch of 'the tea') {
      await s1.feed(ch);
      await s2.feed('zz! ');
    }
    assertEqual(await s1.predict({ k: 39 }), await ref.predict({ k: 39 }), 's1 unaffected by s2');
    const fresh = await predictor.session();
    await fresh.feed('zz! '.repeat(7));
    assertEqual(await s2.predict({ k: 39 }), await fresh.predict({ k: 39 }), 's2 unaffected by s1');
    for (const s of [s1, s2, ref, fresh]) await s.dispose();
  });

  it('reset() returns to the empty-text state', async () => {
    const s = await predictor.session();
    const empty = await s.predict({ k: 39 });
    await s.feed('what a day');
    const after = await s.predict({ k: 39 });
    assert(JSON.stringify(after) !== JSON.stringify(empty), 'text changes the prediction');
    await s.reset();
    assertEqual(await s.predict({ k: 39 }), empty, 'after reset');
    await s.dispose();
  });

  it('handles code points: characters outside the vocabulary (emoji, Hangul) map to unknown, one step each', async () => {
    const s = await predictor.session();
    const r = await s.feed('a😀한b');
    assertEqual(r.steps, 4, 'one step per code point, not per UTF-16 unit');
    const preds = await s.predict({ k: 5 });
    assertEqual(preds.length, 5, 'k candidates');
    for (const p of preds) assert(p.p > 0 && p.p < 1 && p.char.length >= 1, `candidate ${JSON.stringify(p)}`);
    await s.dispose();
  });

  it('temperature sharpens or flattens the distribution', async () => {
    const s = await predictor.session();
    await s.feed('the ');
    const [cold] = await s.predict({ k: 1, temperature: 0.5 });
    const [warm] = await s.predict({ k: 1, temperature: 1 });
    const [hot] = await s.predict({ k: 1, temperature: 2 });
    assert(cold.char === warm.char && warm.char === hot.char, 'same argmax');
    assert(cold.p > warm.p && warm.p > hot.p, `p falls with temperature: ${cold.p} ${warm.p} ${hot.p}`);
    await s.dispose();
  });

  it('after 1,000 feeds and predictions the live tensor count is back where it started', async () => {
    const before = await predictor.stats();
    const s = await predictor.session();
    const withSession = await predictor.stats();
    const text = 'the tea is hot; what a day! ';
    for (let i = 0; i < 1000; i++) {
      await s.feed(text[i % text.length]);
      if (i % 10 === 0) await s.predict({ k: 3 });
    }
    const during = await predictor.stats();
    const st = await s.stats();
    assertEqual(st.length, 1000, 'length');
    // Live tensors are exactly the checkpoints' states (h and c of 2 layers each): nothing else accumulates.
    assertEqual(during.numTensors - before.numTensors, st.checkpoints * 4, 'tensors while the session lives');
    assertEqual(withSession.numTensors - before.numTensors, 4, 'a new session holds one zero state');
    // Dense for the last 32 positions, then one per 2, 4, 8, … : logarithmic, not linear, in the length.
    assert(st.checkpoints <= 32 + 16 * 5 + 2, `checkpoints ${st.checkpoints}`);
    await s.dispose();
    const afterAll = await predictor.stats();
    assertEqual(afterAll.numTensors, before.numTensors, 'tensors after the session is disposed');
    assertEqual(afterAll.numBytes, before.numBytes, 'bytes after the session is disposed');
  });

  it('rejects bad arguments with InvalidArgumentError naming the argument', async () => {
    const s = await predictor.session();
    for (const [opts, re] of [
      [{ k: 0 }, /\bk\b/],
      [{ k: 2.5 }, /\bk\b/],
      [{ temperature: 0 }, /temperature/],
      [{ temperature: NaN }, /temperature/],
    ]) {
      let error;
      try {
        await s.predict(opts);
      } catch (e) {
        error = e;
      }
      assert(error instanceof InvalidArgumentError, `predict(${JSON.stringify(opts)}) -> ${error?.name}`);
      assert(re.test(error.message), error.message);
    }
    let error;
    try {
      await s.feed(42);
    } catch (e) {
      error = e;
    }
    assert(error instanceof InvalidArgumentError && /text/.test(error.message), `feed(42) -> ${error?.name}`);
    await s.dispose();
  });

  it('a disposed session throws DisposedError', async () => {
    const s = await predictor.session();
    await s.dispose();
    let error;
    try {
      await s.feed('a');
    } catch (e) {
      error = e;
    }
    assert(error instanceof DisposedError, `got ${error?.name}`);
  });
});

describe('predictor lifecycle', () => {
  it('a disposed predictor throws DisposedError and its worker is gone', async () => {
    const p = await createPredictor({ model: MODEL, backend: 'cpu', cache: false });
    await p.dispose();
    let error;
    try {
      await p.session();
    } catch (e) {
      error = e;
    }
    assert(error instanceof DisposedError, `got ${error?.name}`);
  });

  it('reports loading progress tagged by status: backend, fetch with bytes and total, ready', async () => {
    const events = [];
    const p = await createPredictor({ model: MODEL, backend: 'cpu', cache: false, onProgress: (e) => events.push(e) });
    await p.dispose();
    // Progress callbacks cross the worker boundary asynchronously; let them land.
    await new Promise((r) => setTimeout(r, 50));
    const statuses = events.map((e) => e.status);
    assert(statuses.includes('backend') && statuses.includes('ready'), statuses.join(','));
    const fetches = events.filter((e) => e.status === 'fetch');
    assert(fetches.length >= 1, 'fetch events');
    const last = fetches[fetches.length - 1];
    assertEqual(last.loaded, p.model.weightsBytes, 'bytes loaded');
    assertEqual(last.total, p.model.weightsBytes, 'bytes total');
  });

  it("'auto' times webgl (SwiftShader here) against wasm on a startup probe, takes the faster and says so", async () => {
    const p = await createPredictor({ model: MODEL, cache: false });
    await p.dispose();
    assertEqual(p.backend.name, 'wasm', 'backend');
    assertEqual(p.backend.skipped.map((s) => s.name), ['webgl'], 'skipped');
    const m = /^slower here \((.+)\): ([\d.]+) (µs|ms) vs ([\d.]+) (µs|ms) per step on the startup probe$/.exec(p.backend.skipped[0].reason);
    assert(m, p.backend.skipped[0].reason);
    assert(/swiftshader/i.test(m[1]), `names the renderer: ${m[1]}`);
    const ms = (v, unit) => Number(v) / (unit === 'µs' ? 1000 : 1);
    assert(ms(m[2], m[3]) > ms(m[4], m[5]), `webgl's time ${m[2]} ${m[3]} is the larger`);
  });

  it("'auto' remembers the probe's winner per device (with the cache on), so the next load does not probe", async () => {
    // A fresh record: the probe database is per device, shared by every predictor.
    await new Promise((resolve) => {
      const r = indexedDB.deleteDatabase('nextkey-probe');
      r.onsuccess = r.onerror = r.onblocked = resolve;
    });
    const dbName = uniqueDb('probe');
    const first = await createPredictor({ model: MODEL, cache: { dbName } });
    await first.dispose();
    assert(/on the startup probe/.test(first.backend.skipped[0]?.reason), `first load probes: ${JSON.stringify(first.backend)}`);
    const second = await createPredictor({ model: MODEL, cache: { dbName } });
    await second.dispose();
    assertEqual(second.backend.name, first.backend.name, 'same backend');
    assert(/probe remembered from \d{4}-\d\d-\d\d/.test(second.backend.skipped[0]?.reason), `second load reads the record: ${JSON.stringify(second.backend)}`);
  });

  it('rejects an unknown backend name with an InvalidArgumentError naming it', async () => {
    let error;
    try {
      await createPredictor({ model: MODEL, backend: 'tpu' });
    } catch (e) {
      error = e;
    }
    assert(error instanceof InvalidArgumentError && /backend/.test(error.message), `got ${error?.name}: ${error?.message}`);
  });

  it('accepts only http(s), relative and idb:// model URLs, and sane saved-model names', async () => {
    for (const model of ['javascript:alert(1)', 'data:application/json,{}', 'file:///etc/passwd', 'ftp://example.com/model/', 'idb://../escape', 'idb://', 42]) {
      let error;
      try {
        await createPredictor({ model, cache: false });
      } catch (e) {
        error = e;
      }
      assert(error instanceof InvalidArgumentError && /options\.model/.test(error.message), `${String(model)} -> ${error?.name}: ${error?.message}`);
    }
  });
});
