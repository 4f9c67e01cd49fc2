import { engine, getBackend, getKernel, type KernelConfig, type KernelFunc, type NamedTensorMap, type Tensor, type Tensor2D, type TensorInfo } from '@tensorflow/tfjs-core';
import type { CellType } from '../../src/protocol.js';

/**
 * One kernel for everything a cell does after its products: biases, gate
 * nonlinearities, the cell update and the output. A step of a 256-unit LSTM
 * with tfjs ops is a dozen kernel calls on [1, 1024] and [1, 256] tensors
 * whose cost is mostly per-call overhead (~10 µs each on wasm); this is one
 * call and one pass over the numbers. Inference only (no gradient): training
 * steps with the cells' tfjs ops (cells/*.ts, stepShares), which autodiff
 * differentiates. Registered for cpu and wasm, whose tensors are plain
 * memory; WebGL keeps the tfjs ops (its kernels are shaders).
 */
export const GATES = 'NextkeyGates';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

type Arr = Float32Array;

/**
 * Inputs (rows B, hidden size H):
 *  lstm, cifg, rnn: pre [B, G·H] (the products, no bias), b [1, G·H], and c [B, H] (not rnn)
 *  peephole: as lstm, plus pi, pf, po [1, H]
 *  gru: xp [B, 3H] = x·W_ih, hp [B, 3H] = h·W_hh, bx, bh [1, 3H], h [B, H]
 * Outputs: h' (and c' for the LSTM family), [B, H].
 */
export function gateUpdate(cell: CellType, v: Record<string, Arr>, B: number, H: number, h1: Arr, c1: Arr | null): void {
  const b = v.b!;
  for (let r = 0; r < B; r++) {
    const o = r * H;
    switch (cell) {
      case 'lstm': {
        const p = v.pre!;
        const c = v.c!;
        const q = r * 4 * H;
        for (let j = 0; j < H; j++) {
          const i = sigmoid(p[q + j]! + b[j]!);
          const f = sigmoid(p[q + H + j]! + b[H + j]!);
          const g = Math.tanh(p[q + 2 * H + j]! + b[2 * H + j]!);
          const og = sigmoid(p[q + 3 * H + j]! + b[3 * H + j]!);
          const cn = f * c[o + j]! + i * g;
          c1![o + j] = cn;
          h1[o + j] = og * Math.tanh(Math.fround(cn));
        }
        break;
      }
      case 'cifg': {
        const p = v.pre!;
        const c = v.c!;
        const q = r * 3 * H;
        for (let j = 0; j < H; j++) {
          const i = sigmoid(p[q + j]! + b[j]!);
          const g = Math.tanh(p[q + H + j]! + b[H + j]!);
          const og = sigmoid(p[q + 2 * H + j]! + b[2 * H + j]!);
          const c0 = c[o + j]!;
          const cn = c0 + i * (g - c0);
          c1![o + j] = cn;
          h1[o + j] = og * Math.tanh(Math.fround(cn));
        }
        break;
      }
      case 'peephole': {
        const p = v.pre!;
        const c = v.c!;
        const q = r * 4 * H;
        for (let j = 0; j < H; j++) {
          const c0 = c[o + j]!;
          const i = sigmoid(p[q + j]! + b[j]! + v.pi![j]! * c0);
          const f = sigmoid(p[q + H + j]! + b[H + j]! + v.pf![j]! * c0);
          const g = Math.tanh(p[q + 2 * H + j]! + b[2 * H + j]!);
          const cn = Math.fround(f * c0 + i * g);
          const og = sigmoid(p[q + 3 * H + j]! + b[3 * H + j]! + v.po![j]! * cn);
          c1![o + j] = cn;
          h1[o + j] = og * Math.tanh(cn);
        }
        break;
      }
      case 'rnn': {
        const p = v.pre!;
        const q = r * H;
        for (let j = 0; j < H; j++) h1[o + j] = Math.tanh(p[q + j]! + b[j]!);
        break;
      }
      case 'gru': {
        const xp = v.xp!;
        const hp = v.hp!;
        const bh = v.bh!;
        const h = v.h!;
        const q = r * 3 * H;
        for (let j = 0; j < H; j++) {
          const rg = sigmoid(xp[q + j]! + b[j]! + hp[q + j]! + bh[j]!);
          const z = sigmoid(xp[q + H + j]! + b[H + j]! + hp[q + H + j]! + bh[H + j]!);
          const n = Math.tanh(xp[q + 2 * H + j]! + b[2 * H + j]! + rg * (hp[q + 2 * H + j]! + bh[2 * H + j]!));
          h1[o + j] = n + z * (h[o + j]! - n);
        }
        break;
      }
    }
  }
}

interface CpuBackend {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}
interface WasmBackend {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

function shapeOf(cell: CellType, inputs: Record<string, TensorInfo>): [number, number] {
  const state = cell === 'gru' ? inputs.h! : cell === 'rnn' ? null : inputs.c!;
  if (state) return [state.shape[0]!, state.shape[1]!];
  const pre = inputs.pre!;
  return [pre.shape[0]!, pre.shape[1]!];
}

const hasC = (cell: CellType) => cell === 'lstm' || cell === 'cifg' || cell === 'peephole';

const cpuGates: KernelFunc = ({ inputs, backend, attrs }) => {
  const cell = (attrs as unknown as { cell: CellType }).cell;
  const cpu = backend as unknown as CpuBackend;
  const ins = inputs as Record<string, TensorInfo>;
  const [B, H] = shapeOf(cell, ins);
  const v: Record<string, Arr> = {};
  for (const [k, t] of Object.entries(ins)) v[k] = cpu.data.get(t.dataId).values as Arr;
  const h1 = new Float32Array(B * H);
  const c1 = hasC(cell) ? new Float32Array(B * H) : null;
  gateUpdate(cell, v, B, H, h1, c1);
  const out = [cpu.makeTensorInfo([B, H], 'float32', h1)];
  if (c1) out.push(cpu.makeTensorInfo([B, H], 'float32', c1));
  return out;
};

const wasmGates: KernelFunc = ({ inputs, backend, attrs }) => {
  const cell = (attrs as unknown as { cell: CellType }).cell;
  const wasm = backend as unknown as WasmBackend;
  const ins = inputs as Record<string, TensorInfo>;
  const [B, H] = shapeOf(cell, ins);
  // Allocate first: an allocation can grow the heap and detach earlier views.
  const out = [wasm.makeOutput([B, H], 'float32')];
  if (hasC(cell)) out.push(wasm.makeOutput([B, H], 'float32'));
  const v: Record<string, Arr> = {};
  for (const [k, t] of Object.entries(ins)) v[k] = wasm.typedArrayFromHeap(t);
  gateUpdate(cell, v, B, H, wasm.typedArrayFromHeap(out[0]!), out[1] ? wasm.typedArrayFromHeap(out[1]) : null);
  return out;
};

export const fusedKernels: Record<'cpu' | 'wasm', KernelConfig> = {
  cpu: { kernelName: GATES, backendName: 'cpu', kernelFunc: cpuGates },
  wasm: { kernelName: GATES, backendName: 'wasm', kernelFunc: wasmGates },
};

/** Whether the fused kernel runs on the backend in use. */
export function fusedHere(): boolean {
  return getKernel(GATES, getBackend()) !== undefined;
}

/** Runs the fused kernel: [h', c'] or [h']. */
export function fusedGates(cell: CellType, inputs: Record<string, Tensor>): Tensor2D[] {
  return engine().runKernel(GATES, inputs as unknown as NamedTensorMap, { cell } as never) as unknown as Tensor2D[];
}
