import {
  add,
  concat,
  customGrad,
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
  type GradSaveFunc,
  type Scalar,
  type Tensor,
  type Tensor2D,
} from '@tensorflow/tfjs-core';
import type { Cell, LayerState } from '../cells/index.js';
import type { ModelWeights } from '../model/model.js';

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
