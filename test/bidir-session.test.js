// Predictions with the caret in the middle of the text (issue 19), through
// the public API and the worker: a session of a model with the bidirectional
// part reads the line after the caret with the backward stack, from its end,
// keeping checkpoints along it. Its answers must be PyTorch's (the fixture's
// golden logits, training/make_bidir_golden.py), equal a fresh session's
// after any script of edits and caret moves, and cost only what changed.
import { createPredictor } from '../dist/index.js';
import { GOLDEN, assert, assertClose, assertEqual, loadJson, uniqueDb } from './helpers.js';
import { cps, rng } from './edits.js';

const MODEL = '/test/fixtures/bidir/';

const softmax = (z) => {
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

/** [text, cursor] → setText's predictions, as a map char → p. */
async function answer(session, text, cursor, k) {
  const u = await session.setText(text, { cursor, k });
  return { u, p: new Map(u.predictions.map((q) => [q.char, q.p])) };
}

function sameAnswers(got, want, tol, what) {
  assertEqual(got.size, want.size, `${what}: candidates`);
  const chars = [...got.keys()];
  assertClose(chars.map((c) => got.get(c)), chars.map((c) => want.get(c) ?? NaN), tol, what);
}

describe('mid-text predictions (bidirectional part) through a session', function () {
  this.timeout(300_000);
  let predictor;
  let k;
  let vocab;
  before(async () => {
    // adapt: false: these numbers are the network's own, compared with references.
    predictor = await createPredictor({ adapt: false, model: MODEL, backend: 'cpu', cache: false });
    vocab = (await loadJson(`${MODEL}model.json`)).vocab;
    k = vocab.length - 1;
  });
  after(() => predictor?.dispose());

  it("gives PyTorch's combined distribution for each golden (left, right) pair, and the forward one at the end of a line", async () => {
    const { cases } = await loadJson(`${MODEL}expected.json`);
    const s = await predictor.session();
    let worst = 0;
    let worstEnd = 0;
    // The pairs whose right text is one line (a session reads the caret's line only).
    const oneLine = cases.filter((c) => c.right !== '' && !/[\r\n]/.test(c.right));
    assert(oneLine.length >= 3, `golden pairs with a line after the caret: ${oneLine.length}`);
    for (const c of oneLine) {
      const { p } = await answer(s, c.left + c.right, c.left.length, k);
      const want = softmax(c.logits);
      // Index 0 (unknown) is not offered; the rest are.
      vocab.forEach((cp, i) => {
        if (i > 0) worst = Math.max(worst, Math.abs((p.get(String.fromCodePoint(cp)) ?? NaN) - want[i]));
      });
      // Nothing after the caret on its line (a newline, then more text): the forward head alone.
      const end = await answer(s, `${c.left}\n${c.right}`, c.left.length, k);
      const fwd = softmax(c.forwardLogits);
      vocab.forEach((cp, i) => {
        if (i > 0) worstEnd = Math.max(worstEnd, Math.abs((end.p.get(String.fromCodePoint(cp)) ?? NaN) - fwd[i]));
      });
      assertEqual((await s.stats()).right.midText, false, 'a caret at the end of its line is not mid-text');
    }
    assert(worst < 1e-5, `mid-text: max |Δp| from PyTorch's combined head: ${worst}`);
    assert(worstEnd < 1e-5, `end of line: max |Δp| from PyTorch's forward head: ${worstEnd}`);
    await s.dispose();
  });

  it('equals a fresh session after 200 random scripts of edits and caret moves, reading only what changed', async () => {
    const r = rng(4242);
    const s = await predictor.session({ checkpoints: { dense: 8 } });
    const words = ['the', 'tea', 'is', 'hot', 'so', 'it', 'a', 'day', 'no', 'ok'];
    const sentence = () => Array.from({ length: 2 + Math.floor(r() * 6) }, () => words[Math.floor(r() * words.length)]).join(' ');
    let checks = 0;
    let midTexts = 0;
    // What the backward reader read last (it keeps it while the caret is at the end of a line).
    let read = '';
    const kinds = {};
    for (let script = 0; script < 200; script++) {
      let text = `${sentence()} ${sentence()}${r() < 0.3 ? `\n${sentence()}` : ''}`;
      let cursor = Math.floor(r() * (text.length + 1));
      for (let e = 0; e < 6; e++) {
        const before = (await s.stats()).right;
        const line = (t, c) => t.slice(c).split('\n')[0];
        const oldRight = read;
        let kind = 'start';
        if (e > 0) {
          kind = ['type', 'type', 'left', 'right', 'edit-after', 'backspace'][Math.floor(r() * 6)];
          if (kind === 'type') {
            const ch = 'the tea '[Math.floor(r() * 8)];
            text = text.slice(0, cursor) + ch + text.slice(cursor);
            cursor++;
          } else if (kind === 'left') cursor = Math.max(0, cursor - 1 - Math.floor(r() * 3));
          else if (kind === 'right') cursor = Math.min(text.length, cursor + 1 + Math.floor(r() * 3));
          else if (kind === 'backspace' && cursor > 0) {
            text = text.slice(0, cursor - 1) + text.slice(cursor);
            cursor--;
          } else if (kind === 'edit-after') {
            const at = cursor + Math.floor(r() * (text.length - cursor + 1));
            text = text.slice(0, at) + 'ok' + text.slice(at);
          }
        }
        kinds[kind] = (kinds[kind] ?? 0) + 1;
        const got = await answer(s, text, cursor, k);
        const fresh = await predictor.session();
        const want = await answer(fresh, text, cursor, k);
        await fresh.dispose();
        sameAnswers(got.p, want.p, 1e-5, `script ${script} edit ${e} (${kind}) ${JSON.stringify(text)} at ${cursor}`);
        checks++;
        const after = (await s.stats()).right;
        const right = line(text, cursor);
        if (right !== '') midTexts++, (read = right);
        if (before && after && right !== '') {
          const steps = after.steps - before.steps;
          // The backward reader reads the line after the caret reversed: what it shares with the
          // last one it read is a common prefix of the reversed texts (their common suffix).
          const a = cps(oldRight).reverse();
          const b = cps(right).reverse();
          let common = 0;
          while (common < a.length && common < b.length && a[common] === b[common]) common++;
          assert(steps <= b.length - common + 8, `${kind}: ${steps} backward steps for ${b.length - common} new characters after the caret`);
          if (kind === 'type' && oldRight !== '') assertEqual(steps, 0, 'typing at the caret re-reads nothing after it');
        }
      }
    }
    assert(midTexts > 600, `mid-text answers checked: ${midTexts} of ${checks}`);
    for (const kind of ['type', 'left', 'right', 'edit-after', 'backspace']) assert(kinds[kind] > 50, `${kind}: ${kinds[kind]}`);
    await s.dispose();
  });

  it('a saved model keeps the part: it predicts the same in the middle of the text after loading', async () => {
    const dbName = uniqueDb('bidir-save');
    const p = await createPredictor({ adapt: false, model: MODEL, backend: 'cpu', cache: { dbName } });
    try {
      const s = await p.session();
      const want = await answer(s, 'the tea is  so hot', 11, k);
      await p.save('with-backward');
      const loaded = await createPredictor({ adapt: false, model: 'idb://with-backward', backend: 'cpu', cache: { dbName } });
      try {
        const got = await answer(await loaded.session(), 'the tea is  so hot', 11, k);
        sameAnswers(got.p, want.p, 1e-6, 'saved and loaded');
        const end = await answer(await loaded.session(), 'the tea is ', 11, k);
        assert([...end.p].some(([c, v]) => Math.abs(v - want.p.get(c)) > 1e-3), 'and the text after the caret still matters');
      } finally {
        await loaded.dispose();
      }
    } finally {
      await p.dispose();
    }
  });

  it('a mid-text completion is one word ending where the text after the caret resumes; stats and dispose hold', async () => {
    const s = await predictor.session();
    await s.setText('the tea is  so hot', { cursor: 11 });
    const { completions } = await s.complete({ stop: 'phrase', k: 5, minProbability: 0 });
    assert(completions.length > 0, 'something is offered');
    for (const c of completions) assert(/^[\p{L}\p{N}'’]+$/u.test(c.text), `a single word: ${JSON.stringify(c.text)}`);
    const st = await s.stats();
    assertEqual(st.right.midText, true, 'mid-text');
    assertEqual(st.right.length, cps(' so hot').length, 'the backward reader read the line after the caret');
    const before = (await predictor.stats()).numTensors;
    await s.dispose();
    assert((await predictor.stats()).numTensors < before, 'disposing the session frees its backward states too');
  });

  it('a model without the part ignores the text after the caret, and still completes one word there', async () => {
    const p = await createPredictor({ adapt: false, model: `${GOLDEN}/lstm/`, backend: 'cpu', cache: false });
    try {
      const s = await p.session();
      const mid = await s.setText('the tea is  so hot', { cursor: 11, k: 10 });
      const end = await s.setText('the tea is ', { k: 10 });
      assertClose(mid.predictions.map((q) => q.p), end.predictions.map((q) => q.p), 0, 'the same predictions');
      await s.setText('the tea is h so hot', { cursor: 12 });
      const { completions } = await s.complete({ stop: 'phrase', k: 5, minProbability: 0 });
      for (const c of completions) assert(/^[\p{L}\p{N}'’]*$/u.test(c.text), `a single word: ${JSON.stringify(c.text)}`);
      assertEqual((await s.stats()).right, null, 'no backward reader');
    } finally {
      await p.dispose();
    }
  });
});
