import { add, clone, concat, matMul, type Tensor2D } from '@tensorflow/tfjs-core';
import type { CellType } from '../../src/protocol.js';
import { fusedGates, fusedHere } from '../kernels/fused.js';
import { stackRows, stackedWeights, summedBias, unstackRows } from './common.js';
import type { Cell, LayerState, RawLayer } from './types.js';

/** Weights of a cell that steps with [x, h]·W + b: W [In + H, G·H], b [1, G·H], and any per-unit extras ([1, H] rows). */
export type StackedParams = { w: Tensor2D; b: Tensor2D } & Record<string, Tensor2D>;

/**
 * A cell whose gates all read [x, h]·W + b (rnn, lstm, peephole, cifg): one
 * product per step, then `fromPre` (the tfjs ops, which training
 * differentiates) or, on cpu and wasm, the fused kernel (worker/kernels/fused.ts),
 * which takes the extras by name. Training splits W into its input and
 * recurrent rows (unstack) and puts them back (restack).
 */
export function stackedCell(spec: {
  name: Exclude<CellType, 'gru'>;
  gates: number;
  hasCellState: boolean;
  /** Names of the per-unit tensors besides w and b (peephole weights), made from the raw layer. */
  extras?: (raw: RawLayer) => Record<string, Tensor2D>;
  /** The new state from the pre-activations (bias added) and the extras. */
  fromPre(extras: Record<string, Tensor2D>, pre: Tensor2D, s: LayerState): LayerState;
  /** A faster differentiable training step where the backend has one (else null: fromPre). */
  trainStep?(extras: Record<string, Tensor2D>, xp: Tensor2D, hp: Tensor2D, s: LayerState): LayerState | null;
}): Cell<StackedParams> {
  const { name, gates, hasCellState, fromPre } = spec;
  // Most cells have none: no object is made per step for them.
  const none: Record<string, Tensor2D> = {};
  const extrasOf = spec.extras
    ? (p: Record<string, Tensor2D>) => {
        const { w: _w, b: _b, ...rest } = p;
        return rest;
      }
    : () => none;
  const cloned = (r: Record<string, Tensor2D>) => Object.fromEntries(Object.entries(r).map(([k, t]) => [k, clone(t)]));
  return {
    gates,
    hasCellState,
    prepare: (raw) => ({ w: stackedWeights(raw, gates), b: summedBias(raw), ...spec.extras?.(raw) }) as StackedParams,
    step(p, x, s) {
      const products = matMul(concat([x, s.h], 1), p.w);
      const rest = extrasOf(p);
      if (!fusedHere()) return fromPre(rest, add(products, p.b), s);
      const [h, c] = fusedGates(name, { pre: products, b: p.b, ...(hasCellState ? { c: s.c! } : {}), ...rest });
      return hasCellState ? { h: h!, c: c! } : { h: h! };
    },
    unstack(p) {
      const [wx, wh] = unstackRows(p.w, gates);
      return { wx, wh, bx: clone(p.b), rest: cloned(extrasOf(p)) };
    },
    restack: (u) => ({ w: stackRows(u.wx, u.wh), b: clone(u.bx), ...cloned(u.rest) }) as StackedParams,
    stepShares: (rest, xp, hp, s) => spec.trainStep?.(rest, xp, hp, s) ?? fromPre(rest, add(xp, hp), s),
    tensors: (p) => [p.w, p.b, ...Object.values(extrasOf(p))],
  };
}
