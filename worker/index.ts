// First: the worker takes its life lock before anything else runs (see life.ts).
import { ROLE } from './life.js';
import * as Comlink from 'comlink';
import { dispose, memory } from '@tensorflow/tfjs-core';
import { AHEAD_MESSAGE, BACKEND_MESSAGE } from '../src/protocol.js';
import type { AheadAnswers, BackendReport, CompleteRequest, CorrectionsRequest, FineTuneResult, LoadRequest, LoadResult, ProgressEvent, SavedModelInfo, UnreadableSavedModel, WarningCode, WorkerApi } from '../src/protocol.js';
import { fallbackBackend, selectBackend, webglCanvas, webglContextLost } from './backend.js';
import { probeStore } from './cache.js';
import { workerError } from './errors.js';
import { SAVED_NAME, SAVED_PREFIX, loadModel, loadSaved, openSavedModels } from './loader.js';
import { validateManifest, type Manifest } from './model/manifest.js';
import { CORRECTION_BEAM } from './model/corrector.js';
import { buildModel, decodeWeights, disposeModel, encode, swapWeights, weightTensors, type Model, type ModelWeights } from './model/model.js';
import { Session, beforeCursor, type Generator } from './session.js';
import { encodeModel } from './train/index.js';
import { checkRequest } from './train/options.js';
import { TRAINER_NAME, startTrainer, trainerApi, type TrainerRun } from './train/worker.js';
import { Adaptation, MIN_ADAPT_BUDGET } from './adapt/index.js';
import { AdaptStore } from './adapt/persist.js';

let model: Model | null = null;
let backend: BackendReport | null = null;
const sessions = new Map<number, Session>();
let nextSession = 1;
const generators = new Map<number, Generator>();
let nextGenerator = 1;
/** The predictor's adaptation to its user's text, shared by its sessions (null: adapt: false). */
let adaptation: Adaptation | null = null;
let adaptStore: AdaptStore | null = null;
/** The session typed in last: when another is typed in, its committed text is learned (see Session.leave). */
let activeSession = 0;
let learnTimer: ReturnType<typeof setTimeout> | null = null;

/**
 * Learns what sessions committed, off the hot path: a call that commits text
 * answers first and schedules learnLater(); the learning runs in the idle
 * time after it, a chunk per task (a large committed paste never holds a
 * keystroke up for long). A call that reads the adaptation first learns what
 * is still queued (learnPending), so its answer is the same whether the idle
 * time came or not: what earlier calls committed, learned.
 */
function learnPending(): boolean {
  if (!adaptation?.pending) return false;
  const more = adaptation.drain();
  adaptStore?.changed();
  return more;
}
function learnLater(): void {
  if (!adaptation?.pending || learnTimer) return;
  learnTimer = setTimeout(() => {
    learnTimer = null;
    if (learnPending()) learnLater();
  }, 0);
}

/** A keystroke in session `id`: the field typed in before it was left. */
function typedIn(id: number): void {
  if (activeSession !== id) sessions.get(activeSession)?.leave();
  activeSession = id;
}
/** IndexedDB database of the weight cache and of saved models. */
let dbName = 'nextkey';
/** The fine-tuning run in progress, if any (one at a time), and its trainer worker once started. */
interface Training {
  job: number;
  aborted: boolean;
  trainer: TrainerRun | null;
}
let training: Training | null = null;
const aborted = () => workerError('AbortError', 'fine-tuning was aborted; the previous weights are still in use');
/** Fine-tuning runs applied to the weights in use, for the saved model's card. */
const tuneLog: Record<string, unknown>[] = [];

/**
 * Calls that read the weights across awaits (beam search, generation, save).
 * Swapping in fine-tuned weights waits until none is running, so none sees
 * half old and half new weights.
 */
let inflight = 0;
const idleWaiters: (() => void)[] = [];
async function reading<T>(run: () => Promise<T>): Promise<T> {
  inflight++;
  try {
    return await run();
  } finally {
    if (--inflight === 0) for (const resolve of idleWaiters.splice(0)) resolve();
  }
}
function noReaders(): Promise<void> {
  return inflight === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
}

