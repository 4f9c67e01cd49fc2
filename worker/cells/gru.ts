import { add, matMul, mul, sigmoid, split, sub, tanh, tensor2d, type Tensor2D } from '@tensorflow/tfjs-core';
import { row, transpose } from './common.js';
import type { Cell } from './types.js';

interface Params {
  wx: Tensor2D; // W_ihᵀ [In, 3H]
  wh: Tensor2D; // W_hhᵀ [H, 3H]
  bx: Tensor2D; // [1, 3H]
  bh: Tensor2D; // [1, 3H]
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
    const [xr, xz, xn] = split(add(matMul(x, p.wx), p.bx), 3, 1) as Tensor2D[];
    const [hr, hz, hn] = split(add(matMul(s.h, p.wh), p.bh), 3, 1) as Tensor2D[];
    const r = sigmoid(add(xr!, hr!));
    const z = sigmoid(add(xz!, hz!));
    const n = tanh(add(xn!, mul(r, hn!)));
    return { h: add(n, mul(z, sub(s.h, n))) };
  },
  tensors: (p) => [p.wx, p.wh, p.bx, p.bh],
};
