// What test/adapt.test.js needs: the adaptation's parts (no tfjs).
export { AdaptiveModel } from '../../worker/adapt/mixer.js';
export { CommitTracker } from '../../worker/adapt/commit.js';
export { UserWords, unionWords } from '../../worker/adapt/words.js';
export { Adaptation, vocabView } from '../../worker/adapt/index.js';
