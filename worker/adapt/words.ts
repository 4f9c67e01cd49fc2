// The words of the user's committed text that the model's lexicon lacks
// (names, product terms, jargon), so completions may spell them: beams
// treat a word as known when the model's lexicon or this list has it.
// Bounded: each word is charged its UTF-16 length twice plus WORD_OVERHEAD
// bytes; past the budget the least used quarter goes.

/** What a lexicon tells a beam (see Lexicon.next in model/beam.ts). */
export interface WordList {
  next(w: string): { word: boolean; chars: Set<string> } | null;
}

const WORD_OVERHEAD = 48;
const MAX_WORD = 64;

export class UserWords implements WordList {
  /** Count and the time it was last seen, per word. */
  readonly #counts = new Map<string, { n: number; at: number }>();
  /** The same words, sorted by UTF-16 code units: a prefix's words are one range. */
  #sorted: string[] = [];
  #bytes = 0;
  #clock = 0;

  constructor(readonly budgetBytes: number) {}

  get size(): number {
    return this.#counts.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Counts a word (at most 64 UTF-16 units; longer ones are not words a person retypes). */
  add(word: string): void {
    if (word.length === 0 || word.length > MAX_WORD) return;
    const e = this.#counts.get(word);
    this.#clock++;
    if (e) {
      e.n++;
      e.at = this.#clock;
      return;
    }
    this.#counts.set(word, { n: 1, at: this.#clock });
    this.#sorted.splice(this.#lower(word), 0, word);
    this.#bytes += 2 * word.length + WORD_OVERHEAD;
    if (this.#bytes > this.budgetBytes) this.#evict();
  }

  /** Drops the least used quarter (fewest uses, then longest unseen). */
  #evict(): void {
    const order = [...this.#counts].sort((a, b) => a[1].n - b[1].n || a[1].at - b[1].at);
    for (const [w] of order.slice(0, Math.max(1, order.length >> 2))) {
      this.#counts.delete(w);
      this.#bytes -= 2 * w.length + WORD_OVERHEAD;
    }
    this.#sorted = this.#sorted.filter((w) => this.#counts.has(w));
  }

  has(word: string): boolean {
    return this.#counts.has(word);
  }

  /** The words, sorted by UTF-16 code units. */
  list(): readonly string[] {
    return this.#sorted;
  }

  #lower(s: string, lo = 0, hi = this.#sorted.length): number {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#sorted[mid]! < s) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  next(w: string): { word: boolean; chars: Set<string> } | null {
    let at = this.#lower(w);
    const words = this.#sorted;
    if (at === words.length || !words[at]!.startsWith(w)) return null;
    const word = words[at] === w;
    if (word) at++;
    const chars = new Set<string>();
    for (; at < words.length && words[at]!.startsWith(w); at++) chars.add(String.fromCodePoint(words[at]!.codePointAt(w.length)!));
    return { word, chars };
  }

  clear(): void {
    this.#counts.clear();
    this.#sorted = [];
    this.#bytes = 0;
  }

  /** [word, count] pairs, for storage. */
  entries(): [string, number][] {
    return [...this.#counts].map(([w, e]) => [w, e.n]);
  }

  /** Takes back entries(); words that do not fit the budget are left out. */
  restore(entries: unknown): boolean {
    if (!Array.isArray(entries) || !entries.every((e) => Array.isArray(e) && typeof e[0] === 'string' && Number.isInteger(e[1]) && e[1] > 0)) return false;
    this.clear();
    for (const [w, n] of entries as [string, number][]) {
      if (w.length === 0 || w.length > MAX_WORD || this.#counts.has(w)) continue;
      this.#counts.set(w, { n, at: ++this.#clock });
      this.#bytes += 2 * w.length + WORD_OVERHEAD;
    }
    this.#sorted = [...this.#counts.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (this.#bytes > this.budgetBytes) this.#evict();
    return true;
  }
}

/** Both lists as one: a word is known when either knows it. */
export function unionWords(a: WordList, b: WordList): WordList {
  return {
    next(w) {
      const x = a.next(w);
      const y = b.next(w);
      if (!x || !y) return x ?? y;
      return { word: x.word || y.word, chars: new Set([...x.chars, ...y.chars]) };
    },
  };
}
