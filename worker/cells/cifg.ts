import { add, concat, matMul, mul, sigmoid, split, sub, tanh, type Tensor2D } from '@tensorflow/tfjs-core';
import { stackedWeights, summedBias } from './common.js';
import type { Cell } from './types.js';

interface Params {
  w: Tensor2D; // [In + H, 3H]
  b: Tensor2D; // [1, 3H]
}

/**
 * Coupled input-forget gate LSTM (CIFG, as in mobile keyboard models). Blocks
 * i, g, o; the forget gate is 1 − σ(i), which saves a quarter of the LSTM's weights:
 * c' = (1−σ(i))⊙c + σ(i)⊙tanh(g) = c + σ(i)⊙(tanh(g) − c); h' = σ(o)⊙tanh(c').
 */
export const cifg: Cell<Params> = {
  gates: 3,
  hasCellState: true,
  prepare: (raw) => ({ w: stackedWeights(raw, 3), b: summedBias(raw) }),
  step(p, x, s) {
    const pre = add(matMul(concat([x, s.h], 1), p.w), p.b);
    const [i, g, o] = split(pre, 3, 1) as Tensor2D[];
    const c = add(s.c!, mul(sigmoid(i!), sub(tanh(g!), s.c!))) as Tensor2D;
    return { h: mul(sigmoid(o!), tanh(c)), c };
  },
  tensors: (p) => [p.w, p.b],
};
