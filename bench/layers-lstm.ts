/**
 * The nextkey model's LSTM stack and output head as tfjs-layers layers, with
 * the same weights (PyTorch layout, transposed to tfjs-layers' [in, 4H]; the
 * two PyTorch biases summed). Shared by the bench's tfjs-layers baselines.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { decodeTensor } from '../worker/model/decode.js';
import { validateManifest, type Manifest } from '../worker/model/manifest.js';

export function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

/**
 * Adds the LSTM layers and the softmax head after an input layer of width
 * `inputSize`. `sequenceOut`: every LSTM returns sequences (training scores
 * every step); otherwise only the last one's last step reaches the head.
 */
export function addLstmAndHead(model: tfl.Sequential, manifest: Manifest, values: Map<string, Float32Array>, inputSize: number, stateful: boolean, sequenceOut: boolean): void {
  const V = manifest.vocab.length;
  let size = inputSize;
  manifest.hiddenSizes.forEach((H, l) => {
    const bih = values.get(`layers.${l}.bias_ih`)!;
    const bhh = values.get(`layers.${l}.bias_hh`)!;
    model.add(
      tfl.layers.lstm({
        units: H,
        stateful,
        returnSequences: sequenceOut || l < manifest.hiddenSizes.length - 1,
        // PyTorch's (and nextkey's) LSTM gates use the logistic sigmoid; tfjs-layers defaults to the hard sigmoid. Gate order i, f, c, o matches.
        recurrentActivation: 'sigmoid',
        // The weights are set below: skip the default orthogonal initialiser, a QR
        // decomposition of the 256×1024 recurrent kernel that takes minutes on wasm.
        kernelInitializer: 'zeros',
        recurrentInitializer: 'zeros',
        weights: [
          tf.tensor2d(transpose(values.get(`layers.${l}.weight_ih`)!, 4 * H, size), [size, 4 * H]),
          tf.tensor2d(transpose(values.get(`layers.${l}.weight_hh`)!, 4 * H, H), [H, 4 * H]),
          tf.tensor1d(bih.map((b, i) => b + bhh[i]!)),
        ],
      }),
    );
    size = H;
  });
  model.add(
    tfl.layers.dense({
      units: V,
      activation: 'softmax',
      weights: [tf.tensor2d(transpose(values.get('head.weight')!, V, size), [size, V]), tf.tensor1d(values.get('head.bias')!)],
    }),
  );
}

/** Starts `backend` as nextkey's worker does and reads an LSTM model's manifest and float32 weights. */
export async function loadLstm(manifestUrl: string, backend: 'webgl' | 'wasm' | 'cpu', wasmBaseUrl: string): Promise<{ manifest: Manifest; values: Map<string, Float32Array> }> {
  if (backend === 'wasm') {
    // As nextkey's worker: one thread (a module worker cannot start the threaded build's pthreads).
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    setWasmPaths(wasmBaseUrl);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed`);
  const manifest = validateManifest(await (await fetch(manifestUrl)).json());
  if (manifest.cell !== 'lstm') throw new Error(`the tfjs-layers baselines need an lstm model, got ${manifest.cell}`);
  const weights = await (await fetch(new URL(manifest.weights.path, manifestUrl))).arrayBuffer();
  return { manifest, values: new Map(manifest.tensors.map((t) => [t.name, decodeTensor(weights, t)])) };
}
