import { clone, dispose, variable, type Tensor, type Tensor1D, type Tensor2D, type Variable } from '@tensorflow/tfjs-core';
import type { Unstacked } from '../cells/index.js';
import type { Model, ModelWeights } from '../model/model.js';

/** The weights training reads: each layer {@link Unstacked}, as variables. */
export interface TrainWeights {
  layers: Unstacked[];
  embedding: Tensor2D;
  headW: Tensor2D;
  headB: Tensor1D;
}

/** A trainable copy of a model's weights. */
export interface Trainable {
  weights: TrainWeights;
  /** Every variable, in a fixed order (what the optimizer updates). */
  variables: Variable[];
  /**
   * The recurrent weights wh, one per layer: the tape does not see them (see
   * forward.ts, trainingLoss); their gradient is one product per window.
   */
  recurrent: Variable[];
}

let runs = 0;

/**
 * Variables initialised from the model's weights, each layer unstacked by its
 * cell (a copy: the model in use is never written to). Every cell's
 * unstacked form is { wx, bx, wh, rest }, which is what makes this generic.
 */
export function trainableCopy(model: Model): Trainable {
  const tag = `nextkey-finetune-${++runs}`;
  const variables: Variable[] = [];
  const recurrent: Variable[] = [];
  const v = <T extends Tensor>(t: T, name: string): T => {
    const x = variable(t, true, `${tag}/${name}`);
    t.dispose();
    variables.push(x);
    return x as unknown as T;
  };
  const layers = model.layers.map((p, l): Unstacked => {
    const u = model.cell.unstack(p);
    const wh = v(u.wh, `layers.${l}.wh`);
    recurrent.push(wh as unknown as Variable);
    return {
      wx: v(u.wx, `layers.${l}.wx`),
      bx: v(u.bx, `layers.${l}.bx`),
      wh,
      rest: Object.fromEntries(Object.entries(u.rest).map(([k, t]) => [k, v(t, `layers.${l}.${k}`)])),
    };
  });
  return {
    weights: {
      layers,
      embedding: v(clone(model.embedding), 'embedding'),
      headW: v(clone(model.headW), 'headW'),
      headB: v(clone(model.headB), 'headB'),
    },
    variables,
    recurrent,
  };
}

/** The variables' current values as new plain tensors, in the layout the model steps with. */
export function frozen(model: Model, t: Trainable): ModelWeights {
  return {
    layers: t.weights.layers.map((u) => model.cell.restack(u)),
    embedding: clone(t.weights.embedding),
    headW: clone(t.weights.headW),
    headB: clone(t.weights.headB),
  };
}

/** Frees a trainable copy. */
export function disposeTrainable(t: Trainable): void {
  dispose(t.variables);
}
