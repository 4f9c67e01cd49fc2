import { Slice, SplitV, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';

/** What these kernels need of tfjs' wasm backend: tensors live in the wasm heap. */
interface WasmBackend {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Heap;
}

/**
 * Copies the block begin..begin+size of x (row-major, any rank) into out,
 * a run of the innermost axis at a time.
 */
type Heap = Float32Array | Int32Array | Uint8Array;

function copyBlock(xs: Heap, shape: number[], begin: number[], size: number[], out: Heap): void {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let d = rank - 2; d >= 0; d--) strides[d] = strides[d + 1]! * shape[d + 1]!;
  // Collapse to runs of the last axis: iterate every index of the outer axes.
  const run = size[rank - 1]!;
  const outer = size.slice(0, -1);
  const count = outer.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(rank - 1).fill(0);
  let o = 0;
  for (let n = 0; n < count; n++) {
    let off = begin[rank - 1]!;
    for (let d = 0; d < rank - 1; d++) off += (begin[d]! + idx[d]!) * strides[d]!;
    (out as Float32Array).set(xs.subarray(off, off + run) as Float32Array, o);
    o += run;
    for (let d = rank - 2; d >= 0; d--) {
      if (++idx[d]! < outer[d]!) break;
      idx[d] = 0;
    }
  }
}

/**
 * Slice on wasm, reading the input in place. tfjs' wasm Slice is written in
 * JS and first copies the *whole* input out of the heap (readSync), so
 * cutting a [1024, 1024] tensor into 64 row blocks copied 256 MB: over a
 * second per training window. This reads a view of the heap instead. The
 * outputs are allocated first: an allocation can grow (and move) the heap,
 * which would detach a view taken earlier.
 */
function sliceBlocks(backend: WasmBackend, x: TensorInfo, blocks: { begin: number[]; size: number[] }[]): TensorInfo[] {
  const outs = blocks.map((b) => backend.makeOutput(b.size, x.dtype));
  const xs = backend.typedArrayFromHeap(x);
  blocks.forEach((b, i) => {
    if (b.size.some((s) => s === 0)) return;
    copyBlock(xs, x.shape, b.begin, b.size, backend.typedArrayFromHeap(outs[i]!));
  });
  return outs;
}

const slice: KernelFunc = ({ inputs, backend, attrs }) => {
  const x = (inputs as { x: TensorInfo }).x;
  const a = attrs as unknown as { begin: number | number[]; size: number | number[] };
  const rank = x.shape.length;
  const beginIn = typeof a.begin === 'number' ? [a.begin, ...new Array<number>(rank - 1).fill(0)] : a.begin;
  const sizeIn = typeof a.size === 'number' ? [a.size, ...new Array<number>(rank - 1).fill(-1)] : a.size;
  const begin = x.shape.map((_, d) => beginIn[d] ?? 0);
  const size = x.shape.map((n, d) => (sizeIn[d] === undefined || sizeIn[d] === -1 ? n - begin[d]! : sizeIn[d]!));
  if (rank === 0) return sliceBlocks(backend as unknown as WasmBackend, x, [{ begin: [], size: [] }])[0]!;
  return sliceBlocks(backend as unknown as WasmBackend, x, [{ begin, size }])[0]!;
};

const splitV: KernelFunc = ({ inputs, backend, attrs }) => {
  const x = (inputs as { x: TensorInfo }).x;
  const a = attrs as unknown as { numOrSizeSplits: number | number[]; axis: number | number[] };
  const axisIn = Array.isArray(a.axis) ? a.axis[0]! : a.axis;
  const axis = axisIn < 0 ? axisIn + x.shape.length : axisIn;
  const dim = x.shape[axis]!;
  let sizes: number[];
  if (typeof a.numOrSizeSplits === 'number') {
    sizes = new Array<number>(a.numOrSizeSplits).fill(dim / a.numOrSizeSplits);
  } else {
    sizes = [...a.numOrSizeSplits];
    const free = sizes.indexOf(-1);
    if (free >= 0) sizes[free] = dim - sizes.reduce((s, v) => (v === -1 ? s : s + v), 0);
  }
  let at = 0;
  const blocks = sizes.map((s) => {
    const begin = x.shape.map(() => 0);
    begin[axis] = at;
    const size = [...x.shape];
    size[axis] = s;
    at += s;
    return { begin, size };
  });
  return sliceBlocks(backend as unknown as WasmBackend, x, blocks);
};

/** Slice and SplitV for the wasm backend that read their input in place (see sliceBlocks). */
export const wasmSlice: KernelConfig = { kernelName: Slice, backendName: 'wasm', kernelFunc: slice };
export const wasmSplitV: KernelConfig = { kernelName: SplitV, backendName: 'wasm', kernelFunc: splitV };