/** Steps the shadow sessions read, all together, between two yields while new weights go in (a few ms on wasm). */
const SWAP_STEPS = 16;

/**
 * Puts tuned weights in use without holding typing up. Every open session
 * gets a shadow that reads its text with the new weights, SWAP_STEPS at a
 * time with a yield in between, so keystrokes (answered with the old
 * weights meanwhile) go first, and shadows follow the sessions' edits. Once
 * every shadow has caught up, and no call reads the weights across an await
 * (beams, generation, save), one task reads the last few steps, swaps the
 * weights and hands each session its shadow's states: the answers are those
 * of a fresh read with the new weights, as before, and no keystroke waited
 * for the whole text to be re-read.
 */
async function swapInBackground(m: Model, next: { weights: ModelWeights } | { model: Model }): Promise<void> {
  // New weights on the same vocabulary (and lexicon), or a new model whose vocabulary grew (extendVocab):
  // then each shadow reads the session's text encoded with the new vocabulary.
  const view = 'model' in next ? next.model : ({ ...m, ...next.weights } as Model);
  const vocabChanged = 'model' in next;
  /** Each session's shadow, and what it was last asked to read (for the session's revision then) and whether it is there. */
  const shadows = new Map<Session, { sh: Session; revision: number; ids: number[]; done: boolean }>();
  const gone = () => {
    for (const { sh } of shadows.values()) sh.dispose();
    if ('model' in next) disposeModel(next.model);
    else dispose(weightTensors(m, next.weights));
    return workerError('DisposedError', 'the predictor was disposed during fine-tuning');
  };
  /** Reads up to `budget` steps over all shadows; true while any is behind. A session that did not change since its shadow caught up costs nothing. */
  const behind = (budget: number): boolean => {
    let any = false;
    const open = new Set(sessions.values());
    for (const [s, { sh }] of shadows) if (!open.has(s)) (sh.dispose(), shadows.delete(s));
    for (const s of open) {
      let entry = shadows.get(s);
      if (!entry) shadows.set(s, (entry = { sh: s.shadow(view), revision: -1, ids: [], done: false }));
      if (entry.revision !== s.revision) {
        entry.revision = s.revision;
        entry.ids = vocabChanged ? encode(view, s.text()) : s.ids();
        entry.done = false;
      }
      if (entry.done) continue;
      if (budget <= 0) {
        any = true;
        continue;
      }
      const r = entry.sh.catchUp(entry.ids, budget);
      budget -= r.steps;
      entry.done = r.done;
      if (!r.done) any = true;
    }
    return any;
  };
  for (;;) {
    if (model !== m) throw gone();
    const still = behind(SWAP_STEPS);
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (!still) {
      await noReaders();
      if (model !== m) throw gone();
      // Typed meanwhile: a few steps at most, read in this same task as the swap.
      if ([...sessions.values()].some((s) => s.reading)) continue;
      behind(Infinity);
      if ('model' in next) {
        // Generators hold states of the old vocabulary; the old model's weights go.
        for (const g of generators.values()) g.dispose();
        generators.clear();
        model = next.model;
        disposeModel(m);
      } else {
        swapWeights(m, next.weights);
      }
      for (const [s, { sh }] of shadows) s.adopt(sh);
      return;
    }
  }
}

/** Idle time after a setText before its session steps ahead (Session.speculate). */
const AHEAD_DELAY_MS = 4;
const aheadTimers = new Map<number, ReturnType<typeof setTimeout>>();

function savedName(name: unknown, what: string): string {
  if (typeof name !== 'string' || !SAVED_NAME.test(name)) {
    throw workerError('InvalidArgumentError', `${what}: name must be 1-64 letters, digits, '_', '.' or '-', got ${JSON.stringify(name)}`);
  }
  return name;
}

