import * as Comlink from 'comlink';
import { DisposedError, InvalidArgumentError, WorkerError, WorkerLostError, fromWorkerError } from './errors.js';
import { lifeLockName, watchLife } from './life.js';
import { spawnWorker } from './spawn.js';
import { WorkerSession, type Run, type Session, type SessionOptions } from './session.js';
import { AHEAD_MESSAGE, BACKEND_MESSAGE } from './protocol.js';
import type {
  AheadAnswers,
  FineTuneProgress,
  BackendPreference,
  BackendReport,
  FineTuneResult,
  LoadRequest,
  LoadResult,
  ModelInfo,
  ProgressEvent,
  SavedModelInfo,
  SaveOptions,
  UnreadableSavedModel,
  WarningCode,
  WorkerApi,
  WorkerStats,
} from './protocol.js';

/** Options of {@link createPredictor}. */
export interface PredictorOptions {
  /**
   * URL of a model folder (holding `model.json` and `weights.bin`) or of its
   * `model.json`, relative to the page; or `idb://<name>` for a model stored
   * with `predictor.save(name)` (read from the IndexedDB database of `cache`).
   * Defaults to the default model shipped with the package (`models/default/`).
   */
  model?: string | URL;
  /** Which backend to run on. Default `'auto'`: the faster of wasm and webgl on a startup probe (remembered per browser), else cpu. */
  backend?: BackendPreference;
  /**
   * IndexedDB weight cache. `true` (default) uses the database `nextkey`;
   * `false` disables it; `{ dbName }` picks another database. Saved models
   * live in the same database (`nextkey` unless `{ dbName }` says otherwise),
   * also with `cache: false`.
   */
  cache?: boolean | { dbName?: string };
  /** Loading progress: backend chosen, bytes fetched, cache hits, warnings, ready. */
  onProgress?: (event: ProgressEvent) => void;
  /** Folder the tfjs wasm binaries are served from. Default: next to the worker bundle. */
  wasmBaseUrl?: string | URL;
  /** URL of the worker bundle. Default: `worker.js` next to this module. */
  workerUrl?: string | URL;
  /** A model download that sends nothing for this long is given up (and retried). Default 30000 ms. */
  timeoutMs?: number;
  /** Further attempts after a network error, HTTP 5xx/429 or a stalled download, with backoff (0.25 s, 1 s, 4 s, …). Default 2. */
  retries?: number;
  /** Cancels loading: the worker is stopped and the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Called after the worker died (crashed, ran out of memory, was terminated)
   * and a new one took over: the model is loaded again (from the IndexedDB
   * cache when possible) and every open session has its text back. Weights
   * tuned by `fineTune` and not saved are gone: the new worker has the model
   * the predictor was created with. Calls that were in flight rejected with
   * {@link WorkerLostError}; calls made meanwhile wait for the new worker.
   */
  onRestart?: (event: RestartEvent) => void;
  /**
   * A call on the worker (other than loading) not answered within this many
   * milliseconds counts as a dead worker (one stuck in a loop): it is ended
   * and replaced as after a crash, and its calls in flight reject with
   * {@link WorkerLostError}. Default: no limit (a slow device is not a stuck
   * one; pick a limit well above its slowest call, fine-tuning excepted,
   * which runs in a worker of its own).
   */
  callTimeoutMs?: number;
  /**
   * Learning from what the user types, on the device: the predictor's
   * sessions learn the user's committed text (words finished with a space
   * or punctuation and kept through the next edit, not every keystroke), so
   * a name or term typed once is offered the next time, in any field of the
   * predictor. Default `true`: in memory, for the page's lifetime, at most
   * 2 MB. `false` turns it off. `{ persist: 'name' }` keeps it in IndexedDB
   * (the `cache` database) across visits, read back by predictors created
   * with the same name; `{ budgetBytes }` bounds its memory (default
   * 2,097,152). {@link Predictor.forget} erases it. See SECURITY.md.
   */
  adapt?: boolean | AdaptOptions;
}

