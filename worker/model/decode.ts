import { workerError } from '../errors.js';
import { bytesFor, type TensorEntry } from './manifest.js';

/** IEEE 754 half -> float32, bit by bit (DataView has no getFloat16 in every browser yet). */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * A tensor's values as float32, whatever its stored dtype. int8 tensors hold
 * R·C signed bytes then R float32 scales (one per row; value = q · scale).
 */
export function decodeTensor(weights: ArrayBuffer, t: TensorEntry): Float32Array {
  const count = t.shape.reduce((a, b) => a * b, 1);
  const view = new DataView(weights, t.offset, bytesFor(t.dtype, t.shape));
  const out = new Float32Array(count);
  if (t.dtype === 'float32') {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
  } else if (t.dtype === 'float16') {
    for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
  } else {
    const rows = t.shape.length >= 2 ? t.shape[0]! : 1;
    const cols = count / rows;
    for (let r = 0; r < rows; r++) {
      const scale = view.getFloat32(count + 4 * r, true);
      for (let c = 0; c < cols; c++) out[r * cols + c] = view.getInt8(r * cols + c) * scale;
    }
  }
  for (let i = 0; i < count; i++) {
    if (!Number.isFinite(out[i]!)) throw workerError('ModelFormatError', `tensor "${t.name}" holds ${out[i]} at index ${i}: weights must be finite numbers`);
  }
  return out;
}
