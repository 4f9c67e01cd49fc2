// A predictor's adaptation to its user's text: the character-context mixer
// (mixer.ts) and the user's own words (words.ts), shared by every session of
// the predictor, fed with committed text (commit.ts) off the keystroke path.
import { isWordChar } from '../../src/text.js';
import { AdaptiveModel, MAX_ORDER, slotsFor, tableBytes, type AdaptiveSnapshot } from './mixer.js';
import { UserWords, type WordList } from './words.js';
import type { Commit } from './commit.js';

export { CommitTracker, type Commit } from './commit.js';
export { unionWords, type WordList } from './words.js';
export { MAX_ORDER } from './mixer.js';

/** Default memory of a predictor's adaptation, in bytes. */
export const DEFAULT_ADAPT_BUDGET = 2 * 1024 * 1024;
/** The least budget that holds a useful table. */
export const MIN_ADAPT_BUDGET = 64 * 1024;
/** Characters learned per idle task (a few ms): a large committed paste is learned over several. */
const LEARN_CHUNK = 2048;

/** A model's vocabulary, seen as characters: what word extraction needs. */
export interface VocabView {
  chars: readonly string[];
  wordChar: Uint8Array;
}

const views = new WeakMap<readonly number[], VocabView>();

/** The characters of a vocabulary (index 0, unknown, is '') and which continue a word; made once per vocabulary. */
export function vocabView(vocab: readonly number[]): VocabView {
  let v = views.get(vocab);
  if (!v) {
    const chars = vocab.map((cp, i) => (i === 0 ? '' : String.fromCodePoint(cp)));
    v = { chars, wordChar: Uint8Array.from(chars, (c) => (c !== '' && isWordChar(c) ? 1 : 0)) };
    views.set(vocab, v);
  }
  return v;
}

/** What is kept in storage for `adapt: { persist }`. */
export interface AdaptRecord {
  name: string;
  /** The vocabulary the table's indices refer to (a model whose vocabulary differs starts afresh). */
  vocab: number[];
  budgetBytes: number;
  table: AdaptiveSnapshot;
  words: [string, number][];
  savedAt: number;
}

interface Pending {
  commit: Commit;
  view: VocabView;
  known: WordList | null;
  /** Next index of commit.ids to learn. */
  at: number;
}

export class Adaptation {
  readonly mixer: AdaptiveModel;
  readonly words: UserWords;
  readonly #queue: Pending[] = [];
  /** Bumped by every change of what is learned (what persistence compares). */
  revision = 0;
  /** Characters learned so far. */
  learnedChars = 0;

  constructor(readonly budgetBytes: number = DEFAULT_ADAPT_BUDGET) {
    // Seven eighths for the context table, the rest for the user's words.
    this.mixer = new AdaptiveModel({ budgetBytes: Math.floor((budgetBytes * 7) / 8) });
    this.words = new UserWords(Math.floor(budgetBytes / 8));
  }

  /** Bytes held: the table, the mixture scores and the words. */
  get bytes(): number {
    return this.mixer.bytes + this.words.bytes;
  }

  /** Queues a commit to learn in idle time (see drain). `known`: the model's lexicon (its words need no keeping). */
  enqueue(commit: Commit, view: VocabView, known: WordList | null): void {
    this.#queue.push({ commit, view, known, at: commit.offset });
  }

  get pending(): boolean {
    return this.#queue.length > 0;
  }

  /** Learns up to `budget` queued characters; true while more are queued. */
  drain(budget = LEARN_CHUNK): boolean {
    while (budget > 0 && this.#queue.length) {
      const job = this.#queue[0]!;
      const { ids, offset, nets } = job.commit;
      const end = Math.min(ids.length, job.at + budget);
      for (let i = job.at; i < end; i++) this.mixer.learn(ids, i, nets[i - offset] ?? null);
      this.#learnWords(job, job.at, end);
      budget -= end - job.at;
      this.learnedChars += end - job.at;
      job.at = end;
      if (end === ids.length) this.#queue.shift();
      this.revision++;
    }
    return this.#queue.length > 0;
  }

  /** The words that end in ids[from, to) (a word ends before a non-word character). */
  #learnWords(job: Pending, from: number, to: number): void {
    const { ids } = job.commit;
    const { chars, wordChar } = job.view;
    for (let i = from; i < to; i++) {
      if (wordChar[ids[i]!] || i === 0 || !wordChar[ids[i - 1]!]) continue;
      let s = i - 1;
      while (s > 0 && wordChar[ids[s - 1]!]) s--;
      let w = '';
      for (let j = s; j < i; j++) w += chars[ids[j]!];
      if (job.known?.next(w)?.word !== true) this.words.add(w);
    }
  }

  /** The next character's distribution after ids[0, end): see AdaptiveModel.mix. */
  mix(ids: ArrayLike<number>, end: number, net: Float64Array): Float64Array {
    return this.mixer.mix(ids, end, net);
  }

  /** Forgets everything, queued commits too. */
  clear(): void {
    this.#queue.length = 0;
    this.mixer.clear();
    this.words.clear();
    this.learnedChars = 0;
    this.revision++;
  }

  record(name: string, vocab: readonly number[]): AdaptRecord {
    return { name, vocab: [...vocab], budgetBytes: this.budgetBytes, table: this.mixer.snapshot(), words: this.words.entries(), savedAt: Date.now() };
  }

  /**
   * Takes back a stored record: false (and nothing taken) when it is not
   * one this model can use (another vocabulary or budget, or damaged).
   * A vocabulary that grew since (extendVocab) keeps its old indices.
   */
  restore(record: unknown, vocab: readonly number[]): boolean {
    const r = record as Partial<AdaptRecord> | null;
    if (!r || !Array.isArray(r.vocab) || r.vocab.length > vocab.length || r.vocab.some((cp, i) => cp !== vocab[i])) return false;
    if (r.budgetBytes !== this.budgetBytes || !r.table || r.table.slots !== slotsFor(Math.floor((this.budgetBytes * 7) / 8))) return false;
    const words = new UserWords(this.words.budgetBytes);
    if (!words.restore(r.words) || !this.mixer.restore(r.table)) return false;
    this.words.restore(r.words);
    this.revision++;
    return true;
  }
}

/** Bytes the table of a budget takes (for docs and checks). */
export const tableBytesFor = (budgetBytes: number): number => tableBytes(slotsFor(Math.floor((budgetBytes * 7) / 8)));

/** The context a beam or a prediction mixes with: the last MAX_ORDER ids of `ids` followed by `more`. */
export function contextOf(ids: readonly number[], length: number, more: readonly number[] = []): number[] {
  const out = ids.slice(Math.max(0, length - MAX_ORDER), length);
  for (const id of more) out.push(id);
  return out.length > MAX_ORDER ? out.slice(out.length - MAX_ORDER) : out;
}
