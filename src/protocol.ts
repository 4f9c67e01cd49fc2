/**
 * The contract between the main thread and the worker: types only.
 * Both realms import this file with `import type`, so no worker code (tfjs,
 * idb) can leak into the main-thread bundle.
 */

/** A recurrent cell type of model format v1. */
export type CellType = 'rnn' | 'lstm' | 'gru' | 'peephole' | 'cifg';

/** Backend preference; `auto` tries webgl, then wasm, then cpu. */
export type BackendPreference = 'auto' | 'webgl' | 'wasm' | 'cpu';

/** A backend the worker can run on. */
export type BackendName = 'webgl' | 'wasm' | 'cpu';

/** Which backend the worker got, and why the ones before it were skipped. */
export interface BackendReport {
  name: BackendName;
  /** Backends tried before `name`, each with the reason it was not used. */
  skipped: { name: BackendName; reason: string }[];
}

/** Stable error names thrown by the worker; mapped to classes on the main thread. */
export type WorkerErrorName =
  | 'ModelFormatError'
  | 'ModelFetchError'
  | 'IntegrityError'
  | 'BackendError'
  | 'InvalidArgumentError'
  | 'DisposedError'
  | 'TrainingError'
  | 'StorageError'
  | 'ContextLostError'
  | 'AbortError';

/** Loading progress, tagged by `status`. */
export type ProgressEvent =
  | { status: 'backend'; backend: BackendReport }
  | { status: 'manifest'; url: string }
  | { status: 'fetch'; url: string; loaded: number; total: number | null }
  | { status: 'cache-hit'; key: string }
  | { status: 'cache-store'; key: string }
  | { status: 'warning'; code: WarningCode; message: string }
  | { status: 'ready'; model: ModelInfo; backend: BackendReport };

/** Non-fatal problems reported while loading; the model still works. */
export type WarningCode = 'cache-unavailable' | 'cache-corrupt' | 'cache-write-failed' | 'adapt-storage';

/** Cache settings sent to the worker. */
export interface CacheOptions {
  /** false disables the IndexedDB weight cache (saved models still live in `dbName`). */
  enabled: boolean;
  /** IndexedDB database name: the weight cache and the saved models. */
  dbName: string;
}

/** What `load` needs; URLs are absolute (resolved on the main thread). */
export interface LoadRequest {
  /** Absolute URL of model.json, or `idb://<name>` for a model saved in IndexedDB (database `cache.dbName`). */
  manifestUrl: string;
  /** As given; the worker checks it. */
  backend: BackendPreference;
  /** Absolute URL of the folder holding the tfjs wasm binaries. */
  wasmBaseUrl: string;
  cache: CacheOptions;
  /** Model downloads: stall timeout and retries, as given (the worker fills in the defaults, 30000 ms and 2, and checks them). */
  network: { timeoutMs?: number | undefined; retries?: number | undefined };
  /** Learning from the user's committed text (see AdaptRequest); null: off. */
  adapt: AdaptRequest | null;
}

/** Adaptation settings sent to the worker (resolved on the main thread, checked by the worker). */
export interface AdaptRequest {
  /** Memory of what is learned, in bytes (the context table and the user's words). */
  budgetBytes: number;
  /** Keep it in IndexedDB (database `cache.dbName`) under this name across visits; null: memory only, for the page's lifetime. */
  persist: string | null;
}

/** What a predictor's adaptation holds now (`stats().adapt`). */
export interface AdaptStats {
  /** Bytes held (at most `budgetBytes`, plus the mixture's few scores). */
  bytes: number;
  budgetBytes: number;
  /** Committed characters learned since it started (or was last erased), this visit and stored ones not counted. */
  learnedChars: number;
  /** Character contexts held. */
  contexts: number;
  /** Words of the user's that the model's lexicon lacks, kept so completions can spell them. */
  words: number;
  /** The IndexedDB name it is kept under, or null (memory only). */
  persist: string | null;
  /** When it was last written to IndexedDB (ms since the epoch), or null. */
  savedAt: number | null;
}

/** Facts about the loaded model. */
export interface ModelInfo {
  url: string;
  cell: CellType;
  embeddingSize: number;
  hiddenSizes: number[];
  vocabSize: number;
  /** Number of weights (all tensors). */
  parameters: number;
  /** Size of weights.bin. */
  weightsBytes: number;
  sha256: string;
  /** The manifest's free-form model card. */
  card: Record<string, unknown>;
  /** Its optional parts: the bidirectional part (predictions mid-text) and the typo corrector (Session.corrections). */
  parts: { bidirectional: boolean; corrector: boolean };
}

