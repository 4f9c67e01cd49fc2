import { add, concat, matMul, mul, sigmoid, split, tanh, type Tensor2D } from '@tensorflow/tfjs-core';
import { stackedWeights, summedBias } from './common.js';
import type { Cell } from './types.js';

interface Params {
  w: Tensor2D; // [In + H, 4H]
  b: Tensor2D; // [1, 4H]
}

/**
 * LSTM (PyTorch nn.LSTM). Gate blocks in the order i, f, g, o:
 * c' = σ(f)⊙c + σ(i)⊙tanh(g); h' = σ(o)⊙tanh(c').
 */
export const lstm: Cell<Params> = {
  gates: 4,
  hasCellState: true,
  prepare: (raw) => ({ w: stackedWeights(raw, 4), b: summedBias(raw) }),
  step(p, x, s) {
    const pre = add(matMul(concat([x, s.h], 1), p.w), p.b);
    const [i, f, g, o] = split(pre, 4, 1) as Tensor2D[];
    const c = add(mul(sigmoid(f!), s.c!), mul(sigmoid(i!), tanh(g!))) as Tensor2D;
    return { h: mul(sigmoid(o!), tanh(c)), c };
  },
  tensors: (p) => [p.w, p.b],
};