/** Options of {@link PredictorOptions.adapt}. */
export interface AdaptOptions {
  /** Keep what is learned in IndexedDB under this name (1-64 letters, digits, `_`, `.`, `-`); default: memory only. */
  persist?: string;
  /** Memory bound of what is learned, in bytes (65,536 to 268,435,456). Default 2,097,152. */
  budgetBytes?: number;
}

/** What {@link PredictorOptions.onRestart} receives. */
export interface RestartEvent {
  /** Why the old worker was given up. */
  reason: string;
  /** Restarts so far in this predictor's life. */
  restarts: number;
  /** The backend of the new worker. */
  backend: BackendReport;
}

/** Options of {@link Predictor.fineTune}. */
export interface FineTuneOptions {
  /** Passes over the text. Default 1, or as many as fit when only `timeBudgetMs` is given. */
  epochs?: number;
  /** Stop training after this many milliseconds (checked between batches; the two held-out evaluations come on top). */
  timeBudgetMs?: number;
  /** Characters per truncated-BPTT window. Default 64. */
  seqLength?: number;
  /** Lanes of the text trained side by side. Default 16 (fewer for a short text). */
  batchSize?: number;
  /** Adam learning rate. Default 0.003. */
  learningRate?: number;
  /** Clip the gradients' global L2 norm to this. Default 1. */
  clipNorm?: number;
  /** Share of the text, from its end, held out to measure bits per character. Default 0.1; 0 measures on the training text. */
  validationSplit?: number;
  /**
   * Give the characters the text uses often (8 times or more) that the
   * vocabulary lacks entries of their own: new embedding and output rows,
   * started as the unknown symbol's, then trained. The model then reads and
   * suggests them, and a saved model keeps them. Default false: they read as
   * the unknown symbol. A text mostly outside the vocabulary is refused
   * without it (InvalidArgumentError).
   */
  extendVocab?: boolean;
  /** Aborts the run between batches: the promise rejects with the signal's reason and the previous weights stay in use. */
  signal?: AbortSignal;
  /** Called after every batch with the loss, throughput and time left. */
  onProgress?: (progress: FineTuneProgress) => void;
}

/** A loaded model running in its own worker. */
export interface Predictor {
  /** The backend in use and why the others were skipped. */
  readonly backend: BackendReport;
  /** Facts about the loaded model. */
  readonly model: ModelInfo;
  /** Non-fatal problems met while loading (e.g. IndexedDB unavailable). */
  readonly warnings: readonly { code: WarningCode; message: string }[];
  /** A new text state (one per text field); sessions do not disturb each other. */
  session(options?: SessionOptions): Promise<Session>;
  /** Live tensors and bytes in the worker, for leak checks and diagnostics. */
  stats(): Promise<WorkerStats>;
  /**
   * Fine-tunes the model on the user's text, in the worker, on its backend:
   * truncated backpropagation through time with Adam and gradient clipping.
   * Sessions keep answering meanwhile with the previous weights; the tuned
   * weights replace them only when training succeeds, and every session then
   * re-reads its text with them. Abort or failure leaves the previous weights
   * in use. An array of texts is joined with newlines. Characters outside the
   * model's vocabulary are read as its unknown symbol (counted in
   * `unknownChars`); the vocabulary cannot grow. Rejects with
   * {@link InvalidArgumentError}, {@link TrainingError} (diverged, or a run
   * already in progress), {@link DisposedError}, or the signal's reason.
   */
  fineTune(text: string | readonly string[], options?: FineTuneOptions): Promise<FineTuneResult>;
  /**
   * Stores the weights in use (tuned or not) in IndexedDB as `name` (format v1,
   * float32), replacing a model of that name; load it later with
   * `createPredictor({ model: 'idb://' + name })`. Names: 1-64 letters, digits,
   * `_`, `.`, `-`. Rejects with {@link StorageError} (e.g. quota exceeded);
   * the model in memory keeps working either way. The saved lexicon holds
   * the words fine-tuning learned from the user's text unless
   * `{ learnedWords: false }`.
   */
  save(name: string, options?: SaveOptions): Promise<SavedModelInfo>;
  /**
   * The models saved in this predictor's IndexedDB database, by name. An
   * entry this runtime cannot load is listed too, as an
   * {@link UnreadableSavedModel} with its `error`.
   */
  listSavedModels(): Promise<(SavedModelInfo | UnreadableSavedModel)[]>;
  /** Deletes a saved model; resolves to false if there was none of that name. */
  deleteSavedModel(name: string): Promise<boolean>;
  /**
   * Erases what adaptation learned from the user's text: in memory and, with
   * `adapt: { persist }`, in IndexedDB. Text already in the fields is not
   * learned again; what is typed from now on is. Rejects with
   * {@link StorageError} when the stored copy could not be deleted.
   */
  forget(): Promise<void>;
  /** Frees every session, the weights and the worker. */
  dispose(): Promise<void>;
}

