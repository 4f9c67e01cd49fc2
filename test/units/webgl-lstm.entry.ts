// What test/webgl-lstm.test.js needs of the worker: tfjs, the backends with our kernels, the fused WebGL LSTM step.
export * as tf from '@tensorflow/tfjs-core';
export { selectBackend } from '../../worker/backend.js';
export { registerGradients } from '../../worker/train/gradients.js';
export { registerTrainingKernels } from '../../worker/kernels/index.js';
export { webglLstmHere, webglLstmStep } from '../../worker/kernels/webgl-lstm.js';
