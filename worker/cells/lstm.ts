import { add, mul, sigmoid, split, tanh, type Tensor2D } from '@tensorflow/tfjs-core';
import { stackedCell } from './stacked.js';
import { webglLstmHere, webglLstmStep } from '../kernels/webgl-lstm.js';

/**
 * LSTM (PyTorch nn.LSTM). Gate blocks in the order i, f, g, o:
 * c' = σ(f)⊙c + σ(i)⊙tanh(g); h' = σ(o)⊙tanh(c').
 */
export const lstm = stackedCell({
  name: 'lstm',
  gates: 4,
  hasCellState: true,
  fromPre(_, pre, s) {
    const [i, f, g, o] = split(pre, 4, 1) as Tensor2D[];
    const c = add(mul(sigmoid(f!), s.c!), mul(sigmoid(i!), tanh(g!))) as Tensor2D;
    return { h: mul(sigmoid(o!), tanh(c)), c };
  },
  trainStep: (_, xp, hp, s) => (webglLstmHere() ? webglLstmStep(xp, hp, s) : null),
});