function defaultModelUrl(): URL {
  return new URL('../models/default/', import.meta.url);
}

const SAVED_PREFIX = 'idb://';

function resolveManifestUrl(model: string | URL | undefined): string {
  if (model === undefined) return new URL('model.json', defaultModelUrl()).href;
  // The worker checks a saved model's name.
  if (typeof model === 'string' && model.startsWith(SAVED_PREFIX)) return model;
  const base = typeof document !== 'undefined' ? document.baseURI : import.meta.url;
  const given = typeof model === 'string' || model instanceof URL;
  let url: URL | undefined;
  try {
    if (given) url = new URL(String(model), base);
  } catch {
    // reported below
  }
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw new InvalidArgumentError(`options.model must be an http(s) URL, a relative path or idb://<name>, got ${given ? JSON.stringify(String(model)) : typeof model}`);
  }
  if (url.pathname.endsWith('.json')) return url.href;
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return new URL('model.json', url).href;
}

/** The adapt option as the worker takes it (the worker checks the numbers and the name). */
function adaptRequest(given: PredictorOptions['adapt']): LoadRequest['adapt'] {
  if (given === undefined || given === true) return { budgetBytes: DEFAULT_ADAPT_BUDGET, persist: null };
  if (given === false) return null;
  if (typeof given !== 'object' || given === null) throw new InvalidArgumentError(`options.adapt must be true, false or { persist, budgetBytes }, got ${String(given)}`);
  if (given.persist !== undefined && typeof given.persist !== 'string') throw new InvalidArgumentError(`options.adapt.persist must be a name (string), got ${typeof given.persist}`);
  return { budgetBytes: given.budgetBytes ?? DEFAULT_ADAPT_BUDGET, persist: given.persist ?? null };
}

/** Default memory bound of adaptation (2 MiB). */
const DEFAULT_ADAPT_BUDGET = 2 * 1024 * 1024;

export async function createPredictor(options: PredictorOptions = {}): Promise<Predictor> {
  // The worker fills in the defaults of backend, timeoutMs and retries, and checks them.
  const backend = options.backend ?? 'auto';
  const manifestUrl = resolveManifestUrl(options.model);
  const cacheOpt = options.cache ?? true;
  const cache =
    typeof cacheOpt === 'boolean'
      ? { enabled: cacheOpt, dbName: 'nextkey' }
      : { enabled: true, dbName: cacheOpt.dbName ?? 'nextkey' };
  const workerUrl = new URL(String(options.workerUrl ?? new URL('./worker.js', import.meta.url)), import.meta.url);
  const wasmBaseUrl = new URL(String(options.wasmBaseUrl ?? new URL('./', workerUrl)), import.meta.url).href;
  const network = { timeoutMs: options.timeoutMs, retries: options.retries };
  const request: LoadRequest = { manifestUrl, backend, wasmBaseUrl: wasmBaseUrl.endsWith('/') ? wasmBaseUrl : wasmBaseUrl + '/', cache, network, adapt: adaptRequest(options.adapt) };
  const callTimeoutMs = options.callTimeoutMs;
  if (callTimeoutMs !== undefined && !(typeof callTimeoutMs === 'number' && callTimeoutMs > 0)) {
    throw new InvalidArgumentError(`options.callTimeoutMs must be a number of milliseconds > 0, got ${String(callTimeoutMs)}`);
  }
  const { conn, result } = await connect(workerUrl, request, options.onProgress, options.signal, callTimeoutMs);
  return new WorkerPredictor(conn, result, workerUrl, request, options.onRestart, callTimeoutMs);
}