export interface LoadResult {
  model: ModelInfo;
  backend: BackendReport;
  warnings: { code: WarningCode; message: string }[];
}

/** One next-character candidate. */
export interface Prediction {
  char: string;
  /** Probability under the model (after temperature). */
  p: number;
}

/** A copy of a session's recurrent state, per layer, outermost array = layers. */
export interface StateSnapshot {
  h: number[][];
  /** Cell state for lstm, peephole and cifg; null for rnn and gru. */
  c: number[][] | null;
}

/** Result of feeding text. */
export interface FeedResult {
  /** Recurrent steps run for this call (one per code point). */
  steps: number;
  /** Code points fed so far since the last reset. */
  length: number;
}

/** Where a completion stops: the end of the current word, or after a few words / a sentence end. */
export type CompletionStop = 'word' | 'phrase';

/** One ranked completion from the beam search. */
export interface Completion {
  /** The characters to insert after the text (without the boundary that ends it). */
  text: string;
  /** Probability of this continuation (including the boundary that ends it) under the model. */
  p: number;
  /** false when the search hit maxChars before a boundary. */
  complete: boolean;
}

/** One correction of a word: the word meant, and its probability under the model's corrector. */
export interface Correction {
  text: string;
  p: number;
}

/** A corrections request as the worker takes it (the main thread fills in the defaults). */
export interface CorrectionsRequest {
  k: number;
  beamWidth: number;
  /** Code points [start, end) of the text before the caret (newlines normalised); null: the word before the caret. */
  range: [number, number] | null;
}

/** The worker's answer: the word looked at (code points of the text before the caret), and its corrections. */
export interface CorrectionsAnswer {
  word: { start: number; end: number; text: string; known: boolean } | null;
  corrections: Correction[];
}

/** Options of a completion request (all resolved on the main thread). */
export interface CompleteRequest {
  maxChars: number;
  beamWidth: number;
  stop: CompletionStop;
  phraseWords: number;
  k: number;
  /** Completions (and beams) less likely than this are dropped; 0 keeps all. */
  minP: number;
  /** Also list completions a space ends with the space appended. */
  withSpace: boolean;
  /** Prefer the model's lexicon words (when it has a lexicon). */
  lexicon: boolean;
}

/** Sampling options of streaming generation. */
export interface GenerateRequest {
  length: number;
  temperature: number;
  topK: number;
  /** Seed for reproducible sampling; null for Math.random. */
  seed: number | null;
}

/** Checkpoint settings of a session. */
export interface CheckpointOptions {
  /** Keep a checkpoint at every position within this many characters of the cursor or text end. Default 32. */
  dense: number;
  /** Memory budget for checkpoints in bytes. Default 2 MiB. */
  maxBytes: number;
}

/** What one setText cost and what it predicts. */
export interface TextResult {
  /** Recurrent steps run for this update (typing at the end: 1; backspace: 0). */
  steps: number;
  /** Code points now read (the text before the cursor). */
  length: number;
  /** Top-k next characters after the text. */
  predictions: Prediction[];
}

/**
 * Answers sent ahead: after answering setText number `seq` of a session, the
 * worker steps ahead for the likeliest next characters and sends what
 * setText(that text + c, { k }) would answer for each character c. The main
 * thread answers such a keystroke at once (and still tells the worker).
 */
export interface AheadAnswers {
  session: number;
  /** The main thread's sequence number of the setText these follow. */
  seq: number;
  /** Predictions per entry (a setText asking for more goes to the worker). */
  k: number;
  /** Code points read after that setText. */
  length: number;
  /** [next character, the predictions after it], for each character stepped ahead for. */
  entries: [string, Prediction[]][];
  /**
   * The answers hold whatever follows the caret (the model has no
   * bidirectional part); else only for a caret with nothing after it on its
   * line (see rightContext): mid-text answers are never sent ahead.
   */
  anyRight: boolean;
}

/** The key of a worker message carrying AheadAnswers (other messages are Comlink's). */
export const AHEAD_MESSAGE = 'nextkeyAhead';

/**
 * A worker's name is `<role>#<lock>`: the first thing the worker does is take
 * the Web Lock `<lock>` for as long as it lives, then post `{ [LIFE_MESSAGE]:
 * true }`. From that message on, its parent's request for the same lock is
 * granted the moment the worker ends, however it ends (closed, terminated,
 * out of memory), so no call waits on a worker that is gone.
 */
