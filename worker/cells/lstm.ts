import { add, clone, concat, matMul, mul, sigmoid, split, tanh, type Tensor2D } from '@tensorflow/tfjs-core';
import { stackRows, stackedWeights, summedBias, unstackRows } from './common.js';
import { fusedGates, fusedHere } from '../fused.js';
import type { Cell, LayerState } from './types.js';

interface Params {
  w: Tensor2D; // [In + H, 4H]
  b: Tensor2D; // [1, 4H]
}

/** From the gate pre-activations [B, 4H]. */
function fromPre(pre: Tensor2D, s: LayerState): LayerState {
  const [i, f, g, o] = split(pre, 4, 1) as Tensor2D[];
  const c = add(mul(sigmoid(f!), s.c!), mul(sigmoid(i!), tanh(g!))) as Tensor2D;
  return { h: mul(sigmoid(o!), tanh(c)), c };
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
    const products = matMul(concat([x, s.h], 1), p.w);
    if (!fusedHere()) return fromPre(add(products, p.b), s);
    const [h, c] = fusedGates('lstm', { pre: products, b: p.b, c: s.c! });
    return { h: h!, c: c! };
  },
  unstack(p) {
    const [wx, wh] = unstackRows(p.w, 4);
    return { wx, wh, bx: clone(p.b), rest: {} };
  },
  restack: (u) => ({ w: stackRows(u.wx, u.wh), b: clone(u.bx) }),
  stepShares: (_, xp, hp, s) => fromPre(add(xp, hp), s),
  tensors: (p) => [p.w, p.b],
};
