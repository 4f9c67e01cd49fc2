// Beam-search completion and streaming generation, checked against chains of
// single-step predictions (an independent path through the same model).
import { createPredictor, InvalidArgumentError } from '../dist/index.js';
import { GOLDEN, assert, assertEqual, assertRejects, steppedAhead } from './helpers.js';

const isWordChar = (ch) => /^[\p{L}\p{N}\p{M}'’]$/u.test(ch);

/** Probability of `completion` after `context`, ended by any non-word character, from predict(). */
async function chainProbability(session, context, completion) {
  await session.setText(context);
  let p = 1;
  let text = context;
  for (const ch of completion) {
    const preds = await session.predict({ k: 1000 });
    p *= preds.find((x) => x.char === ch).p;
    text += ch;
    await session.setText(text);
  }
  const preds = await session.predict({ k: 1000 });
  return p * preds.filter((x) => !isWordChar(x.char)).reduce((a, x) => a + x.p, 0);
}

describe('complete()', () => {
  let predictor;
  before(async () => {
    // adapt: false: these numbers are the network's own, compared with a reference (adaptation is tested in adapt-api.test.js).
    predictor = await createPredictor({ adapt: false, model: `${GOLDEN}/lstm/`, backend: 'cpu', cache: false });
  });
  after(() => predictor.dispose());

  it('word completions: ranked, made of word characters, with exact probabilities (full-width beam)', async () => {
    const s = await predictor.session();
    const check = await predictor.session();
    for (const context of ['the te', 'what a d', 'it is', 'no, ']) {
      const u = await s.setText(context);
      const r = await s.complete({ stop: 'word', beamWidth: 39, maxChars: 5, k: 5 });
      assertEqual(r.seq, u.seq, 'answers the current text');
      assert(r.current, 'current');
      assert(r.completions.length > 0, `completions for ${context}`);
      for (let i = 1; i < r.completions.length; i++) assert(r.completions[i - 1].p >= r.completions[i].p, 'sorted');
      for (const c of r.completions) {
        assert(c.text.length > 0 && Array.from(c.text).every(isWordChar), `word characters only: ${JSON.stringify(c.text)}`);
        assert(Array.from(c.text).length <= 5, 'maxChars');
        if (!c.complete) continue;
        const want = await chainProbability(check, context, c.text);
        assert(Math.abs(c.p - want) <= 1e-6 * Math.max(1, want) + 1e-9, `${context}|${c.text}: p ${c.p} vs chain ${want}`);
      }
    }
    await s.dispose();
    await check.dispose();
  });

  it('a narrow beam finds completions no better than a wide one', async () => {
    const s = await predictor.session();
    await s.setText('the ');
    const narrow = await s.complete({ beamWidth: 1, maxChars: 8, k: 1 });
    const wide = await s.complete({ beamWidth: 16, maxChars: 8, k: 1 });
    assert(wide.completions[0].p >= narrow.completions[0].p - 1e-12, `${wide.completions[0].p} vs ${narrow.completions[0].p}`);
    await s.dispose();
  });

  it('phrase completions run over several words and stop at a boundary', async () => {
    const s = await predictor.session();
    await s.setText('what a d');
    const r = await s.complete({ stop: 'phrase', maxChars: 24, beamWidth: 4, k: 3, phraseWords: 3 });
    assert(r.completions.length > 0, 'some phrase');
    for (const c of r.completions) {
      assert(Array.from(c.text).length <= 24, 'maxChars');
      if (c.complete) {
        const words = c.text.split(/[^\p{L}\p{N}\p{M}'’]+/u).filter(Boolean).length;
        assert(words <= 3, `at most 3 words: ${JSON.stringify(c.text)}`);
        assert(!c.text.endsWith(' '), 'no trailing boundary');
      }
    }
    await s.dispose();
  });

  it('leaves the session as it was and leaks no tensors', async () => {
    const s = await predictor.session();
    await s.setText('the tea is h');
    await steppedAhead(s);
    const before = await s.predict({ k: 39 });
    const tensors = (await predictor.stats()).numTensors;
    for (let i = 0; i < 5; i++) await s.complete({ stop: i % 2 ? 'phrase' : 'word', maxChars: 12 });
    assertEqual(await s.predict({ k: 39 }), before, 'predictions unchanged');
    assertEqual((await predictor.stats()).numTensors, tensors, 'live tensors');
    await s.dispose();
  });

  it('rejects bad options with InvalidArgumentError', async () => {
    const s = await predictor.session();
    await assertRejects(s.complete({ beamWidth: 0 }), InvalidArgumentError, /beamWidth/, 'beamWidth 0');
    await assertRejects(s.complete({ stop: 'sentence' }), InvalidArgumentError, /stop/, 'bad stop');
    await assertRejects(s.complete({ maxChars: 1000 }), InvalidArgumentError, /maxChars/, 'maxChars too big');
    await s.dispose();
  });
});

// The trained default model: real English, so spaces and phrases are likely.
describe('complete() on the default model', () => {
  let predictor;
  before(async () => {
    predictor = await createPredictor({ adapt: false, model: '/models/default/', backend: 'wasm', cache: false });
  });
  after(() => predictor.dispose());

  it('withSpace adds "word " entries scored as the word and then a space', async () => {
    const s = await predictor.session();
    const check = await predictor.session();
    let spaced = 0;
    for (const context of ['She looked at the ', 'It was a very col', 'He said that h']) {
      await s.setText(context);
      // The network's own probabilities (lexicon: false), to compare with its next-character chain.
      const r = await s.complete({ stop: 'word', beamWidth: 8, maxChars: 10, k: 64, withSpace: true, lexicon: false });
      const plain = await s.complete({ stop: 'word', beamWidth: 8, maxChars: 10, k: 64, lexicon: false });
      // Every word likelier than the least likely listed is found with and without the spaced entries.
      const floor = r.completions[r.completions.length - 1].p;
      for (const c of plain.completions.filter((x) => x.p > floor)) {
        const same = r.completions.find((x) => x.text === c.text);
        assert(same && Math.abs(same.p - c.p) < 1e-12, `${c.text} listed with the same p`);
      }
      for (const c of r.completions.filter((x) => x.text.endsWith(' '))) {
        spaced++;
        const word = c.text.slice(0, -1);
        assert(r.completions.some((x) => x.text === word), `"${word}" listed too`);
        // p(word + ' ') is the chain of next-character probabilities, the space included.
        let want = 1;
        for (let i = 0; i < c.text.length; i++) {
          await check.setText(context + c.text.slice(0, i));
          want *= (await check.predict({ k: 1000 })).find((x) => x.char === c.text[i]).p;
        }
        assert(Math.abs(c.p - want) <= 1e-4 * want, `${context}|${c.text}: ${c.p} vs ${want}`);
      }
    }
    assert(spaced > 0, 'some completion ends with a space');
    await s.dispose();
    await check.dispose();
  });

  it('phrase mode lists every word boundary on the way, each at least as likely as what continues it', async () => {
    const s = await predictor.session();
    await s.setText('I do not know what you m');
    const r = await s.complete({ stop: 'phrase', maxChars: 24, beamWidth: 8, k: 64, phraseWords: 3 });
    const words = (t) => t.split(/[^\p{L}\p{N}\p{M}'’]+/u).filter(Boolean).length;
    let pairs = 0;
    for (const c of r.completions) {
      for (const d of r.completions) {
        if (d.text.length > c.text.length && d.text.startsWith(c.text) && !isWordChar(d.text[c.text.length])) {
          pairs++;
          assert(d.p <= c.p + 1e-12, `"${d.text}" (${d.p}) is no likelier than "${c.text}" (${c.p})`);
        }
      }
    }
    assert(r.completions.some((c) => words(c.text) === 1) && r.completions.some((c) => words(c.text) >= 2), 'one-word and longer phrases');
    assert(pairs > 0, 'some phrase continues a shorter one');
    await s.dispose();
  });

  it('minProbability returns exactly the completions at least that likely', async () => {
    const s = await predictor.session();
    for (const [context, stop] of [['She looked at the ', 'word'], ['It was a very col', 'phrase'], ['in the middle of the ', 'phrase']]) {
      await s.setText(context);
      const all = await s.complete({ stop, beamWidth: 6, maxChars: 16, k: 64 });
      for (const minProbability of [0.01, 0.05, 0.2]) {
        const some = await s.complete({ stop, beamWidth: 6, maxChars: 16, k: 64, minProbability });
        const want = all.completions.filter((c) => c.p >= minProbability);
        assertEqual(some.completions.map((c) => c.text), want.map((c) => c.text), `${context} ${stop} ≥ ${minProbability}`);
      }
    }
    await assertRejects(s.complete({ minProbability: 2 }), InvalidArgumentError, /minProbability/, 'minProbability 2');
    await assertRejects(s.complete({ withSpace: 'yes' }), InvalidArgumentError, /withSpace/, 'withSpace not boolean');
    await assertRejects(s.complete({ lexicon: 'no' }), InvalidArgumentError, /lexicon.*boolean/, 'lexicon not boolean');
    await s.dispose();
  });

});

describe('generate()', () => {
  let predictor;
  before(async () => {
    predictor = await createPredictor({ adapt: false, model: `${GOLDEN}/gru/`, backend: 'cpu', cache: false });
  });
  after(() => predictor.dispose());

  async function collect(iter) {
    let out = '';
    for await (const ch of iter) out += ch;
    return out;
  }

  it('rejects bad options with InvalidArgumentError naming them', async () => {
    const s = await predictor.session();
    for (const [opts, pattern] of [[{ length: 0 }, /length/], [{ topK: 0 }, /topK/], [{ temperature: 0 }, /temperature/], [{ temperature: NaN }, /temperature/]]) {
      await assertRejects(collect(s.generate(opts)), InvalidArgumentError, pattern, JSON.stringify(opts));
    }
    assertEqual(Array.from(await collect(s.generate({ length: 3 }))).length, 3, 'still works after');
    await s.dispose();
  });

  it('streams `length` characters, reproducible with a seed, leaving the session unchanged', async () => {
    const s = await predictor.session();
    await s.setText('the tea ');
    const before = await s.predict({ k: 39 });
    const a = await collect(s.generate({ length: 40, seed: 7, temperature: 0.8 }));
    const b = await collect(s.generate({ length: 40, seed: 7, temperature: 0.8 }));
    const c = await collect(s.generate({ length: 40, seed: 8, temperature: 0.8 }));
    assertEqual(Array.from(a).length, 40, 'length');
    assertEqual(a, b, 'same seed, same text');
    assert(a !== c, 'another seed, another text');
    assertEqual(await s.predict({ k: 39 }), before, 'session state unchanged');
    await s.dispose();
  });

  it('topK 1 is greedy decoding: each character is the top prediction', async () => {
    const s = await predictor.session();
    const check = await predictor.session();
    await s.setText('what a');
    const out = await collect(s.generate({ length: 10, topK: 1 }));
    let text = 'what a';
    for (const ch of out) {
      await check.setText(text);
      const [top] = await check.predict({ k: 1 });
      assertEqual(ch, top.char, `greedy after ${JSON.stringify(text)}`);
      text += ch;
    }
    await s.dispose();
    await check.dispose();
  });

  it('an AbortSignal stops the stream promptly and frees its state', async () => {
    const s = await predictor.session();
    await s.setText('no, ');
    await steppedAhead(s);
    const tensors = (await predictor.stats()).numTensors;
    const controller = new AbortController();
    let got = '';
    let error;
    try {
      for await (const ch of s.generate({ length: 1000, signal: controller.signal })) {
        got += ch;
        if (got.length === 5) controller.abort();
      }
    } catch (e) {
      error = e;
    }
    assert(error?.name === 'AbortError', `aborted with ${error?.name}`);
    assertEqual(got.length, 5, 'no character after the abort');
    await new Promise((r) => setTimeout(r, 20));
    assertEqual((await predictor.stats()).numTensors, tensors, 'generator state freed');
    await s.dispose();
  });
});
