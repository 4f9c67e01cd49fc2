// What test/lexicon.test.js needs of the worker: a model and a session on it, and lexicons.
export { selectBackend } from '../../worker/backend.js';
export { validateManifest } from '../../worker/model/manifest.js';
export { buildModel } from '../../worker/model/model.js';
export { ModelLexicon, sortedWords, wordsOf } from '../../worker/model/beam.js';
export { Session } from '../../worker/session.js';
export { DEFAULT_POLICY } from '../../worker/checkpoints.js';
