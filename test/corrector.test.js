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

  /** Optimal-string-alignment distance by the textbook table (no cut-off), the first letters lower-cased. */
  function osa(a, b) {
    const low = (w) => {
      const c = Array.from(w);
      if (c.length) c[0] = c[0].toLowerCase();
      return c;
    };
    const x = low(a);
    const y = low(b);
    const d = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
    for (let i = 1; i <= x.length; i++) {
      for (let j = 1; j <= y.length; j++) {
        d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
        if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
    return d[x.length][y.length];
  }

  /** The words of a sorted list within `max` edits of `typed`, by comparing each (osa), nearest first, then in the list's order. */
  const nearByHand = (words, typed, max) =>
    words.map((w, i) => ({ word: w, d: osa(typed, w), i })).filter((x) => x.word !== typed && x.d <= max).sort((a, b) => a.d - b.d || a.i - b.i).map(({ word, d }) => ({ word, d }));

  it('near words: the trie walk finds what comparing every word finds, nearest first, the first letter in either case', () => {
    // A made-up list with shared prefixes, a capital, an apostrophe and a non-ASCII letter, and the fixture's lexicon.
    const made = [...new Set(['Caribbean', 'abandon', 'abandoned', 'about', 'accommodate', 'aggressor', 'agrees', 'café', 'cafés', 'can', "can't", 'career', 'carrier', 'the', 'their', 'thief', 'then', 'three', 'Thief', 'tier'])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const words of [made, json.lexicon]) {
      const trie = m.WordTrie.of(words);
      const typedWords = ['carribean', 'abondon', 'agressor', 'theif', 'Teh', 'cafe', 'cant', 'the', 'a', 'xyzzy', 'tne', 'noet', "dont"];
      for (const typed of typedWords) {
        for (const max of [0, 1, 2, 3]) {
          const want = nearByHand(words, typed, max);
          assertEqual(trie.near(typed, max), want, `${JSON.stringify(typed)} within ${max}`);
          assertEqual(m.nearIn(words, typed, max), want, `${JSON.stringify(typed)} within ${max}, word by word`);
          assertEqual(trie.near(typed, max, 2), want.slice(0, 2), `${JSON.stringify(typed)} within ${max}, the nearest 2`);
        }
      }
    }
    const trie = m.WordTrie.of(made);
    assertEqual(trie.near('carribean', 2), [{ word: 'Caribbean', d: 2 }], 'a capitalised word found from a lower-case first letter');
    assertEqual(trie.near('theif', 1).map((x) => x.word), ['Thief', 'their', 'thief'], 'distance 1: a substitution or a swap; the list order for ties');
    assertEqual(trie.near('thei', 1).map((x) => x.word), ['the', 'their', 'then'], 'distance 1: a deletion, an insertion, a substitution');
    assert(!trie.near('the', 2).some((x) => x.word === 'the'), 'the typed word is never an answer');
    // The lexicon's words and the user's, one list: nearest first, the lexicon's first at a distance, at most `limit`.
    assertEqual(m.nearWords(trie, ['theis', 'thief', 'thier'], 'theif', 1, 10), ['Thief', 'their', 'thief', 'theis'], 'lexicon and user words, each once');
    const user = ['theis', 'thiefs', 'thier'];
    const merged = [...nearByHand(made, 'theif', 2), ...nearByHand(user, 'theif', 2)].sort((a, b) => a.d - b.d).map((x) => x.word);
    assertEqual(m.nearWords(trie, user, 'theif', 2, 20), merged, 'distance 2 after 1, each list in its order');
    assertEqual(m.nearWords(trie, null, 'theif', 1, 2), ['Thief', 'their'], 'limit');
    assertEqual(m.nearWords(null, null, 'theif', 1, 2), [], 'no lists');
    assertEqual(m.nearWords(trie, null, 'theif', 0, 8), [], 'no edits');
    let threw = null;
    try {
      m.WordTrie.of(['b', 'a']);
    } catch (e) {
      threw = e;
    }
    assert(threw instanceof RangeError && /not sorted/.test(threw.message), 'an unsorted list is refused');
  });

  it('scoreWords gives each word what teacher forcing gives it (and what a beam gives it); candidates() adds the near words and keeps the best by decoder and edits, within the prune', () => {
    const end = index.get(32);
    const score = (hLm, typed, word) => teacher(hLm, typed, word).reduce((acc, row, t) => acc + row[t < word.length ? ids(word)[t] : end], 0);
    const lexicon = json.lexicon;
    const known = m.WordTrie.of(lexicon);
    const lookup = {
      next(w) {
        const rest = lexicon.filter((x) => x.startsWith(w));
        return rest.length ? { word: rest.includes(w), chars: new Set(rest.filter((x) => x.length > w.length).map((x) => x[w.length])) } : null;
      },
    };
    for (const c of expected.cases) {
      const hLm = Float32Array.from(c.hLm);
      const words = ['the', 'then', 'there', 'tea', 'a', 'The', 'note', 'zz', 'the'];
      const got = m.scoreWords(net, hLm, c.typed, words, index, end);
      if (ids(c.typed).includes(0)) {
        assert(got.every((x) => x === -Infinity), `${c.typed}: a typed character outside the vocabulary`);
        continue;
      }
      // "zz": a character outside the vocabulary, a word the decoder cannot write.
      const writable = words.map((w) => !ids(w).includes(0));
      assertEqual(got.map((x, i) => x === -Infinity && !writable[i]), writable.map((ok) => !ok), `${c.typed}: -Infinity exactly for the words it cannot write`);
      assertClose(got.filter((_, i) => writable[i]), words.filter((_, i) => writable[i]).map((w) => score(c.hLm, c.typed, w)), 1e-6, `${c.typed}: scoreWords against teacher forcing`);
      const beam = m.correct(net, hLm, c.typed, { k: 5, beamWidth: 64, known: lookup, index, end, maxChars: 12 });
      assertClose(m.scoreWords(net, hLm, c.typed, beam.map((b) => b.text), index, end), beam.map((b) => Math.log(b.p)), 1e-6, `${c.typed}: the beam's own scores`);
      // candidates(): the beam's words and the near ones, the best k by ln p_dec − penalty · edits.
      const o = { k: 4, beamWidth: 2, known: lookup, index, end, maxChars: 12, prune: 20 };
      const near = (t, max) => m.nearWords(known, null, t, max, m.NEAR_LIMIT);
      const list = m.candidates(net, hLm, c.typed, o, near, 3);
      const max = m.nearEdits(Array.from(c.typed).length);
      // A typed word in lower case: a capitalised near word is read in lower case where the lexicon
      // lacks that form ("Caribbean"), and left out where it has it ("The" beside "the") or where
      // that form is the typed word; edits are counted with its first letter lower-cased, and the
      // capital costs CORRECTOR_CASE_PENALTY.
      const lowerTyped = /^\p{Ll}/u.test(c.typed);
      const capital = (w) => /^\p{Lu}/u.test(w);
      const lower = (w) => w[0].toLowerCase() + w.slice(1);
      const form = (w) => (lowerTyped && capital(w) && !lexicon.includes(lower(w)) ? lower(w) : w);
      const beamWords = m.correct(net, hLm, c.typed, o).map((x) => x.text);
      const nearWords = nearByHand(lexicon, c.typed, max)
        .slice(0, m.NEAR_LIMIT)
        .map((x) => x.word)
        .filter((w) => !beamWords.includes(w) && form(w) !== c.typed && !(lowerTyped && capital(w) && form(w) === w));
      const pool = [...new Set([...beamWords, ...nearWords])];
      const decoderScore = (w) => score(c.hLm, c.typed, beamWords.includes(w) ? w : form(w));
      const cap = (w) => m.editDistance(Array.from(c.typed, (ch) => ch.codePointAt(0)), Array.from(lowerTyped ? lower(w) : w, (ch) => ch.codePointAt(0)), m.EDIT_CAP);
      const cost = (w) => 3 * cap(w) + (lowerTyped && capital(w) ? m.CORRECTOR_CASE_PENALTY : 0);
      const want = max === 0 ? beamWords : pool.map((w) => ({ w, s: decoderScore(w) - cost(w) })).sort((a, b) => b.s - a.s).filter((x, _, all) => x.s >= all[0].s - Math.log(20)).slice(0, 4).map((x) => x.w);
      assertEqual(list.map((x) => x.text), want, `${c.typed}: candidates`);
      assertClose(list.map((x) => Math.log(x.p)), list.map((x) => decoderScore(x.text)), 1e-6, `${c.typed}: candidates' decoder scores`);
    }
  });

  it('rescored: ln p_dec + β · lm − penalty · edits (first letter folded for a lower-case typed word) − the capital\'s cost + prior; countPrior: weight · ln 2 · class', () => {
    const list = [{ text: 'agin', p: 0.6 }, { text: 'again', p: 0.3 }, { text: 'Again', p: 0.1 }];
    const lm = [-5, -3, -9];
    const prior = [0.2, 3.1, 0];
    const got = m.rescored(list, lm, 'agina', 0.5, 4, prior, m.CORRECTOR_CASE_PENALTY);
    const cps = (w) => Array.from(w, (ch) => ch.codePointAt(0));
    const edits = [m.editDistance(cps('agina'), cps('agin'), 8), m.editDistance(cps('agina'), cps('again'), 8), m.editDistance(cps('agina'), cps('again'), 8)];
    assertEqual(edits, [1, 2, 2], 'edits by the textbook table');
    const scores = list.map((c, i) => Math.log(c.p) + 0.5 * lm[i] - 4 * edits[i] - (i === 2 ? m.CORRECTOR_CASE_PENALTY : 0) + prior[i]);
    const z = scores.reduce((a, x) => a + Math.exp(x), 0);
    const want = list.map((c, i) => ({ text: c.text, p: Math.exp(scores[i]) / z })).sort((a, b) => b.p - a.p);
    assertEqual(got.map((c) => c.text), want.map((c) => c.text), 'order');
    assertClose(got.map((c) => c.p), want.map((c) => c.p), 1e-12, 'probabilities');
    // In a sentence (the default casePenalty 0) the capital costs nothing.
    const inText = m.rescored(list, lm, 'agina', 0.5, 4, prior);
    const textScores = list.map((c, i) => Math.log(c.p) + 0.5 * lm[i] - 4 * edits[i] + prior[i]);
    const tz = textScores.reduce((a, x) => a + Math.exp(x), 0);
    assertClose(list.map((c) => inText.find((x) => x.text === c.text).p), textScores.map((x) => Math.exp(x) / tz), 1e-12, 'no capital cost in a sentence');
    // A typed word with a capital: no folding, no capital cost.
    const capital = m.rescored(list, lm, 'Agina', 0.5, 4, undefined, m.CORRECTOR_CASE_PENALTY);
    const capScores = list.map((c, i) => Math.log(c.p) + 0.5 * lm[i] - 4 * m.editDistance(cps('Agina'), cps(c.text), 8));
    const cz = capScores.reduce((a, x) => a + Math.exp(x), 0);
    assertClose(list.map((c) => capital.find((x) => x.text === c.text).p), capScores.map((x) => Math.exp(x) / cz), 1e-12, 'a capitalised typed word');
    const lexicon = { counted: true, countClass: (w) => ({ the: 15, agin: 2 })[w] ?? null };
    assertClose(m.countPrior(lexicon, ['the', 'agin', 'zqx'], 0.5), [0.5 * Math.LN2 * 15, 0.5 * Math.LN2 * 2, 0.5 * Math.LN2 * 1], 1e-12, 'countPrior');
    assertEqual(m.countPrior({ counted: false, countClass: () => 9 }, ['the', 'a']), [0, 0], 'no counts: no prior');
    assertEqual(m.countPrior(null, ['the']), [0], 'no lexicon: no prior');
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

    /** What the page computes for `typed` after `left`: the decoder's candidates in the model's lexicon and its near words, rescored with the language model. */
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
        const trie = m.WordTrie.of(json.lexicon);
        const near = (t, max) => m.nearWords(trie, null, t, max, m.NEAR_LIMIT);
        const list = m.candidates(net, h, typed, m.correctionOptions(index, model.lexicon.lookup(), typed, Math.max(k, m.RESCORED), m.CORRECTION_BEAM), near);
        const lm = m.wordLogProbs(model, states, list.map((c) => c.text));
        m.tf.dispose(m.stateTensors(states));
        // A word with no text before it: the language model's weight for a word alone, and how common each word is.
        const prior = left === '' ? m.countPrior(model.lexicon, list.map((c) => c.text)) : undefined;
        return m.rescored(list, lm, typed, left === '' ? m.CORRECTOR_LM_WEIGHT_ALONE : m.CORRECTOR_LM_WEIGHT, undefined, prior, left === '' ? m.CORRECTOR_CASE_PENALTY : 0).slice(0, k);
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
  describe('the default model: a word alone, and names typed in lower case', () => {
    let predictor;
    before(async () => {
      predictor = await createPredictor({ adapt: false, model: '/models/default/', backend: 'wasm', cache: false });
    });
    after(() => predictor?.dispose());

    it('"carribean" is offered "Caribbean" (a name the lexicon has only with its capital); a word alone the commoner of near words (the lexicon\'s counts)', async () => {
      const s = await predictor.session();
      await s.setText('carribean');
      const name = await s.corrections({ k: 3 });
      console.log(`carribean: ${JSON.stringify(name.corrections.map((c) => [c.text, +c.p.toFixed(3)]))}`);
      assertEqual(name.word.known, false, '"carribean" is no known word');
      assertEqual(name.corrections[0]?.text, 'Caribbean', 'the name first');
      // "adress": a misspelling the lexicon holds (the corpus has it a few times), "address" thousands of times.
      await s.setText('adress');
      const word = await s.corrections({ k: 3 });
      console.log(`adress: ${JSON.stringify(word.corrections.map((c) => [c.text, +c.p.toFixed(3)]))}`);
      assertEqual(word.word.known, true, '"adress" is in the lexicon');
      assertEqual(word.corrections[0]?.text, 'address', 'the common word first');
      assert(word.corrections.some((c) => c.text === 'adress'), 'the typed word is a candidate too');
      await s.setText('agina');
      const again = await s.corrections({ k: 3 });
      console.log(`agina: ${JSON.stringify(again.corrections.map((c) => [c.text, +c.p.toFixed(3)]))}`);
      assertEqual(again.corrections[0]?.text, 'again', '"again" before the rare "agin"');
      // In a sentence the language model reads the capital itself, and the capital costs nothing more.
      await s.setText('we sailed across the carribean');
      const inText = await s.corrections({ k: 3 });
      console.log(`…across the carribean: ${JSON.stringify(inText.corrections.map((c) => [c.text, +c.p.toFixed(3)]))}`);
      assertEqual(inText.corrections[0]?.text, 'Caribbean', 'in a sentence too');
    });
  });
});
