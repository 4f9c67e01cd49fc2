/**
 * Baselines for `npm run bench`, built with the same weights as the nextkey
 * model so that only the approach differs:
 *  (a) the way existing browser char-RNN libraries run: a tfjs-layers stateful
 *      LSTM, `predict` on one character per keystroke, the full probability
 *      vector read back;
 *  (b) the stateless way of the TensorFlow.js text-generation example:
 *      re-run the last 40 characters through the network on every keystroke.
 * Both use the stock backends with every kernel registered, as those apps do.
 */
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-layers calls chained methods (t.flatten()); the union package registers them, so do we.
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { addLstmAndHead, loadLstm } from './layers-lstm.js';
import type { Manifest } from '../worker/model/manifest.js';

const WINDOW = 40;

function build(manifest: Manifest, values: Map<string, Float32Array>, stateful: boolean): tfl.Sequential {
  const V = manifest.vocab.length;
  const E = manifest.embeddingSize;
  const model = tfl.sequential();
  model.add(
    tfl.layers.embedding({
      inputDim: V,
      outputDim: E,
      batchInputShape: [1, stateful ? 1 : WINDOW],
      weights: [tf.tensor2d(values.get('embedding')!, [V, E])],
    }),
  );
  addLstmAndHead(model, manifest, values, E, stateful, false);
  return model;
}

let stateful: tfl.Sequential;
let stateless: tfl.Sequential;
let index: Map<number, number>;
let history: number[] = [];

const api = {
  async init(manifestUrl: string, backend: 'webgl' | 'wasm' | 'cpu', wasmBaseUrl: string): Promise<string> {
    const { manifest, values } = await loadLstm(manifestUrl, backend, wasmBaseUrl);
    stateful = build(manifest, values, true);
    stateless = build(manifest, values, false);
    index = new Map(manifest.vocab.map((cp, i) => [cp, i]));
    index.delete(0);
    return tf.getBackend();
  },

  /** (a) one character into the stateful LSTM; returns the full distribution. */
  async statefulStep(ch: string): Promise<Float32Array> {
    const x = tf.tensor2d([[index.get(ch.codePointAt(0)!) ?? 0]], [1, 1]);
    const y = stateful.predict(x) as tf.Tensor;
    const p = (await y.data()) as Float32Array;
    tf.dispose([x, y]);
    return p;
  },

  resetStateful(): void {
    stateful.resetStates();
  },

  /** (b) re-reads the last 40 characters of the text from a zero state on every keystroke. */
  async statelessPredict(ch: string): Promise<Float32Array> {
    history.push(index.get(ch.codePointAt(0)!) ?? 0);
    if (history.length > WINDOW) history = history.slice(-WINDOW);
    const padded = new Array(WINDOW - history.length).fill(0).concat(history);
    const x = tf.tensor2d([padded], [1, WINDOW]);
    const y = stateless.predict(x) as tf.Tensor;
    const p = (await y.data()) as Float32Array;
    tf.dispose([x, y]);
    return p;
  },

  numTensors(): number {
    return tf.memory().numTensors;
  },
};

export type BaselineApi = typeof api;
Comlink.expose(api);
