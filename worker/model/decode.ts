import { workerError } from '../errors.js';
import { bytesFor, type TensorEntry } from './manifest.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

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
  let out = new Float32Array(count);
  // Typed-array views read the little-endian file directly where the platform is little-endian too (all of them in practice).
  const direct = LITTLE_ENDIAN && t.offset % (t.dtype === 'float32' ? 4 : 2) === 0;
  if (t.dtype === 'float32') {
    if (direct) out = new Float32Array(weights.slice(t.offset, t.offset + 4 * count));
    else for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
  } else if (t.dtype === 'float16') {
    // Bit by bit into float32's layout (rebias the exponent, widen the fraction): a cold start decodes ~850k of these.
    const bits = new Uint32Array(out.buffer);
    const halves = direct ? new Uint16Array(weights, t.offset, count) : null;
    for (let i = 0; i < count; i++) {
      const h = halves ? halves[i]! : view.getUint16(2 * i, true);
      const e = (h >> 10) & 0x1f;
      if (e === 0) out[i] = halfToFloat(h); // zero and subnormals
      else bits[i] = ((h & 0x8000) << 16) | (e === 0x1f ? 0x7f800000 : (e + 112) << 23) | ((h & 0x3ff) << 13);
    }
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