/** One worker with the model loaded in it. */
interface Conn {
  readonly api: WorkerApi;
  /**
   * A call on this worker. Rejects with {@link WorkerLostError} (or
   * {@link WorkerError} before the model loaded) if the worker dies first,
   * with {@link DisposedError} if the worker is closed first. Nothing is kept
   * once the call settles.
   */
  call<T>(f: (api: WorkerApi) => Promise<T>): Promise<T>;
  /** Settles when the worker dies (never after close()). */
  readonly died: Promise<string>;
  /** Whether the worker is gone (died or closed): its api must not be called. */
  readonly gone: boolean;
  /** Ends the worker on purpose; calls in flight reject with `reason` (default DisposedError). */
  close(reason?: Error): void;
  /** Receives the answers the worker sends ahead. */
  onAhead?: (ahead: AheadAnswers) => void;
  /** Told when the worker moved to another backend (after a lost WebGL context). */
  onBackend?: (report: BackendReport) => void;
}

/**
 * Starts a worker and loads the model in it; rejects with the typed error of
 * whatever failed. The worker is watched from the moment it is created
 * (src/life.ts): if it dies at any point, loading included, every call in
 * flight rejects at once. `callTimeoutMs`: a call (other than loading) not
 * answered within it counts as the worker's death (a worker stuck in a
 * loop): the worker is ended and the call rejects with WorkerLostError.
 */
