import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

/** One cached weights file. Keyed by format version and SHA-256, so a new model never hits an old entry. */
export interface CachedWeights {
  key: string;
  sha256: string;
  formatVersion: number;
  url: string;
  bytes: ArrayBuffer;
  storedAt: number;
}

interface CacheSchema extends DBSchema {
  weights: { key: string; value: CachedWeights };
}

const DB_VERSION = 1;
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

  close(): void {
    this.db.close();
  }
}
