// The typo corrector (issue 20; worker/model/corrector.ts): a character
// encoder-decoder that reads the typed word from the language model's state
// before it and writes the intended word. A small random model from
// training/make_corrector_golden.py must give PyTorch's log-probabilities
// (float64, teacher forcing) step by step; the beam search kept inside the
// lexicon must find what scoring every allowed word finds; and
// session.corrections() through the worker must answer what the same
// arithmetic gives in the page.
import { createPredictor } from '../dist/index.js';
import { InvalidArgumentError } from '../dist/index.js';
import { GOLDEN, assert, assertClose, assertEqual, assertRejects, byHand, loadJson } from './helpers.js';

const DIR = '/test/fixtures/corrector/';

describe('typo corrector', function () {
  this.timeout(120_000);
  let m;
  let json;
  let bytes;
  let expected;
  let net;
  let manifest;
  let index;
  before(async () => {
    m = await import('/__units/corrector.js');
    json = await loadJson(`${DIR}model.json`);
    bytes = await (await fetch(`${DIR}${json.weights.path}`)).arrayBuffer();
    expected = await loadJson(`${DIR}expected.json`);
    manifest = m.validateManifest(json);
    net = m.buildCorrector(manifest, m.decodeWeights(manifest, bytes));
    index = new Map(json.vocab.map((cp, i) => [cp, i]).filter(([, i]) => i > 0));
  });
  const ids = (text) => Array.from(text, (ch) => index.get(ch.codePointAt(0)) ?? 0);

  /** Log-probabilities [len(target) + 1][V] of writing target then a space, by decoderStep. */
  function teacher(hLm, typed, target) {
    const e = m.encodeWord(net, Float32Array.from(hLm), ids(typed));
    const scratch = m.decoderScratch(net, e.S);
    let h = e.h0;
    const rows = [];
    let prev = index.get(32);
    for (const id of [...ids(target), index.get(32)]) {
      const out = new Float32Array(net.Hd);
      const lp = new Float64Array(net.V);
      m.decoderStep(net, e, prev, h, out, lp, scratch);
      rows.push(Array.from(lp));
      h = out;
      prev = id;
    }
    return rows;
  }

  it('log-probabilities match PyTorch within 1e-4 at every step, and the language model state before the word too', async () => {
    assertEqual(net.parameters, json.tensors.filter((t) => t.name.startsWith('corrector.')).reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0), 'parameters');
    let worst = 0;
    for (const c of expected.cases) {
      const got = teacher(c.hLm, c.typed, c.target);
      assertEqual(got.length, c.logProbs.length, `${c.typed}: steps`);
      got.forEach((row, t) => (worst = Math.max(worst, assertClose(row, c.logProbs[t], 1e-4, `${JSON.stringify(c.typed)} → ${JSON.stringify(c.target)}, step ${t}`))));
    }
    // The language model's top h after each left text, as the session computes it.
    await m.selectBackend('cpu', '/dist/');
    const model = m.buildModel(manifest, bytes);
    try {
      for (const c of expected.cases) {
        let states = m.zeroState(model);
        for (const id of m.encode(model, c.left)) {
          const prev = states;
          states = m.tf.tidy(() => m.step(model, Int32Array.of(id), prev));
          m.tf.dispose(m.stateTensors(prev));
        }
        worst = Math.max(worst, assertClose(Array.from(states[states.length - 1].h.dataSync()), c.hLm, 1e-4, `h_lm after ${JSON.stringify(c.left)}`));
        m.tf.dispose(m.stateTensors(states));
      }
    } finally {
      m.disposeModel(model);
    }
    console.log(`corrector golden: worst abs diff ${worst.toExponential(2)} over ${expected.cases.length} cases`);
  });

  it('the beam search inside the lexicon finds the best-scoring allowed words, each scored from teacher forcing over the whole vocabulary', () => {
    const lexicon = json.lexicon;
    const known = {
      next(w) {
        const rest = lexicon.filter((x) => x.startsWith(w));
        if (!rest.length) return null;
        return { word: rest.includes(w), chars: new Set(rest.filter((x) => x.length > w.length).map((x) => x[w.length])) };
      },
    };
    const end = index.get(32);
    /**
     * ln p of `word` as correct() defines it, from decoderStep's full distributions: at each step the
     * log-softmax over the whole vocabulary at the character taken (then the end).
     */
    const score = (hLm, typed, word) => teacher(hLm, typed, word).reduce((acc, row, t) => acc + row[t < word.length ? ids(word)[t] : end], 0);
    for (const c of expected.cases) {
      if (ids(c.typed).includes(0)) {
        assertEqual(m.correct(net, Float32Array.from(c.hLm), c.typed, { k: 3, beamWidth: 4, known, index, end, maxChars: 12 }), [], 'a character outside the vocabulary: nothing');
        continue;
      }
      const got = m.correct(net, Float32Array.from(c.hLm), c.typed, { k: 5, beamWidth: 64, known, index, end, maxChars: 12 });
      // Every allowed word (the lexicon's: the typed words here are not in it, so not among them), scored exactly.
      assert(!lexicon.includes(c.typed), `${c.typed} is not a known word`);
      const allowed = new Set(lexicon);
      const all = [...allowed].map((w) => ({ text: w, s: score(c.hLm, c.typed, w) })).sort((a, b) => b.s - a.s);
      assert(got.length === 5, `${c.typed}: 5 answers`);
      for (let i = 0; i < got.length; i++) {
        assert(allowed.has(got[i].text), `${c.typed}: ${got[i].text} is allowed`);
        assertClose([Math.log(got[i].p)], [score(c.hLm, c.typed, got[i].text)], 1e-6, `${c.typed}: ${got[i].text}'s score`);
        if (i > 0) assert(got[i].p <= got[i - 1].p, 'best first');
      }
      assertEqual(got.map((g) => g.text), all.slice(0, 5).map((a) => a.text), `${c.typed}: the exhaustive top 5`);
      // A narrow beam still answers with allowed words, best first.
      const narrow = m.correct(net, Float32Array.from(c.hLm), c.typed, { k: 2, beamWidth: 2, known, index, end, maxChars: 12 });
      assert(narrow.length > 0 && narrow.every((g) => allowed.has(g.text)), `${c.typed}: beam 2`);
    }
  });

  it('a capitalised typed word may become a known word with a capital; the answers share what the decoder gives the known words', () => {
    const known = {
      next(w) {
        const rest = json.lexicon.filter((x) => x.startsWith(w));
        return rest.length ? { word: rest.includes(w), chars: new Set(rest.filter((x) => x.length > w.length).map((x) => x[w.length])) } : null;
      },
    };
    const got = m.correct(net, new Float32Array(net.Hlm), 'Tne', { k: 40, beamWidth: 64, known, index, end: index.get(32), maxChars: 8 });
    const texts = got.map((g) => g.text);
    assert(texts.includes('The') && texts.includes('Ten') && texts.includes('Tea') && texts.includes('Then'), `capitalised lexicon words: ${texts}`);
    assert(texts.every((t) => json.lexicon.includes(t) || json.lexicon.includes(t[0].toLowerCase() + t.slice(1))), `nothing else: ${texts}`);
    // Every allowed word listed: together they hold what the decoder gives known words, less than all of it
    // (the rest is on strings outside the word list), and each p is the decoder's own.
    const sum = got.reduce((a, g) => a + g.p, 0);
    assert(sum > 0 && sum < 1, `the known words' share of the decoder's probability: ${sum}`);
    // A typed word that is a known word is one of the answers ("the" as typed).
    const own = m.correct(net, new Float32Array(net.Hlm), 'the', { k: 40, beamWidth: 64, known, index, end: index.get(32), maxChars: 8 });
    assert(own.some((g) => g.text === 'the'), 'the typed word, known, is among them');
  });

  it('wordLogProbs: each word and its end, read side by side, as one word at a time from the same state gives', async () => {
    await m.selectBackend('cpu', '/dist/');
    const model = m.buildModel(manifest, bytes);
    const before = m.tf.memory().numTensors;
    try {
      const { read, logSoftmax: lsm } = byHand(m, model);
      // The end of a word: any character that is not a word character (space, punctuation, newline).
      const ends = json.vocab.map((cp, i) => (i > 0 && !/[\p{L}\p{N}\p{M}'\u2019]/u.test(String.fromCodePoint(cp)) ? i : -1)).filter((i) => i >= 0);
      const start = read(m.encode(model, 'it is '), m.zeroState(model));
      const words = ['the', 'a', 'there', 'note', 'x'];
      const got = m.wordLogProbs(model, start, words);
      const want = words.map((w) => {
        let states = read([], start.map((s) => ({ h: m.tf.clone(s.h), ...(s.c ? { c: m.tf.clone(s.c) } : {}) })));
        let total = 0;
        for (const id of m.encode(model, w)) {
          total += lsm(states)[id];
          states = read([id], states);
        }
        const last = lsm(states);
        total += Math.log(ends.reduce((a, i) => a + Math.exp(last[i]), 0));
        m.tf.dispose(m.stateTensors(states));
        return total;
      });
      assertClose(got, want, 1e-5, 'ln p of each word and its end');
      m.tf.dispose(m.stateTensors(start));
    } finally {
      assertEqual(m.tf.memory().numTensors, before, 'wordLogProbs frees what it makes');
      m.disposeModel(model);
    }
  });

  describe('a broken corrector section is refused, naming the field', () => {
    const cases = [
      ['a zero decoder size', (j) => (j.corrector.decoderSize = 0), /field "corrector\.decoderSize" must be a positive integer/],
      ['a section that is not an object', (j) => (j.corrector = 5), /field "corrector" must be an object/],
      ['sizes that do not fit the tensors', (j) => (j.corrector.encoderSize = 6), /field "tensors\[\d+\]\.shape" must be \[6, 12\] for "corrector\.encoder\.init\.weight"/],
      ['corrector tensors without the section', (j) => delete j.corrector, /need a "corrector" section/],
      ['the section without its tensors', (j) => (j.tensors = j.tensors.filter((t) => t.name !== 'corrector.out.bias')), /include "corrector\.out\.bias"/],
    ];
    for (const [what, f, pattern] of cases) {
      it(what, () => {
        const j = structuredClone(json);
        f(j);
        let error = null;
        try {
          m.validateManifest(j);
        } catch (e) {
          error = e;
        }
        assert(error !== null, `${what}: refused`);
        assertEqual(error.name, 'ModelFormatError', 'error name');
        assert(pattern.test(error.message), `${what}: ${JSON.stringify(error.message)} matches ${pattern}`);
      });
    }
  });

  describe('session.corrections() through the worker', () => {
    let predictor;
    before(async () => {
      predictor = await createPredictor({ adapt: false, model: DIR, backend: 'cpu', cache: false });
    });
    after(() => predictor?.dispose());

    /** What the page computes for `typed` after `left`: the decoder's candidates in the model's lexicon, rescored with the language model. */
    async function reference(left, typed, k = 3) {
      await m.selectBackend('cpu', '/dist/');
      const model = m.buildModel(manifest, bytes);
      try {
        let states = m.zeroState(model);
        for (const id of m.encode(model, left)) {
          const prev = states;
          states = m.tf.tidy(() => m.step(model, Int32Array.of(id), prev));
          m.tf.dispose(m.stateTensors(prev));
        }
        const h = states[states.length - 1].h.dataSync().slice();
        const list = m.correct(net, h, typed, m.correctionOptions(index, model.lexicon.lookup(), typed, Math.max(k, m.RESCORED), m.CORRECTION_BEAM));
        const lm = m.wordLogProbs(model, states, list.map((c) => c.text));
        m.tf.dispose(m.stateTensors(states));
        // A word with no text before it: the language model's weight for a word alone.
        return m.rescored(list, lm, typed, left === '' ? m.CORRECTOR_LM_WEIGHT_ALONE : m.CORRECTOR_LM_WEIGHT).slice(0, k);
      } finally {
        m.disposeModel(model);
      }
    }

    it('the model says it has the part', () => {
      assertEqual(predictor.model.parts, { bidirectional: false, corrector: true }, 'parts');
    });

    it('corrects the word before the caret, or the one a space or punctuation mark just ended', async () => {
      const s = await predictor.session();
      for (const [text, start, typed] of [
        ['it is hte', 6, 'hte'],
        ['it is hte ', 6, 'hte'],
        ['a cup of tee,', 9, 'tee'],
        ['Tne', 0, 'Tne'],
        ['it is\r\nnto', 7, 'nto'],
      ]) {
        await s.setText(text);
        const r = await s.corrections();
        assertEqual(r.word, { start, end: start + typed.length, text: typed, known: false }, `${JSON.stringify(text)}: the word`);
        assert(r.current, 'current');
        const want = await reference(text.slice(0, start).replace(/\r\n/g, '\n'), typed);
        assertEqual(r.corrections.map((c) => c.text), want.map((c) => c.text), `${JSON.stringify(text)}: the page's answer`);
        assertClose(r.corrections.map((c) => c.p), want.map((c) => c.p), 1e-6, `${JSON.stringify(text)}: probabilities`);
      }
      // Nothing to correct: an empty text, two spaces after the word, a caret after punctuation and space.
      for (const text of ['', 'it is  ', 'it is. ']) {
        await s.setText(text);
        const r = await s.corrections();
        assertEqual([r.word, r.corrections], [null, []], `${JSON.stringify(text)}: no word`);
      }
    });

    it('a range names another word of the text before the caret; a bad one is refused, naming it', async () => {
      const s = await predictor.session();
      await s.setText('tehre it is nto');
      const r = await s.corrections({ range: { start: 0, end: 5 }, k: 2 });
      assertEqual(r.word, { start: 0, end: 5, text: 'tehre', known: false }, 'the word');
      const known = await s.corrections({ range: { start: 6, end: 8 } });
      assertEqual(known.word, { start: 6, end: 8, text: 'it', known: true }, 'a word of the lexicon is known');
      const want = await reference('', 'tehre', 2);
      assertEqual(r.corrections.map((c) => c.text), want.map((c) => c.text), 'the page\'s answer');
      await assertRejects(s.corrections({ range: { start: 0, end: 40 } }), InvalidArgumentError, /range.*after the caret/, 'past the caret');
      await assertRejects(s.corrections({ range: { start: 3, end: 8 } }), InvalidArgumentError, /not a word character/, 'spaces inside');
      await assertRejects(s.corrections({ range: { start: 2, end: 1 } }), InvalidArgumentError, /corrections\(\{ range \}\)/, 'backwards');
      await assertRejects(s.corrections({ k: 0 }), InvalidArgumentError, /corrections\(\{ k \}\)/, 'k');
    });

    it('a model without the part says so, and corrections() is refused with the reason', async () => {
      const p = await createPredictor({ adapt: false, model: `${GOLDEN}/lstm/`, backend: 'cpu', cache: false });
      try {
        assertEqual(p.model.parts.corrector, false, 'parts.corrector');
        const s = await p.session();
        await s.setText('teh ');
        await assertRejects(s.corrections(), InvalidArgumentError, /no typo corrector/, 'refused');
      } finally {
        p.dispose();
      }
    });
  });
});