function savedInfo(name: string, manifest: Manifest, savedAt: number): SavedModelInfo {
  return {
    name,
    url: SAVED_PREFIX + name,
    cell: manifest.cell,
    embeddingSize: manifest.embeddingSize,
    hiddenSizes: manifest.hiddenSizes,
    vocabSize: manifest.vocab.length,
    weightsBytes: manifest.weights.byteLength,
    sha256: manifest.weights.sha256,
    savedAt,
    card: manifest.card,
  };
}

/** The base model's card plus the lineage of fine-tuning runs (kept across save and reload). */
function tunedCard(m: Model, name: string): Record<string, unknown> {
  const base = m.manifest.card;
  const prior = (base.fineTune ?? null) as { base?: unknown; runs?: unknown[] } | null;
  const { metrics: _metrics, fineTune: _fineTune, ...rest } = base;
  return {
    ...rest,
    name,
    fineTune: {
      base: prior?.base ?? { name: base.name ?? null, sha256: m.manifest.weights.sha256, metrics: base.metrics ?? null },
      runs: [...(Array.isArray(prior?.runs) ? prior.runs : []), ...tuneLog],
    },
  };
}

function positiveInt(value: unknown, what: string, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw workerError('InvalidArgumentError', `${what} must be an integer from 1 to ${max}, got ${String(value)}`);
  }
  return value;
}

function loaded(): Model {
  if (!model) throw workerError('DisposedError', 'no model is loaded in this worker (disposed, or load() failed)');
  return model;
}

function session(id: number): Session {
  const s = sessions.get(id);
  if (!s) throw workerError('DisposedError', `session ${id} does not exist or was disposed`);
  return s;
}

/** The weights in use as host bytes (format v1): what a lost WebGL context is recovered from. */
let hostWeights: { manifest: Manifest; weights: ArrayBuffer } | null = null;
let wasmBaseUrl = '';
let recovering: Promise<void> | null = null;

/**
 * A lost WebGL context takes every tensor on it. Before the next call runs,
 * move to wasm (or cpu), rebuild the weights from their host copy and have
 * every session read its text again: the same predictions, on the new backend.
 */
function recoverIfContextLost(): Promise<void> {
  if (recovering) return recovering;
  if (!model || !hostWeights || backend?.name !== 'webgl' || !webglContextLost()) return Promise.resolve();
  const m = model;
  const host = hostWeights;
  recovering = (async () => {
    const report = await fallbackBackend(wasmBaseUrl, 'the WebGL context was lost');
    swapWeights(m, buildModel(host.manifest, host.weights));
    for (const g of generators.values()) g.dispose();
    generators.clear();
    for (const s of sessions.values()) s.refresh();
    backend = report;
    // The main thread's predictor.backend says what runs now.
    self.postMessage({ [BACKEND_MESSAGE]: report });
  })().finally(() => {
    recovering = null;
  });
  return recovering;
}

