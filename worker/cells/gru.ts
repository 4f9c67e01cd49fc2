import { add, clone, matMul, mul, sigmoid, split, sub, tanh, tensor2d, type Tensor2D } from '@tensorflow/tfjs-core';
import { row, transpose } from './common.js';
import { fusedGates, fusedHere } from '../kernels/fused.js';
import type { Cell, LayerState } from './types.js';

interface Params {
  wx: Tensor2D; // W_ihᵀ [In, 3H]
  wh: Tensor2D; // W_hhᵀ [H, 3H]
  bx: Tensor2D; // [1, 3H]
  bh: Tensor2D; // [1, 3H]
}

/** From the input's share x·W_ih + b_ih and the recurrent share h·W_hh (b_hh added here, inside the reset gate's reach). */
function gruShares(bh: Tensor2D, xp: Tensor2D, hp: Tensor2D, s: LayerState): LayerState {
  const [xr, xz, xn] = split(xp, 3, 1) as Tensor2D[];
  const [hr, hz, hn] = split(add(hp, bh), 3, 1) as Tensor2D[];
  const r = sigmoid(add(xr!, hr!));
  const z = sigmoid(add(xz!, hz!));
  const n = tanh(add(xn!, mul(r, hn!)));
  return { h: add(n, mul(z, sub(s.h, n))) };
}

/**
 * GRU (PyTorch nn.GRU / cuDNN). Gate blocks r, z, n; the reset gate applies
 * after the recurrent matmul, so W_ih x and W_hh h stay separate:
 * n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn)); h' = (1−z)⊙n + z⊙h = n + z⊙(h − n).
 */
export const gru: Cell<Params> = {
  gates: 3,
  hasCellState: false,
  prepare(raw) {
    const { inputSize: n, hiddenSize: h } = raw;
    return {
      wx: tensor2d(transpose(raw.weightIh, 3 * h, n), [n, 3 * h]),
      wh: tensor2d(transpose(raw.weightHh, 3 * h, h), [h, 3 * h]),
      bx: row(raw.biasIh),
      bh: row(raw.biasHh),
    };
  },
  step(p, x, s) {
    if (!fusedHere()) return gruShares(p.bh, add(matMul(x, p.wx), p.bx), matMul(s.h, p.wh), s);
    return { h: fusedGates('gru', { xp: matMul(x, p.wx), hp: matMul(s.h, p.wh), b: p.bx, bh: p.bh, h: s.h })[0]! };
  },
  unstack: (p) => ({ wx: clone(p.wx), wh: clone(p.wh), bx: clone(p.bx), rest: { bh: clone(p.bh) } }),
  restack: (u) => ({ wx: clone(u.wx), wh: clone(u.wh), bx: clone(u.bx), bh: clone(u.rest.bh!) }),
  stepShares: (rest, xp, hp, s) => gruShares(rest.bh!, xp, hp, s),
  tensors: (p) => [p.wx, p.wh, p.bx, p.bh],
};
