// Beam-search completion and streaming generation, checked against chains of
// single-step predictions (an independent path through the same model).
import { createPredictor, InvalidArgumentError } from '../dist/index.js';
import { GOLDEN, assert, assertEqual, assertRejects } from './helpers.js';

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
    predictor = await createPredictor({ model: `${GOLDEN}/lstm/`, backend: 'cpu', cache: false });
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

describe('generate()', () => {
  let predictor;
  before(async () => {
    predictor = await createPredictor({ model: `${GOLDEN}/gru/`, backend: 'cpu', cache: false });
  });
  after(() => predictor.dispose());

  async function collect(iter) {
    let out = '';
    for await (const ch of iter) out += ch;
    return out;
  }

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
