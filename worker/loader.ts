import type { CacheOptions, ProgressEvent, WarningCode } from '../src/protocol.js';
import { WeightCache, cacheKey } from './cache.js';
import { workerError } from './errors.js';
import { FORMAT_VERSION, validateManifest, type Manifest } from './model/manifest.js';
import { sha256Hex } from './model/sha256.js';

export type Report = (event: ProgressEvent) => void;

/** How model files are fetched (LoadRequest.network). */
export interface NetOptions {
  /** Give up on a request that sends nothing (headers or body bytes) for this long. */
  timeoutMs: number;
  /** Further attempts after a network error, HTTP 5xx/429 or a stall. */
  retries: number;
}

const DEFAULT_NET: NetOptions = { timeoutMs: 30_000, retries: 2 };
/** First retry after this long, then 4x longer each time. */
const BACKOFF_MS = 250;

/**
 * Reads `url` whole. Network errors, HTTP 5xx/429 and stalls are retried with
 * exponential backoff; other HTTP errors are not. Throws ModelFetchError with
 * the URL and the last problem.
 */
async function download(url: string, what: string, net: NetOptions, progress?: (loaded: number, total: number | null) => void): Promise<Uint8Array> {
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, BACKOFF_MS * 4 ** (attempt - 1)));
    const fail = (problem: string, retryable: boolean): Error | null => {
      if (retryable && attempt < net.retries) return null;
      const tries = attempt > 0 ? ` (${attempt + 1} attempts)` : '';
      return workerError('ModelFetchError', `could not fetch ${what} from ${url}: ${problem}${tries}`);
    };
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => abort.abort(), net.timeoutMs);
    };
    let loaded = 0;
    try {
      arm();
      let response: Response;
      try {
        response = await fetch(url, { signal: abort.signal });
      } catch (error) {
        const e = fail(abort.signal.aborted ? `no response within ${net.timeoutMs} ms` : (error as Error).message, true);
        if (e) throw e;
        continue;
      }
      if (!response.ok) {
        const e = fail(`HTTP ${response.status} ${response.statusText}`.trim(), response.status >= 500 || response.status === 429);
        if (e) throw e;
        continue;
      }
      const header = Number(response.headers.get('content-length'));
      const total = Number.isFinite(header) && header > 0 ? header : null;
      const chunks: Uint8Array[] = [];
      try {
        const reader = response.body!.getReader();
        progress?.(0, total);
        for (;;) {
          arm();
          const { done, value } = await reader.read();
          if (done) break;
          chunks.push(value);
          loaded += value.length;
          progress?.(loaded, total);
        }
      } catch (error) {
        const e = fail(abort.signal.aborted ? `stalled: no data for ${net.timeoutMs} ms after ${loaded} bytes` : `download broke off after ${loaded} bytes: ${(error as Error).message}`, true);
        if (e) throw e;
        continue;
      }
      const bytes = new Uint8Array(loaded);
      let at = 0;
      for (const c of chunks) {
        bytes.set(c, at);
        at += c.length;
      }
      return bytes;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Fetches, parses and validates model.json. */
export async function fetchManifest(url: string, net: NetOptions = DEFAULT_NET): Promise<Manifest> {
  const text = new TextDecoder().decode(await download(url, 'model.json', net));
  if (/^\s*</.test(text)) {
    throw workerError('ModelFormatError', `model.json at ${url} is an HTML page, not JSON: is the URL right, or is the server answering with an error page?`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw workerError('ModelFormatError', `model.json at ${url} is not valid JSON: ${(error as Error).message}`);
  }
  return validateManifest(json);
}

/** Streams weights.bin with progress events; checks its size and SHA-256. */
async function fetchWeights(url: string, manifest: Manifest, report: Report, net: NetOptions): Promise<ArrayBuffer> {
  const bytes = await download(url, 'weights', net, (loaded, total) => report({ status: 'fetch', url, loaded, total: total ?? manifest.weights.byteLength }));
  const buffer = bytes.buffer as ArrayBuffer;
  await verify(buffer, manifest, url);
  return buffer;
}

async function verify(buffer: ArrayBuffer, manifest: Manifest, url: string): Promise<void> {
  if (buffer.byteLength !== manifest.weights.byteLength) {
    throw workerError('IntegrityError', `${url} is ${buffer.byteLength} bytes but model.json says weights.byteLength = ${manifest.weights.byteLength}`);
  }
  const hash = await sha256Hex(buffer);
  if (hash !== manifest.weights.sha256) {
    throw workerError('IntegrityError', `${url} has SHA-256 ${hash} but model.json says weights.sha256 = ${manifest.weights.sha256}; the files do not belong together or the download was corrupted`);
  }
}

/**
 * The weights for `manifest`: from the IndexedDB cache (`opening`: the cache
 * database being opened; null for no cache) when a verified entry is there,
 * else from the network (then stored). A corrupt entry is dropped and
 * refetched; an unavailable cache only costs a warning. Closes the database.
 */
async function loadWeights(
  manifest: Manifest,
  manifestUrl: string,
  opening: ReturnType<typeof WeightCache.open> | null,
  report: Report,
  warn: (code: WarningCode, message: string) => void,
  net: NetOptions,
): Promise<ArrayBuffer> {
  const url = new URL(manifest.weights.path, manifestUrl).href;
  const key = cacheKey(FORMAT_VERSION, manifest.weights.sha256);
  if (!opening) return fetchWeights(url, manifest, report, net);

  const opened = await opening;
  if (!(opened instanceof WeightCache)) {
    warn('cache-unavailable', `${opened.unavailable}; loading without a cache`);
    return fetchWeights(url, manifest, report, net);
  }
  try {
    let entry;
    try {
      entry = await opened.get(key);
    } catch (error) {
      warn('cache-unavailable', `reading the IndexedDB cache failed (${(error as Error).message}); loading without it`);
    }
    if (entry) {
      const ok = entry.bytes instanceof ArrayBuffer && (await sha256Hex(entry.bytes)) === manifest.weights.sha256;
      if (ok) {
        report({ status: 'cache-hit', key });
        return entry.bytes;
      }
      warn('cache-corrupt', `cached weights for ${key} failed the SHA-256 check; dropped and refetched`);
      await opened.delete(key).catch(() => {});
    }
    const bytes = await fetchWeights(url, manifest, report, net);
    try {
      await opened.put({ key, sha256: manifest.weights.sha256, formatVersion: FORMAT_VERSION, url, bytes, storedAt: Date.now() });
      report({ status: 'cache-store', key });
    } catch (error) {
      warn('cache-write-failed', `could not store the weights in IndexedDB (${(error as Error).name}: ${(error as Error).message}); the model works but will be fetched again next time`);
    }
    return bytes;
  } finally {
    opened.close();
  }
}

/**
 * model.json from `manifestUrl`, then its weights (see loadWeights). The
 * cache database opens while model.json downloads.
 */
export async function loadModel(
  manifestUrl: string,
  cache: CacheOptions,
  report: Report,
  warn: (code: WarningCode, message: string) => void,
  net: NetOptions = DEFAULT_NET,
): Promise<{ manifest: Manifest; weights: ArrayBuffer }> {
  const opening = cache.enabled ? WeightCache.open(cache.dbName) : null;
  let manifest: Manifest;
  try {
    manifest = await fetchManifest(manifestUrl, net);
  } catch (error) {
    void opening?.then((db) => db instanceof WeightCache && db.close());
    throw error;
  }
  return { manifest, weights: await loadWeights(manifest, manifestUrl, opening, report, warn, net) };
}

/** The scheme of models saved in IndexedDB: `idb://<name>`. */
export const SAVED_PREFIX = 'idb://';

/** Saved-model names: letters, digits, `_`, `.`, `-`; 1 to 64 characters. */
export const SAVED_NAME = /^[\w.-]{1,64}$/;

/** Opens the database holding saved models, or throws a StorageError saying why it cannot. */
export async function openSavedModels(dbName: string): Promise<WeightCache> {
  const opened = await WeightCache.open(dbName);
  if (!(opened instanceof WeightCache)) throw workerError('StorageError', `saved models are unavailable: ${opened.unavailable}`);
  return opened;
}

/** A model saved with `predictor.save(name)`: its manifest (validated) and weights (size and SHA-256 checked). */
export async function loadSaved(name: string, dbName: string): Promise<{ manifest: Manifest; weights: ArrayBuffer }> {
  const db = await openSavedModels(dbName);
  try {
    let entry;
    try {
      entry = await db.getModel(name);
    } catch (error) {
      throw workerError('StorageError', `reading saved model "${name}" from IndexedDB failed: ${(error as Error).name}: ${(error as Error).message}`);
    }
    if (!entry) {
      const names = (await db.listModels().catch(() => [])).map((m) => m.name);
      throw workerError(
        'ModelFetchError',
        `no saved model named "${name}" in IndexedDB database "${dbName}" (saved: ${names.length ? names.join(', ') : 'none'}); save one with predictor.save(name)`,
      );
    }
    const manifest = validateManifest(entry.manifest);
    await verify(entry.bytes, manifest, `${SAVED_PREFIX}${name}`);
    return { manifest, weights: entry.bytes };
  } finally {
    db.close();
  }
}
