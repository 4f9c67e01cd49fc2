import { add, concat, matMul, mul, sigmoid, split, tanh, type Tensor2D } from '@tensorflow/tfjs-core';
import { row, stackedWeights, summedBias } from './common.js';
import type { Cell } from './types.js';

interface Params {
  w: Tensor2D; // [In + H, 4H]
  b: Tensor2D; // [1, 4H]
  pi: Tensor2D; // [1, H]
  pf: Tensor2D;
  po: Tensor2D;
}

/**
 * Peephole LSTM (Gers & Schmidhuber 2000). Blocks i, f, g, o as in nn.LSTM;
 * i and f also see the old cell c, o sees the new cell c', through diagonal
 * weights: i = σ(pre_i + p_i⊙c), f = σ(pre_f + p_f⊙c), c' = f⊙c + i⊙tanh(g),
 * o = σ(pre_o + p_o⊙c'), h' = o⊙tanh(c').
 */
export const peephole: Cell<Params> = {
  gates: 4,
  hasCellState: true,
  prepare(raw) {
    if (!raw.peepI || !raw.peepF || !raw.peepO) throw new Error('peephole layer without peephole weights');
    return { w: stackedWeights(raw, 4), b: summedBias(raw), pi: row(raw.peepI), pf: row(raw.peepF), po: row(raw.peepO) };
  },
  step(p, x, s) {
    const c0 = s.c!;
    const pre = add(matMul(concat([x, s.h], 1), p.w), p.b);
    const [i, f, g, o] = split(pre, 4, 1) as Tensor2D[];
    const ig = sigmoid(add(i!, mul(p.pi, c0)));
    const fg = sigmoid(add(f!, mul(p.pf, c0)));
    const c = add(mul(fg, c0), mul(ig, tanh(g!))) as Tensor2D;
    const og = sigmoid(add(o!, mul(p.po, c)));
    return { h: mul(og, tanh(c)), c };
  },
  tensors: (p) => [p.w, p.b, p.pi, p.pf, p.po],
};
