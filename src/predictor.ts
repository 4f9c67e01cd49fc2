import * as Comlink from 'comlink';
import { DisposedError, InvalidArgumentError, WorkerError, call, fromWorkerError } from './errors.js';
import { spawnWorker } from './spawn.js';
import { WorkerSession, resolveCheckpoints, type Session, type SessionOptions } from './session.js';
import type { BackendPreference, BackendReport, ModelInfo, ProgressEvent, WarningCode, WorkerApi, WorkerStats } from './protocol.js';

/** Options of {@link createPredictor}. */
export interface PredictorOptions {
  /**
   * URL of a model folder (holding `model.json` and `weights.bin`) or of its
   * `model.json`, relative to the page. Defaults to the default model shipped
   * with the package (`models/default/`).
   */
  model?: string | URL;
  /** Which backend to run on. Default `'auto'`: webgl, then wasm, then cpu. */
  backend?: BackendPreference;
  /**
   * IndexedDB weight cache. `true` (default) uses the database `nextkey`;
   * `false` disables it; `{ dbName }` picks another database.
   */
  cache?: boolean | { dbName?: string };
  /** Loading progress: backend chosen, bytes fetched, cache hits, warnings, ready. */
  onProgress?: (event: ProgressEvent) => void;
  /** Folder the tfjs wasm binaries are served from. Default: next to the worker bundle. */
  wasmBaseUrl?: string | URL;
  /** URL of the worker bundle. Default: `worker.js` next to this module. */
  workerUrl?: string | URL;
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
  /** Frees every session, the weights and the worker. */
  dispose(): Promise<void>;
}

function defaultModelUrl(): URL {
  return new URL('../models/default/', import.meta.url);
}

function resolveManifestUrl(model: string | URL | undefined): string {
  if (model === undefined) return new URL('model.json', defaultModelUrl()).href;
  if (typeof model !== 'string' && !(model instanceof URL)) {
    throw new InvalidArgumentError(`options.model must be a URL string or URL, got ${typeof model}`);
  }
  const base = typeof document !== 'undefined' ? document.baseURI : import.meta.url;
  let url: URL;
  try {
    url = new URL(String(model), base);
  } catch {
    throw new InvalidArgumentError(`options.model is not a valid URL: ${String(model)}`);
  }
  if (url.pathname.endsWith('.json')) return url.href;
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return new URL('model.json', url).href;
}

const backends: readonly BackendPreference[] = ['auto', 'webgl', 'wasm', 'cpu'];

/**
 * Starts a worker, picks a backend, loads (or reads from the IndexedDB cache)
 * a model and resolves to a {@link Predictor}. Rejects with a typed error:
 * {@link ModelFormatError}, {@link ModelFetchError}, {@link IntegrityError},
 * {@link BackendError}, {@link InvalidArgumentError} or {@link WorkerError}.
 */
export async function createPredictor(options: PredictorOptions = {}): Promise<Predictor> {
  const backend = options.backend ?? 'auto';
  if (!backends.includes(backend)) {
    throw new InvalidArgumentError(`options.backend must be one of ${backends.join(', ')}; got ${String(backend)}`);
  }
  const manifestUrl = resolveManifestUrl(options.model);
  const cacheOpt = options.cache ?? true;
  const cache =
    typeof cacheOpt === 'boolean'
      ? { enabled: cacheOpt, dbName: 'nextkey' }
      : { enabled: true, dbName: cacheOpt.dbName ?? 'nextkey' };
  const workerUrl = new URL(String(options.workerUrl ?? new URL('./worker.js', import.meta.url)), import.meta.url);
  const wasmBaseUrl = new URL(String(options.wasmBaseUrl ?? new URL('./', workerUrl)), import.meta.url).href;

  const worker = await spawnWorker(workerUrl);
  const api = Comlink.wrap<WorkerApi>(worker);
  // A worker that fails to start (404, syntax error) never answers: race its error event.
  const crashed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      reject(new WorkerError(`worker ${workerUrl.href} failed: ${event.message || 'could not start (check the URL and that it is served as JavaScript)'}`));
    });
  });
  const onProgress = options.onProgress;
  let result;
  try {
    result = await Promise.race([
      api.load(
        { manifestUrl, backend, wasmBaseUrl: wasmBaseUrl.endsWith('/') ? wasmBaseUrl : wasmBaseUrl + '/', cache },
        onProgress ? Comlink.proxy((e: ProgressEvent) => onProgress(e)) : undefined,
      ),
      crashed,
    ]);
  } catch (error) {
    api[Comlink.releaseProxy]();
    worker.terminate();
    throw fromWorkerError(error);
  }
  crashed.catch(() => {});
  return new WorkerPredictor(worker, api, result.model, result.backend, result.warnings);
}

class WorkerPredictor implements Predictor {
  #disposed = false;
  readonly #sessions = new Set<WorkerSession>();
  // Sessions keep no back-reference to the predictor; `#sessions` lets dispose() reach them.

  constructor(
    private readonly worker: Worker,
    private readonly api: Comlink.Remote<WorkerApi>,
    readonly model: ModelInfo,
    readonly backend: BackendReport,
    readonly warnings: readonly { code: WarningCode; message: string }[],
  ) {}

  #check(): void {
    if (this.#disposed) throw new DisposedError('this predictor was disposed; create a new one with createPredictor()');
  }

  async session(options: SessionOptions = {}): Promise<Session> {
    this.#check();
    const checkpoints = resolveCheckpoints(options.checkpoints);
    const id = await call(this.api.createSession(checkpoints));
    const session = new WorkerSession(this.api, id, () => this.#sessions.delete(session), () => this.#disposed);
    this.#sessions.add(session);
    return session;
  }

  async stats(): Promise<WorkerStats> {
    this.#check();
    return call(this.api.stats());
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    try {
      await this.api.dispose();
    } finally {
      this.api[Comlink.releaseProxy]();
      this.worker.terminate();
    }
  }
}
