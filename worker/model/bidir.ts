import { add, tensor1d, tensor2d, tidy, zeros, type Tensor, type Tensor1D, type Tensor2D } from '@tensorflow/tfjs-core';
import { cells } from '../cells/index.js';
import { BACKWARD_PREFIX, type Manifest } from './manifest.js';
import { buildLayers, weightTensors, type DecodedWeights, type Model } from './model.js';

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
 */
export interface Bidir {
  /**
   * The backward stack as a Model of its own (same vocab; cell/sizes from the
   * section; lexicon null). Its head is the combining head's backward
   * columns: headW = W_bᵀ [H_b, V], headB = zeros [V], so
   * logits(bidir.backward, states) is the backward side's contribution to the
   * combined logits, and zeroState/step/stepWithLogits work on it unchanged.
   */
  readonly backward: Model;
  /** The combining head's forward columns, transposed: [H_f, V]; and its bias [V]. */
  readonly headW: Tensor2D;
  readonly headB: Tensor1D;
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
  // combine.weight is [V, Hf + Hb], row-major: each row's first Hf columns
  // see h_f, the rest h_b. Both halves go in transposed, as the head does.
  const w = get('combine.weight');
  const wf = new Float32Array(Hf * V);
  const wb = new Float32Array(Hb * V);
  for (let v = 0; v < V; v++) {
    const row = v * (Hf + Hb);
    for (let k = 0; k < Hf; k++) wf[k * V + v] = w[row + k]!;
    for (let k = 0; k < Hb; k++) wb[k * V + v] = w[row + Hf + k]!;
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
    headW: tensor2d(wb, [Hb, V]),
    headB: zeros([V]),
    index: indexOf(manifest.vocab),
    parameters,
    lexicon: null,
    bidir: null,
  };
  return { backward, headW: tensor2d(wf, [Hf, V]), headB: tensor1d(get('combine.bias')) };
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
  return [...weightTensors(bidir.backward, bidir.backward), bidir.headW, bidir.headB];
}

/** Frees every tensor of a bidirectional part. */
export function disposeBidir(bidir: Bidir): void {
  for (const t of bidirTensors(bidir)) t.dispose();
}

/**
 * The forward model with the combining head in place of its own head: headW
 * = bidir.headW, headB = bidir.headB + right (right: the backward
 * contribution [V] as host numbers, e.g. from logits(bidir.backward,
 * states).dataSync()). step/stepWithLogits/logits/beamSearch on it give the
 * mid-text distribution. The returned model owns only its new headB tensor:
 * free it with disposeMidText(m).
 */
export function midTextModel(model: Model, bidir: Bidir, right: Float32Array): Model {
  const V = model.manifest.vocab.length;
  if (right.length !== V) throw new RangeError(`midTextModel: right holds ${right.length} numbers, the vocabulary ${V}`);
  if (bidir.headW.shape[0] !== model.headW.shape[0]) throw new RangeError(`midTextModel: the combining head reads h_f of ${bidir.headW.shape[0]}, the model's top layer has ${model.headW.shape[0]}`);
  const headB = tidy(() => add(bidir.headB, tensor1d(right)) as Tensor1D);
  // Spread, not a prototype: every field a Model has, with the head replaced.
  return { ...model, headW: bidir.headW, headB };
}

/** Frees what midTextModel made (its head's bias); the forward model and the part stay. */
export function disposeMidText(m: Model): void {
  m.headB.dispose();
}
