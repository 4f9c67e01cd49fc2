// Fine-tuning's contract around the training itself, on a tiny fixture model
// (cpu): abort, failures and bad options leave the previous weights in use,
// typing keeps answering meanwhile, sessions re-read their text after the
// swap, and no tensors are left behind.
import { createPredictor, DisposedError, InvalidArgumentError, TrainingError } from '../dist/index.js';
import { GOLDEN, assert, assertEqual, assertRejects } from './helpers.js';

const MODEL = `${GOLDEN}/lstm/`;
const TEXT = 'the hot tea is in the red pot. the dog ate the tea, then the cat sat on the mat! '.repeat(30);
const PROBE = 'the tea is h';
const SMALL = { seqLength: 16, batchSize: 4 };

/** Everything the weights decide for PROBE: the full next-character distribution and the completions. */
async function snapshot(predictor) {
  const s = await predictor.session();
  await s.setText(PROBE);
  const predictions = await s.predict({ k: 39 });
  const { completions } = await s.complete({ k: 3 });
  await s.dispose();
  return { predictions, completions };
}

async function tensors(predictor) {
  return (await predictor.stats()).numTensors;
}

describe('fine-tuning: abort, failure, live typing', () => {
  let predictor;
  beforeEach(async () => {
    // adapt: false: these numbers are the network's own, compared with a reference (adaptation is tested in adapt-api.test.js).
    predictor = await createPredictor({ adapt: false, model: MODEL, backend: 'cpu', cache: false });
  });
  afterEach(async () => {
    await predictor?.dispose();
  });

  it('abort mid-way rejects with the signal reason and leaves the previous weights exactly', async () => {
    const before = await snapshot(predictor);
    const held = await tensors(predictor);
    const controller = new AbortController();
    let last = 0;
    const run = predictor.fineTune(TEXT, {
      ...SMALL,
      epochs: 50,
      signal: controller.signal,
      onProgress: (p) => {
        last = p.step;
        if (p.step === 3) controller.abort();
      },
    });
    let error;
    await run.catch((e) => (error = e));
    assert(error === controller.signal.reason, `rejects with the signal's reason, got ${error?.name}: ${error?.message}`);
    assertEqual(error.name, 'AbortError', 'default reason');
    assert(last >= 3 && last < 30, `stopped between batches soon after the abort (last step ${last})`);
    assertEqual(await snapshot(predictor), before, 'predictions and completions after the abort');
    assertEqual(await tensors(predictor), held, 'live tensors');

    const custom = new AbortController();
    const reason = new Error('user left the page');
    const again = predictor.fineTune(TEXT, { ...SMALL, epochs: 50, signal: custom.signal, onProgress: () => custom.abort(reason) });
    let got;
    await again.catch((e) => (got = e));
    assert(got === reason, 'a custom abort reason comes back as it is');
    assertEqual(await snapshot(predictor), before, 'still the previous weights');
  });

  it('a signal aborted before the call rejects at once', async () => {
    const before = await snapshot(predictor);
    let error;
    await predictor.fineTune(TEXT, { signal: AbortSignal.abort() }).catch((e) => (error = e));
    assertEqual(error?.name, 'AbortError', 'rejects with AbortError');
    assertEqual(await snapshot(predictor), before, 'nothing changed');
  });

  it('invalid options and texts are typed errors that name the problem, and change nothing', async () => {
    const before = await snapshot(predictor);
    const held = await tensors(predictor);
    const bad = [
      [{ seqLength: 0 }, /seqLength/],
      [{ batchSize: 2.5 }, /batchSize/],
      [{ epochs: -1 }, /epochs/],
      [{ learningRate: -0.1 }, /learningRate/],
      [{ learningRate: NaN }, /learningRate/],
      [{ clipNorm: 0 }, /clipNorm/],
      [{ validationSplit: 0.9 }, /validationSplit/],
      [{ timeBudgetMs: -5 }, /timeBudgetMs/],
      [{ seqLength: 512, batchSize: 64 }, /seqLength × batchSize/],
    ];
    for (const [options, pattern] of bad) {
      await assertRejects(predictor.fineTune(TEXT, options), InvalidArgumentError, pattern, JSON.stringify(options));
    }
    await assertRejects(predictor.fineTune('the tea'), InvalidArgumentError, /too short/, 'text too short');
    await assertRejects(predictor.fineTune(42), InvalidArgumentError, /string/, 'not a string');
    await assertRejects(predictor.fineTune(['ok', 7]), InvalidArgumentError, /string/, 'array with a non-string');
    await assertRejects(predictor.fineTune(TEXT, { onProgress: 'yes' }), InvalidArgumentError, /onProgress/, 'onProgress');
    assertEqual(await snapshot(predictor), before, 'predictions unchanged');
    assertEqual(await tensors(predictor), held, 'live tensors');
  });

  it('a run that diverges fails with TrainingError and keeps the previous weights', async () => {
    const before = await snapshot(predictor);
    const held = await tensors(predictor);
    // Adam's first step moves every weight by about the learning rate: the next batch's loss is astronomical.
    const error = await assertRejects(predictor.fineTune(TEXT, { ...SMALL, learningRate: 1e30 }), TrainingError, /diverged.*previous weights.*learningRate/, 'divergence');
    assert(/step [23]\b/.test(error.message), `fails at the first batch that sees the broken weights: ${error.message}`);
    assertEqual(await snapshot(predictor), before, 'predictions unchanged');
    assertEqual(await tensors(predictor), held, 'live tensors');
  });

  it('one run at a time: a second fineTune while one runs is a TrainingError; the first completes', async () => {
    const first = predictor.fineTune(TEXT, { ...SMALL, epochs: 1 });
    await assertRejects(predictor.fineTune(TEXT, SMALL), TrainingError, /already in progress/, 'second run');
    const r = await first;
    assert(r.steps > 0 && r.bpcAfter < r.bpcBefore, `first run finished: ${JSON.stringify(r)}`);
  });

  it('typing stays live with the previous weights; after the swap sessions read as fresh ones with the new weights', async () => {
    const held = await tensors(predictor);
    const s = await predictor.session();
    const texts = [PROBE, PROBE + 'o', PROBE + 'ot'];
    const before = [];
    for (const t of texts) before.push((await s.setText(t)).predictions);

    let done = false;
    const run = predictor.fineTune(TEXT, { ...SMALL, epochs: 4 }).finally(() => (done = true));
    let answered = 0;
    for (let i = 0; !done; i++) {
      const r = await s.setText(texts[i % 3]);
      // Messages arrive in order: an answer that lands before the run's result was computed before the swap.
      if (!done) {
        assertEqual(r.predictions, before[i % 3], `answer ${i} during fine-tuning uses the previous weights`);
        answered++;
      }
    }
    const result = await run;
    assert(answered >= 5, `setText kept answering during fine-tuning (${answered} answers over ${result.steps} batches)`);

    const after = (await s.setText(PROBE)).predictions;
    const fresh = await predictor.session();
    await fresh.feed(PROBE);
    assertEqual(after, await fresh.predict({ k: 5 }), 'a session from before the swap predicts as a fresh session');
    assert(JSON.stringify(after) !== JSON.stringify(before[0]), 'and the predictions did change');
    const [state, freshState] = [await s.state(), await fresh.state()];
    assertEqual(state, freshState, 'same recurrent state');
    await s.dispose();
    await fresh.dispose();
    assertEqual(await tensors(predictor), held, 'no tensors left behind by the run (sessions disposed)');
  });

  it('reports progress and results; characters outside the vocabulary are counted as unknown', async () => {
    const events = [];
    const text = TEXT.slice(0, 600) + '😀 Ω ' + TEXT.slice(600, 1200);
    const r = await predictor.fineTune(text, { ...SMALL, epochs: 2, validationSplit: 0.2, onProgress: (p) => events.push(p) });
    assertEqual(r.unknownChars, 2, 'the emoji and the omega are outside the vocabulary');
    assertEqual(r.trainLength + r.validLength, Array.from(text).length, 'train + held-out = the text, in code points');
    assertEqual(r.validLength, Math.ceil(Array.from(text).length * 0.2), 'held out 20%');
    assertEqual(events.length, r.steps, 'one progress event per batch');
    events.forEach((e, i) => {
      assertEqual(e.step, i + 1, 'steps count up');
      assertEqual(e.steps, r.steps, 'planned steps known when epochs are given');
      assert(Number.isFinite(e.loss) && e.loss > 0, `loss ${e.loss}`);
      assert(e.charsPerSecond > 0 && e.etaMs >= 0 && e.elapsedMs > 0, `throughput and eta ${JSON.stringify(e)}`);
    });
    assertEqual(events[events.length - 1].epoch, 2, 'epochs counted');
    assertEqual(events[events.length - 1].etaMs, 0, 'nothing left at the end');
    assertEqual(r.stoppedBy, 'epochs', 'every planned pass was done');
    assert(r.charsPerSecond > 0 && r.trainedChars === 2 * r.batchSize * Math.floor((r.trainLength - 1) / r.batchSize), `result ${JSON.stringify(r)}`);
  });

  it('a time budget bounds the run', async () => {
    const events = [];
    const r = await predictor.fineTune(TEXT, { ...SMALL, timeBudgetMs: 300 });
    assert(r.steps >= 1, `trained at least one batch: ${JSON.stringify(r)}`);
    assert(Number.isFinite(r.bpcAfter), 'measured after');
    assertEqual(r.stoppedBy, 'timeBudget', 'only a time budget bounds it: the budget ended it');
    // Epochs and a budget: a budget that ends the run first says so, and its last event has nothing left.
    const both = await predictor.fineTune(TEXT, { ...SMALL, epochs: 1000, timeBudgetMs: 300, onProgress: (p) => events.push(p) });
    assertEqual(both.stoppedBy, 'timeBudget', 'the budget, not the 1000 passes, ended it');
    assert(both.steps < events[0].steps, `fewer batches than planned: ${both.steps} of ${events[0].steps}`);
    assertEqual(events[events.length - 1].etaMs, 0, 'the last event: nothing left');
  });

  it('disposing the predictor ends a run with DisposedError', async () => {
    const run = predictor.fineTune(TEXT, { ...SMALL, epochs: 50, onProgress: (p) => p.step === 2 && predictor.dispose() });
    await assertRejects(run, DisposedError, /disposed/, 'run during dispose');
    predictor = null;
  });
});
