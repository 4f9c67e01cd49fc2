import * as Comlink from 'comlink';
import type { BackendName, FineTuneProgress, FineTuneRequest, FineTuneResult } from '../../src/protocol.js';
import { selectBackend } from '../backend.js';
import { workerError } from '../errors.js';
import { MAX_LEXICON_WORDS, validateManifest, type Manifest } from '../model/manifest.js';
import { ModelLexicon, wordsOf, type LexiconPlan } from '../model/beam.js';
import { buildModel, decodeWeights, disposeModel, swapWeights, type DecodedWeights } from '../model/model.js';
import { REFUSE_UNKNOWN_SHARE, WARN_UNKNOWN_SHARE, extendVocabulary, newCharacters, unknownCounts } from './vocab.js';
import { encodeModel, fineTune } from './index.js';
import { lifeLockName, watchLife } from '../../src/life.js';

/**
 * Fine-tuning runs in a worker of its own: the predictor's worker starts this
 * same bundle again under this name. A training batch is one long task (a
 * 16×64 window of a 2×256 LSTM takes seconds on wasm), so in the predictor's
 * worker it would hold every keystroke up for that long; in a second worker
 * the sessions keep answering at their usual latency, from the weights in use.
 */
export const TRAINER_NAME = 'nextkey-trainer';

/** The weights to start from, as format v1 float32 bytes, and where to run. */
export interface TrainerInit {
  manifest: Manifest;
  bytes: ArrayBuffer;
  backend: BackendName;
  wasmBaseUrl: string;
  /** The lexicon in use (the manifest's is left out), and the words fine-tuning added to it so far; null: none. */
  lexicon: { words: string[]; learned: string[] } | null;
}

/** What a trainer sends back: the run's figures and the tuned weights (format v1 float32). */
export interface Trained {
  /** The run's figures; the predictor's worker adds what the lexicon learned. */
  result: Omit<FineTuneResult, 'learnedWords'>;
  manifest: Manifest;
  bytes: ArrayBuffer;
  /** The lexicon with the text's words added (counted and merged here, off the predictor's worker), or null. */
  lexicon: LexiconPlan | null;
}

/** The API of a trainer worker. */
export interface TrainerApi {
  train(init: TrainerInit, texts: string[], request: FineTuneRequest, onProgress: (p: FineTuneProgress) => void): Promise<Trained>;
}

/** Runs in the trainer worker: one run, then the predictor's worker ends it. */
export const trainerApi: TrainerApi = {
  async train(init, texts, request, onProgress) {
    await selectBackend(init.backend, init.wasmBaseUrl);
    let manifest = init.manifest;
    let weights: ArrayBuffer | DecodedWeights = init.bytes;
    // What the vocabulary cannot read: refused when it is most of the text, warned about when notable,
    // and with extendVocab the characters used often get entries of their own.
    const index = new Map(manifest.vocab.map((cp, i) => [cp, i] as const).filter(([, i]) => i > 0));
    const { counts, total } = unknownCounts({ index }, texts);
    const added = request.extendVocab ? newCharacters(counts) : [];
    if (added.length) ({ manifest, weights } = extendVocabulary(manifest, decodeWeights(manifest, init.bytes), added));
    const unknown = [...counts].reduce((n, [cp, c]) => (added.includes(cp) ? n : n + c), 0);
    const share = total > 0 ? unknown / total : 0;
    const examples = [...counts.keys()].filter((cp) => !added.includes(cp)).slice(0, 8).map((cp) => String.fromCodePoint(cp)).join(' ');
    const percent = `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;
    if (share > REFUSE_UNKNOWN_SHARE) {
      throw workerError(
        'InvalidArgumentError',
        `fineTune(text): ${percent} of the text's characters are outside the model's vocabulary (${examples}); they read as its unknown symbol, so training on it would mostly teach the model to expect that symbol and make it worse at the rest` +
          (request.extendVocab ? '' : '. Pass { extendVocab: true } to give the characters the text uses often entries of their own'),
      );
    }
    const warnings: FineTuneResult['warnings'] =
      share > WARN_UNKNOWN_SHARE
        ? [{ code: 'unknown-chars', message: `${percent} of the text's characters are outside the model's vocabulary (${examples}) and read as its unknown symbol${request.extendVocab ? '' : '; { extendVocab: true } gives those used often entries of their own'}` }]
        : [];
    const model = buildModel(manifest, weights);
    try {
      const { result, weights: tuned } = await fineTune(model, texts, request, {
        progress: (p) => void Promise.resolve(onProgress(p)).catch(() => {}),
        // Aborting ends this worker: nothing to check between batches.
        check: () => {},
      });
      swapWeights(model, tuned);
      const out = await encodeModel(model, model, {});
      const lexicon = init.lexicon && ModelLexicon.plan(init.lexicon.words, init.lexicon.learned, texts.flatMap(wordsOf), MAX_LEXICON_WORDS);
      const full = { ...result, addedChars: added.map((cp) => String.fromCodePoint(cp)), warnings };
      return Comlink.transfer({ result: full, manifest: out.manifest, bytes: out.bytes, lexicon }, [out.bytes]);
    } finally {
      disposeModel(model);
    }
  },
};

/** A run in a trainer worker, seen from the predictor's worker. */
export interface TrainerRun {
  /** The tuned weights; rejects with the run's error, or with `reason` after stop(). */
  readonly done: Promise<Trained>;
  /** Ends the trainer at once (abort, dispose): `done` rejects with `reason`. */
  stop(reason: Error): void;
}

/**
 * Starts a trainer worker (this worker's own script, so the same bundle and
 * origin; a Blob URL script too, which the main thread keeps alive) and a run
 * in it. The weights in `init.bytes` are transferred. A trainer that dies
 * (out of memory, a crash) rejects `done` with a TrainingError; the caller's
 * weights are untouched either way.
 */
export function startTrainer(init: TrainerInit, texts: string[], request: FineTuneRequest, onProgress: (p: FineTuneProgress) => void): TrainerRun {
  const lock = lifeLockName();
  const worker = new Worker(self.location.href, { type: 'module', name: `${TRAINER_NAME}#${lock}` });
  const remote = Comlink.wrap<TrainerApi>(worker);
  let fail!: (error: Error) => void;
  const stopped = new Promise<never>((_, reject) => (fail = reject));
  stopped.catch(() => {});
  // Watched from its creation: an error, a failed start, or the worker ending
  // in any other way (closed, killed, out of memory) ends the run.
  const watching = new AbortController();
  watchLife(worker, lock, watching.signal, (reason) => {
    fail(workerError('TrainingError', `the fine-tuning worker stopped (${reason}); the previous weights are still in use`));
  });
  const progress = Comlink.proxy((p: FineTuneProgress) => onProgress(p));
  const call = remote.train(Comlink.transfer(init, [init.bytes]), texts, request, progress);
  const done = Promise.race([call, stopped]).then((trained) => {
    // Our own worker's answer, checked as any model is before it is used.
    validateManifest(trained.manifest);
    return trained;
  });
  const end = () => {
    watching.abort();
    remote[Comlink.releaseProxy]();
    worker.terminate();
  };
  done.then(end, end);
  return {
    done,
    stop(reason) {
      fail(reason);
    },
  };
}
