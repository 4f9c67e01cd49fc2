import { engine, getBackend, getKernel, type KernelConfig, type KernelFunc, type NamedTensorMap, type Tensor, type TensorInfo } from '@tensorflow/tfjs-core';
import type { CellType } from '../../src/protocol.js';
import { multiply } from './cpu-matmul.js';
import { gateUpdate } from './fused.js';
import { GATES } from '../model/manifest.js';

/**
 * A whole recurrent step of the model as one kernel call, for cpu and wasm:
 * the embedding rows of the input characters, every layer's products and
 * gates, and (when asked) the head's logits. The same arithmetic as the
 * per-layer tfjs ops (the same matrix products: XNNPACK's on wasm, ours on
 * cpu; the same gate code as worker/kernels/fused.ts), but one engine call instead
 * of about a dozen. Each tfjs op allocates several kilobytes of bookkeeping
 * that the garbage collector must sweep (about 70 KB per keystroke before
 * this kernel), and on a two-core machine its pauses and helper threads were
 * the keystroke's slowest percentile.
 *
 * Inputs: emb [V, E]; per layer l: h{l}, c{l} (LSTM family) [B, H] and the
 * cell's weights (stacked cells: w{l} [In + H, G·H], b{l} [1, G·H], peephole
 * pi{l} pf{l} po{l}; gru: wx{l} [In, 3H], wh{l} [H, 3H], bx{l}, bh{l}); with
 * logits also headW [H, V] and headB [V], and for a head with a hidden
 * layer (a mid-text model's, worker/model/bidir.ts) mlpW1 [H, M], mlpB1 [M],
 * mlpW2 [M, V]: logits + tanh(h · mlpW1 + mlpB1) · mlpW2.
 * Attrs: cell, layers, ids (one vocabulary index per row), logits.
 * Outputs: h0', c0', h1', c1', … and logits [B, V] last when asked.
 */
export const STEP = 'NextkeyStep';

interface StepAttrs {
  cell: CellType;
  layers: number;
  ids: ArrayLike<number>;
  logits: boolean;
}

/** Memory of one backend as the step needs it: tensors it can read and write in place, and a matrix product. */
interface Mem<H> {
  input(t: TensorInfo): H;
  alloc(rows: number, cols: number): H;
  view(h: H): Float32Array;
  /** out[m, n] = a[m, k] · b[k, n]. */
  matmul(a: H, b: H, out: H, m: number, k: number, n: number): void;
  /** A scratch tensor is done with. */
  release(h: H): void;
  /** An output, as the engine takes it. */
  info(h: H): TensorInfo;
}

/** Input names per layer ("h0", "w1", …), made once: a keystroke builds no strings. */
const names = new Map<string, string[]>();
export function stepInput(name: string, layer: number): string {
  let list = names.get(name);
  if (!list) names.set(name, (list = []));
  return (list[layer] ??= `${name}${layer}`);
}

function runStep<H>(mem: Mem<H>, inputs: Record<string, TensorInfo>, a: StepAttrs): TensorInfo[] {
  const { cell, layers, ids } = a;
  const B = ids.length;
  const hasC = cell === 'lstm' || cell === 'cifg' || cell === 'peephole';
  const G = GATES[cell];
  const emb = mem.input(inputs.emb!);
  const E = inputs.emb!.shape[1]!;
  const outputs: H[] = [];
  /** Row r of layer 0's input is the embedding row of ids[r]. */
  const embed = (dst: Float32Array, stride: number) => {
    const e = mem.view(emb);
    for (let r = 0; r < B; r++) dst.set(e.subarray(ids[r]! * E, ids[r]! * E + E), r * stride);
  };
  let x: H | null = null; // the layer's input, [B, In] (null: the embedding)
  let In = E;
  for (let l = 0; l < layers; l++) {
    const h = mem.input(inputs[stepInput('h', l)]!);
    const Hs = inputs[stepInput('h', l)]!.shape[1]!;
    const hOut = mem.alloc(B, Hs);
    const cOut = hasC ? mem.alloc(B, Hs) : null;
    const v: Record<string, Float32Array> = {};
    if (cell !== 'gru') {
      // [x, h] · W in one product.
      const K = In + Hs;
      const xh = mem.alloc(B, K);
      const pre = mem.alloc(B, G * Hs);
      const xhv = mem.view(xh);
      if (x === null) embed(xhv, K);
      else {
        const xv = mem.view(x);
        for (let r = 0; r < B; r++) xhv.set(xv.subarray(r * In, r * In + In), r * K);
      }
      const hv = mem.view(h);
      for (let r = 0; r < B; r++) xhv.set(hv.subarray(r * Hs, r * Hs + Hs), r * K + In);
      mem.matmul(xh, mem.input(inputs[stepInput('w', l)]!), pre, B, K, G * Hs);
      mem.release(xh);
      v.pre = mem.view(pre);
      v.b = mem.view(mem.input(inputs[stepInput('b', l)]!));
      if (hasC) v.c = mem.view(mem.input(inputs[stepInput('c', l)]!));
      if (cell === 'peephole') for (const k of ['pi', 'pf', 'po']) v[k] = mem.view(mem.input(inputs[stepInput(k, l)]!));
      gateUpdate(cell, v, B, Hs, mem.view(hOut), cOut ? mem.view(cOut) : null);
      mem.release(pre);
    } else {
      let xin = x;
      if (xin === null) {
        xin = mem.alloc(B, E);
        embed(mem.view(xin), E);
      }
      const xp = mem.alloc(B, 3 * Hs);
      const hp = mem.alloc(B, 3 * Hs);
      mem.matmul(xin, mem.input(inputs[stepInput('wx', l)]!), xp, B, In, 3 * Hs);
      mem.matmul(h, mem.input(inputs[stepInput('wh', l)]!), hp, B, Hs, 3 * Hs);
      if (x === null) mem.release(xin);
      v.xp = mem.view(xp);
      v.hp = mem.view(hp);
      v.b = mem.view(mem.input(inputs[stepInput('bx', l)]!));
      v.bh = mem.view(mem.input(inputs[stepInput('bh', l)]!));
      v.h = mem.view(h);
      gateUpdate(cell, v, B, Hs, mem.view(hOut), null);
      mem.release(xp);
      mem.release(hp);
    }
    outputs.push(hOut);
    if (cOut) outputs.push(cOut);
    x = hOut;
    In = Hs;
  }
  if (a.logits) {
    const V = inputs.headB!.shape[0]!;
    const z = mem.alloc(B, V);
    mem.matmul(x!, mem.input(inputs.headW!), z, B, In, V);
    const zv = mem.view(z);
    const bv = mem.view(mem.input(inputs.headB!));
    for (let r = 0; r < B; r++) for (let i = 0; i < V; i++) zv[r * V + i] = zv[r * V + i]! + bv[i]!;
    if (inputs.mlpW1) {
      const M = inputs.mlpB1!.shape[0]!;
      const u = mem.alloc(B, M);
      mem.matmul(x!, mem.input(inputs.mlpW1), u, B, In, M);
      const uv = mem.view(u);
      const b1 = mem.view(mem.input(inputs.mlpB1!));
      for (let r = 0; r < B; r++) for (let i = 0; i < M; i++) uv[r * M + i] = Math.tanh(uv[r * M + i]! + b1[i]!);
      const y = mem.alloc(B, V);
      mem.matmul(u, mem.input(inputs.mlpW2!), y, B, M, V);
      mem.release(u);
      // Views again: an allocation may have moved the heap (wasm).
      const yv = mem.view(y);
      const zw = mem.view(z);
      for (let i = 0; i < B * V; i++) zw[i] = zw[i]! + yv[i]!;
      mem.release(y);
    }
    outputs.push(z);
  }
  return outputs.map((o) => mem.info(o));
}

