import { BatchMatMul, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';

/** What this kernel needs of tfjs' cpu backend (its values live in plain typed arrays). */
interface CpuBackend {
  data: { get(dataId: object): { values?: ArrayLike<number> } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

/**
 * out[m, n] = a[m, k] · b[k, n] for one batch, with either operand stored
 * transposed. Loops run along rows of what is contiguous in memory, so the
 * innermost loop is a unit-stride multiply-add the JIT keeps in registers.
 * tfjs' own cpu kernel reads b down its columns in the innermost loop, a
 * cache miss per multiply for the weight matrices here (hundreds of columns).
 */
export function multiply(
  a: ArrayLike<number>,
  ao: number,
  b: ArrayLike<number>,
  bo: number,
  out: Float32Array,
  oo: number,
  m: number,
  k: number,
  n: number,
  ta: boolean,
  tb: boolean,
): void {
  if (!tb) {
    // Rows i..i+3 of out accumulate a[i, p] times row p of b (in double
    // precision): each row of b is read once for four rows of out.
    const acc = [new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n)] as const;
    const [c0, c1, c2, c3] = acc;
    const at = (i: number, p: number) => (ta ? a[ao + p * m + i]! : a[ao + i * k + p]!);
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      for (const c of acc) c.fill(0);
      for (let p = 0; p < k; p++) {
        const x0 = at(i, p);
        const x1 = at(i + 1, p);
        const x2 = at(i + 2, p);
        const x3 = at(i + 3, p);
        if (x0 === 0 && x1 === 0 && x2 === 0 && x3 === 0) continue; // one-hot inputs: most rows cost nothing
        const br = bo + p * n;
        for (let j = 0; j < n; j++) {
          const bv = b[br + j]!;
          c0[j] += x0 * bv;
          c1[j] += x1 * bv;
          c2[j] += x2 * bv;
          c3[j] += x3 * bv;
        }
      }
      for (let r = 0; r < 4; r++) out.set(acc[r]!, oo + (i + r) * n);
    }
    // The rows left over (all of them for a single-row step) one at a time.
    for (; i < m; i++) {
      c0.fill(0);
      for (let p = 0; p < k; p++) {
        const x = at(i, p);
        if (x === 0) continue;
        const br = bo + p * n;
        for (let j = 0; j < n; j++) c0[j] += x * b[br + j]!;
      }
      out.set(c0, oo + i * n);
    }
    return;
  }
  if (!ta) {
    // b stored [n, k]: out[i, j] is the dot product of two contiguous rows.
    for (let i = 0; i < m; i++) {
      const ar = ao + i * k;
      for (let j = 0; j < n; j++) {
        const br = bo + j * k;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[ar + p]! * b[br + p]!;
        out[oo + i * n + j] = s;
      }
    }
    return;
  }
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ao + p * m + i]! * b[bo + j * k + p]!;
      out[oo + i * n + j] = s;
    }
  }
}

const batchMatMul: KernelFunc = ({ inputs, backend, attrs }) => {
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA: ta, transposeB: tb } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
  const cpu = backend as unknown as CpuBackend;
  const ar = a.shape.length;
  const br = b.shape.length;
  const m = ta ? a.shape[ar - 1]! : a.shape[ar - 2]!;
  const k = ta ? a.shape[ar - 2]! : a.shape[ar - 1]!;
  const kb = tb ? b.shape[br - 1]! : b.shape[br - 2]!;
  const n = tb ? b.shape[br - 2]! : b.shape[br - 1]!;
  if (k !== kb) throw new Error(`matMul: inner dimensions ${k} and ${kb} of shapes [${a.shape}] and [${b.shape}] differ`);
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = outerA.reduce((x, y) => x * y, 1);
  const batchB = outerB.reduce((x, y) => x * y, 1);
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) throw new Error(`matMul: batch shapes [${outerA}] and [${outerB}] do not broadcast`);
  const batch = Math.max(batchA, batchB);
  const outer = outerA.length >= outerB.length && batchA >= batchB ? outerA : outerB;
  const av = cpu.data.get(a.dataId).values!;
  const bv = cpu.data.get(b.dataId).values!;
  const out = new Float32Array(batch * m * n);
  for (let i = 0; i < batch; i++) {
    multiply(av, (i % batchA) * m * k, bv, (i % batchB) * k * n, out, i * m * n, m, k, n, ta, tb);
  }
  return cpu.makeTensorInfo([...outer, m, n], 'float32', out);
};

/** BatchMatMul on the cpu backend, row-major friendly (see multiply); same results up to float rounding order. */
export const cpuBatchMatMul: KernelConfig = { kernelName: BatchMatMul, backendName: 'cpu', kernelFunc: batchMatMul };
