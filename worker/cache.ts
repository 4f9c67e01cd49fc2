import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { ProbeRecord, ProbeStore } from './backend.js';
import type { AdaptRecord } from './adapt/index.js';

/** One cached weights file. Keyed by format version and SHA-256, so a new model never hits an old entry. */
export interface CachedWeights {
  key: string;
  sha256: string;
  formatVersion: number;
  url: string;
  bytes: ArrayBuffer;
  storedAt: number;
}

/** A model saved by `predictor.save(name)`: its format v1 manifest (the weights live in `modelBytes`). */
export interface SavedModelEntry {
  name: string;
  /** model.json as written (validated again when loaded). */
  manifest: unknown;
  savedAt: number;
}

interface CacheSchema extends DBSchema {
  weights: { key: string; value: CachedWeights };
  /** Saved models' manifests, small, so listing them reads no weights. */
  models: { key: string; value: SavedModelEntry };
  /** Saved models' weights.bin, by model name; written in one transaction with `models`. */
  modelBytes: { key: string; value: { name: string; bytes: ArrayBuffer } };
  /** What adaptation learned, for `adapt: { persist: name }`, by name. */
  adapt: { key: string; value: AdaptRecord };
}

// Version 2 added the saved-model stores, version 3 the adaptation's. The
// upgrade only creates what is missing, so an older database keeps its entries.
const DB_VERSION = 3;
const OPEN_TIMEOUT_MS = 3000;

/** The key of a weights file in the cache. */
export function cacheKey(formatVersion: number, sha256: string): string {
  return `v${formatVersion}:${sha256}`;
}

/**
 * The IndexedDB weight cache. Storage is best-effort (private browsing, quota,
 * a blocked upgrade): `open` reports why it is unavailable instead of throwing,
 * and the model then loads uncached.
 */
export class WeightCache {
  private constructor(private readonly db: IDBPDatabase<CacheSchema>) {}

  /** Opens (creating if needed) the cache database, or says why it cannot. */
  static async open(dbName: string): Promise<WeightCache | { unavailable: string }> {
    if (typeof indexedDB === 'undefined') return { unavailable: 'IndexedDB is not available in this worker' };
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const db = await Promise.race([
        openDB<CacheSchema>(dbName, DB_VERSION, {
          upgrade(db) {
            if (!db.objectStoreNames.contains('weights')) db.createObjectStore('weights', { keyPath: 'key' });
            if (!db.objectStoreNames.contains('models')) db.createObjectStore('models', { keyPath: 'name' });
            if (!db.objectStoreNames.contains('modelBytes')) db.createObjectStore('modelBytes', { keyPath: 'name' });
            if (!db.objectStoreNames.contains('adapt')) db.createObjectStore('adapt', { keyPath: 'name' });
          },
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`opening timed out after ${OPEN_TIMEOUT_MS} ms (blocked by another tab?)`)), OPEN_TIMEOUT_MS);
        }),
      ]);
      return new WeightCache(db);
    } catch (error) {
      const e = error as Error;
      return { unavailable: `IndexedDB database "${dbName}" could not be opened: ${e.name}: ${e.message}` };
    } finally {
      clearTimeout(timer);
    }
  }

  /** The entry for `key`, or undefined. Rejects if the read fails. */
  get(key: string): Promise<CachedWeights | undefined> {
    return this.db.get('weights', key);
  }

  /** Stores an entry, replacing any with the same key. Rejects on quota or abort. */
  async put(entry: CachedWeights): Promise<void> {
    await this.db.put('weights', entry);
  }

  async delete(key: string): Promise<void> {
    await this.db.delete('weights', key);
  }

  /** The saved model called `name` with its weights, or undefined. */
  async getModel(name: string): Promise<(SavedModelEntry & { bytes: ArrayBuffer }) | undefined> {
    const tx = this.db.transaction(['models', 'modelBytes']);
    const [entry, bytes] = await Promise.all([tx.objectStore('models').get(name), tx.objectStore('modelBytes').get(name)]);
    await tx.done;
    return entry && bytes ? { ...entry, bytes: bytes.bytes } : undefined;
  }

  /**
   * Stores a saved model, replacing one of the same name, in one transaction:
   * either both manifest and weights are stored or neither. Rejects on quota
   * (QuotaExceededError) or abort.
   */
  async putModel(entry: SavedModelEntry, bytes: ArrayBuffer): Promise<void> {
    const tx = this.db.transaction(['models', 'modelBytes'], 'readwrite');
    await Promise.all([tx.objectStore('modelBytes').put({ name: entry.name, bytes }), tx.objectStore('models').put(entry), tx.done]);
  }

  /** Every saved model's manifest (no weights are read). */
  listModels(): Promise<SavedModelEntry[]> {
    return this.db.getAll('models');
  }

  /** Deletes a saved model; true if it existed. */
  async deleteModel(name: string): Promise<boolean> {
    const tx = this.db.transaction(['models', 'modelBytes'], 'readwrite');
    const existed = (await tx.objectStore('models').getKey(name)) !== undefined;
    await Promise.all([tx.objectStore('models').delete(name), tx.objectStore('modelBytes').delete(name), tx.done]);
    return existed;
  }

  /** The adaptation stored under `name` (unchecked: the caller validates it), or undefined. */
  getAdapt(name: string): Promise<unknown> {
    return this.db.get('adapt', name);
  }

  /** Stores an adaptation record, replacing one of the same name. Rejects on quota or abort. */
  async putAdapt(record: AdaptRecord): Promise<void> {
    await this.db.put('adapt', record);
  }

  async deleteAdapt(name: string): Promise<void> {
    await this.db.delete('adapt', name);
  }

  close(): void {
    this.db.close();
  }
}

/** The database that remembers which backend won the startup probe on this device (see backend.ts). */
export const PROBE_DB = 'nextkey-probe';

/**
 * The probe's memory: one small record per browser (user agent), in a database of
 * its own (a fact about the device, not about any model or cache database).
 * Best-effort like the weight cache: when IndexedDB fails, every load probes.
 */
export function probeStore(): ProbeStore | null {
  if (typeof indexedDB === 'undefined') return null;
  const withDb = async <T>(f: (db: IDBPDatabase) => Promise<T>): Promise<T> => {
    const db = await Promise.race([
      openDB(PROBE_DB, 1, { upgrade: (d) => void d.createObjectStore('probes') }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), 1000)),
    ]);
    try {
      return await f(db);
    } finally {
      db.close();
    }
  };
  return {
    get: (key) => withDb((db) => db.get('probes', key) as Promise<ProbeRecord | undefined>),
    set: (key, record) => withDb(async (db) => void (await db.put('probes', record, key))),
  };
}
