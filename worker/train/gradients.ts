import { BatchMatMul, getBackend, matMul, registerGradient, transpose, type GradConfig, type NamedAttrMap, type Tensor } from '@tensorflow/tfjs-core';
import { addGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Add_grad.js';
import { batchMatMulGradConfig } from '@tensorflow/tfjs-core/dist/gradients/BatchMatMul_grad.js';
import { concatGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Concat_grad.js';
import { multiplyGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Multiply_grad.js';
import { reshapeGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Reshape_grad.js';
import { sigmoidGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Sigmoid_grad.js';
import { splitVGradConfig } from '@tensorflow/tfjs-core/dist/gradients/SplitV_grad.js';
import { subGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Sub_grad.js';
import { tanhGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Tanh_grad.js';

/**
 * tfjs' BatchMatMul gradient, except that the weight gradient aᵀ·dy is
 * computed as transpose(a)·dy: the wasm backend runs products with a
 * transposed first operand in a plain scalar loop, and only the others in
 * XNNPACK. That product is most of the backward pass (one per step and layer).
 */
const matMulGrad: GradConfig = {
  kernelName: BatchMatMul,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    if (transposeA || transposeB) return batchMatMulGradConfig.gradFunc(dy, saved, attrs);
    const [a, b] = saved as [Tensor, Tensor];
    const d = dy as Tensor;
    const perm = [...Array(a.rank).keys()];
    perm.push(perm.splice(a.rank - 2, 1)[0]!);
    return {
      // On wasm a product with a transposed operand is slow either way round;
      // on cpu our kernel runs the plain product fastest (kernels/cpu-matmul.ts).
      a: () => (getBackend() === 'webgl' ? matMul(d, b, false, true) : matMul(d, transpose(b, perm))),
      b: () => matMul(transpose(a, perm), d),
    };
  },
};

let registered = false;

/**
 * tfjs-core registers no gradients unless its full entry point is imported;
 * these are the ops a cell step, the stacking and the output head record on
 * the tape (the loss brings its own, see crossEntropy).
 */
export function registerGradients(): void {
  if (registered) return;
  registered = true;
  for (const g of [addGradConfig, matMulGrad, concatGradConfig, multiplyGradConfig, reshapeGradConfig, sigmoidGradConfig, splitVGradConfig, subGradConfig, tanhGradConfig]) {
    registerGradient(g);
  }
}
