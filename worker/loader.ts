import type { CacheOptions, ProgressEvent, WarningCode } from '../src/protocol.js';
import { WeightCache, cacheKey } from './cache.js';
import { workerError } from './errors.js';
import { FORMAT_VERSION, validateManifest, type Manifest } from './model/manifest.js';
import { sha256Hex } from './model/sha256.js';

export type Report = (event: ProgressEvent) => void;

async function get(url: string, what: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw workerError('ModelFetchError', `could not fetch ${what} from ${url}: ${(error as Error).message}`);
  }
  if (!response.ok) throw workerError('ModelFetchError', `could not fetch ${what} from ${url}: HTTP ${response.status} ${response.statusText}`.trim());
  return response;
}

/** Fetches, parses and validates model.json. */
export async function fetchManifest(url: string): Promise<Manifest> {
  const response = await get(url, 'model.json');
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw workerError('ModelFormatError', `model.json at ${url} is not valid JSON: ${(error as Error).message}`);
  }
  return validateManifest(json);
}

/** Streams weights.bin with progress events; checks its size and SHA-256. */
async function fetchWeights(url: string, manifest: Manifest, report: Report): Promise<ArrayBuffer> {
  const response = await get(url, 'weights');
  const header = Number(response.headers.get('content-length'));
  const total = Number.isFinite(header) && header > 0 ? header : manifest.weights.byteLength;
  const reader = response.body?.getReader();
  let bytes: Uint8Array;
  if (!reader) {
    bytes = new Uint8Array(await response.arrayBuffer());
    report({ status: 'fetch', url, loaded: bytes.length, total });
  } else {
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    report({ status: 'fetch', url, loaded: 0, total });
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.length;
      report({ status: 'fetch', url, loaded, total });
    }
    bytes = new Uint8Array(loaded);
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.length;
    }
  }
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
 * The weights for `manifest`: from the IndexedDB cache when a verified entry
 * is there, else from the network (then stored). A corrupt entry is dropped
 * and refetched; an unavailable cache only costs a warning.
 */
export async function loadWeights(
  manifest: Manifest,
  manifestUrl: string,
  cache: CacheOptions,
  report: Report,
  warn: (code: WarningCode, message: string) => void,
): Promise<ArrayBuffer> {
  const url = new URL(manifest.weights.path, manifestUrl).href;
  const key = cacheKey(FORMAT_VERSION, manifest.weights.sha256);
  if (!cache.enabled) return fetchWeights(url, manifest, report);

  const opened = await WeightCache.open(cache.dbName);
  if (!(opened instanceof WeightCache)) {
    warn('cache-unavailable', `${opened.unavailable}; loading without a cache`);
    return fetchWeights(url, manifest, report);
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
    const bytes = await fetchWeights(url, manifest, report);
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
