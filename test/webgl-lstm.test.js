// The fused WebGL LSTM training step (worker/kernels/webgl-lstm.ts: one shader
// forward, two backward) against tfjs autodiff of the same step written with
// tfjs ops on the cpu backend: values and every gradient, over two chained
// steps so the state's own gradient (dc through the forget gate) is checked
// too. Real WebGL (SwiftShader here), in the page.
import { assert, assertClose } from './helpers.js';

const B = 3;
const H = 8;

/** Reproducible numbers in [-2, 2) (mulberry32). */
function numbers(n, seed) {
  let a = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 4 - 2;
  });
}

describe('fused WebGL LSTM training step', () => {
  let m;
  before(async () => {
    m = await import('/__units/webgl-lstm.js');
    m.registerGradients();
  });

  /**
   * Two steps from (h0, c0) with input shares xp1, xp2 and recurrent shares
   * hp1, hp2, giving [h2 | c2]; then backpropagation of a fixed dy from there.
   * Returns [h2 | c2] and the gradients in xp1, hp1, xp2, hp2 and c0, as plain arrays.
   */
  function run(tf, stepFn) {
    const [xp1, hp1, xp2, hp2] = [1, 2, 3, 4].map((s) => tf.tensor2d(numbers(B * 4 * H, s), [B, 4 * H]));
    const h0 = tf.tensor2d(numbers(B * H, 5), [B, H]);
    const c0 = tf.tensor2d(numbers(B * H, 6), [B, H]);
    const dy = tf.tensor2d(numbers(B * 2 * H, 7), [B, 2 * H]);
    const f = (a, b, c, d, c0v) => {
      const s1 = stepFn(a, b, { h: h0, c: c0v });
      const s2 = stepFn(c, d, s1);
      return tf.concat([s2.h, s2.c], 1);
    };
    const { value, grads } = tf.valueAndGrads(f)([xp1, hp1, xp2, hp2, c0], dy);
    return { value: Array.from(value.dataSync()), grads: grads.map((g) => Array.from(g.dataSync())) };
  }

  /** The step with tfjs ops, as the cells write it (worker/cells/lstm.ts). */
  const opsStep = (tf) => (xp, hp, s) => {
    const [i, f, g, o] = tf.split(tf.add(xp, hp), 4, 1);
    const c = tf.add(tf.mul(tf.sigmoid(f), s.c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
    return { h: tf.mul(tf.sigmoid(o), tf.tanh(c)), c };
  };

  it('values and gradients equal tfjs autodiff of the ops (cpu)', async () => {
    const { tf } = m;
    await m.selectBackend('cpu', '/dist/');
    m.registerTrainingKernels('cpu');
    const want = tf.tidy(() => run(tf, opsStep(tf)));
    await m.selectBackend('webgl', '/dist/');
    m.registerTrainingKernels('webgl');
    assert(m.webglLstmHere(), 'the fused step is registered on webgl');
    const before = tf.memory().numTensors;
    const got = tf.tidy(() => run(tf, m.webglLstmStep));
    assert(tf.memory().numTensors === before, 'no tensors left behind');
    assertClose(got.value, want.value, 1e-5, '[h | c] after two steps');
    ['xp1', 'hp1', 'xp2', 'hp2', 'c0'].forEach((name, k) => assertClose(got.grads[k], want.grads[k], 1e-5, `gradient in ${name}`));
    // Not vacuous: every gradient has weight.
    for (const g of want.grads) assert(g.some((v) => Math.abs(v) > 1e-2), 'a gradient that is not zero');
  });
});