const api: WorkerApi = {
  async load(request: LoadRequest, onProgress?: (event: ProgressEvent) => void): Promise<LoadResult> {
    if (model) throw workerError('InvalidArgumentError', 'this worker already holds a model; create another predictor');
    const report = (event: ProgressEvent) => {
      // Progress is advisory: a throwing or slow listener must not break loading.
      void Promise.resolve(onProgress?.(event)).catch(() => {});
    };
    const warnings: { code: WarningCode; message: string }[] = [];
    const warn = (code: WarningCode, message: string) => {
      warnings.push({ code, message });
      report({ status: 'warning', code, message });
    };
    const { timeoutMs = 30_000, retries = 2 } = request.network;
    if (!['auto', 'webgl', 'wasm', 'cpu'].includes(request.backend)) {
      throw workerError('InvalidArgumentError', `options.backend must be one of auto, webgl, wasm, cpu; got ${String(request.backend)}`);
    }
    if (!(timeoutMs > 0)) throw workerError('InvalidArgumentError', `options.timeoutMs must be a number > 0, got ${String(timeoutMs)}`);
    if (!Number.isInteger(retries) || retries < 0 || retries > 10) throw workerError('InvalidArgumentError', `options.retries must be an integer from 0 to 10, got ${String(retries)}`);
    const network = { timeoutMs, retries };
    if (request.adapt) {
      const { budgetBytes, persist } = request.adapt;
      if (!Number.isInteger(budgetBytes) || budgetBytes < MIN_ADAPT_BUDGET || budgetBytes > 256 * 1024 * 1024) {
        throw workerError('InvalidArgumentError', `options.adapt.budgetBytes must be an integer from ${MIN_ADAPT_BUDGET} to ${256 * 1024 * 1024}, got ${String(budgetBytes)}`);
      }
      if (persist !== null) savedName(persist, 'options.adapt.persist');
    }
    try {
      dbName = request.cache.dbName;
      // The backend starts (the wasm binary compiles) while the weights
      // download or come out of IndexedDB and are decoded: neither waits for the other.
      const starting = selectBackend(request.backend, request.wasmBaseUrl, request.cache.enabled ? probeStore() : null).then((b) => {
        report({ status: 'backend', backend: b });
        return b;
      });
      const files = (async () => {
        report({ status: 'manifest', url: request.manifestUrl });
        if (request.manifestUrl.startsWith(SAVED_PREFIX)) {
          const name = savedName(request.manifestUrl.slice(SAVED_PREFIX.length), `options.model '${request.manifestUrl}'`);
          const saved = await loadSaved(name, dbName);
          report({ status: 'cache-hit', key: request.manifestUrl });
          return saved;
        }
        return loadModel(request.manifestUrl, request.cache, report, warn, network);
      })().then((read) => ({ ...read, decoded: decodeWeights(read.manifest, read.weights) }));
      // Both settle before anything is reported as failed; a backend that cannot start is the error to name first.
      const [chosen, read] = await Promise.allSettled([starting, files]);
      if (chosen.status === 'rejected') throw chosen.reason;
      if (read.status === 'rejected') throw read.reason;
      backend = chosen.value;
      const { manifest, weights, decoded } = read.value;
      model = buildModel(manifest, decoded);
      hostWeights = backend.name === 'webgl' ? { manifest, weights } : null;
      if (request.adapt) {
        adaptation = new Adaptation(request.adapt.budgetBytes);
        if (request.adapt.persist) {
          const m = model;
          adaptStore = new AdaptStore(dbName, request.adapt.persist, adaptation, () => m.manifest.vocab, (message) => console.warn(`nextkey: ${message}`));
          const outcome = await adaptStore.load();
          if (outcome !== 'restored' && outcome !== 'none') warn('adapt-storage', outcome);
        }
      }
      wasmBaseUrl = request.wasmBaseUrl;
      const info = {
        url: request.manifestUrl,
        cell: manifest.cell,
        embeddingSize: manifest.embeddingSize,
        hiddenSizes: manifest.hiddenSizes,
        vocabSize: manifest.vocab.length,
        parameters: model.parameters,
        weightsBytes: manifest.weights.byteLength,
        sha256: manifest.weights.sha256,
        card: manifest.card,
        parts: { bidirectional: model.bidir !== null, corrector: !!model.corrector },
      };
      report({ status: 'ready', model: info, backend });
      // The corrector's near-word trie (about 50 ms for 80,000 words) is built once the load has answered,
      // so the first word finished does not wait for it.
      if (model.corrector && model.lexicon) {
        const lexicon = model.lexicon;
        setTimeout(() => lexicon.trie(), 0);
      }
      return { model: info, backend, warnings };
    } finally {
      (onProgress as unknown as Comlink.Remote<unknown> | undefined)?.[Comlink.releaseProxy]?.();
    }
  },

  async createSession(given, readLimit) {
    positiveInt(readLimit, 'session({ readLimit })', 1_000_000);
    const checkpoints = { dense: 32, maxBytes: 2 * 1024 * 1024, ...given };
    if (!Number.isInteger(checkpoints.dense) || checkpoints.dense < 1) throw workerError('InvalidArgumentError', `checkpoints.dense must be a positive integer, got ${checkpoints.dense}`);
    if (!(checkpoints.maxBytes >= 0)) throw workerError('InvalidArgumentError', `checkpoints.maxBytes must be a number ≥ 0, got ${checkpoints.maxBytes}`);
    const id = nextSession++;
    sessions.set(id, new Session(loaded(), checkpoints, readLimit, adaptation));
    return id;
  },

  async setText(id, text, cursor, k, seq = 0) {
    if (typeof text !== 'string') throw workerError('InvalidArgumentError', `setText(text): text must be a string, got ${typeof text}`);
    positiveInt(k, 'k');
    const s = session(id);
    clearTimeout(aheadTimers.get(id));
    typedIn(id);
    learnPending();
    const before = cursor === null ? text : beforeCursor(text, cursor);
    const result = await s.setText(before, k, text.slice(before.length));
    // What this keystroke committed is learned after its answer (the answer sent ahead for it was made
    // before, see speculate), in the idle time before the next one.
    learnLater();
    // Step ahead for the likeliest next keystrokes once the worker has been idle
    // a moment: between real keystrokes (tens of ms apart) it is ready in time;
    // when calls come back to back it would only hold the next one up. The
    // answers for those keystrokes go to the main thread (AheadAnswers), on
    // the channel Comlink's replies take, so they arrive in order with them.
    aheadTimers.set(
      id,
      setTimeout(() => {
        aheadTimers.delete(id);
        try {
          if (sessions.get(id) !== s) return;
          // Answers sent ahead must be the ones the worker would give: with everything committed learned
          // (none while a large paste is still being learned, chunk by chunk).
          const learning = learnPending();
          s.speculate();
          const entries = seq > 0 && !learning ? s.aheadAnswers(k) : null;
          if (entries) {
            const ahead: AheadAnswers = { session: id, seq, k, length: s.length, entries, anyRight: !s.readsRight };
            self.postMessage({ [AHEAD_MESSAGE]: ahead });
          }
        } catch {
          // Stepping ahead only saves time: if it fails, the next keystroke steps as usual.
        }
      }, AHEAD_DELAY_MS),
    );
    return result;
  },

  async complete(id, given) {
    const request: CompleteRequest = {
      maxChars: given.maxChars ?? 12,
      beamWidth: given.beamWidth ?? 4,
      stop: given.stop ?? 'word',
      phraseWords: given.phraseWords ?? 3,
      k: given.k ?? 3,
      minP: given.minP ?? 0,
      withSpace: given.withSpace ?? false,
      lexicon: given.lexicon ?? true,
    };
    positiveInt(request.maxChars, 'complete({ maxChars })', 200);
    positiveInt(request.beamWidth, 'complete({ beamWidth })', 64);
    positiveInt(request.k, 'complete({ k })', 64);
    positiveInt(request.phraseWords, 'complete({ phraseWords })', 20);
    if (typeof request.withSpace !== 'boolean') throw workerError('InvalidArgumentError', `complete({ withSpace }) must be a boolean, got ${typeof request.withSpace}`);
    if (typeof request.lexicon !== 'boolean') throw workerError('InvalidArgumentError', `complete({ lexicon }) must be a boolean, got ${typeof request.lexicon}`);
    if (typeof request.minP !== 'number' || !(request.minP >= 0 && request.minP <= 1)) {
      throw workerError('InvalidArgumentError', `complete({ minProbability }) must be a number from 0 to 1, got ${String(request.minP)}`);
    }
    if (request.stop !== 'word' && request.stop !== 'phrase') {
      throw workerError('InvalidArgumentError', `complete({ stop }) must be 'word' or 'phrase', got ${String(request.stop)}`);
    }
    // No learnPending() here: a completion asked for right after the keystroke that committed a word
    // does not wait for that word to be learned (it is, in the idle time after; the next keystroke knows it).
    return reading(() => session(id).complete(request));
  },

  async corrections(id, given) {
    const request: CorrectionsRequest = { k: given.k ?? 3, beamWidth: given.beamWidth ?? CORRECTION_BEAM, range: given.range ?? null };
    positiveInt(request.k, 'corrections({ k })', 32);
    positiveInt(request.beamWidth, 'corrections({ beamWidth })', 32);
    const r = request.range;
    if (r !== null && !(Array.isArray(r) && r.length === 2 && Number.isInteger(r[0]) && Number.isInteger(r[1]) && r[0] >= 0 && r[0] < r[1])) {
      throw workerError('InvalidArgumentError', `corrections({ range }) must be { start, end } with 0 <= start < end, got ${JSON.stringify(r)}`);
    }
    return reading(() => session(id).corrections(request));
  },

  async sessionStats(id) {
    return session(id).stats();
  },

  async generateStart(id, request) {
    positiveInt(request.length, 'generate({ length })');
    positiveInt(request.topK, 'generate({ topK })');
    if (typeof request.temperature !== 'number' || !(request.temperature > 0) || !Number.isFinite(request.temperature)) {
      throw workerError('InvalidArgumentError', `generate({ temperature }) must be a finite number > 0, got ${String(request.temperature)}`);
    }
    const g = nextGenerator++;
    generators.set(g, session(id).generator(request));
    return g;
  },

  async generateNext(g, n) {
    const gen = generators.get(g);
    if (!gen) throw workerError('DisposedError', `generator ${g} was ended`);
    learnPending();
    return reading(() => gen.next(n));
  },

  async generateEnd(g) {
    generators.get(g)?.dispose();
    generators.delete(g);
  },

  async feed(id, text) {
    if (typeof text !== 'string') throw workerError('InvalidArgumentError', 'feed(text): text must be a string');
    const s = session(id);
    typedIn(id);
    learnPending();
    const result = await s.feed(text);
    learnLater();
    return result;
  },

  async reset(id) {
    session(id).reset();
    learnLater();
  },

  async predict(id, k, temperature) {
    if (!Number.isInteger(k) || k < 1) throw workerError('InvalidArgumentError', `predict: k must be a positive integer, got ${k}`);
    if (!(temperature > 0) || !Number.isFinite(temperature)) {
      throw workerError('InvalidArgumentError', `predict: temperature must be a finite number > 0, got ${temperature}`);
    }
    learnPending();
    return session(id).predict(k, temperature);
  },

  async state(id) {
    return session(id).state();
  },

  async disposeSession(id) {
    clearTimeout(aheadTimers.get(id));
    aheadTimers.delete(id);
    sessions.get(id)?.dispose();
    sessions.delete(id);
  },

  async stats() {
    // What was committed counts as learned (it is, by the next call that reads it).
    while (learnPending());
    const m = memory();
    const a = adaptation;
    return {
      numTensors: m.numTensors,
      numBytes: m.numBytes,
      sessions: sessions.size,
      backend: backend?.name ?? null,
      adapt: a
        ? { bytes: a.bytes, budgetBytes: a.budgetBytes, learnedChars: a.learnedChars, contexts: a.mixer.contexts, words: a.words.size, persist: adaptStore?.name ?? null, savedAt: adaptStore?.savedAt ?? null }
        : null,
    };
  },

  async forget() {
    if (!adaptation) return;
    adaptation.clear();
    // Text already typed stays unlearned: only what is typed from now on teaches.
    for (const s of sessions.values()) s.forgetPending();
    if (adaptStore) {
      try {
        await adaptStore.erase();
      } catch (error) {
        throw workerError('StorageError', `forget(): the adaptation was erased from memory, but deleting "${adaptStore.name}" from IndexedDB failed: ${(error as Error).name}: ${(error as Error).message}; call forget() again`);
      }
    }
  },

  async fineTune(job, texts, request, onProgress): Promise<FineTuneResult> {
    try {
      const m = loaded();
      if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string')) {
        throw workerError('InvalidArgumentError', 'fineTune(text): text must be a string or an array of strings');
      }
      if (training) throw workerError('TrainingError', 'a fine-tuning run is already in progress on this predictor; await it or abort it (options.signal) first');
      const options = checkRequest(request);
      if (!backend) throw workerError('DisposedError', 'no backend is running in this worker');
      const run: Training = { job, aborted: false, trainer: null };
      training = run;
      try {
        const start = await reading(() => encodeModel(m, m, {}));
        if (run.aborted) throw aborted();
        run.trainer = startTrainer(
          // The trainer needs no lexicon: only completions read it.
          {
            manifest: { ...start.manifest, lexicon: undefined, lexiconCounts: undefined },
            bytes: start.bytes,
            backend: backend.name,
            wasmBaseUrl,
            lexicon: m.lexicon ? { words: m.lexicon.list(), learned: [...m.lexicon.learned] } : null,
          },
          texts,
          options,
          (p) => void Promise.resolve(onProgress?.(p)).catch(() => {}),
        );
        const { result, manifest, bytes, lexicon } = await run.trainer.done;
        if (model !== m) throw workerError('DisposedError', 'the predictor was disposed during fine-tuning');
        if (manifest.vocab.length !== m.manifest.vocab.length) {
          // extendVocab: a model of its own (new vocabulary), with the trainer's lexicon (applied below with its learned words).
          await swapInBackground(m, {
            model: buildModel({ ...manifest, ...(lexicon ? { lexicon: lexicon.words, ...(m.lexicon?.counted ? { lexiconCounts: m.lexicon.countsOf(lexicon.words) } : {}) } : {}) }, bytes),
          });
        } else {
          await swapInBackground(m, { weights: buildModel(manifest, bytes) });
        }
        const now = model!;
        // Its words are the ones this model should now complete too (the trainer kept the most frequent that fit).
        if (now.lexicon && lexicon) now.lexicon.apply(lexicon);
        const learnedWords = lexicon ? { added: lexicon.added, dropped: lexicon.dropped } : null;
        // Only WebGL can lose its tensors: keep the tuned weights on the host to rebuild from.
        if (backend?.name === 'webgl') hostWeights = { manifest, weights: bytes };
        tuneLog.push({
          at: new Date().toISOString(),
          trainChars: result.trainLength,
          validChars: result.validLength,
          steps: result.steps,
          epochs: result.epochs,
          bpcBefore: result.bpcBefore,
          bpcAfter: result.bpcAfter,
          options: { ...options },
        });
        return { ...result, learnedWords };
      } finally {
        training = null;
      }
    } finally {
      (onProgress as unknown as Comlink.Remote<unknown> | undefined)?.[Comlink.releaseProxy]?.();
    }
  },

  async abortFineTune(job) {
    if (training?.job !== job) return;
    training.aborted = true;
    training.trainer?.stop(aborted());
  },

  async save(name, options = {}) {
    const m = loaded();
    savedName(name, 'save(name)');
    const { manifest, bytes } = await reading(() => encodeModel(m, m, tunedCard(m, name), { learnedWords: options.learnedWords ?? true }));
    // Never store what the loader would refuse.
    try {
      validateManifest(manifest);
    } catch (error) {
      throw workerError('StorageError', `"${name}" was not saved: the loader would refuse it (${(error as Error).message}); the model in memory keeps working`);
    }
    const db = await openSavedModels(dbName);
    const savedAt = Date.now();
    try {
      await db.putModel({ name, manifest, savedAt }, bytes);
    } catch (error) {
      const e = error as Error;
      const size = bytes.byteLength >= 1048576 ? `${(bytes.byteLength / 1048576).toFixed(1)} MB` : `${Math.ceil(bytes.byteLength / 1024)} KB`;
      if (e?.name === 'QuotaExceededError') {
        throw workerError(
          'StorageError',
          `not enough storage to save "${name}" (${size}): this site's IndexedDB quota is used up (QuotaExceededError). Free space or delete saved models with deleteSavedModel(); the model in memory keeps working`,
        );
      }
      throw workerError('StorageError', `saving "${name}" (${size}) to IndexedDB failed: ${e?.name}: ${e?.message}; the model in memory keeps working`);
    } finally {
      db.close();
    }
    return savedInfo(name, manifest, savedAt);
  },

  async listSavedModels() {
    const db = await openSavedModels(dbName);
    try {
      const out: (SavedModelInfo | UnreadableSavedModel)[] = [];
      for (const entry of await db.listModels()) {
        try {
          out.push(savedInfo(entry.name, validateManifest(entry.manifest), entry.savedAt));
        } catch (error) {
          // An entry this runtime cannot read (a newer format, damage): listed with why, so it can be deleted.
          const savedAt = typeof entry.savedAt === 'number' ? entry.savedAt : null;
          out.push({ name: entry.name, url: SAVED_PREFIX + entry.name, savedAt, error: `${(error as Error).name}: ${(error as Error).message}` });
        }
      }
      return out.sort((a, b) => a.name.localeCompare(b.name));
    } finally {
      db.close();
    }
  },

  async deleteSavedModel(name) {
    savedName(name, 'deleteSavedModel(name)');
    const db = await openSavedModels(dbName);
    try {
      return await db.deleteModel(name);
    } catch (error) {
      throw workerError('StorageError', `deleting saved model "${name}" failed: ${(error as Error).name}: ${(error as Error).message}`);
    } finally {
      db.close();
    }
  },

  async dispose() {
    training?.trainer?.stop(workerError('DisposedError', 'the predictor was disposed during fine-tuning'));
    for (const g of generators.values()) g.dispose();
    generators.clear();
    for (const s of sessions.values()) s.dispose();
    sessions.clear();
    if (model) disposeModel(model);
    model = null;
    // What was learned last is stored before the worker ends.
    if (adaptStore) {
      adaptation?.drain(Infinity);
      await adaptStore.flush();
      adaptStore.dispose();
    }
    adaptation = null;
    adaptStore = null;
  },
};

