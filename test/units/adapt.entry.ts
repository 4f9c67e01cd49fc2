// What test/adapt.test.js needs: the adaptive mixer (no tfjs).
export { AdaptiveModel } from '../../worker/adapt/mixer.js';