async function connect(
  workerUrl: URL,
  request: LoadRequest,
  onProgress?: (e: ProgressEvent) => void,
  signal?: AbortSignal,
  callTimeoutMs?: number,
): Promise<{ conn: Conn; result: LoadResult }> {
  signal?.throwIfAborted();
  const lock = lifeLockName();
  const worker = await spawnWorker(workerUrl, `nextkey#${lock}`);
  const remote = Comlink.wrap<WorkerApi>(worker);
  // Every WorkerApi method returns a promise: through the proxy it has the same type.
  const api = remote as unknown as WorkerApi;
  let started = false;
  let gone: Error | null = null;
  /** Rejecters of the calls in flight: each leaves the set when its call settles. */
  const pending = new Set<(error: Error) => void>();
  let resolveDied!: (reason: string) => void;
  const died = new Promise<string>((resolve) => (resolveDied = resolve));
  const stop = new AbortController();
  const end = (error: Error) => {
    if (gone) return;
    gone = error;
    stop.abort();
    for (const reject of pending) reject(error);
    pending.clear();
    remote[Comlink.releaseProxy]();
    worker.terminate();
  };
  const die = (reason: string) => {
    if (gone) return;
    end(started ? new WorkerLostError(`the worker died: ${reason}`) : new WorkerError(reason));
    resolveDied(reason);
  };
  watchLife(worker, lock, stop.signal, (reason, event) => {
    // A worker that fails to start (404, syntax error) never answers; one that throws later has crashed.
    if (event && !started) {
      die(`worker ${workerUrl.href} failed: ${event.message || 'could not start (check the URL and that it is served as JavaScript)'}`);
    } else {
      die(event ? `uncaught error in the worker: ${reason}` : reason);
    }
  }, startTimeout(request.network.timeoutMs));
  worker.addEventListener('message', (event) => {
    const data = event.data as Record<string, unknown> | null;
    const ahead = data?.[AHEAD_MESSAGE] as AheadAnswers | undefined;
    if (ahead) conn.onAhead?.(ahead);
    const moved = data?.[BACKEND_MESSAGE] as BackendReport | undefined;
    if (moved) conn.onBackend?.(moved);
  });
  const conn: Conn = {
    api,
    died,
    get gone() {
      return gone !== null;
    },
    call: <T>(f: (api: WorkerApi) => Promise<T>) =>
      new Promise<T>((resolve, reject) => {
        if (gone) return reject(gone);
        pending.add(reject);
        const timer = started && callTimeoutMs !== undefined ? setTimeout(() => die(`a call did not answer within callTimeoutMs (${callTimeoutMs} ms)`), callTimeoutMs) : undefined;
        f(api).then(
          (value) => {
            clearTimeout(timer);
            pending.delete(reject);
            resolve(value);
          },
          (error: unknown) => {
            clearTimeout(timer);
            pending.delete(reject);
            reject(gone ?? fromWorkerError(error));
          },
        );
      }),
    close(reason = new DisposedError('the predictor was disposed')) {
      end(reason);
    },
  };
  const onAbort = () => conn.close(signal!.reason instanceof Error ? signal!.reason : new DOMException('loading was aborted', 'AbortError'));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await conn.call((a) => a.load(request, onProgress ? Comlink.proxy((e: ProgressEvent) => onProgress(e)) : undefined));
    started = true;
    return { conn, result };
  } catch (error) {
    conn.close();
    throw signal?.aborted ? signal.reason : error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** How long a new worker may take to say it started: the model download's stall limit (the worker checks the option itself). */
function startTimeout(timeoutMs: number | undefined): number {
  return typeof timeoutMs === 'number' && timeoutMs > 0 && Number.isFinite(timeoutMs) ? Math.max(timeoutMs, 5_000) : 30_000;
}

/** At most this many restarts within RESTART_WINDOW_MS; a worker that keeps dying is given up. */
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60_000;

class WorkerPredictor implements Predictor {
  #disposed = false;
  #jobs = 0;
  /** Rejects runs still in flight when the predictor is disposed (the worker is terminated, so they would never settle). */
  readonly #onDispose = new Set<() => void>();
  readonly #sessions = new Set<WorkerSession>();
  // Sessions keep no back-reference to the predictor; `#sessions` lets dispose() and restarts reach them.
  #conn: Conn;
  /** The worker calls go to: the current one, or the one starting after a crash. */
  #ready: Promise<Conn>;
  readonly #restartTimes: number[] = [];
  #restarts = 0;
  /** Aborted by dispose(): stops a replacement worker that is still loading. */
  readonly #stop = new AbortController();
  model: ModelInfo;
  backend: BackendReport;
  warnings: readonly { code: WarningCode; message: string }[];

  constructor(
    conn: Conn,
    result: LoadResult,
    private readonly workerUrl: URL,
    private readonly request: LoadRequest,
    private readonly onRestart?: (event: RestartEvent) => void,
    private readonly callTimeoutMs?: number,
  ) {
    this.#conn = conn;
    this.#listen(conn);
    this.#ready = Promise.resolve(conn);
    this.model = result.model;
    this.backend = result.backend;
    this.warnings = result.warnings;
    this.#watch(conn);
  }

  /** Runs `f` on the live worker (after a restart in progress), with typed errors. */
  readonly #run: Run = async (f) => {
    this.#check();
    const conn = await this.#ready;
    this.#check();
    return conn.call(f);
  };

  #listen(conn: Conn): void {
    conn.onAhead = (ahead) => {
      for (const session of this.#sessions) session.offer(ahead);
    };
    conn.onBackend = (report) => {
      if (conn === this.#conn) this.backend = report;
    };
  }

  #watch(conn: Conn): void {
    void conn.died.then((reason) => {
      if (this.#disposed || conn !== this.#conn) return;
      this.#ready = this.#restart(reason);
      this.#ready.catch(() => {});
    });
  }

  /**
   * Starts workers until one has the model and every session's text, or
   * the restarts within a minute run out: a replacement that dies while
   * loading counts as one more death, and the next one is tried.
   */
  async #restart(reason: string): Promise<Conn> {
    for (;;) {
      const now = Date.now();
      while (this.#restartTimes.length && now - this.#restartTimes[0]! > RESTART_WINDOW_MS) this.#restartTimes.shift();
      if (this.#restartTimes.length >= MAX_RESTARTS) {
        throw new WorkerError(`the worker died ${MAX_RESTARTS + 1} times within a minute (last: ${reason}); create a new predictor`);
      }
      this.#restartTimes.push(now);
      this.#check();
      let conn: Conn;
      let result: LoadResult;
      try {
        ({ conn, result } = await connect(this.workerUrl, this.request, undefined, this.#stop.signal, this.callTimeoutMs));
      } catch (error) {
        // Died while loading: try again (counted). Any other failure (the model is gone, …) is final.
        if (error instanceof WorkerError && !this.#disposed) {
          reason = `its replacement died while loading: ${error.message}`;
          continue;
        }
        throw error;
      }
      if (this.#disposed) {
        conn.close();
        this.#check();
      }
      try {
        for (const session of this.#sessions) await session.reattach(conn.call);
      } catch (error) {
        conn.close();
        if (error instanceof WorkerLostError && !this.#disposed) {
          reason = `its replacement died while sessions were restored: ${error.message}`;
          continue;
        }
        throw error;
      }
      if (this.#disposed) {
        conn.close();
        this.#check();
      }
      this.#conn = conn;
      this.#listen(conn);
      this.#watch(conn);
      this.model = result.model;
      this.backend = result.backend;
      this.warnings = result.warnings;
      this.#restarts++;
      try {
        this.onRestart?.({ reason, restarts: this.#restarts, backend: result.backend });
      } catch {
        // A throwing listener must not undo the restart.
      }
      return conn;
    }
  }

  #check(): void {
    if (this.#disposed) throw new DisposedError('this predictor was disposed; create a new one with createPredictor()');
  }

  async session(options: SessionOptions = {}): Promise<Session> {
    this.#check();
    const checkpoints = options.checkpoints; // the worker fills in the defaults and checks them
    const readLimit = options.readLimit ?? 4096; // the worker checks it
    const id = await this.#run((api) => api.createSession(checkpoints, readLimit));
    const session = new WorkerSession(this.#run, id, checkpoints, readLimit, () => this.#sessions.delete(session), () => this.#disposed);
    this.#sessions.add(session);
    return session;
  }

  async stats(): Promise<WorkerStats> {
    this.#check();
    return this.#run((api) => api.stats());
  }

  async fineTune(text: string | readonly string[], options: FineTuneOptions = {}): Promise<FineTuneResult> {
    this.#check();
    const job = ++this.#jobs;
    const { fineTune } = await import('./tuning.js');
    const result = await fineTune(this.#run, job, text, options, this.#onDispose, this.#sessions);
    if (result.addedChars.length) {
      // extendVocab: the vocabulary grew by these characters (an embedding row and an output row each).
      const n = result.addedChars.length;
      const width = this.model.embeddingSize + this.model.hiddenSizes[this.model.hiddenSizes.length - 1]! + 1;
      this.model = { ...this.model, vocabSize: this.model.vocabSize + n, parameters: this.model.parameters + n * width };
    }
    return result;
  }

  async save(name: string, options: SaveOptions = {}): Promise<SavedModelInfo> {
    this.#check();
    // The worker checks the name.
    if (typeof options !== 'object' || options === null || (options.learnedWords !== undefined && typeof options.learnedWords !== 'boolean')) {
      throw new InvalidArgumentError(`save(name, { learnedWords }) must be true or false, got ${JSON.stringify(options?.learnedWords)}`);
    }
    return this.#run((api) => api.save(name, { learnedWords: options.learnedWords }));
  }

  async listSavedModels(): Promise<(SavedModelInfo | UnreadableSavedModel)[]> {
    this.#check();
    return this.#run((api) => api.listSavedModels());
  }

  async deleteSavedModel(name: string): Promise<boolean> {
    this.#check();
    return this.#run((api) => api.deleteSavedModel(name));
  }

  async forget(): Promise<void> {
    this.#check();
    return this.#run((api) => api.forget());
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const reject of this.#onDispose) reject();
    this.#stop.abort(new DisposedError('this predictor was disposed; create a new one with createPredictor()'));
    const conn = this.#conn;
    try {
      // A worker that is alive frees its tensors first; one that is gone (or
      // being replaced: the restart sees #disposed and closes its worker) has nothing to free.
      if (!conn.gone) await conn.call((api) => api.dispose());
    } catch {
      // Disposing never fails: the worker is ended below whatever it answered.
    } finally {
      conn.close();
    }
  }
}
