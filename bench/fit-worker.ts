/**
 * Fine-tuning baseline for `npm run bench`: the same network as the nextkey
 * model (embedding, stacked LSTM, linear head over the vocabulary) built in
 * tfjs-layers from the same starting weights and trained with `model.fit` on
 * the same lanes of the same text, with the same window length, batch size
 * and Adam settings, on the same backend, in a worker as nextkey trains.
 *
 * Differences that favour the baseline, so the ratio is conservative: no
 * gradient clipping (nextkey clips the global norm, one more pass over the
 * gradients per batch) and `yieldEvery: 'never'` (nextkey yields a task
 * between batches so that typing stays live).
 */
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-layers calls chained methods (t.flatten()); the union package registers them, so do we.
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
// model.fit needs every op's gradient; tfjs-core registers none unless told to.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { addLstmAndHead, loadLstm } from './layers-lstm.js';
import type { Manifest } from '../worker/model/manifest.js';

/** How characters enter the first LSTM. */
export type FitInput = 'embedding' | 'one-hot';

export interface FitRequest {
  /** The training text as vocabulary indices (as nextkey encodes it). */
  ids: Int32Array;
  batch: number;
  seqLength: number;
  learningRate: number;
  input: FitInput;
}

export interface FitResult {
  input: FitInput;
  /** Characters per batch (lanes × seqLength) and batches in the pass. */
  batchChars: number;
  batches: number;
  /** Milliseconds from the start of `fit` to the end of each batch. */
  batchEnds: number[];
  /** Loss of each batch, bits per character. */
  losses: number[];
}

/**
 * The model for training: stateful (each lane's state carries from one window
 * to the next, the truncated BPTT nextkey does), every step's output scored.
 * 'embedding' is the stock tfjs-layers way; 'one-hot' reads one-hot rows
 * through a bias-free Dense layer holding the embedding matrix (the same
 * product nextkey computes), for backends without Embedding's gradient
 * kernel (UnsortedSegmentSum; wasm has none).
 */
function build(manifest: Manifest, values: Map<string, Float32Array>, batch: number, seqLength: number, input: FitInput): tfl.Sequential {
  const V = manifest.vocab.length;
  const E = manifest.embeddingSize;
  const model = tfl.sequential();
  const embedding = tf.tensor2d(values.get('embedding')!, [V, E]);
  model.add(
    input === 'embedding'
      ? tfl.layers.embedding({ inputDim: V, outputDim: E, batchInputShape: [batch, seqLength], weights: [embedding] })
      : tfl.layers.dense({ units: E, useBias: false, batchInputShape: [batch, seqLength, V], weights: [embedding] }),
  );
  addLstmAndHead(model, manifest, values, E, true, true);
  return model;
}

/**
 * The text cut into `batch` lanes as nextkey's trainer cuts it (worker/train/data.ts):
 * sample w·B + b of the arrays is window w of lane b, so with shuffle off each
 * batch continues the previous one lane by lane. Only whole windows.
 */
function lanes(ids: Int32Array, batch: number, seqLength: number, V: number, input: FitInput): { x: tf.Tensor; y: tf.Tensor; windows: number } {
  const laneLength = Math.floor((ids.length - 1) / batch);
  const windows = Math.floor(laneLength / seqLength);
  const n = windows * batch * seqLength;
  const xi = new Float32Array(input === 'embedding' ? n : n * V);
  const y = new Float32Array(n * V);
  for (let w = 0; w < windows; w++) {
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < seqLength; t++) {
        const at = b * laneLength + w * seqLength + t;
        const row = (w * batch + b) * seqLength + t;
        if (input === 'embedding') xi[row] = ids[at]!;
        else xi[row * V + ids[at]!] = 1;
        y[row * V + ids[at + 1]!] = 1;
      }
    }
  }
  const samples = windows * batch;
  return {
    x: input === 'embedding' ? tf.tensor2d(xi, [samples, seqLength]) : tf.tensor3d(xi, [samples, seqLength, V]),
    y: tf.tensor3d(y, [samples, seqLength, V]),
    windows,
  };
}

let manifest: Manifest;
let values: Map<string, Float32Array>;

const api = {
  async init(manifestUrl: string, backend: 'webgl' | 'wasm' | 'cpu', wasmBaseUrl: string): Promise<string> {
    ({ manifest, values } = await loadLstm(manifestUrl, backend, wasmBaseUrl));
    return tf.getBackend();
  },

  /** 'embedding' where the backend has Embedding's gradient kernel (UnsortedSegmentSum), else 'one-hot'. */
  inputFor(backend: string): FitInput {
    return tf.getKernel('UnsortedSegmentSum', backend) ? 'embedding' : 'one-hot';
  },

  /** Builds a fresh model from the starting weights and runs one pass of `model.fit` over the text, timing each batch. */
  async fit(r: FitRequest): Promise<FitResult> {
    const V = manifest.vocab.length;
    const model = build(manifest, values, r.batch, r.seqLength, r.input);
    model.compile({ optimizer: tf.train.adam(r.learningRate, 0.9, 0.999), loss: 'categoricalCrossentropy' });
    const data = lanes(r.ids, r.batch, r.seqLength, V, r.input);
    const losses: number[] = [];
    const batchEnds: number[] = [];
    try {
      const t0 = performance.now();
      await model.fit(data.x, data.y, {
        batchSize: r.batch,
        epochs: 1,
        shuffle: false,
        verbose: 0,
        yieldEvery: 'never',
        callbacks: {
          onBatchEnd: async (_batch, logs) => {
            batchEnds.push(performance.now() - t0);
            losses.push(logs!.loss! / Math.LN2);
          },
        },
      });
      return { input: r.input, batchChars: r.batch * r.seqLength, batches: data.windows, batchEnds, losses };
    } finally {
      tf.dispose([data.x, data.y]);
      model.dispose();
    }
  },
};

export type FitApi = typeof api;
Comlink.expose(api);
