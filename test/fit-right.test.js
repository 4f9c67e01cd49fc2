// Mid-line word completions ranked by the text after the caret (issue 19):
// worker/model/rescore.ts continuationLogProbs reads every candidate and then
// the first characters after the caret side by side, and fitRight turns that
// into Bayes' rule for the word given both sides. Checked against the same
// model stepped one character at a time here (plain log-softmax), against the
// formula computed here, and through a session: its mid-line completions are
// the page's search plus fitRight, with the same numbers.
import { createPredictor } from '../dist/index.js';
import { GOLDEN, assert, assertClose, assertEqual, byHand } from './helpers.js';

const MODEL = `${GOLDEN}/lstm/`;

describe('mid-line completions ranked by the text after the caret (fitRight)', function () {
  this.timeout(300_000);
  let m;
  let model;
  /** The model stepped one character at a time here (helpers.js byHand). */
  let read;
  let logSoftmax;
  before(async () => {
    m = await import('/__units/bidir.js');
    await m.selectBackend('cpu', '/dist/');
    const manifest = m.validateManifest(await (await fetch(`${MODEL}model.json`)).json());
    const bytes = await (await fetch(`${MODEL}${manifest.weights.path}`)).arrayBuffer();
    model = m.buildModel(manifest, bytes);
    ({ read, logSoftmax } = byHand(m, model));
  });
  after(() => model && m.disposeModel(model));

  /** ln p(tail[from..] | start, head), one character at a time. */
  const reference = (left, head, tail, from) => {
    let states = read(m.encode(model, left));
    states = read(head, states);
    let total = 0;
    for (let j = 0; j < tail.length; j++) {
      if (j >= from) total += logSoftmax(states)[tail[j]];
      states = read([tail[j]], states);
    }
    m.tf.dispose(m.stateTensors(states));
    return total;
  };

  it('continuationLogProbs: each candidate then the tail, read side by side, as one at a time gives', () => {
    const left = 'the tea is ';
    const start = read(m.encode(model, left));
    const before = m.tf.memory().numTensors;
    const heads = ['hot', '', 'a', 'not so'].map((t) => m.encode(model, t));
    const tail = m.encode(model, ' and so on');
    for (const from of [0, 1, 3]) {
      const got = m.continuationLogProbs(model, start, heads, tail, from);
      const want = heads.map((h) => reference(left, h, tail, from));
      assertClose(got, want, 1e-5, `from ${from}`);
    }
    assertEqual(m.continuationLogProbs(model, start, heads, tail.slice(0, 1), 1), [0, 0, 0, 0], 'nothing to read after the first character');
    assertEqual(m.tf.memory().numTensors, before, 'no tensor left behind (the start state kept)');
    m.tf.dispose(m.stateTensors(start));
  });

  it("fitRight: p(w) L(w) / Σ p L times the candidates' mass to the power FIT_MASS_POWER, best first, then minP and k", () => {
    const left = 'the tea is ';
    const start = read(m.encode(model, left));
    const tail = m.encode(model, ' so hot');
    const completions = [
      { text: 'not', p: 0.3, complete: true },
      { text: 'not ', p: 0.25, complete: true },
      { text: 'a', p: 0.2, complete: true },
      { text: 'too', p: 0.1, complete: true },
      { text: 'ever', p: 0.02, complete: true },
    ];
    const words = ['not', 'a', 'too', 'ever'];
    const L = new Map(words.map((w) => [w, Math.exp(reference(left, m.encode(model, w), tail, 1))]));
    const mass = 0.3 + 0.2 + 0.1 + 0.02;
    const z = 0.3 * L.get('not') + 0.2 * L.get('a') + 0.1 * L.get('too') + 0.02 * L.get('ever');
    const share = Math.pow(mass, m.FIT_MASS_POWER);
    const want = completions
      .map((c) => ({ ...c, p: (c.p * L.get(c.text.trim()) * share) / z }))
      .sort((a, b) => b.p - a.p);
    const got = m.fitRight(model, start, completions, tail, 10, 0);
    assertEqual(got.map((c) => c.text), want.map((c) => c.text), 'order');
    assertClose(got.map((c) => c.p), want.map((c) => c.p), 1e-6, 'probabilities');
    assertClose([got.filter((c) => !c.text.endsWith(' ')).reduce((a, c) => a + c.p, 0)], [share], 1e-9, 'the words hold their total probability to the power FIT_MASS_POWER');
    assert(share > mass, 'more than they had: the words searched for fit better than those not searched for');
    const cut = m.fitRight(model, start, completions, tail, 2, want[2].p + 1e-9);
    assertEqual(cut.map((c) => c.text), want.slice(0, 2).map((c) => c.text), 'k and minP');
    assertEqual(m.fitRight(model, start, [{ text: 'not', p: 0.3, complete: true }], tail, 3, 0), [{ text: 'not', p: 0.3, complete: true }], 'one word: its own probability');
    m.tf.dispose(m.stateTensors(start));
  });

  it('fitNextChar: the next character from the word distribution fitRight gives, against the formula with every number stepped here', async () => {
    const left = 'the tea is h';
    const start = read(m.encode(model, left));
    const tail = m.encode(model, ' so hot');
    const meet = tail[0];
    // minP 0: this small model spreads its probability thin, so no word of it reaches 0.001.
    const o = { maxChars: 12, beamWidth: 4, stop: 'word', phraseWords: 3, k: 8, minP: 0, withSpace: false, meet };
    const got = await m.fitNextChar(model, model, start, o, tail);
    const words = [...new Set((await m.beamSearch(model, start, o)).map((c) => c.text))];
    assert(words.length >= 3, `candidates: ${words}`);
    // sequenceLogProbs: every character of each candidate and its end, as one at a time gives.
    const seqs = words.map((w) => [...m.encode(model, w), meet]);
    assertClose(m.sequenceLogProbs(model, start, seqs), seqs.map((q) => reference(left, [], q, 0)), 1e-5, 'sequenceLogProbs');
    const p = seqs.map((q) => Math.exp(reference(left, [], q, 0)));
    const L = words.map((w) => Math.exp(reference(left, m.encode(model, w), tail, 1)));
    const mass = p.reduce((a, x) => a + x, 0);
    const z = p.reduce((a, x, i) => a + x * L[i], 0);
    // Candidates share mass^FIT_MASS_POWER by p L; every other word keeps its share of the rest.
    const share = Math.pow(mass, m.FIT_MASS_POWER);
    const others = logSoftmax(start).map(Math.exp);
    words.forEach((w, i) => {
      others[seqs[i][0]] -= p[i];
    });
    const want = others.map((x) => Math.max(0, x) * ((1 - share) / (1 - mass)));
    words.forEach((w, i) => {
      want[seqs[i][0]] += (share * p[i] * L[i]) / z;
    });
    assertClose(Array.from(got), want, 1e-6, 'q');
    assertClose([got.reduce((a, x) => a + x, 0)], [1], 1e-6, 'a distribution');
    // This small model gives whole words little probability, so the moves are small: checked on their own.
    const base = logSoftmax(start).map(Math.exp);
    const moved = want.map((x, i) => x - base[i]);
    assert(Math.max(...moved.map(Math.abs)) > 1e-5, `the text after the caret moves the distribution: ${Math.max(...moved.map(Math.abs))}`);
    assertClose(Array.from(got, (x, i) => x - base[i]), moved, 1e-8 + 1e-3 * Math.max(...moved.map(Math.abs)), 'the moves');
    // With at most one character after the caret there is nothing to fit: the model's own distribution.
    assertClose(Array.from(await m.fitNextChar(model, model, start, o, tail.slice(0, 1))), logSoftmax(start).map(Math.exp), 1e-6, 'no tail');
    m.tf.dispose(m.stateTensors(start));
  });

  it("a session's mid-line completions are the search's candidates ranked by fitRight, the same numbers as here", async () => {
    const predictor = await createPredictor({ adapt: false, model: MODEL, backend: 'cpu', cache: false });
    try {
      const s = await predictor.session();
      for (const [left, right] of [['the tea is h', ' so hot'], ['I said t', ', and then'], ['it was a', ' day at the sea']]) {
        await s.setText(left + right, { cursor: left.length });
        const request = { beamWidth: 4, maxChars: 12, k: 3, minProbability: 0.05 };
        const { completions } = await s.complete(request);
        const start = read(m.encode(model, left));
        const meet = m.encode(model, right)[0];
        const wide = await m.beamSearch(model, start, { maxChars: 12, beamWidth: 4, stop: 'word', phraseWords: 3, k: Math.max(3, m.FIT_CANDIDATES), minP: Math.min(0.05, m.FIT_MIN_P), withSpace: false, meet });
        const want = m.fitRight(model, start, wide, m.encode(model, Array.from(right).slice(0, m.FIT_CHARS).join('')), 3, 0.05);
        assertEqual(completions.map((c) => c.text), want.map((c) => c.text), `${left}|${right}: the words`);
        assertClose(completions.map((c) => c.p), want.map((c) => c.p), 1e-5, `${left}|${right}: their probabilities`);
        // And not what the search alone ranks (the text after the caret changed something) in at least one case is checked below.
        m.tf.dispose(m.stateTensors(start));
      }
      // The text after the caret decides: the same left text, two right texts, two rankings.
      const ranks = [];
      for (const right of [' so hot', ' and then']) {
        await s.setText(`the tea is ${right}`, { cursor: 11 });
        ranks.push((await s.complete({ beamWidth: 4, maxChars: 12, k: 8, minProbability: 0 })).completions.map((c) => `${c.text} ${c.p.toFixed(4)}`));
      }
      assert(ranks[0].join() !== ranks[1].join(), `the text after the caret changes the completions: ${ranks[0]} / ${ranks[1]}`);
    } finally {
      await predictor.dispose();
    }
  });
});
