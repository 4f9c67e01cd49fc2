// What of a text field counts as committed, so adaptation learns the text
// a person meant and not every keystroke: text is committed once it ends at
// a word boundary (after a space or punctuation) and has outlived the edit
// that followed it, or its field was left for another. A word deleted before
// it was finished never reaches a boundary; a paste undone at the next edit
// was never outlived. The tracker also keeps the network's probability of
// distribution before each character typed at the end (the prediction
// before it), which the mixer's weights learn from.

/** Characters looked back over for a boundary (a longer run without one is not a word). */
const LOOK_BACK = 1024;
/** Network distributions kept for characters not yet committed (older ones are dropped: their characters learn counts only). */
const MAX_PENDING = 256;

/** A stretch of committed text: ids[from, to) to learn, with the ids before it as context. */
export interface Commit {
  /** The text from `start` (up to 8 characters before `from`, and back to the start of the word `from` falls in). */
  ids: number[];
  /** Where `from` is in `ids`. */
  offset: number;
  /** The network's distribution before each learned character (null where not known). */
  nets: (Float64Array | null)[];
}

export class CommitTracker {
  /** ids[0, learned) have been handed over to learn. */
  #learned = 0;
  /** The network's distribution before the character typed at each position not yet learned. */
  readonly #nets = new Map<number, Float64Array>();
  /** The network's distribution after ids[0, at), from the last prediction. */
  #net: { at: number; p: Float64Array } | null = null;

  /** @param wordChar Whether each vocabulary index continues a word. */
  constructor(private wordChar: Uint8Array) {}

  /** The vocabulary grew (fine-tuning with extendVocab): old indices keep their meaning. */
  setWordChars(wordChar: Uint8Array): void {
    this.wordChar = wordChar;
  }

  /** The network's distribution after ids[0, at), as just predicted. */
  predicted(at: number, p: Float64Array): void {
    this.#net = { at, p };
  }

  /**
   * The field's text went from `beforeLength` ids to ids[0, length),
   * keeping the first `common`: returns what became committed, if anything.
   */
  edit(beforeLength: number, ids: readonly number[], length: number, common: number): Commit | null {
    // A character typed at the end: the prediction before it said how likely it was.
    if (length === beforeLength + 1 && common === beforeLength && this.#net?.at === beforeLength) {
      this.#nets.set(beforeLength, this.#net.p);
      if (this.#nets.size > MAX_PENDING) this.#nets.delete(this.#nets.keys().next().value!);
    }
    this.#net = null;
    if (common < beforeLength) for (const at of this.#nets.keys()) if (at >= common) this.#nets.delete(at);
    // What was learned stays learned; learning goes on from the first change.
    if (common < this.#learned) this.#learned = common;
    return this.#commit(ids, Math.min(common, length));
  }

  /** The field was left (another field was typed in): its text up to its last boundary is committed. */
  leave(ids: readonly number[], length: number): Commit | null {
    return this.#commit(ids, length);
  }

  /** Commits ids[learned, B) for the last boundary B ≤ upTo. */
  #commit(ids: readonly number[], upTo: number): Commit | null {
    const stop = Math.max(this.#learned, upTo - LOOK_BACK);
    let end = upTo;
    while (end > stop && this.wordChar[ids[end - 1]!]) end--;
    if (end <= this.#learned) return null;
    const from = this.#learned;
    let start = Math.max(0, from - 8);
    while (start > 0 && this.wordChar[ids[start - 1]!]) start--;
    const nets: (Float64Array | null)[] = [];
    for (let i = from; i < end; i++) {
      nets.push(this.#nets.get(i) ?? null);
      this.#nets.delete(i);
    }
    this.#learned = end;
    return { ids: ids.slice(start, end), offset: from - start, nets };
  }

  /** Forgets what was pending (the text is gone, or adaptation was erased): nothing before `at` is learned again. */
  reset(at = 0): void {
    this.#learned = at;
    this.#nets.clear();
    this.#net = null;
  }
}
