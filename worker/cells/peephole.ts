import { add, clone, concat, matMul, mul, sigmoid, split, tanh, type Tensor2D } from '@tensorflow/tfjs-core';
import { row, stackRows, stackedWeights, summedBias, unstackRows } from './common.js';
import { fusedGates, fusedHere } from '../fused.js';
import type { Cell, LayerState } from './types.js';

interface Params {
  w: Tensor2D; // [In + H, 4H]
  b: Tensor2D; // [1, 4H]
  pi: Tensor2D; // [1, H]
  pf: Tensor2D;
  po: Tensor2D;
}

type Peepholes = Pick<Params, 'pi' | 'pf' | 'po'>;

/** From the gate pre-activations [B, 4H] and the peephole weights. */
function fromPre(p: Peepholes, pre: Tensor2D, s: LayerState): LayerState {
  const c0 = s.c!;
  const [i, f, g, o] = split(pre, 4, 1) as Tensor2D[];
  const ig = sigmoid(add(i!, mul(p.pi, c0)));
  const fg = sigmoid(add(f!, mul(p.pf, c0)));
  const c = add(mul(fg, c0), mul(ig, tanh(g!))) as Tensor2D;
  const og = sigmoid(add(o!, mul(p.po, c)));
  return { h: mul(og, tanh(c)), c };
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
    const products = matMul(concat([x, s.h], 1), p.w);
    if (!fusedHere()) return fromPre(p, add(products, p.b), s);
    const [h, c] = fusedGates('peephole', { pre: products, b: p.b, c: s.c!, pi: p.pi, pf: p.pf, po: p.po });
    return { h: h!, c: c! };
  },
  unstack(p) {
    const [wx, wh] = unstackRows(p.w, 4);
    return { wx, wh, bx: clone(p.b), rest: { pi: clone(p.pi), pf: clone(p.pf), po: clone(p.po) } };
  },
  restack: (u) => ({ w: stackRows(u.wx, u.wh), b: clone(u.bx), pi: clone(u.rest.pi!), pf: clone(u.rest.pf!), po: clone(u.rest.po!) }),
  stepShares: (rest, xp, hp, s) => fromPre(rest as unknown as Peepholes, add(xp, hp), s),
  tensors: (p) => [p.w, p.b, p.pi, p.pf, p.po],
};
