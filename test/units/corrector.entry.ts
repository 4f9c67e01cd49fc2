// What test/corrector.test.js needs of the worker: the typo corrector run by hand, and the language model beside it.
export * as tf from '@tensorflow/tfjs-core';
export { selectBackend } from '../../worker/backend.js';
export { validateManifest } from '../../worker/model/manifest.js';
export { buildModel, decodeWeights, disposeModel, encode, logits, step, stateTensors, zeroState } from '../../worker/model/model.js';
export { wordLogProbs } from '../../worker/model/rescore.js';
export { CORRECTION_BEAM, CORRECTOR_CASE_PENALTY, CORRECTOR_PRIOR_ALONE, countPrior, correctionEdits, CORRECTOR_EDIT_PENALTY, CORRECTOR_LM_WEIGHT, CORRECTOR_LM_WEIGHT_ALONE, EDIT_CAP, NEAR_LIMIT, RESCORED, buildCorrector, candidates, correct, correctionOptions, decoderScratch, decoderStep, editDistance, encodeWord, nearEdits, rescored, scoreWords } from '../../worker/model/corrector.js';
export { WordTrie, nearIn, nearWords } from '../../worker/model/near.js';
