import { add, mul, sigmoid, split, tanh, type Tensor2D } from '@tensorflow/tfjs-core';
import { row } from './common.js';
import { stackedCell } from './stacked.js';

/**
 * Peephole LSTM (Gers & Schmidhuber 2000). Blocks i, f, g, o as in nn.LSTM;
 * i and f also see the old cell c, o sees the new cell c', through diagonal
 * weights: i = σ(pre_i + p_i⊙c), f = σ(pre_f + p_f⊙c), c' = f⊙c + i⊙tanh(g),
 * o = σ(pre_o + p_o⊙c'), h' = o⊙tanh(c').
 */
export const peephole = stackedCell({
  name: 'peephole',
  gates: 4,
  hasCellState: true,
  extras(raw) {
    if (!raw.peepI || !raw.peepF || !raw.peepO) throw new Error('peephole layer without peephole weights');
    return { pi: row(raw.peepI), pf: row(raw.peepF), po: row(raw.peepO) };
  },
  fromPre(p, pre, s) {
    const c0 = s.c!;
    const [i, f, g, o] = split(pre, 4, 1) as Tensor2D[];
    const ig = sigmoid(add(i!, mul(p.pi!, c0)));
    const fg = sigmoid(add(f!, mul(p.pf!, c0)));
    const c = add(mul(fg, c0), mul(ig, tanh(g!))) as Tensor2D;
    const og = sigmoid(add(o!, mul(p.po!, c)));
    return { h: mul(og, tanh(c)), c };
  },
});
