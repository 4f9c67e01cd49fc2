// adapt: { persist: name }: what adaptation learned is kept in IndexedDB (the
// predictor's cache database, store `adapt`), read back when a predictor with
// the same name loads, written a moment after learning stops, and erased by
// forget(). Best-effort like the weight cache: when storage fails, learning
// goes on in memory and the failure is reported once as a warning.
import { WeightCache } from '../cache.js';
import type { Adaptation } from './index.js';

/** Quiet time after the last learned character before a write. */
const SAVE_DELAY_MS = 1000;

export class AdaptStore {
  #timer: ReturnType<typeof setTimeout> | null = null;
  #savedRevision = -1;
  #writing: Promise<void> = Promise.resolve();
  savedAt: number | null = null;

  constructor(
    readonly dbName: string,
    readonly name: string,
    private readonly adaptation: Adaptation,
    private readonly vocab: () => readonly number[],
    private readonly warn: (message: string) => void,
  ) {}

  async #withDb<T>(f: (db: WeightCache) => Promise<T>): Promise<T> {
    const db = await WeightCache.open(this.dbName);
    if (!(db instanceof WeightCache)) throw new Error(db.unavailable);
    try {
      return await f(db);
    } finally {
      db.close();
    }
  }

  /** Reads the stored record into the adaptation: 'restored', 'none' (nothing stored), or why it was not used. */
  async load(): Promise<'restored' | 'none' | string> {
    try {
      const record = await this.#withDb((db) => db.getAdapt(this.name));
      if (record === undefined) return 'none';
      if (!this.adaptation.restore(record, this.vocab())) return `the stored adaptation "${this.name}" was made for another model or budget (or is damaged); it starts afresh and is replaced`;
      this.#savedRevision = this.adaptation.revision;
      this.savedAt = (record as { savedAt?: number }).savedAt ?? null;
      return 'restored';
    } catch (error) {
      return `the stored adaptation "${this.name}" could not be read (${(error as Error).message}); learning goes on in memory`;
    }
  }

  /** Writes SAVE_DELAY_MS after the last change (each call pushes the write back). */
  changed(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.flush();
    }, SAVE_DELAY_MS);
  }

  /** Writes now if anything changed since the last write; resolves when stored (never rejects). */
  flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#writing = this.#writing.then(async () => {
      const revision = this.adaptation.revision;
      if (revision === this.#savedRevision) return;
      const record = this.adaptation.record(this.name, this.vocab());
      try {
        await this.#withDb((db) => db.putAdapt(record));
        this.#savedRevision = revision;
        this.savedAt = record.savedAt;
      } catch (error) {
        this.warn(`adaptation "${this.name}" could not be stored in IndexedDB (${(error as Error).name}: ${(error as Error).message}); it is kept in memory`);
      }
    });
    return this.#writing;
  }

  /** Deletes the stored record (after a write in progress). Rejects when storage fails: forget() must not claim what it did not do. */
  erase(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const done = this.#writing.then(() => this.#withDb((db) => db.deleteAdapt(this.name)));
    this.#writing = done.catch(() => {});
    this.#savedRevision = this.adaptation.revision;
    this.savedAt = null;
    return done;
  }

  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
