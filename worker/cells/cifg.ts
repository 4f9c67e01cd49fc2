import { add, clone, concat, matMul, mul, sigmoid, split, sub, tanh, type Tensor2D } from '@tensorflow/tfjs-core';
import { stackRows, stackedWeights, summedBias, unstackRows } from './common.js';
import { fusedGates, fusedHere } from '../fused.js';
import type { Cell, LayerState } from './types.js';

interface Params {
  w: Tensor2D; // [In + H, 3H]
  b: Tensor2D; // [1, 3H]
}

/** From the gate pre-activations [B, 3H]. */
function fromPre(pre: Tensor2D, s: LayerState): LayerState {
  const [i, g, o] = split(pre, 3, 1) as Tensor2D[];
  const c = add(s.c!, mul(sigmoid(i!), sub(tanh(g!), s.c!))) as Tensor2D;
  return { h: mul(sigmoid(o!), tanh(c)), c };
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
    const products = matMul(concat([x, s.h], 1), p.w);
    if (!fusedHere()) return fromPre(add(products, p.b), s);
    const [h, c] = fusedGates('cifg', { pre: products, b: p.b, c: s.c! });
    return { h: h!, c: c! };
  },
  unstack(p) {
    const [wx, wh] = unstackRows(p.w, 3);
    return { wx, wh, bx: clone(p.b), rest: {} };
  },
  restack: (u) => ({ w: stackRows(u.wx, u.wh), b: clone(u.bx) }),
  stepShares: (_, xp, hp, s) => fromPre(add(xp, hp), s),
  tensors: (p) => [p.w, p.b],
};
