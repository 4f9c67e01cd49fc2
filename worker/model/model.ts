import { add, gather, matMul, tanh, tensor1d, tensor2d, zeros, type Tensor, type Tensor1D, type Tensor2D } from '@tensorflow/tfjs-core';
import { cells, type Cell, type LayerState, type RawLayer } from '../cells/index.js';
import { transpose } from '../cells/common.js';
import { decodeTensor } from './decode.js';
import { ModelLexicon } from './beam.js';
import { runStepKernel, stepInput, stepKernelHere } from '../kernels/step.js';
import { MAX_LEXICON_WORDS, type Manifest } from './manifest.js';
import { buildBidir, disposeBidir, type Bidir } from './bidir.js';
import { buildCorrector, type Corrector } from './corrector.js';

/** A model on the device: embedding, stacked cell layers, output head. */
export interface Model {
  readonly manifest: Manifest;
  readonly cell: Cell<unknown>;
  readonly layers: unknown[];
  readonly embedding: Tensor2D; // [V, E]
  readonly headW: Tensor2D; // [H_last, V] (transposed once at load)
  readonly headB: Tensor1D; // [V]
  /** code point -> vocabulary index; anything missing is index 0 (unknown). */
  readonly index: Map<number, number>;
  readonly parameters: number;
  /** Word forms completions prefer (the manifest's optional lexicon), or null. */
  readonly lexicon: ModelLexicon | null;
  /** The optional bidirectional part (the manifest's backward section), or null. See bidir.ts. */
  readonly bidir: Bidir | null;
  /**
   * A hidden layer of the head, whose output adds to the logits:
   * tanh(h · mlp.w1 + mlp.b1) · mlp.w2. Only a mid-text model (bidir.ts) with
   * a non-linear combining head has one.
   */
  readonly mlp?: HeadMlp;
  /** The optional typo corrector (the manifest's corrector section; host arrays, no tensors), or null. See corrector.ts. */
  readonly corrector?: Corrector | null;
}

/** A head's hidden layer: w1 [H_last, M], b1 [M], w2 [M, V]. */
export interface HeadMlp {
  readonly w1: Tensor2D;
  readonly b1: Tensor1D;
  readonly w2: Tensor2D;
}

/** Every tensor of a weights file as float32, by name (see decodeWeights). */
export type DecodedWeights = Map<string, Float32Array>;

/**
 * Decodes every tensor of validated weights on the host. Needs no backend, so
 * a cold start runs it while the backend starts.
 */
export function decodeWeights(manifest: Manifest, weights: ArrayBuffer): DecodedWeights {
  return new Map(manifest.tensors.map((t) => [t.name, decodeTensor(weights, t)]));
}

/** Uploads validated weights (the file's bytes, or already decoded) to the current backend. */
export function buildModel(manifest: Manifest, weights: ArrayBuffer | DecodedWeights): Model {
  const values = weights instanceof Map ? weights : decodeWeights(manifest, weights);
  let parameters = 0;
  for (const v of values.values()) parameters += v.length;
  const get = (name: string) => values.get(name)!;
  const cell = cells[manifest.cell];
  const V = manifest.vocab.length;
  const layers = buildLayers(manifest, get);
  const input = manifest.hiddenSizes[manifest.hiddenSizes.length - 1]!;
  const index = new Map<number, number>();
  manifest.vocab.forEach((cp, i) => {
    if (i > 0) index.set(cp, i);
  });
  return {
    manifest,
    cell,
    layers,
    embedding: tensor2d(get('embedding'), [V, manifest.embeddingSize]),
    headW: tensor2d(transpose(get('head.weight'), V, input), [input, V]),
    headB: tensor1d(get('head.bias')),
    index,
    parameters,
    lexicon: manifest.lexicon ? new ModelLexicon(manifest.lexicon, MAX_LEXICON_WORDS, manifest.lexiconCounts) : null,
    bidir: buildBidir(manifest, values),
    corrector: buildCorrector(manifest, values),
  };
}

/**
 * A stack's layers, uploaded in the layouts its cell steps with: `shape`
 * gives the cell and sizes, `get` each tensor by its format name without a
 * prefix ("layers.0.weight_ih").
 */
export function buildLayers(shape: Pick<Manifest, 'cell' | 'embeddingSize' | 'hiddenSizes'>, get: (name: string) => Float32Array): unknown[] {
  const cell = cells[shape.cell];
  const layers: unknown[] = [];
  let input = shape.embeddingSize;
  shape.hiddenSizes.forEach((hiddenSize, l) => {
    const raw: RawLayer = {
      inputSize: input,
      hiddenSize,
      weightIh: get(`layers.${l}.weight_ih`),
      weightHh: get(`layers.${l}.weight_hh`),
      biasIh: get(`layers.${l}.bias_ih`),
      biasHh: get(`layers.${l}.bias_hh`),
    };
    if (shape.cell === 'peephole') {
      raw.peepI = get(`layers.${l}.peep_i`);
      raw.peepF = get(`layers.${l}.peep_f`);
      raw.peepO = get(`layers.${l}.peep_o`);
    }
    layers.push(cell.prepare(raw));
    input = hiddenSize;
  });
  return layers;
}

/** The weight tensors of a model, in the layouts the steps use (see buildModel). */
export type ModelWeights = Pick<Model, 'layers' | 'embedding' | 'headW' | 'headB'>;

/** Every tensor of a set of weights. */
export function weightTensors(model: Model, weights: ModelWeights): Tensor[] {
  const out: Tensor[] = [];
  for (const p of weights.layers) out.push(...model.cell.tensors(p));
  out.push(weights.embedding, weights.headW, weights.headB);
  return out;
}

