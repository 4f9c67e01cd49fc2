import { clone, variable, type Tensor, type Tensor1D, type Tensor2D, type Variable } from '@tensorflow/tfjs-core';
import type { Model, ModelWeights } from '../model/model.js';

/** A trainable copy of a model's weights: variables in the layouts the cells step with. */
export interface Trainable {
  weights: ModelWeights;
  variables: Variable[];
}

let runs = 0;

/**
 * Variables initialised from the model's weights. They share the weights'
 * storage until the optimizer's first assign gives them their own, so the
 * model in use is never written to. Every cell's params are a flat record of
 * tensors ({ w, b }, { wx, wh, bx, bh }, …), which is what makes this generic.
 */
export function trainableCopy(model: Model): Trainable {
  const tag = `nextkey-finetune-${++runs}`;
  const variables: Variable[] = [];
  const v = <T extends Tensor>(t: T, name: string): T => {
    const x = variable(t, true, `${tag}/${name}`);
    variables.push(x);
    return x as unknown as T;
  };
  const layers = model.layers.map((p, l) => {
    const entries = Object.entries(p as Record<string, Tensor>);
    const expected = new Set(model.cell.tensors(p));
    if (entries.length !== expected.size || entries.some(([, t]) => !expected.has(t))) {
      throw new Error(`fine-tuning: layer ${l} params are not a flat record of the cell's tensors`);
    }
    return Object.fromEntries(entries.map(([k, t]) => [k, v(t, `layers.${l}.${k}`)]));
  });
  return {
    weights: {
      layers,
      embedding: v(model.embedding, 'embedding'),
      headW: v(model.headW, 'headW'),
      headB: v(model.headB, 'headB'),
    },
    variables,
  };
}

/** Plain tensors holding the variables' current values (sharing storage, no copy), for the model to run on. */
export function frozen(t: Trainable): ModelWeights {
  const c = <T extends Tensor>(x: T): T => clone(x);
  return {
    layers: t.weights.layers.map((p) => Object.fromEntries(Object.entries(p as Record<string, Tensor>).map(([k, x]) => [k, c(x)]))),
    embedding: c(t.weights.embedding) as Tensor2D,
    headW: c(t.weights.headW) as Tensor2D,
    headB: c(t.weights.headB) as Tensor1D,
  };
}
