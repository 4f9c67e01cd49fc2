import {
  add,
  clone,
  concat,
  customGrad,
  keep,
  div,
  exp,
  log,
  matMul,
  max,
  mul,
  neg,
  split,
  sub,
  sum,
  transpose,
  dispose,
  zerosLike,
  type GradSaveFunc,
  type Scalar,
  type Tensor,
  type Tensor2D,
} from '@tensorflow/tfjs-core';
import type { Cell, LayerState } from '../cells/index.js';
import type { ModelWeights } from '../model/model.js';
import type { TrainWeights } from './trainable.js';

/**
 * Mean cross-entropy in nats of logits z [N, V] against one-hot targets y
 * [N, V], with the fused gradient (softmax(z) − y) / N: one custom node on the
 * tape instead of a dozen, and no Softmax or LogSoftmax gradient to register.
 */
export function crossEntropy(z: Tensor2D, y: Tensor2D): Scalar {
  const n = z.shape[0];
  const f = customGrad((...args: (Tensor | GradSaveFunc)[]) => {
    const [logits, save] = args as [Tensor, GradSaveFunc];
    const shifted = sub(logits, max(logits, 1, true));
    const e = exp(shifted);
    const total = sum(e, 1, true);
    const value = div(neg(sum(mul(sub(shifted, log(total)), y))), n) as Scalar;
    save([e, total]);
    return {
      value,
      gradFunc: (dy: Tensor, saved: Tensor[]) => mul(div(sub(div(saved[0]!, saved[1]!), y), n), dy),
    };
  });
  return f(z) as Scalar;
}

/**
 * Reads one window (inputs x, targets y: one-hot, time-major [steps·B, V])
 * from `states` through every layer with the cells' own step functions, and
 * returns the mean loss and the state after the window. Differentiable in the
 * weights when they are variables; allocates, so run it inside tidy or a tape.
 */
export function windowLoss(
  cell: Cell<unknown>,
  weights: ModelWeights,
  x: Tensor2D,
  y: Tensor2D,
  steps: number,
  states: LayerState[],
): { loss: Scalar; states: LayerState[] } {
  // One-hot · embedding instead of gather: its gradient is a matmul, where
  // gather's needs UnsortedSegmentSum, which not every backend has.
  const embedded = matMul(x, weights.embedding) as Tensor2D;
  let inputs = steps === 1 ? [embedded] : (split(embedded, steps, 0) as Tensor2D[]);
  const out = states.map((start, l) => {
    let s = start;
    const hs: Tensor2D[] = [];
    for (let t = 0; t < steps; t++) {
      s = cell.step(weights.layers[l], inputs[t]!, s);
      hs.push(s.h);
    }
    inputs = hs;
    return s;
  });
  const top = steps === 1 ? inputs[0]! : concat(inputs, 0);
  const z = add(matMul(top, weights.headW), weights.headB) as Tensor2D;
  return { loss: crossEntropy(z, y), states: out };
}

/**
 * h·wh whose weight gradient the tape does not compute: backpropagation hands
 * each step's output gradient dy to `sink` (kept), and only dh = dy·whᵀ flows
 * on. Summed over a window, the weight gradient is then one product
 * Hᵀ·dY (see recurrentGradient) instead of one outer product per step,
 * each added into the last: the per-step work of the backward pass halves.
 */
function recurrentShare(h: Tensor2D, wh: Tensor2D, whT: Tensor2D, sink: Tensor2D[], t: number, anchor: Tensor2D | null): Tensor2D {
  const f = customGrad((...args: (Tensor | GradSaveFunc)[]) => {
    const x = args[0] as Tensor2D;
    return {
      value: matMul(x, wh),
      gradFunc: (dy: Tensor) => {
        sink[t] = keep(clone(dy as Tensor2D));
        // whᵀ made once per window: wasm runs a product with a transposed operand several times slower.
        const dh = matMul(dy as Tensor2D, whT);
        return anchor ? [dh, zerosLike(anchor)] : dh;
      },
    };
  });
  // The first step's h is the window's start state, which depends on no
  // variable: backpropagation would skip the node (and its dy) but for an
  // input that does, the step's input share, whose gradient here is zero.
  return (anchor ? f(h, anchor) : f(h)) as Tensor2D;
}

/** What a training window leaves for the recurrent weights' gradients, per layer. */
export interface RecurrentTrace {
  /** Every step's previous h, stacked [steps·B, H] (kept). */
  hPrev: Tensor2D;
  /** Every step's recurrent-share gradient, filled in by backpropagation. */
  dy: Tensor2D[];
}

/**
 * The training form of windowLoss: the same model and loss, computed with
 * each layer's input share x·wx + bx for the whole window in one product and
 * the recurrent share h·wh step by step (through recurrentShare). Call inside
 * variableGrads over every variable but the recurrent weights; then
 * recurrentGradient gives theirs from `traces`. `recurrentT`: each layer's
 * whᵀ, made before the call (the tape would free it before the backward pass).
 */
export function trainingLoss(
  cell: Cell<unknown>,
  weights: TrainWeights,
  x: Tensor2D,
  y: Tensor2D,
  steps: number,
  states: LayerState[],
  traces: RecurrentTrace[],
  recurrentT: Tensor2D[],
): { loss: Scalar; states: LayerState[] } {
  let input = matMul(x, weights.embedding) as Tensor2D;
  const out = states.map((start, l) => {
    const u = weights.layers[l]!;
    const xp = add(matMul(input, u.wx), u.bx) as Tensor2D;
    const shares = steps === 1 ? [xp] : (split(xp, steps, 0) as Tensor2D[]);
    const trace: RecurrentTrace = { hPrev: null as unknown as Tensor2D, dy: [] };
    const whT = recurrentT[l]!;
    let s = start;
    const prev: Tensor2D[] = [];
    const hs: Tensor2D[] = [];
    for (let t = 0; t < steps; t++) {
      prev.push(s.h);
      s = cell.stepShares(u.rest, shares[t]!, recurrentShare(s.h, u.wh, whT, trace.dy, t, t === 0 ? shares[0]! : null), s);
      hs.push(s.h);
    }
    trace.hPrev = keep(steps === 1 ? clone(prev[0]!) : concat(prev, 0));
    traces.push(trace);
    input = steps === 1 ? hs[0]! : concat(hs, 0);
    return s;
  });
  const z = add(matMul(input, weights.headW), weights.headB) as Tensor2D;
  return { loss: crossEntropy(z, y), states: out };
}

/**
 * A layer's recurrent weight gradient for the window: hPrevᵀ · dY, one
 * product over every step (transposed explicitly: see gradients.ts). Frees
 * the trace.
 */
export function recurrentGradient(trace: RecurrentTrace, steps: number): Tensor2D {
  if (trace.dy.length !== steps || Array.from(trace.dy).some((d) => !d)) throw new Error('fine-tuning: a step of the window got no gradient');
  const dy = steps === 1 ? trace.dy[0]! : concat(trace.dy, 0);
  const g = matMul(transpose(trace.hPrev), dy) as Tensor2D;
  dispose([trace.hPrev, ...trace.dy]);
  if (steps > 1) dy.dispose();
  return g;
}
