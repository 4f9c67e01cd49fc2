// What test/bidir.test.js needs of the worker: a model with its bidirectional part, stepped by hand.
export * as tf from '@tensorflow/tfjs-core';
export { selectBackend } from '../../worker/backend.js';
export { validateManifest } from '../../worker/model/manifest.js';
export { buildModel, disposeModel, encode, logits, step, stepWithLogits, stateTensors, swapWeights, zeroState } from '../../worker/model/model.js';
export { buildBidir, disposeMidText, midTextModel } from '../../worker/model/bidir.js';
export { beamSearch } from '../../worker/model/beam.js';
export { FIT_CANDIDATES, FIT_CHARS, FIT_MASS_POWER, FIT_MIN_P, continuationLogProbs, fitNextChar, fitRight, sequenceLogProbs } from '../../worker/model/rescore.js';