export const LIFE_MESSAGE = 'nextkeyLife';

/** The worker posts `{ [BACKEND_MESSAGE]: BackendReport }` when it moved to another backend (a lost WebGL context). */
export const BACKEND_MESSAGE = 'nextkeyBackend';

/** Counters of one session. */
export interface SessionStats {
  /** Recurrent steps run since the session was created. */
  steps: number;
  /** Code points currently read. */
  length: number;
  checkpoints: number;
  checkpointBytes: number;
  /**
   * Stepping ahead between keystrokes (cpu and wasm): how many appended
   * characters found their state ready (hits) or not (misses), and the bytes
   * of the states held for the next keystroke.
   */
  speculation: { hits: number; misses: number; bytes: number };
  /**
   * With a model that has the bidirectional part, once a caret had text after
   * it: its reader of that text (the line after the caret, read from its end):
   * steps run, code points read, whether the last setText predicted with both
   * sides, and its checkpoints. null before.
   */
  right: { steps: number; length: number; midText: boolean; checkpoints: number; checkpointBytes: number } | null;
}

/** Worker-side resource counters. */
export interface WorkerStats {
  /** Live tfjs tensors in the worker. */
  numTensors: number;
  /** Bytes held by live tensors. */
  numBytes: number;
  sessions: number;
  backend: BackendName | null;
  /** The adaptation to the user's text; null when it is off (`adapt: false`). */
  adapt: AdaptStats | null;
}

/** Fine-tuning settings; the worker fills in the defaults of those not given and validates them. */
export interface FineTuneRequest {
  /** Passes over the training text; null: as many as fit in `timeBudgetMs`. */
  epochs: number | null;
  /** Stop training after this many milliseconds (checked between batches); null: no limit. */
  timeBudgetMs: number | null;
  /** Characters per truncated-BPTT window. */
  seqLength: number;
  /** Parallel lanes of the text per batch. */
  batchSize: number;
  /** Adam step size. */
  learningRate: number;
  /** Gradients are scaled down so that their global L2 norm is at most this. */
  clipNorm: number;
  /** Share of the text (its end) held out to measure bits per character; 0 measures on the training text. */
  validationSplit: number;
  /** Give the characters the text uses often (and the vocabulary lacks) entries of their own. */
  extendVocab: boolean;
}

/** Reported after every training batch. */
export interface FineTuneProgress {
  /** Batches done (1, 2, …). */
  step: number;
  /** Batches planned, or null when only a time budget bounds the run. */
  steps: number | null;
  /** Current pass over the training text (1-based). */
  epoch: number;
  /** Training loss of this batch, in bits per character. */
  loss: number;
  /** Training characters processed per second so far (wall clock, yields included). */
  charsPerSecond: number;
  /** Estimated milliseconds of training left. */
  etaMs: number;
  /** Milliseconds since training began. */
  elapsedMs: number;
}

/** The outcome of a fine-tuning run; the tuned weights are in use when it resolves. */
export interface FineTuneResult {
  /** Bits per character on the held-out text before training. */
  bpcBefore: number;
  /** Bits per character on the held-out text with the tuned weights. */
  bpcAfter: number;
  /** Batches trained. */
  steps: number;
  /** Passes over the training text (fractional when a time budget cut the last one short). */
  epochs: number;
  /** Characters trained on (summed over epochs). */
  trainedChars: number;
  charsPerSecond: number;
  /** Milliseconds spent training (evaluation excluded). */
  elapsedMs: number;
  /**
   * Code points in the training part and the held-out part of the text.
   * bpcBefore/bpcAfter are measured on the held-out part's first 65,536 code
   * points at most, and under `timeBudgetMs` on as much of them as 15% of the
   * budget allows, the same characters before and after: the whole call,
   * both measurements included, stays within the budget (plus one batch).
   */
  trainLength: number;
  validLength: number;
  /** Characters bpcBefore and bpcAfter were measured on (see validLength). */
  measuredChars: number;
  /** Lanes actually used (smaller than batchSize when the text is short). */
  batchSize: number;
  /** Code points outside the model's vocabulary; they were read as the unknown symbol (index 0). */
  unknownChars: number;
  /** What ended training: every planned pass was done (`'epochs'`), or `timeBudgetMs` ran out first (`'timeBudget'`). */
  stoppedBy: 'epochs' | 'timeBudget';
  /**
   * Words of the text the model's lexicon lacked: `added` to it (completions
   * now prefer them), the most frequent first, and `dropped` for want of room
   * (a lexicon holds at most 1,000,000 words). null: the model has no lexicon.
   */
  learnedWords: { added: number; dropped: number } | null;
  /** Characters `extendVocab` gave entries of their own (their rows started as the unknown symbol's), most used first. */
  addedChars: string[];
  /** What the run warns about: `unknown-chars` when a notable share (over 5%) of the text is outside the vocabulary. */
  warnings: { code: 'unknown-chars'; message: string }[];
}

