// A 1 MB paste: read in bounded time (at most readLimit steps), in chunks that
// let other sessions answer meanwhile, with the same answer a fresh session
// reading the same text gives.
import { createPredictor, InvalidArgumentError } from '../dist/index.js';
import { GOLDEN, assert, assertClose, assertEqual, assertRejects } from './helpers.js';

/** About `n` characters of word salad in the golden models' vocabulary, the same every run. */
function salad(n, seed = 1) {
  const words = ['the', 'tea', 'is', 'hot', 'and', 'what', 'a', 'day', 'no,', 'it', 'was', 'she', 'said.', 'then', 'Hi!'];
  let x = seed;
  const out = [];
  let len = 0;
  while (len < n) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const w = words[x % words.length];
    out.push(w);
    len += w.length + 1;
  }
  return out.join(' ').slice(0, n);
}

const probs = (preds) => preds.map((p) => p.p);

describe('long texts', () => {
  let predictor;
  before(async () => {
    // adapt: false: these numbers are the network's own, compared with a reference (adaptation is tested in adapt-api.test.js).
    predictor = await createPredictor({ adapt: false, model: `${GOLDEN}/lstm/`, backend: 'cpu', cache: false });
  });
  after(() => predictor.dispose());

  it('a 1 MB paste costs readLimit steps, other sessions answer during it, and it matches a fresh read', async () => {
    const big = salad(1_000_000);
    const a = await predictor.session();
    const b = await predictor.session();
    await a.setText('the tea is hot');
    let pasted = null;
    const paste = a.setText(big).then((r) => (pasted = r));
    // Another field keeps working while the paste is read.
    let answeredDuring = 0;
    for (let i = 0; i < 40 && !pasted; i++) {
      await b.setText(`what a day${'!'.repeat(i % 3)}`);
      if (!pasted) answeredDuring++;
    }
    const r = await paste;
    assert(answeredDuring >= 1, 'the other session answered while the paste was read');
    assertEqual(r.steps, 4096, 'steps: the last readLimit characters only');
    assertEqual(r.length, big.length, 'length');

    const fresh = await predictor.session();
    const f = await fresh.setText(big);
    assertEqual(f.steps, 4096, 'a fresh session reads the same way');
    assertClose(probs(r.predictions), probs(f.predictions), 1e-9, 'same predictions as a fresh read');
    const tail = await (await predictor.session()).setText(big.slice(-4096));
    assertClose(probs(r.predictions), probs(tail.predictions), 1e-9, 'the state of reading the last 4096 characters from zero');

    // Typing after the paste costs one step; jumping far back costs at most readLimit.
    assertEqual((await a.setText(big + 'x')).steps, 1, 'one more character');
    const jump = await a.setText(big.slice(0, 500_000));
    assert(jump.steps <= 4096, `a jump back costs ${jump.steps} steps`);
    for (const s of [a, b, fresh]) await s.dispose();
  });

  it('readLimit is an option; a short text reads exactly as before', async () => {
    const s = await predictor.session({ readLimit: 100 });
    const text = salad(1000, 7);
    const r = await s.setText(text);
    assertEqual(r.steps, 100, 'readLimit 100');
    const full = await predictor.session();
    assertEqual((await full.setText(text)).steps, 1000, 'default limit: all 1000 characters');
    await assertRejects(predictor.session({ readLimit: 0 }), InvalidArgumentError, /readLimit/, 'readLimit 0');
    await s.dispose();
    await full.dispose();
  });

  it('weights swapped by fine-tuning during a long read: the read uses the new weights', async () => {
    const text = salad(8000, 3);
    const s = await predictor.session({ readLimit: 8000 });
    const tune = predictor.fineTune(salad(3000, 5), { epochs: 1, validationSplit: 0, batchSize: 4, seqLength: 32 });
    const read = s.setText(text);
    await tune;
    const r = await read;
    const fresh = await predictor.session({ readLimit: 8000 });
    const f = await fresh.setText(text);
    assertClose(probs(await s.predict({ k: 39 })), probs(await fresh.predict({ k: 39 })), 1e-9, 'same as a fresh read with the tuned weights');
    assertEqual(f.length, r.length, 'length');
    await s.dispose();
    await fresh.dispose();
  });
});