/**
 * Calls in flight on WebGL when its context is lost: their reads of GPU
 * memory may never complete, so each is rejected (ContextLostError,
 * retryable) the moment the context goes. Its work is abandoned with the
 * context; the next call moves to the fallback backend first.
 */
const onContextLoss = new Set<() => void>();
let watchedCanvas: EventTarget | null = null;
function watchContext(): void {
  const canvas = webglCanvas();
  if (!canvas || canvas === watchedCanvas) return;
  watchedCanvas = canvas;
  canvas.addEventListener('webglcontextlost', () => {
    for (const reject of [...onContextLoss]) reject();
    onContextLoss.clear();
  });
}

/** Calls that touch tensors first recover from a lost WebGL context, if that happened. */
const UNGUARDED = new Set<keyof WorkerApi>(['load', 'dispose', 'abortFineTune', 'generateEnd', 'disposeSession', 'forget']);
const guarded = Object.fromEntries(
  Object.entries(api).map(([name, f]) => [
    name,
    UNGUARDED.has(name as keyof WorkerApi)
      ? f
      : async (...args: unknown[]) => {
          await recoverIfContextLost();
          if (backend?.name !== 'webgl') return (f as (...a: unknown[]) => unknown)(...args);
          watchContext();
          return new Promise((resolve, reject) => {
            const lost = () => reject(workerError('ContextLostError', `the WebGL context was lost during ${name}(); the worker moves to another backend: call again`));
            onContextLoss.add(lost);
            Promise.resolve()
              .then(() => (f as (...a: unknown[]) => unknown)(...args))
              // Read off a context that went meanwhile, an answer may be garbage: never give it.
              .then((value) => (webglContextLost() ? lost() : resolve(value)), (error) => (webglContextLost() ? lost() : reject(error)))
              .finally(() => onContextLoss.delete(lost));
          });
        },
  ]),
) as unknown as WorkerApi;

// The same bundle serves as a predictor's worker and as its fine-tuning worker (see train/worker.ts).
Comlink.expose(ROLE === TRAINER_NAME ? trainerApi : guarded);
