// What test/decode.test.js needs of the worker: the weight decoders and the load-time transpose.
export { decodeTensor, halfToFloat, halvesToFloats } from '../../worker/model/decode.js';
export { transpose } from '../../worker/cells/common.js';