/** Options of `predictor.save(name, options)`. */
export interface SaveOptions {
  /**
   * Keep the words fine-tuning added to the lexicon (default true). They are
   * the user's words, verbatim (names, terms, anything typed in the text the
   * model was tuned on): `false` saves the tuned weights with only the base
   * model's lexicon, so the saved model lists none of them (the weights still
   * learned from the text; see SECURITY.md).
   */
  learnedWords?: boolean;
}

/** A saved entry that this runtime cannot load (written by another version, or damaged), as `listSavedModels()` lists it. */
export interface UnreadableSavedModel {
  name: string;
  url: string;
  savedAt: number | null;
  /** Why it cannot be loaded. `deleteSavedModel(name)` removes it. */
  error: string;
}

/** A model saved in IndexedDB by `predictor.save(name)`; load it with `createPredictor({ model: url })`. */
export interface SavedModelInfo {
  name: string;
  /** `idb://<name>` */
  url: string;
  cell: CellType;
  embeddingSize: number;
  hiddenSizes: number[];
  vocabSize: number;
  /** Size of its weights (float32). */
  weightsBytes: number;
  sha256: string;
  /** When it was saved (ms since the epoch). */
  savedAt: number;
  /** Its model card: the base model's card plus a `fineTune` record. */
  card: Record<string, unknown>;
}

/** The API the worker exposes through Comlink. */
export interface WorkerApi {
  load(request: LoadRequest, onProgress?: (event: ProgressEvent) => void): Promise<LoadResult>;
  /** `checkpoints`: the options given; the worker fills in the defaults (dense 32, maxBytes 2 MiB). */
  createSession(checkpoints: Partial<CheckpointOptions> | undefined, readLimit: number): Promise<number>;
  feed(session: number, text: string): Promise<FeedResult>;
  /** `seq`: the main thread's sequence number of this call, > 0 to have answers sent ahead after it (see AheadAnswers). */
  setText(session: number, text: string, cursor: number | null, k: number, seq?: number): Promise<TextResult>;
  /** `request`: the options given; the worker fills in the defaults. */
  complete(session: number, request: Partial<CompleteRequest>): Promise<Completion[]>;
  /** `request`: the options given (range already in code points); the worker fills in the defaults. */
  corrections(session: number, request: Partial<CorrectionsRequest>): Promise<CorrectionsAnswer>;
  sessionStats(session: number): Promise<SessionStats>;
  generateStart(session: number, request: GenerateRequest): Promise<number>;
  /** Up to `n` more characters; fewer (or none) when the requested length is reached. */
  generateNext(generator: number, n: number): Promise<string[]>;
  generateEnd(generator: number): Promise<void>;
  reset(session: number): Promise<void>;
  predict(session: number, k: number, temperature: number): Promise<Prediction[]>;
  state(session: number): Promise<StateSnapshot>;
  disposeSession(session: number): Promise<void>;
  stats(): Promise<WorkerStats>;
  /** Trains a copy of the weights on `texts`, then swaps it in; `job` names the run for abortFineTune. */
  fineTune(job: number, texts: string[], request: Partial<FineTuneRequest>, onProgress?: (progress: FineTuneProgress) => void): Promise<FineTuneResult>;
  /** Stops run `job` between batches; its fineTune call rejects with AbortError. No-op if it is not running. */
  abortFineTune(job: number): Promise<void>;
  /** Stores the weights in use (manifest + float32 weights, format v1) in IndexedDB under `name`. */
  save(name: string, options?: SaveOptions): Promise<SavedModelInfo>;
  listSavedModels(): Promise<(SavedModelInfo | UnreadableSavedModel)[]>;
  /** true if a model of that name existed. */
  deleteSavedModel(name: string): Promise<boolean>;
  /** Erases what adaptation learned, in memory and (with `persist`) in IndexedDB. */
  forget(): Promise<void>;
  dispose(): Promise<void>;
}
