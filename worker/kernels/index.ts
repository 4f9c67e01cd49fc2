import { findBackend, registerKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { addConfig as cpuAdd } from '@tensorflow/tfjs-backend-cpu/dist/kernels/Add.js';
import { castConfig as cpuCast } from '@tensorflow/tfjs-backend-cpu/dist/kernels/Cast.js';
import { concatConfig as cpuConcat } from '@tensorflow/tfjs-backend-cpu/dist/kernels/Concat.js';
import { fillConfig as cpuFill } from '@tensorflow/tfjs-backend-cpu/dist/kernels/Fill.js';
import { gatherV2Config as cpuGatherV2 } from '@tensorflow/tfjs-backend-cpu/dist/kernels/GatherV2.js';
import { identityConfig as cpuIdentity } from '@tensorflow/tfjs-backend-cpu/dist/kernels/Identity.js';
import { multiplyConfig as cpuMultiply } from '@tensorflow/tfjs-backend-cpu/dist/kernels/Multiply.js';
import { reshapeConfig as cpuReshape } from '@tensorflow/tfjs-backend-cpu/dist/kernels/Reshape.js';
import { sigmoidConfig as cpuSigmoid } from '@tensorflow/tfjs-backend-cpu/dist/kernels/Sigmoid.js';
import { sliceConfig as cpuSlice } from '@tensorflow/tfjs-backend-cpu/dist/kernels/Slice.js';
import { splitVConfig as cpuSplitV } from '@tensorflow/tfjs-backend-cpu/dist/kernels/SplitV.js';
import { subConfig as cpuSub } from '@tensorflow/tfjs-backend-cpu/dist/kernels/Sub.js';
import { tanhConfig as cpuTanh } from '@tensorflow/tfjs-backend-cpu/dist/kernels/Tanh.js';
import { addConfig as webglAdd } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Add.js';
import { batchMatMulConfig as webglBatchMatMul } from '@tensorflow/tfjs-backend-webgl/dist/kernels/BatchMatMul.js';
import { castConfig as webglCast } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Cast.js';
import { concatConfig as webglConcat } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Concat.js';
import { fillConfig as webglFill } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Fill.js';
import { gatherV2Config as webglGatherV2 } from '@tensorflow/tfjs-backend-webgl/dist/kernels/GatherV2.js';
import { identityConfig as webglIdentity } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Identity.js';
import { multiplyConfig as webglMultiply } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Multiply.js';
import { reshapeConfig as webglReshape } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Reshape.js';
import { sigmoidConfig as webglSigmoid } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Sigmoid.js';
import { sliceConfig as webglSlice } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Slice.js';
import { splitVConfig as webglSplitV } from '@tensorflow/tfjs-backend-webgl/dist/kernels/SplitV.js';
import { subConfig as webglSub } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Sub.js';
import { tanhConfig as webglTanh } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Tanh.js';
import { addConfig as wasmAdd } from '@tensorflow/tfjs-backend-wasm/dist/kernels/Add.js';
import { batchMatMulConfig as wasmBatchMatMul } from '@tensorflow/tfjs-backend-wasm/dist/kernels/BatchMatMul.js';
import { castConfig as wasmCast } from '@tensorflow/tfjs-backend-wasm/dist/kernels/Cast.js';
import { concatConfig as wasmConcat } from '@tensorflow/tfjs-backend-wasm/dist/kernels/Concat.js';
import { fillConfig as wasmFill } from '@tensorflow/tfjs-backend-wasm/dist/kernels/Fill.js';
import { gatherV2Config as wasmGatherV2 } from '@tensorflow/tfjs-backend-wasm/dist/kernels/GatherV2.js';
import { identityConfig as wasmIdentity } from '@tensorflow/tfjs-backend-wasm/dist/kernels/Identity.js';
import { multiplyConfig as wasmMultiply } from '@tensorflow/tfjs-backend-wasm/dist/kernels/Multiply.js';
import { reshapeConfig as wasmReshape } from '@tensorflow/tfjs-backend-wasm/dist/kernels/Reshape.js';
import { sigmoidConfig as wasmSigmoid } from '@tensorflow/tfjs-backend-wasm/dist/kernels/Sigmoid.js';
import { subConfig as wasmSub } from '@tensorflow/tfjs-backend-wasm/dist/kernels/Sub.js';
import { tanhConfig as wasmTanh } from '@tensorflow/tfjs-backend-wasm/dist/kernels/Tanh.js';
import { expConfig as cpuExp } from '@tensorflow/tfjs-backend-cpu/dist/kernels/Exp.js';
import { logConfig as cpuLog } from '@tensorflow/tfjs-backend-cpu/dist/kernels/Log.js';
import { maxConfig as cpuMax } from '@tensorflow/tfjs-backend-cpu/dist/kernels/Max.js';
import { negConfig as cpuNeg } from '@tensorflow/tfjs-backend-cpu/dist/kernels/Neg.js';
import { realDivConfig as cpuRealDiv } from '@tensorflow/tfjs-backend-cpu/dist/kernels/RealDiv.js';
import { sqrtConfig as cpuSqrt } from '@tensorflow/tfjs-backend-cpu/dist/kernels/Sqrt.js';
import { squareConfig as cpuSquare } from '@tensorflow/tfjs-backend-cpu/dist/kernels/Square.js';
import { sumConfig as cpuSum } from '@tensorflow/tfjs-backend-cpu/dist/kernels/Sum.js';
import { zerosLikeConfig as cpuZerosLike } from '@tensorflow/tfjs-backend-cpu/dist/kernels/ZerosLike.js';
import { expConfig as webglExp } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Exp.js';
import { logConfig as webglLog } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Log.js';
import { maxConfig as webglMax } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Max.js';
import { negConfig as webglNeg } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Neg.js';
import { realDivConfig as webglRealDiv } from '@tensorflow/tfjs-backend-webgl/dist/kernels/RealDiv.js';
import { sqrtConfig as webglSqrt } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Sqrt.js';
import { squareConfig as webglSquare } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Square.js';
import { sumConfig as webglSum } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Sum.js';
import { zerosLikeConfig as webglZerosLike } from '@tensorflow/tfjs-backend-webgl/dist/kernels/ZerosLike.js';
import { expConfig as wasmExp } from '@tensorflow/tfjs-backend-wasm/dist/kernels/Exp.js';
import { logConfig as wasmLog } from '@tensorflow/tfjs-backend-wasm/dist/kernels/Log.js';
import { maxConfig as wasmMax } from '@tensorflow/tfjs-backend-wasm/dist/kernels/Max.js';
import { negConfig as wasmNeg } from '@tensorflow/tfjs-backend-wasm/dist/kernels/Neg.js';
import { realDivConfig as wasmRealDiv } from '@tensorflow/tfjs-backend-wasm/dist/kernels/RealDiv.js';
import { sqrtConfig as wasmSqrt } from '@tensorflow/tfjs-backend-wasm/dist/kernels/Sqrt.js';
import { squareConfig as wasmSquare } from '@tensorflow/tfjs-backend-wasm/dist/kernels/Square.js';
import { sumConfig as wasmSum } from '@tensorflow/tfjs-backend-wasm/dist/kernels/Sum.js';
import { zerosLikeConfig as wasmZerosLike } from '@tensorflow/tfjs-backend-wasm/dist/kernels/ZerosLike.js';
import { transposeConfig as wasmTranspose } from '@tensorflow/tfjs-backend-wasm/dist/kernels/Transpose.js';
import { transposeConfig as cpuTranspose } from '@tensorflow/tfjs-backend-cpu/dist/kernels/Transpose.js';
import { transposeConfig as webglTranspose } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Transpose.js';
import { cpuBatchMatMul } from './cpu-matmul.js';
import { wasmSlice, wasmSplitV } from './wasm-slice.js';
import { fusedKernels } from './fused.js';
import { stepKernels } from './step.js';
import { webglLstmKernels } from './webgl-lstm.js';

/**
 * Only the kernels a recurrent step and the output head use, per backend, so
 * the worker bundle carries a few dozen kernels instead of several hundred.
 * A missing one fails loudly ("Kernel 'X' not registered"), which the golden
 * tests on every backend would catch. The cpu backend's BatchMatMul is our
 * own (cpu-matmul.ts): tfjs' reads the weights column-wise and is several
 * times slower for the products here. So are wasm's Slice and SplitV
 * (wasm-slice.ts): tfjs' copy the whole input out of the heap per slice.
 */
const kernels: Record<'cpu' | 'webgl' | 'wasm', KernelConfig[]> = {
  cpu: [fusedKernels.cpu, stepKernels.cpu, cpuAdd, cpuBatchMatMul, cpuCast, cpuConcat, cpuFill, cpuGatherV2, cpuIdentity, cpuMultiply, cpuReshape, cpuSigmoid, cpuSlice, cpuSplitV, cpuSub, cpuTanh],
  webgl: [...webglLstmKernels, webglAdd, webglBatchMatMul, webglCast, webglConcat, webglFill, webglGatherV2, webglIdentity, webglMultiply, webglReshape, webglSigmoid, webglSlice, webglSplitV, webglSub, webglTanh],
  wasm: [fusedKernels.wasm, stepKernels.wasm, wasmAdd, wasmBatchMatMul, wasmCast, wasmConcat, wasmFill, wasmGatherV2, wasmIdentity, wasmMultiply, wasmReshape, wasmSigmoid, wasmSlice, wasmSplitV, wasmSub, wasmTanh],
};

const registered = new Set<string>();

/** Registers the kernels of one backend (idempotent). */
export function registerKernels(backend: 'cpu' | 'webgl' | 'wasm'): void {
  if (registered.has(backend)) return;
  registered.add(backend);
  for (const k of kernels[backend]) registerKernel(k);
}

/**
 * What fine-tuning needs on top: the loss (Max, Exp, Log, Sum), the backward
 * passes of the step's ops (Sum for broadcast biases, Neg, Square, RealDiv)
 * and Adam (Square, Sqrt, RealDiv, ZerosLike), and Transpose for the weight
 * gradients (see train/gradients.ts). wasm's Sum and Max also call its
 * Transpose kernel's C function for reductions over outer axes (bias
 * gradients). Registered on first use.
 */
const trainingKernels: Record<'cpu' | 'webgl' | 'wasm', KernelConfig[]> = {
  cpu: [cpuExp, cpuLog, cpuMax, cpuNeg, cpuRealDiv, cpuSqrt, cpuSquare, cpuSum, cpuZerosLike, cpuTranspose],
  webgl: [webglExp, webglLog, webglMax, webglNeg, webglRealDiv, webglSqrt, webglSquare, webglSum, webglZerosLike, webglTranspose],
  wasm: [wasmExp, wasmLog, wasmMax, wasmNeg, wasmRealDiv, wasmSqrt, wasmSquare, wasmSum, wasmZerosLike, wasmTranspose],
};

const trainingRegistered = new Set<string>();

/** Registers the training kernels of one backend (idempotent), after the backend has started. */
export function registerTrainingKernels(backend: 'cpu' | 'webgl' | 'wasm'): void {
  if (trainingRegistered.has(backend)) return;
  trainingRegistered.add(backend);
  // The wasm backend binds its kernels' C functions (setupFunc) only for the
  // kernels registered when it starts; a kernel registered later must be bound here.
  const started = findBackend(backend);
  for (const k of trainingKernels[backend]) {
    registerKernel(k);
    if (started && k.setupFunc) k.setupFunc(started);
  }
}
