// The model's optional bidirectional part (issue 19; worker/model/bidir.ts):
// a backward stack that reads the text after the caret from its end, and a
// combining head over [h_forward ; h_backward]. A small random model from
// training/make_bidir_golden.py must give PyTorch's combined logits (float64)
// for each (left, right) pair, through the runtime's own modules in the page
// (test/units/bidir.entry.ts), on cpu, wasm and webgl; and the manifest's
// backward section is validated like the rest of the file.
import { assert, assertClose, assertEqual, GOLDEN, loadJson } from './helpers.js';

const DIR = '/test/fixtures/bidir/';
// The same models with a combining head that has a hidden layer (make_bidir_golden.py --mlp 5).
const MLP_DIR = '/test/fixtures/bidir-mlp/';

describe('bidirectional part', () => {
  let m;
  let json;
  let bytes;
  let expected;
  /** Both fixtures: [{ name, json, bytes, expected }]. */
  const fixtures = [];
  before(async () => {
    m = await import('/__units/bidir.js');
    for (const dir of [DIR, MLP_DIR]) {
      const j = await loadJson(`${dir}model.json`);
      const b = await (await fetch(`${dir}${j.weights.path}`)).arrayBuffer();
      fixtures.push({ name: dir === DIR ? 'linear head' : 'head with a hidden layer', json: j, bytes: b, expected: await loadJson(`${dir}expected.json`) });
    }
    ({ json, bytes, expected } = fixtures[0]);
  });

  /** Reads `ids` one step at a time from `states` (consumed); returns the new states. */
  function read(model, ids, states) {
    for (const id of ids) {
      const prev = states;
      states = m.tf.tidy(() => m.step(model, Int32Array.of(id), prev));
      m.tf.dispose(m.stateTensors(prev));
    }
    return states;
  }

  /** The values of the tensor `f` makes (in a tidy), which is then freed. */
  function values(f) {
    const t = m.tf.tidy(f);
    try {
      return t.dataSync();
    } finally {
      t.dispose();
    }
  }

  /** The backward contribution [V] of a right text: the backward stack over it reversed, from a zero state. */
  function rightOf(model, text) {
    const back = model.bidir.backward;
    const states = read(back, m.encode(back, text).reverse(), m.zeroState(back));
    try {
      return values(() => m.logits(back, states));
    } finally {
      m.tf.dispose(m.stateTensors(states));
    }
  }

  /** The logits [V] of one step of `model` on `id` from `states` (kept), through the step kernel where the backend has it. */
  function stepLogits(model, id, states, kernel) {
    if (kernel) {
      const r = m.stepWithLogits(model, Int32Array.of(id), states);
      m.tf.dispose(m.stateTensors(r.states));
      return r.logits;
    }
    return values(() => m.logits(model, m.step(model, Int32Array.of(id), states)));
  }

  for (const [backend, tol] of [['cpu', 1e-4], ['wasm', 1e-4], ['webgl', 1e-3]]) {
    it(`${backend}: the combined logits match PyTorch within ${tol} (step kernel and tfjs ops; linear head and one with a hidden layer), and the forward model's stay its own`, async () => {
      await m.selectBackend(backend, '/dist/');
      assertEqual(m.tf.getBackend(), backend, 'backend');
      for (const { name, json, bytes, expected } of fixtures) {
        const before = m.tf.memory().numTensors;
        const model = m.buildModel(m.validateManifest(json), bytes);
        const kernel = backend !== 'webgl';
        const zero = m.zeroState(model);
        const probe = m.stepWithLogits(model, Int32Array.of(1), zero);
        assertEqual(probe !== null, kernel, 'step kernel on this backend');
        m.tf.dispose([...m.stateTensors(zero), ...(probe ? m.stateTensors(probe.states) : [])]);
        try {
          assert(model.bidir !== null, 'the part is built');
          assertEqual(model.bidir.backward.manifest.cell, 'peephole', 'backward cell');
          assertEqual(model.bidir.backward.manifest.hiddenSizes, [8, 8], 'backward sizes');
          assertEqual(model.bidir.backward.lexicon, null, 'no lexicon of its own');
          let worst = 0;
          for (const c of expected.cases) {
            const ids = m.encode(model, c.left);
            const states = read(model, ids.slice(0, -1), m.zeroState(model));
            const last = ids[ids.length - 1];
            const what = `${backend}, ${name}: ${JSON.stringify(c.left)} | ${JSON.stringify(c.right)}`;
            // The forward model first, so the step kernel's inputs for its layers exist before the mid-text model steps.
            worst = Math.max(worst, assertClose(stepLogits(model, last, states, kernel), c.forwardLogits, tol, `${what}: forward logits`));
            const mid = m.midTextModel(model, model.bidir, rightOf(model, c.right));
            try {
              worst = Math.max(worst, assertClose(stepLogits(mid, last, states, kernel), c.logits, tol, `${what}: combined logits`));
              // The same step with tfjs ops (logits of the stepped state), and the forward model again: its own head.
              const next = m.tf.tidy(() => m.step(mid, Int32Array.of(last), states));
              worst = Math.max(worst, assertClose(values(() => m.logits(mid, next)), c.logits, tol, `${what}: combined logits (ops)`));
              m.tf.dispose(m.stateTensors(next));
              worst = Math.max(worst, assertClose(stepLogits(model, last, states, kernel), c.forwardLogits, tol, `${what}: forward logits after the mid-text model`));
            } finally {
              m.disposeMidText(mid);
              m.tf.dispose(m.stateTensors(states));
            }
          }
          console.log(`bidir golden ${backend}, ${name}: worst abs diff ${worst.toExponential(2)} over ${expected.cases.length} cases`);
        } finally {
          m.disposeModel(model);
        }
        assertEqual(m.tf.memory().numTensors, before, 'every tensor of the model and its part freed');
      }
    });
  }

  it('an empty right text (zero backward state) gives the plain combining head', async () => {
    await m.selectBackend('cpu', '/dist/');
    const model = m.buildModel(m.validateManifest(json), bytes);
    try {
      const zero = rightOf(model, '');
      assertEqual(Array.from(zero), new Array(json.vocab.length).fill(0), 'the backward side adds nothing');
      const c = expected.cases.find((x) => x.right === '');
      const states = read(model, m.encode(model, c.left), m.zeroState(model));
      const mid = m.midTextModel(model, model.bidir, zero);
      const got = values(() => m.logits(mid, states));
      const plain = values(() => m.tf.add(m.tf.matMul(states[states.length - 1].h, model.bidir.headW), model.bidir.headB));
      assertEqual(Array.from(got), Array.from(plain), 'the combining head, exactly');
      assertClose(got, c.logits, 1e-4, 'and PyTorch\'s');
      m.disposeMidText(mid);
      m.tf.dispose(m.stateTensors(states));
    } finally {
      m.disposeModel(model);
    }
  });

  it('beam search on the mid-text model completes the word the text after the caret implies', async () => {
    // Not a quality claim (random weights): the search runs on the combined head and differs from the forward one.
    await m.selectBackend('wasm', '/dist/');
    const model = m.buildModel(m.validateManifest(json), bytes);
    const before = m.tf.memory().numTensors;
    try {
      const states = read(model, m.encode(model, 'it is the '), m.zeroState(model));
      const o = { maxChars: 6, beamWidth: 4, stop: 'word', phraseWords: 3, k: 4, minP: 0, withSpace: false };
      const plain = await m.beamSearch(model, states, o);
      const mid = m.midTextModel(model, model.bidir, rightOf(model, 'end. no'));
      const both = await m.beamSearch(mid, states, o);
      m.disposeMidText(mid);
      m.tf.dispose(m.stateTensors(states));
      assert(plain.length > 0 && both.length > 0, 'completions');
      assert(JSON.stringify(plain) !== JSON.stringify(both), 'the text after the caret changes them');
    } finally {
      assertEqual(m.tf.memory().numTensors, before, 'beam search and the mid-text model free what they make');
      m.disposeModel(model);
    }
  });

  it('a v1 model without the section loads as before (bidir null)', async () => {
    await m.selectBackend('cpu', '/dist/');
    const v1 = await loadJson(`${GOLDEN}/lstm/model.json`);
    const manifest = m.validateManifest(v1);
    assertEqual('backward' in manifest, false, 'no backward section');
    const model = m.buildModel(manifest, await (await fetch(`${GOLDEN}/lstm/weights.bin`)).arrayBuffer());
    assertEqual(model.bidir, null, 'bidir');
    assertEqual(m.buildBidir(manifest, new Map()), null, 'buildBidir');
    m.disposeModel(model);
  });

  describe('a broken backward section is refused, naming the field', () => {
    const mutate = (f) => {
      const j = structuredClone(json);
      f(j);
      return j;
    };
    const at = (j, name) => j.tensors.findIndex((t) => t.name === name);
    const cases = [
      ['a wrong backward tensor shape', (j) => (j.tensors[at(j, 'backward.layers.1.weight_ih')].shape = [32, 6]), /field "tensors\[\d+\]\.shape" must be \[32, 8\] for "backward\.layers\.1\.weight_ih"/],
      ['a wrong combining head shape', (j) => (j.tensors[at(j, 'combine.weight')].shape = [22, 12]), /field "tensors\[\d+\]\.shape" must be \[22, 20\] for "combine\.weight"/],
      ['an unknown backward cell', (j) => (j.backward.cell = 'transformer'), /field "backward\.cell" must be one of "rnn", "lstm", "gru", "peephole", "cifg", got "transformer"/],
      ['backward.cell "constructor"', (j) => (j.backward.cell = 'constructor'), /field "backward\.cell"/],
      ['a zero backward embedding size', (j) => (j.backward.embeddingSize = 0), /field "backward\.embeddingSize" must be a positive integer/],
      ['no backward hidden sizes', (j) => (j.backward.hiddenSizes = []), /field "backward\.hiddenSizes" must be a non-empty array/],
      ['a backward hidden size that is not a number', (j) => (j.backward.hiddenSizes = [8, 'big']), /field "backward\.hiddenSizes\[1\]" must be a positive integer/],
      ['a backward section that is not an object', (j) => (j.backward = [8]), /field "backward" must be an object/],
      ['backward tensors without the section', (j) => delete j.backward, /field "tensors\[\d+\]\.name" must be .*need a "backward" section/],
      ['the section without its tensors', (j) => (j.tensors = j.tensors.filter((t) => !t.name.startsWith('combine.'))), /field "tensors" must be to include "combine\.weight"/],
      ['a backward cell whose gates do not fit the tensors', (j) => (j.backward.cell = 'gru'), /field "tensors\[\d+\]\.shape" must be \[24, 6\] for "backward\.layers\.0\.weight_ih"/],
      ['a combineHidden that is not a positive integer', (j) => (j.backward.combineHidden = 2.5), /field "backward\.combineHidden" must be a positive integer/],
      ['hidden-layer tensors without combineHidden', (j) => (j.tensors = fixtures[1].json.tensors), /field "tensors\[\d+\]\.name" must be .*"combine\.hidden\.weight"/],
      ['combineHidden without its tensors', (j) => (j.backward.combineHidden = 5), /field "tensors" must be to include "combine\.hidden\.weight"/],
    ];
    for (const [what, f, pattern] of cases) {
      it(what, () => {
        let error = null;
        try {
          m.validateManifest(mutate(f));
        } catch (e) {
          error = e;
        }
        assert(error !== null, `${what}: refused`);
        assertEqual(error.name, 'ModelFormatError', 'error name');
        assert(pattern.test(error.message), `${what}: message ${JSON.stringify(error.message)} matches ${pattern}`);
      });
    }
  });
});
