import { add, tensor1d, tensor2d, tidy, type Tensor, type Tensor1D, type Tensor2D } from '@tensorflow/tfjs-core';
import { cells } from '../cells/index.js';
import { BACKWARD_PREFIX, type Manifest } from './manifest.js';
import { buildLayers, weightTensors, type DecodedWeights, type HeadMlp, type Model } from './model.js';

/**
 * A model's optional bidirectional part (the manifest's backward section,
 * trained by training/bidir.py): a backward stack that reads the text after
 * the caret from its end towards the caret, one character per step from a
 * zero state, and a combining head. At the caret the next character's logits
 * are combine.weight · [h_f ; h_b] + combine.bias, h_f the forward stack's top
 * h after the text before the caret, h_b the backward stack's top h after the
 * text after it (zeros when nothing follows the caret).
 *
 * The head is linear, so it splits in two: the backward side's share
 * W_b · h_b, computed once per right text, is a bias of the forward side's
 * head W_f · h_f + b for every step and beam at that caret (midTextModel).
 *
 * A head with a hidden layer (the section's combineHidden M) adds
 * U · tanh(A_f · h_f + A_b · h_b + a) to those logits. It splits the same
 * way: A_b · h_b + a, once per right text, is the bias of a hidden layer
 * that the mid-text model's head applies to h_f (Model.mlp).
 */
export interface Bidir {
  /**
   * The backward stack as a Model of its own (same vocab; cell/sizes from the
   * section; lexicon null). Its head is the combining head's backward
   * columns: headW = [W_bᵀ | A_bᵀ] [H_b, V + M], headB = [zeros [V] | a [M]]
   * (M = 0 for a linear head), so logits(bidir.backward, states) is the
   * backward side's contribution to the combined head (see midTextModel),
   * and zeroState/step work on it unchanged.
   */
  readonly backward: Model;
  /** The combining head's forward columns, transposed: [H_f, V]; and its bias [V]. */
  readonly headW: Tensor2D;
  readonly headB: Tensor1D;
  /** The hidden layer's forward columns A_fᵀ [H_f, M] and its output Uᵀ [M, V]; null for a linear head. */
  readonly mlp: { readonly w1: Tensor2D; readonly w2: Tensor2D } | null;
}

/**
 * Uploads the bidirectional part of validated weights to the current
 * backend; null when the manifest has no backward section.
 */
export function buildBidir(manifest: Manifest, values: DecodedWeights): Bidir | null {
  const section = manifest.backward;
  if (!section) return null;
  const get = (name: string) => values.get(name)!;
  const V = manifest.vocab.length;
  const Hf = manifest.hiddenSizes[manifest.hiddenSizes.length - 1]!;
  const Hb = section.hiddenSizes[section.hiddenSizes.length - 1]!;
  const M = section.combineHidden ?? 0;
  // combine.weight is [V, Hf + Hb], row-major: each row's first Hf columns
  // see h_f, the rest h_b. Both halves go in transposed, as the head does;
  // the backward half beside the hidden layer's backward columns.
  const w = get('combine.weight');
  const wf = new Float32Array(Hf * V);
  const wb = new Float32Array(Hb * (V + M));
  for (let v = 0; v < V; v++) {
    const row = v * (Hf + Hb);
    for (let k = 0; k < Hf; k++) wf[k * V + v] = w[row + k]!;
    for (let k = 0; k < Hb; k++) wb[k * (V + M) + v] = w[row + Hf + k]!;
  }
  const bb = new Float32Array(V + M);
  let mlp: Bidir['mlp'] = null;
  if (M > 0) {
    const a = get('combine.hidden.weight'); // [M, Hf + Hb]
    const af = new Float32Array(Hf * M);
    for (let j = 0; j < M; j++) {
      const row = j * (Hf + Hb);
      for (let k = 0; k < Hf; k++) af[k * M + j] = a[row + k]!;
      for (let k = 0; k < Hb; k++) wb[k * (V + M) + V + j] = a[row + Hf + k]!;
    }
    bb.set(get('combine.hidden.bias'), V);
    const u = get('combine.out.weight'); // [V, M]
    const ut = new Float32Array(M * V);
    for (let v = 0; v < V; v++) for (let j = 0; j < M; j++) ut[j * V + v] = u[v * M + j]!;
    mlp = { w1: tensor2d(af, [Hf, M]), w2: tensor2d(ut, [M, V]) };
  }
  const own = (name: string) => get(BACKWARD_PREFIX + name);
  const bManifest: Manifest = {
    format: 'nextkey',
    version: 1,
    cell: section.cell,
    embeddingSize: section.embeddingSize,
    hiddenSizes: [...section.hiddenSizes],
    vocab: manifest.vocab,
    weights: manifest.weights,
    tensors: manifest.tensors.filter((t) => t.name.startsWith(BACKWARD_PREFIX)).map((t) => ({ ...t, name: t.name.slice(BACKWARD_PREFIX.length) })),
    card: {},
  };
  let parameters = 0;
  for (const t of bManifest.tensors) parameters += t.shape.reduce((a, b) => a * b, 1);
  const backward: Model = {
    manifest: bManifest,
    cell: cells[section.cell],
    layers: buildLayers(section, own),
    embedding: tensor2d(own('embedding'), [V, section.embeddingSize]),
    headW: tensor2d(wb, [Hb, V + M]),
    headB: tensor1d(bb),
    index: indexOf(manifest.vocab),
    parameters,
    lexicon: null,
    bidir: null,
  };
  return { backward, headW: tensor2d(wf, [Hf, V]), headB: tensor1d(get('combine.bias')), mlp };
}

