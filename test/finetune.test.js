// It must actually learn: the shipped default model, fine-tuned in the browser
// on a small invented domain (test/fixtures/finetune/tidewell.txt, a greenhouse
// controller's glossary), gets clearly better on the held-out end of that text
// and completes the domain's terms. Then the tuned model survives a save to
// IndexedDB and a reload. One fixed epoch (not a time budget), so the outcome
// does not depend on how busy the machine is.
import { createPredictor } from '../dist/index.js';
import { assert, assertClose, assertEqual, uniqueDb } from './helpers.js';

const DOMAIN = {
  'Open the mistr': 'unner',
  'Flush the brinel': 'oop',
  'Check the rootw': 'arden',
  'Start a fernp': 'ulse',
  'Wipe the murkm': 'eter',
  'Read the canopy l': 'edger',
};

async function topCompletions(predictor) {
  const s = await predictor.session();
  const out = {};
  for (const prefix of Object.keys(DOMAIN)) {
    await s.setText(prefix);
    out[prefix] = (await s.complete({ k: 1 })).completions[0]?.text;
  }
  await s.dispose();
  return out;
}

async function distribution(predictor, text) {
  const s = await predictor.session();
  const r = await s.setText(text, { k: 86 });
  await s.dispose();
  return r.predictions;
}

describe('fine-tuning the default model on a domain text', () => {
  const dbName = uniqueDb('finetune');
  let predictor;
  let result;
  let baseline;
  const events = [];

  before(async () => {
    predictor = await createPredictor({ model: '/models/default/', backend: 'wasm', cache: { dbName } });
  });
  after(async () => {
    await predictor?.dispose();
  });

  it('drops held-out bits per character clearly and completes the domain terms', async () => {
    const text = await (await fetch('/test/fixtures/finetune/tidewell.txt')).text();
    const held = (await predictor.stats()).numTensors;
    baseline = await topCompletions(predictor);
    result = await predictor.fineTune(text, { epochs: 1, onProgress: (p) => events.push(p) });
    console.log(`fine-tune (wasm): ${JSON.stringify(result)}`);
    console.log(`completions before: ${JSON.stringify(baseline)}`);
    const after = await topCompletions(predictor);
    console.log(`completions after:  ${JSON.stringify(after)}`);

    assert(result.bpcAfter < result.bpcBefore - 0.4, `held-out bpc ${result.bpcBefore.toFixed(3)} -> ${result.bpcAfter.toFixed(3)}`);
    assertEqual(result.unknownChars, 0, 'the domain text is within the vocabulary');
    assertEqual(result.validLength, Math.ceil(Array.from(text).length * 0.1), 'held out the last 10%');
    assert(result.steps >= 15 && result.epochs === 1, `one full epoch: ${result.steps} batches`);
    let learned = 0;
    for (const [prefix, term] of Object.entries(DOMAIN)) {
      assert(baseline[prefix] !== term, `the base model does not know "${prefix}${term}" (completes "${baseline[prefix]}")`);
      if (after[prefix] === term) learned++;
    }
    assert(after['Open the mistr'] === 'unner', `"Open the mistr" completes to the domain term "mistrunner", got "${after['Open the mistr']}"`);
    assert(learned >= 4, `${learned} of ${Object.keys(DOMAIN).length} domain terms completed`);
    assert(events.length === result.steps && events.every((e) => e.charsPerSecond > 0 && Number.isFinite(e.loss)), 'progress after every batch');
    assertEqual((await predictor.stats()).numTensors, held, 'no tensors leaked by the run');
  });

  it('save() stores the tuned model; createPredictor("idb://name") loads it with the same predictions', async () => {
    assert(result, 'needs the fine-tuned predictor of the previous test');
    const info = await predictor.save('tidewell');
    assertEqual(info.url, 'idb://tidewell', 'url');
    assertEqual([info.cell, info.hiddenSizes, info.vocabSize], ['lstm', [256, 256], predictor.model.vocabSize], 'shape');
    assert(info.sha256 !== predictor.model.sha256, 'a new weights file, not the base one');
    const runs = info.card.fineTune?.runs;
    assert(Array.isArray(runs) && runs.length === 1 && runs[0].bpcAfter === result.bpcAfter, `card records the run: ${JSON.stringify(info.card.fineTune)}`);
    assertEqual(info.card.fineTune.base.sha256, predictor.model.sha256, 'card names the base model');

    const reloaded = await createPredictor({ model: 'idb://tidewell', backend: 'wasm', cache: { dbName } });
    try {
      assertEqual(reloaded.model.sha256, info.sha256, 'loaded the saved weights');
      assertEqual(reloaded.model.url, 'idb://tidewell', 'model url');
      for (const probe of ['Open the mistr', 'The hub writes a summary into the canopy ']) {
        const [a, b] = [await distribution(predictor, probe), await distribution(reloaded, probe)];
        assertEqual(b.map((p) => p.char), a.map((p) => p.char), `same ranking after "${probe}"`);
        assertClose(b.map((p) => p.p), a.map((p) => p.p), 1e-6, `same probabilities after "${probe}"`);
      }
      assertEqual(await topCompletions(reloaded), await topCompletions(predictor), 'same completions');
    } finally {
      await reloaded.dispose();
    }
    assert(await predictor.deleteSavedModel('tidewell'), 'deleted');
  });

  it('a training batch never holds typing up: the training runs in a worker of its own', async () => {
    // Batches of 16×64 characters take seconds on wasm. While each runs, a
    // setText sent the moment the previous batch's progress arrives must be
    // answered before the next batch's progress: training that shared the
    // sessions' worker would answer it only after that batch.
    const text = (await (await fetch('/test/fixtures/finetune/tidewell.txt')).text()).slice(0, 8000);
    const s = await predictor.session();
    await s.setText('The hub writes a summary into the canopy');
    const progressAt = [];
    const answers = [];
    const t0 = performance.now();
    const r = await predictor.fineTune(text, {
      epochs: 1,
      validationSplit: 0.1,
      onProgress: () => {
        progressAt.push(performance.now() - t0);
        const sent = performance.now();
        const i = progressAt.length - 1;
        answers.push(s.setText(i % 2 ? 'The hub writes a summary into the canopy ' : 'The hub writes a summary into the canopy').then(() => ({ sent: sent - t0, at: performance.now() - t0 })));
      },
    });
    const answered = await Promise.all(answers);
    await s.dispose();
    console.log(`during fine-tuning: progress at ${progressAt.map((t) => t.toFixed(0)).join(', ')} ms; setText answered after ${answered.map((a) => (a.at - a.sent).toFixed(1)).join(', ')} ms`);
    assert(r.steps >= 4, `several batches (${r.steps})`);
    for (let i = 0; i + 1 < progressAt.length; i++) {
      assert(answered[i].at < progressAt[i + 1], `setText sent after batch ${i + 1} was answered (${answered[i].at.toFixed(0)} ms) before batch ${i + 2} ended (${progressAt[i + 1].toFixed(0)} ms)`);
    }
  });
});
