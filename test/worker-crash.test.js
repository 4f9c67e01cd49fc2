// A worker that dies is replaced: calls in flight reject with a retryable
// WorkerLostError, the model comes back from the IndexedDB cache, and every
// session has its text back with the same predictions.
import { WorkerLostError, createPredictor } from '../dist/index.js';
import { GOLDEN, assert, assertClose, assertEqual, assertRejects, requestCount, serve, uniqueDb } from './helpers.js';

const kill = (how) => new BroadcastChannel('nextkey-crash-test').postMessage(how);

/** A copy of a golden model at its own URL, so its fetches can be counted. */
async function modelCopy(name) {
  for (const file of ['model.json', 'weights.bin']) {
    await serve(`crash-${name}/${file}`, await (await fetch(`${GOLDEN}/lstm/${file}`)).arrayBuffer());
  }
  return `/__store/crash-${name}/`;
}

async function start(name, restarts) {
  const model = await modelCopy(name);
  const predictor = await createPredictor({
    model,
    backend: 'cpu',
    cache: { dbName: uniqueDb(`crash-${name}`) },
    workerUrl: '/test/fixtures/crash/worker.js',
    wasmBaseUrl: '/dist/',
    onRestart: (e) => restarts.push(e),
  });
  return { predictor, weights: `${model}weights.bin` };
}

const probs = (preds) => preds.map((p) => p.p);

async function until(check, what, ms = 30_000) {
  const t0 = performance.now();
  while (!check()) {
    if (performance.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('worker crash recovery', () => {
  it('a closed worker is replaced: in-flight calls reject (retryable), sessions keep their text, weights come from the cache', async () => {
    const restarts = [];
    const { predictor, weights } = await start('close', restarts);
    const a = await predictor.session();
    const b = await predictor.session({ checkpoints: { dense: 4 } });
    await a.setText('the tea is hot and');
    await b.feed('what a d');
    await b.feed('ay');
    const wantA = await a.predict({ k: 39 });
    const wantB = await b.predict({ k: 39 });
    const fetches = await requestCount(weights);

    // A fine-tuning run is in flight when the worker dies.
    let progressed = false;
    const run = predictor.fineTune('the tea is hot. '.repeat(200), { timeBudgetMs: 60_000, onProgress: () => (progressed = true) });
    await until(() => progressed, 'fine-tuning to start');
    kill('close');
    const error = await assertRejects(run, WorkerLostError, /died/, 'fine-tune in flight');
    assertEqual(error.retryable, true, 'retryable');

    await until(() => restarts.length === 1, 'the restart');
    assertEqual(restarts[0].restarts, 1, 'restart count');
    assertEqual(await requestCount(weights), fetches, 'the new worker read the weights from IndexedDB, not the network');
    assertClose(probs(await a.predict({ k: 39 })), probs(wantA), 1e-6, 'session a');
    assertClose(probs(await b.predict({ k: 39 })), probs(wantB), 1e-6, 'session b (fed twice)');
    // Sessions go on where they were.
    const u = await a.setText('the tea is hot and s');
    assertEqual(u.steps, 2, 'two steps for two more characters after the restart');
    const fresh = await predictor.session();
    await fresh.setText('the tea is hot and s');
    assertEqual(u.predictions, (await fresh.setText('the tea is hot and s')).predictions, 'same as a fresh read');
    await predictor.dispose();
  });

  it('an uncaught error in the worker also brings a new one; calls made meanwhile wait for it', async () => {
    const restarts = [];
    const { predictor } = await start('throw', restarts);
    const s = await predictor.session();
    await s.setText('no, no');
    const want = await s.predict({ k: 39 });
    kill('throw');
    // Queued right away: answered by whichever worker is alive, never left hanging.
    let answer;
    for (let i = 0; i < 50 && restarts.length === 0; i++) {
      try {
        answer = await s.predict({ k: 39 });
      } catch (e) {
        assert(e instanceof WorkerLostError, `only WorkerLostError while restarting, got ${e.name}: ${e.message}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await until(() => restarts.length === 1, 'the restart');
    assert(/uncaught error/.test(restarts[0].reason), `reason: ${restarts[0].reason}`);
    answer = await s.predict({ k: 39 });
    assertClose(probs(answer), probs(want), 1e-6, 'predictions after the restart');
    await predictor.dispose();
  });

  it('dispose() does not count as a crash', async () => {
    const restarts = [];
    const { predictor } = await start('dispose', restarts);
    await predictor.dispose();
    await new Promise((r) => setTimeout(r, 300));
    assertEqual(restarts.length, 0, 'no restart after dispose');
  });
});
