import type { Tensor } from '@tensorflow/tfjs-core';
import { transpose } from '../cells/common.js';
import { expectedTensors, FORMAT_VERSION, type Manifest } from '../model/manifest.js';
import type { Model, ModelWeights } from '../model/model.js';
import { sha256Hex } from '../model/sha256.js';

async function values(t: Tensor): Promise<Float32Array> {
  return (await t.data()) as Float32Array;
}

/** [In + H, G·H] stacked weights -> PyTorch's weight_ih [G·H, In] and weight_hh [G·H, H]. */
function unstack(w: Float32Array, inputSize: number, hiddenSize: number, gates: number): [Float32Array, Float32Array] {
  const cols = gates * hiddenSize;
  return [transpose(w.subarray(0, inputSize * cols), inputSize, cols), transpose(w.subarray(inputSize * cols), hiddenSize, cols)];
}

/**
 * The tensors of format v1 (PyTorch layouts, see docs/model-format.md) from
 * weights in the layouts the cells step with: the inverse of each cell's
 * `prepare`. Summed biases come back as bias_ih with a zero bias_hh, which is
 * the same model.
 */
export async function formatV1Tensors(model: Model, weights: ModelWeights): Promise<Map<string, Float32Array>> {
  const m = model.manifest;
  const out = new Map<string, Float32Array>();
  out.set('embedding', await values(weights.embedding));
  let input = m.embeddingSize;
  for (let l = 0; l < m.hiddenSizes.length; l++) {
    const H = m.hiddenSizes[l]!;
    const p = weights.layers[l] as Record<string, Tensor>;
    const g = model.cell.gates;
    if (m.cell === 'gru') {
      out.set(`layers.${l}.weight_ih`, transpose(await values(p.wx!), input, g * H));
      out.set(`layers.${l}.weight_hh`, transpose(await values(p.wh!), H, g * H));
      out.set(`layers.${l}.bias_ih`, await values(p.bx!));
      out.set(`layers.${l}.bias_hh`, await values(p.bh!));
    } else {
      const [ih, hh] = unstack(await values(p.w!), input, H, g);
      out.set(`layers.${l}.weight_ih`, ih);
      out.set(`layers.${l}.weight_hh`, hh);
      out.set(`layers.${l}.bias_ih`, await values(p.b!));
      out.set(`layers.${l}.bias_hh`, new Float32Array(g * H));
      if (m.cell === 'peephole') {
        out.set(`layers.${l}.peep_i`, await values(p.pi!));
        out.set(`layers.${l}.peep_f`, await values(p.pf!));
        out.set(`layers.${l}.peep_o`, await values(p.po!));
      }
    }
    input = H;
  }
  // A bidirectional part's backward model has a wider head (its own columns and the hidden layer's, bidir.ts).
  out.set('head.weight', transpose(await values(weights.headW), input, weights.headW.shape[1]));
  out.set('head.bias', await values(weights.headB));
  return out;
}

/** model.json and weights.bin (float32) of a model in format v1, with its SHA-256. */
export async function encodeModel(
  model: Model,
  weights: ModelWeights,
  card: Record<string, unknown>,
  { learnedWords = true }: { learnedWords?: boolean } = {},
): Promise<{ manifest: Manifest; bytes: ArrayBuffer }> {
  const m = model.manifest;
  // The bidirectional part goes along as it is (fine-tuning trains the forward stack only); a grown vocabulary has none.
  const bidir = model.bidir && m.backward && model.bidir.headB.shape[0] === m.vocab.length ? model.bidir : null;
  const section = bidir ? m.backward : undefined;
  const shapes = expectedTensors(m.cell, m.vocab.length, m.embeddingSize, m.hiddenSizes, section);
  const data = await formatV1Tensors(model, weights);
  if (bidir) {
    const V = m.vocab.length;
    const back = await formatV1Tensors(bidir.backward, bidir.backward);
    for (const [name, v] of back) if (!name.startsWith('head.')) data.set(`backward.${name}`, v);
    // combine.weight [V, Hf + Hb]: each row the forward columns (headW is their transpose), then the backward ones (the backward model's head).
    const Hf = m.hiddenSizes[m.hiddenSizes.length - 1]!;
    const Hb = section!.hiddenSizes[section!.hiddenSizes.length - 1]!;
    // The backward model's head.weight is [V + M, Hb]: the combining head's backward columns, then the hidden layer's (M = 0: linear).
    const M = section!.combineHidden ?? 0;
    const wf = await values(bidir.headW);
    const wb = back.get('head.weight')!;
    const w = new Float32Array(V * (Hf + Hb));
    for (let v = 0; v < V; v++) {
      for (let k = 0; k < Hf; k++) w[v * (Hf + Hb) + k] = wf[k * V + v]!;
      for (let k = 0; k < Hb; k++) w[v * (Hf + Hb) + Hf + k] = wb[v * Hb + k]!;
    }
    data.set('combine.weight', w);
    data.set('combine.bias', await values(bidir.headB));
    if (M > 0) {
      const af = await values(bidir.mlp!.w1); // [Hf, M]
      const a = new Float32Array(M * (Hf + Hb));
      for (let j = 0; j < M; j++) {
        for (let k = 0; k < Hf; k++) a[j * (Hf + Hb) + k] = af[k * M + j]!;
        for (let k = 0; k < Hb; k++) a[j * (Hf + Hb) + Hf + k] = wb[(V + j) * Hb + k]!;
      }
      data.set('combine.hidden.weight', a);
      data.set('combine.hidden.bias', back.get('head.bias')!.slice(V));
      data.set('combine.out.weight', transpose(await values(bidir.mlp!.w2), M, V));
    }
  }
  let size = 0;
  for (const shape of shapes.values()) size += 4 * shape.reduce((a, b) => a * b, 1);
  const bytes = new ArrayBuffer(size);
  const view = new DataView(bytes);
  const tensors: Manifest['tensors'] = [];
  let offset = 0;
  for (const [name, shape] of shapes) {
    const v = data.get(name)!;
    if (v.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`encodeModel: ${name} has ${v.length} values for shape [${shape}]`);
    // Little-endian whatever the platform, as the format says.
    for (let i = 0; i < v.length; i++) view.setFloat32(offset + 4 * i, v[i]!, true);
    tensors.push({ name, shape, dtype: 'float32', offset, byteLength: 4 * v.length });
    offset += 4 * v.length;
  }
  const lexicon = model.lexicon ? model.lexicon.list({ learned: learnedWords }) : null;
  const manifest: Manifest = {
    format: 'nextkey',
    version: FORMAT_VERSION as 1,
    cell: m.cell,
    embeddingSize: m.embeddingSize,
    hiddenSizes: [...m.hiddenSizes],
    ...(section ? { backward: { cell: section.cell, embeddingSize: section.embeddingSize, hiddenSizes: [...section.hiddenSizes] } } : {}),
    vocab: [...m.vocab],
    weights: { path: 'weights.bin', byteLength: size, sha256: await sha256Hex(bytes) },
    tensors,
    card,
    ...(lexicon ? { lexicon } : {}),
    ...(lexicon && model.lexicon?.counted ? { lexiconCounts: model.lexicon.countsOf(lexicon) } : {}),
  };
  return { manifest, bytes };
}