/**
 * Puts new weights (same shapes) into `model` in place, so everything holding
 * the model (sessions, generators) steps with them from now on, and frees the
 * old ones. Synchronous: no step can see half of each.
 *
 * These are the forward stack's weights (fine-tuning trains only those): the
 * model keeps its bidirectional part, unless `next` is a whole model built
 * with one (the same file uploaded again, as after a lost WebGL context):
 * then that part replaces the model's, whose tensors are freed.
 */
export function swapWeights(model: Model, next: ModelWeights | Model): void {
  const m = model as { -readonly [K in keyof ModelWeights | 'bidir']: Model[K] };
  const old = weightTensors(model, model);
  m.layers = next.layers;
  m.embedding = next.embedding;
  m.headW = next.headW;
  m.headB = next.headB;
  const bidir = 'bidir' in next ? next.bidir : null;
  if (bidir) {
    if (model.bidir) disposeBidir(model.bidir);
    m.bidir = bidir;
  }
  for (const t of old) t.dispose();
}

/** Frees every weight tensor of the model, its bidirectional part's too. */
export function disposeModel(model: Model): void {
  for (const t of weightTensors(model, model)) t.dispose();
  if (model.bidir) disposeBidir(model.bidir);
}

/** Vocabulary indices of a text, one per code point (not per UTF-16 unit). */
export function encode(model: Model, text: string): number[] {
  const out: number[] = [];
  for (const ch of text) out.push(model.index.get(ch.codePointAt(0)!) ?? 0);
  return out;
}

/** All-zero state for `batch` rows. */
export function zeroState(model: Model, batch = 1): LayerState[] {
  return model.manifest.hiddenSizes.map((h) => {
    const s: LayerState = { h: zeros([batch, h]) };
    if (model.cell.hasCellState) s.c = zeros([batch, h]);
    return s;
  });
}

/**
 * One recurrent step for a batch of characters (one index per row) through
 * every layer. Allocates the new state; run it inside tidy.
 */
export function step(model: Model, indices: Int32Array, states: LayerState[]): LayerState[] {
  if (stepKernelHere()) return oneCall(model, indices, states, false).states;
  let x = gather(model.embedding, tensor1d(indices, 'int32')) as Tensor2D;
  return states.map((s, l) => {
    const next = model.cell.step(model.layers[l], x, s);
    x = next.h;
    return next;
  });
}

/**
 * step() and then logits() of the new state, as one kernel call on cpu and
 * wasm (worker/kernels/step.ts); the logits come back as host numbers
 * ([batch · V], row-major). Elsewhere (WebGL) null: use step and logits.
 * Allocates the new state; the caller owns it (no tidy needed).
 */
export function stepWithLogits(model: Model, indices: Int32Array, states: LayerState[]): { states: LayerState[]; logits: Float32Array } | null {
  if (!stepKernelHere()) return null;
  const r = oneCall(model, indices, states, true);
  const z = r.logits!;
  try {
    return { states: r.states, logits: z.dataSync() as Float32Array };
  } finally {
    z.dispose();
  }
}

/**
 * The step kernel's inputs, one record per set of weights (swapWeights gives a
 * new layers array): the weights' entries are made once, and each call only
 * puts its states in (the same keys every time; the kernel keeps no reference).
 */
const stepInputs = new WeakMap<unknown[], Record<string, Tensor>>();

function inputsFor(model: Model): Record<string, Tensor> {
  let inputs = stepInputs.get(model.layers);
  if (!inputs) {
    inputs = { emb: model.embedding, headW: model.headW, headB: model.headB };
    model.layers.forEach((p, l) => {
      for (const [k, t] of Object.entries(p as Record<string, Tensor>)) inputs![stepInput(k, l)] = t;
    });
    stepInputs.set(model.layers, inputs);
  }
  return inputs;
}

function oneCall(model: Model, indices: Int32Array, states: LayerState[], withLogits: boolean): { states: LayerState[]; logits: Tensor | null } {
  const inputs = inputsFor(model);
  // Models that share a layers array may differ in the rest (a mid-text
  // model, bidir.ts, has the forward's layers and the combining head): each
  // call puts its own model's in.
  inputs.emb = model.embedding;
  inputs.headW = model.headW;
  inputs.headB = model.headB;
  if (model.mlp) {
    inputs.mlpW1 = model.mlp.w1;
    inputs.mlpB1 = model.mlp.b1;
    inputs.mlpW2 = model.mlp.w2;
  } else if (inputs.mlpW1) {
    delete inputs.mlpW1;
    delete inputs.mlpB1;
    delete inputs.mlpW2;
  }
  states.forEach((s, l) => {
    inputs[stepInput('h', l)] = s.h;
    if (s.c) inputs[stepInput('c', l)] = s.c;
  });
  const out = runStepKernel(inputs, { cell: model.manifest.cell, layers: states.length, ids: indices, logits: withLogits });
  let i = 0;
  const next = states.map((s) => (s.c ? { h: out[i++] as Tensor2D, c: out[i++] as Tensor2D } : { h: out[i++] as Tensor2D }));
  return { states: next, logits: withLogits ? out[i]! : null };
}

/** Next-character logits [batch, V] from the top layer's h. */
export function logits(model: Model, states: LayerState[]): Tensor2D {
  const h = states[states.length - 1]!.h;
  const z = add(matMul(h, model.headW), model.headB) as Tensor2D;
  const m = model.mlp;
  return m ? add(z, matMul(tanh(add(matMul(h, m.w1), m.b1)), m.w2)) : z;
}

/** The tensors of a state list, for keep/dispose bookkeeping. */
export function stateTensors(states: LayerState[]): Tensor[] {
  const out: Tensor[] = [];
  for (const s of states) {
    out.push(s.h);
    if (s.c) out.push(s.c);
  }
  return out;
}
