// Every cell type trains: the golden fixtures are tiny random models, so a few
// batches on a repetitive text must bring the loss down. Saving and reloading
// each one proves the tuned weights go back to format v1 layouts exactly
// (stacked and summed weights for rnn/lstm/peephole/cifg, separate biases for
// gru, peepholes).
import { createPredictor } from '../dist/index.js';
import { CELLS, GOLDEN, assert, assertClose, assertEqual, uniqueDb } from './helpers.js';

const TEXT = 'the tea is hot. the hat is red. the dog ate the tea. '.repeat(40);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function distribution(predictor, text) {
  const s = await predictor.session();
  await s.feed(text);
  const preds = await s.predict({ k: 39 });
  await s.dispose();
  return preds;
}

describe('fine-tuning on every backend', () => {
  // The math is the same everywhere; this proves each backend has the training kernels (forward, backward, Adam).
  for (const [backend, cell] of [['wasm', 'gru'], ['wasm', 'peephole'], ['webgl', 'lstm']]) {
    it(`${backend} (${cell}): trains, and the loss falls`, async () => {
      const predictor = await createPredictor({ model: `${GOLDEN}/${cell}/`, backend, cache: false });
      try {
        assertEqual(predictor.backend.name, backend, 'backend');
        const held = (await predictor.stats()).numTensors;
        const losses = [];
        const r = await predictor.fineTune(TEXT.slice(0, 1200), { epochs: 3, seqLength: 16, batchSize: 8, learningRate: 0.01, onProgress: (p) => losses.push(p.loss) });
        assert(mean(losses.slice(-2)) < mean(losses.slice(0, 2)) * 0.8, `loss falls on ${backend}: ${losses.map((l) => l.toFixed(2)).join(' ')}`);
        assert(r.bpcAfter < r.bpcBefore, `held-out bpc ${r.bpcBefore.toFixed(2)} -> ${r.bpcAfter.toFixed(2)}`);
        assertEqual((await predictor.stats()).numTensors, held, 'no tensors leaked');
      } finally {
        await predictor.dispose();
      }
    });
  }
});

describe('fine-tuning every cell type', () => {
  const dbName = uniqueDb('cells');
  for (const cell of CELLS) {
    it(`${cell}: the loss falls, held-out bpc drops, and the tuned model reloads from IndexedDB exactly`, async () => {
      const predictor = await createPredictor({ model: `${GOLDEN}/${cell}/`, backend: 'cpu', cache: { dbName } });
      try {
        const held = (await predictor.stats()).numTensors;
        const losses = [];
        const r = await predictor.fineTune(TEXT, { epochs: 2, seqLength: 16, batchSize: 8, learningRate: 0.01, onProgress: (p) => losses.push(p.loss) });
        assert(r.steps >= 20, `steps ${r.steps}`);
        const [first, last] = [mean(losses.slice(0, 3)), mean(losses.slice(-3))];
        assert(last < first / 2, `training loss falls: first batches ${first.toFixed(2)}, last ${last.toFixed(2)} bits per char`);
        assert(r.bpcAfter < r.bpcBefore - 1, `held-out bpc ${r.bpcBefore.toFixed(2)} -> ${r.bpcAfter.toFixed(2)}`);
        assertEqual((await predictor.stats()).numTensors, held, 'no tensors leaked');

        await predictor.save(`golden-${cell}`);
        const reloaded = await createPredictor({ model: `idb://golden-${cell}`, backend: 'cpu', cache: { dbName } });
        try {
          assertEqual(reloaded.model.cell, cell, 'cell type');
          const [a, b] = [await distribution(predictor, 'the hat is'), await distribution(reloaded, 'the hat is')];
          assertEqual(b.map((p) => p.char), a.map((p) => p.char), 'same ranking');
          assertClose(b.map((p) => p.p), a.map((p) => p.p), 1e-6, 'same probabilities');
        } finally {
          await reloaded.dispose();
        }
      } finally {
        await predictor.dispose();
      }
    });
  }
});