function indexOf(vocab: number[]): Map<number, number> {
  const index = new Map<number, number>();
  vocab.forEach((cp, i) => {
    if (i > 0) index.set(cp, i);
  });
  return index;
}

/** Every tensor of a bidirectional part. */
export function bidirTensors(bidir: Bidir): Tensor[] {
  return [...weightTensors(bidir.backward, bidir.backward), bidir.headW, bidir.headB, ...(bidir.mlp ? [bidir.mlp.w1, bidir.mlp.w2] : [])];
}

/** Frees every tensor of a bidirectional part. */
export function disposeBidir(bidir: Bidir): void {
  for (const t of bidirTensors(bidir)) t.dispose();
}

/**
 * The forward model with the combining head in place of its own head: headW
 * = bidir.headW, headB = bidir.headB + right[0, V) (right: the backward
 * contribution [V + M] as host numbers, e.g. from logits(bidir.backward,
 * states).dataSync()), and with a hidden layer, mlp = { bidir.mlp.w1,
 * right[V, V + M), bidir.mlp.w2 }. step/stepWithLogits/logits/beamSearch on
 * it give the mid-text distribution. The returned model owns only its new
 * bias tensors: free them with disposeMidText(m).
 */
export function midTextModel(model: Model, bidir: Bidir, right: Float32Array): Model {
  const V = model.manifest.vocab.length;
  const M = bidir.mlp ? bidir.mlp.w1.shape[1] : 0;
  if (right.length !== V + M) throw new RangeError(`midTextModel: right holds ${right.length} numbers, the head takes ${V + M} (vocabulary ${V}, hidden ${M})`);
  if (bidir.headW.shape[0] !== model.headW.shape[0]) throw new RangeError(`midTextModel: the combining head reads h_f of ${bidir.headW.shape[0]}, the model's top layer has ${model.headW.shape[0]}`);
  const headB = tidy(() => add(bidir.headB, tensor1d(right.subarray(0, V))) as Tensor1D);
  const mlp: HeadMlp | undefined = bidir.mlp ? { w1: bidir.mlp.w1, b1: tensor1d(right.slice(V)), w2: bidir.mlp.w2 } : undefined;
  // Spread, not a prototype: every field a Model has, with the head replaced.
  return { ...model, headW: bidir.headW, headB, ...(mlp ? { mlp } : {}) };
}

/** Frees what midTextModel made (its head's biases); the forward model and the part stay. */
export function disposeMidText(m: Model): void {
  m.headB.dispose();
  m.mlp?.b1.dispose();
}
