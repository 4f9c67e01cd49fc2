import { workerError } from '../errors.js';
import { bytesFor, type TensorEntry } from './manifest.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The platform's Float16Array (Chrome 135, Firefox 129, Safari 18.2), whose
 * conversion to float32 is native: a cold start decodes ~850k halves, which
 * take ~15 ms in a fresh worker's JavaScript and ~1 ms natively.
 */
const Float16 = (globalThis as { Float16Array?: new (buffer: ArrayBuffer, offset: number, length: number) => unknown }).Float16Array ?? null;

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
 * Finite halves -> float32 without Float16Array: bit by bit into float32's
 * layout (rebias the exponent, widen the fraction); zero and subnormals by value.
 */
export function halvesToFloats(halves: Uint16Array): Float32Array {
  const out = new Float32Array(halves.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < halves.length; i++) {
    const h = halves[i]!;
    const e = (h >> 10) & 0x1f;
    if (e === 0) out[i] = halfToFloat(h);
    else bits[i] = ((h & 0x8000) << 16) | ((e + 112) << 23) | ((h & 0x3ff) << 13);
  }
  return out;
}

/**
 * A tensor's values as float32, whatever its stored dtype. int8 tensors hold
 * R·C signed bytes then R float32 scales (one per row; value = q · scale).
 */
export function decodeTensor(weights: ArrayBuffer, t: TensorEntry): Float32Array {
  const count = t.shape.reduce((a, b) => a * b, 1);
  const view = new DataView(weights, t.offset, bytesFor(t.dtype, t.shape));
  // Typed-array views read the little-endian file directly where the platform is little-endian too (all of them in practice).
  const direct = LITTLE_ENDIAN && t.offset % (t.dtype === 'float32' ? 4 : 2) === 0;
  let out: Float32Array;
  if (t.dtype === 'float32') {
    out = direct ? new Float32Array(weights.slice(t.offset, t.offset + 4 * count)) : Float32Array.from({ length: count }, (_, i) => view.getFloat32(4 * i, true));
  } else if (t.dtype === 'float16') {
    const halves = direct ? new Uint16Array(weights, t.offset, count) : Uint16Array.from({ length: count }, (_, i) => view.getUint16(2 * i, true));
    // All ones in the exponent: infinity or NaN. Checked on the bits, before any conversion.
    for (let i = 0; i < count; i++) {
      if ((halves[i]! & 0x7c00) === 0x7c00) throw workerError('ModelFormatError', `tensor "${t.name}" holds ${halfToFloat(halves[i]!)} at index ${i}: weights must be finite numbers`);
    }
    return Float16 ? new Float32Array(new Float16(halves.buffer as ArrayBuffer, halves.byteOffset, count) as ArrayLike<number>) : halvesToFloats(halves);
  } else {
    out = new Float32Array(count);
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
