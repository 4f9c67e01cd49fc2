import { concat, dispose, tidy, type Tensor2D, type TensorContainer } from '@tensorflow/tfjs-core';
import type { LayerState } from '../cells/index.js';
import { isWordChar } from '../../src/text.js';
import { encode, logits, stateTensors, step, stepWithLogits, type Model } from './model.js';

/**
 * ln p under the language model of each of `words` followed by a character
 * that is no word character (the word ends there), after the text whose
 * state is `start` (one row; kept). The words are read side by side, one
 * batched recurrent step per character (a row whose word has ended is fed a
 * space and ignored).
 */
export function wordLogProbs(model: Model, start: LayerState[], words: readonly string[]): number[] {
  const B = words.length;
  if (B === 0) return [];
  const ids = words.map((w) => encode(model, w));
  const T = Math.max(...ids.map((a) => a.length));
  const V = model.manifest.vocab.length;
  const ends = nonWordIndices(model);
  const out = new Array<number>(B).fill(0);
  // Every word's first character from the start state's logits.
  const z0 = tidy(() => logits(model, start));
  const first = z0.dataSync() as Float32Array;
  z0.dispose();
  for (let b = 0; b < B; b++) out[b] = logProbAt(first, 0, V, ids[b]!, 0, ends);
  const space = model.index.get(32) ?? 0;
  let states = tidy(() =>
    start.map((s) => ({ h: concat(new Array<Tensor2D>(B).fill(s.h)) as Tensor2D, ...(s.c ? { c: concat(new Array<Tensor2D>(B).fill(s.c)) as Tensor2D } : {}) })),
  ) as LayerState[];
  const input = new Int32Array(B);
  try {
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) input[b] = ids[b]![t] ?? space;
      let z: Float32Array;
      let next: LayerState[];
      const fused = stepWithLogits(model, input, states);
      if (fused) ({ states: next, logits: z } = fused);
      else {
        const prev = states;
        next = tidy(() => step(model, input, prev) as unknown as TensorContainer) as unknown as LayerState[];
        const zt = tidy(() => logits(model, next));
        z = zt.dataSync() as Float32Array;
        zt.dispose();
      }
      dispose(stateTensors(states));
      states = next;
      for (let b = 0; b < B; b++) if (t + 1 <= ids[b]!.length) out[b] += logProbAt(z, b * V, V, ids[b]!, t + 1, ends);
    }
  } finally {
    dispose(stateTensors(states));
  }
  return out;
}

/** ln p, from the logits z[o, o + V), of word w's character at position t, or at t = its length of any character in `ends`. */
function logProbAt(z: ArrayLike<number>, o: number, V: number, w: number[], t: number, ends: number[]): number {
  let max = -Infinity;
  for (let v = 0; v < V; v++) if (z[o + v]! > max) max = z[o + v]!;
  let sum = 0;
  for (let v = 0; v < V; v++) sum += Math.exp(z[o + v]! - max);
  if (t < w.length) return z[o + w[t]!]! - max - Math.log(sum);
  let e = 0;
  for (const v of ends) e += Math.exp(z[o + v]! - max);
  return Math.log(e) - Math.log(sum);
}

const nonWordCache = new WeakMap<object, number[]>();
/** Vocabulary indices of the characters that are no word characters (a word ends before any of them). */
function nonWordIndices(model: Model): number[] {
  let list = nonWordCache.get(model.manifest);
  if (!list) {
    list = [];
    model.manifest.vocab.forEach((cp, i) => {
      if (i > 0 && !isWordChar(String.fromCodePoint(cp))) list!.push(i);
    });
    nonWordCache.set(model.manifest, list);
  }
  return list;
}
