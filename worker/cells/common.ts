import { concat, split, tensor2d, type Tensor2D } from '@tensorflow/tfjs-core';
import type { RawLayer } from './types.js';

/** Row-major [rows, cols] -> [cols, rows]. Done once at load so steps need no Transpose kernel. */
export function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  return transposeInto(new Float32Array(data.length), 0, data, rows, cols);
}

/**
 * Writes row-major [rows, cols] `data` into `out` from `offset` as [cols, rows].
 * In 8×8 tiles, so reads and writes both stay within a few cache lines. A cold
 * start transposes ~850k values into fresh memory, whose first touch (page
 * faults) costs more than the copying: written once, in place, not via a
 * temporary array.
 */
export function transposeInto(out: Float32Array, offset: number, data: Float32Array, rows: number, cols: number): Float32Array {
  const T = 8;
  for (let r0 = 0; r0 < rows; r0 += T) {
    const r1 = Math.min(r0 + T, rows);
    for (let c0 = 0; c0 < cols; c0 += T) {
      const c1 = Math.min(c0 + T, cols);
      for (let r = r0; r < r1; r++) {
        let k = r * cols + c0;
        for (let c = c0; c < c1; c++) out[offset + c * rows + r] = data[k++]!;
      }
    }
  }
  return out;
}

/**
 * [x, h] · W with W = [W_ihᵀ; W_hhᵀ] of shape [In + H, G·H]: one matmul per step
 * instead of two. Valid when the cell only ever uses W_ih x + W_hh h summed.
 */
export function stackedWeights(raw: RawLayer, gates: number): Tensor2D {
  const { inputSize: n, hiddenSize: h } = raw;
  const out = new Float32Array((n + h) * gates * h);
  transposeInto(out, 0, raw.weightIh, gates * h, n);
  transposeInto(out, n * gates * h, raw.weightHh, gates * h, h);
  return tensor2d(out, [n + h, gates * h]);
}

/** b_ih + b_hh as a [1, G·H] row that broadcasts over the batch. */
export function summedBias(raw: RawLayer): Tensor2D {
  const b = new Float32Array(raw.biasIh.length);
  for (let i = 0; i < b.length; i++) b[i] = raw.biasIh[i]! + raw.biasHh[i]!;
  return tensor2d(b, [1, b.length]);
}

/** A [H] vector as a [1, H] row. */
export function row(v: Float32Array): Tensor2D {
  return tensor2d(v, [1, v.length]);
}

/**
 * Splits a stacked [In + H, G·H] weight into its input rows wx and recurrent
 * rows wh (new tensors), for the cells that step with [x, h] · W.
 */
export function unstackRows(w: Tensor2D, gates: number): [Tensor2D, Tensor2D] {
  const h = w.shape[1] / gates;
  return split(w, [w.shape[0] - h, h], 0) as [Tensor2D, Tensor2D];
}

/** [wx; wh]: the inverse of unstackRows. */
export function stackRows(wx: Tensor2D, wh: Tensor2D): Tensor2D {
  return concat([wx, wh], 0);
}
