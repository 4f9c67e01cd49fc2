import { add, clone, concat, matMul, tanh, type Tensor2D } from '@tensorflow/tfjs-core';
import { stackRows, stackedWeights, summedBias, unstackRows } from './common.js';
import { fusedGates, fusedHere } from '../fused.js';
import type { Cell } from './types.js';

interface Params {
  w: Tensor2D; // [In + H, H]
  b: Tensor2D; // [1, H]
}

/** Elman RNN (PyTorch nn.RNN, tanh): h' = tanh(W_ih x + b_ih + W_hh h + b_hh). */
export const rnn: Cell<Params> = {
  gates: 1,
  hasCellState: false,
  prepare: (raw) => ({ w: stackedWeights(raw, 1), b: summedBias(raw) }),
  step(p, x, s) {
    const products = matMul(concat([x, s.h], 1), p.w);
    if (!fusedHere()) return { h: tanh(add(products, p.b)) };
    return { h: fusedGates('rnn', { pre: products, b: p.b })[0]! };
  },
  unstack(p) {
    const [wx, wh] = unstackRows(p.w, 1);
    return { wx, wh, bx: clone(p.b), rest: {} };
  },
  restack: (u) => ({ w: stackRows(u.wx, u.wh), b: clone(u.bx) }),
  stepShares: (_, xp, hp) => ({ h: tanh(add(xp, hp)) }),
  tensors: (p) => [p.w, p.b],
};
