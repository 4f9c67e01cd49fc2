import { add, mul, sigmoid, split, sub, tanh, type Tensor2D } from '@tensorflow/tfjs-core';
import { stackedCell } from './stacked.js';

/**
 * Coupled input-forget gate LSTM (CIFG, as in mobile keyboard models). Blocks
 * i, g, o; the forget gate is 1 − σ(i), which saves a quarter of the LSTM's weights:
 * c' = (1−σ(i))⊙c + σ(i)⊙tanh(g) = c + σ(i)⊙(tanh(g) − c); h' = σ(o)⊙tanh(c').
 */
export const cifg = stackedCell({
  name: 'cifg',
  gates: 3,
  hasCellState: true,
  fromPre(_, pre, s) {
    const [i, g, o] = split(pre, 3, 1) as Tensor2D[];
    const c = add(s.c!, mul(sigmoid(i!), sub(tanh(g!), s.c!))) as Tensor2D;
    return { h: mul(sigmoid(o!), tanh(c)), c };
  },
});
