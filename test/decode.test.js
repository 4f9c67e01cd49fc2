// Weight decoding at load: the float16 decoders (the platform's Float16Array
// where it has one, our bit-level fallback elsewhere) against the IEEE 754
// definition for every finite half, the non-finite check, and the tiled
// transpose against the plain definition. In the page (Chromium has Float16Array).
import { assert, assertEqual } from './helpers.js';

describe('weight decoding', () => {
  let m;
  before(async () => {
    m = await import('/__units/decode.js');
  });

  /** Every finite half's bits (exponent not all ones). */
  function finiteHalves() {
    const out = [];
    for (let h = 0; h < 0x10000; h++) if ((h & 0x7c00) !== 0x7c00) out.push(h);
    return Uint16Array.from(out);
  }

  /** The IEEE 754 value of a finite half, from the definition: (-1)^s · 2^(e-15) · 1.f, or 2^-14 · 0.f. */
  function ieee(h) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const f = h & 0x3ff;
    return e === 0 ? s * 2 ** -14 * (f / 1024) : s * 2 ** (e - 15) * (1 + f / 1024);
  }

  it('the fallback decodes every finite half exactly (signed zeros too)', () => {
    const halves = finiteHalves();
    const out = m.halvesToFloats(halves);
    for (let i = 0; i < halves.length; i++) {
      const want = ieee(halves[i]);
      if (!Object.is(out[i], want)) assert(false, `half 0x${halves[i].toString(16)}: got ${out[i]}, want ${want}`);
    }
  });

  it('decodeTensor gives the same float32 values as the fallback, and as halfToFloat', () => {
    const halves = finiteHalves();
    const t = { name: 'all', shape: [halves.length], dtype: 'float16', offset: 0, byteLength: halves.byteLength };
    const got = m.decodeTensor(halves.slice().buffer, t);
    const fallback = m.halvesToFloats(halves);
    assertEqual(got.length, halves.length, 'length');
    for (let i = 0; i < halves.length; i++) {
      if (!Object.is(got[i], fallback[i]) || !Object.is(got[i], Math.fround(m.halfToFloat(halves[i])))) {
        assert(false, `half 0x${halves[i].toString(16)}: decodeTensor ${got[i]}, fallback ${fallback[i]}, halfToFloat ${m.halfToFloat(halves[i])}`);
      }
    }
  });

  it('an unaligned float16 tensor decodes the same as an aligned one', () => {
    const halves = Uint16Array.from([0x3c00, 0xc000, 0x0001, 0x7bff, 0x8000]);
    const bytes = new Uint8Array(1 + halves.byteLength);
    bytes.set(new Uint8Array(halves.buffer), 1);
    const got = m.decodeTensor(bytes.buffer, { name: 'odd', shape: [5], dtype: 'float16', offset: 1, byteLength: 10 });
    const want = [1, -2, 2 ** -24, 65504, -0];
    want.forEach((v, i) => assert(Object.is(got[i], v), `value ${i}: ${got[i]} ≠ ${v}`));
  });

  for (const [bits, what] of [[0x7c00, 'Infinity'], [0xfc00, '-Infinity'], [0x7e00, 'NaN']]) {
    it(`a float16 ${what} is a ModelFormatError naming the tensor and index`, () => {
      const halves = Uint16Array.from([0x3c00, 0x3c00, bits, 0x3c00]);
      const t = { name: 'layers.0.weight_hh', shape: [2, 2], dtype: 'float16', offset: 0, byteLength: 8 };
      let error;
      try {
        m.decodeTensor(halves.buffer, t);
      } catch (e) {
        error = e;
      }
      assert(error?.name === 'ModelFormatError', `expected a ModelFormatError, got ${error?.name}: ${error?.message}`);
      assert(error.message.includes('"layers.0.weight_hh"') && error.message.includes(`holds ${what} at index 2`), `message: ${error.message}`);
    });
  }

  it('the tiled transpose equals the definition for shapes that are and are not multiples of the tile', () => {
    for (const [rows, cols] of [[1, 1], [3, 5], [8, 8], [17, 9], [64, 33], [1024, 32]]) {
      const data = Float32Array.from({ length: rows * cols }, (_, i) => i + 0.5);
      const out = m.transpose(data, rows, cols);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          if (out[c * rows + r] !== data[r * cols + c]) assert(false, `[${rows}×${cols}] at (${r}, ${c}): ${out[c * rows + r]} ≠ ${data[r * cols + c]}`);
        }
      }
    }
  });
});