interface CpuBackend {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

const cpuStep: KernelFunc = ({ inputs, backend, attrs }) => {
  const cpu = backend as unknown as CpuBackend;
  type Hc = { values: Float32Array; shape: [number, number] };
  const mem: Mem<Hc> = {
    input: (t) => ({ values: cpu.data.get(t.dataId).values as Float32Array, shape: t.shape as [number, number] }),
    alloc: (rows, cols) => ({ values: new Float32Array(rows * cols), shape: [rows, cols] }),
    view: (h) => h.values,
    matmul: (a, b, out, m, k, n) => multiply(a.values, 0, b.values, 0, out.values, 0, m, k, n, false, false),
    release: () => {},
    info: (h) => cpu.makeTensorInfo(h.shape, 'float32', h.values),
  };
  return runStep(mem, inputs as Record<string, TensorInfo>, attrs as unknown as StepAttrs);
};

interface WasmBackend {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
  disposeData(dataId: object): void;
  dataIdMap: { get(dataId: object): { id: number } };
  wasm: { cwrap(name: string, ret: null, args: string[]): (...args: unknown[]) => void };
}

/** tfjs-wasm's BatchMatMul export (XNNPACK), per backend instance. */
const wasmMatMuls = new WeakMap<object, (...args: unknown[]) => void>();
/** Shapes as the export takes them: [1, rows, cols] as int32 bytes. */
const shapeBytes = new Map<number, Uint8Array>();
function shape3(rows: number, cols: number): Uint8Array {
  const key = rows * 1048576 + cols;
  let s = shapeBytes.get(key);
  if (!s) shapeBytes.set(key, (s = new Uint8Array(new Int32Array([1, rows, cols]).buffer)));
  return s;
}

const wasmStep: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as unknown as WasmBackend;
  let matMul = wasmMatMuls.get(wasm);
  if (!matMul) {
    matMul = wasm.wasm.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
    wasmMatMuls.set(wasm, matMul);
  }
  const mm = matMul;
  const id = (t: TensorInfo) => wasm.dataIdMap.get(t.dataId).id;
  const mem: Mem<TensorInfo> = {
    input: (t) => t,
    alloc: (rows, cols) => wasm.makeOutput([rows, cols], 'float32'),
    // A fresh view every time: any allocation may have grown (and so moved) the heap.
    view: (t) => wasm.typedArrayFromHeap(t),
    matmul: (a, b, out, m, k, n) => mm(id(a), shape3(m, k), 3, id(b), shape3(k, n), 3, 0, 0, id(out)),
    release: (t) => wasm.disposeData(t.dataId),
    info: (t) => t,
  };
  return runStep(mem, inputs as Record<string, TensorInfo>, attrs as unknown as StepAttrs);
};

export const stepKernels: Record<'cpu' | 'wasm', KernelConfig> = {
  cpu: { kernelName: STEP, backendName: 'cpu', kernelFunc: cpuStep },
  wasm: { kernelName: STEP, backendName: 'wasm', kernelFunc: wasmStep },
};

/** Whether the one-call step runs on the backend in use. */
export function stepKernelHere(): boolean {
  return getKernel(STEP, getBackend()) !== undefined;
}

/** Runs the step kernel (see STEP for inputs and outputs). */
export function runStepKernel(inputs: Record<string, Tensor>, attrs: StepAttrs): Tensor[] {
  return engine().runKernel(STEP, inputs as unknown as NamedTensorMap, attrs as never) as unknown as Tensor[];
}
