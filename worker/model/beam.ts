import { clone, dispose, gather, tensor1d, tidy, type Tensor2D, type TensorContainer } from '@tensorflow/tfjs-core';
import type { Completion, CompletionStop } from '../../src/protocol.js';
import { isWordChar } from '../../src/text.js';
import type { LayerState } from '../cells/index.js';
import { logits, stateTensors, step, type Model } from './model.js';
import type { WordList } from '../adapt/words.js';
import { MAX_ORDER } from '../adapt/mixer.js';
import { WordTrie } from './near.js';

export interface BeamOptions {
  maxChars: number;
  beamWidth: number;
  stop: CompletionStop;
  /** Phrase mode ends after this many words. */
  phraseWords: number;
  k: number;
  /** Drop beams (and completions) less likely than this; 0 keeps everything. */
  minP?: number;
  /** Also list each completion that a space ends with that space appended (probability of both). */
  withSpace?: boolean;
  /**
   * Words the completions prefer (see Lexicon): each character is chosen
   * among those that keep the word being spelled a known word's prefix, with
   * the model's probabilities renormalised over them. `stem` is the part of
   * the word already typed before the cursor.
   */
  known?: WordList | null;
  stem?: string;
  /**
   * The predictor's adaptation (see worker/adapt): each beam's next-character
   * distribution is mixed with it, in the context of the text before the
   * cursor (`context`, its last ids) followed by the beam's own characters,
   * in the log domain and in place (see AdaptiveModel.mixLog).
   */
  /**
   * Word mode in the middle of the text: the vocabulary index of the
   * character right after the caret (a word boundary). A word ends only
   * where that character follows it, with that character's probability: the
   * completion ends where the text after the caret resumes.
   */
  meet?: number;
  adapt?: { mixLog(ids: ArrayLike<number>, end: number, lp: Float64Array): boolean; context: readonly number[] } | null;
}

/**
 * Known word forms, sorted by UTF-16 code units with no repeats (as the
 * model format stores them): a word's continuations are a contiguous range,
 * found by binary search, with no prefix table to build.
 */
export class Lexicon implements WordList {
  constructor(readonly words: readonly string[]) {}

  /** Where `w` is in the words, or -1. */
  indexOf(w: string): number {
    const at = this.#lower(w);
    return this.words[at] === w ? at : -1;
  }

  /** First index whose word is ≥ `s`. */
  #lower(s: string, lo = 0, hi = this.words.length): number {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.words[mid]! < s) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * What may follow `w` in a known word: null when no word starts with `w`;
   * else whether `w` is itself a word, and the characters that come next.
   */
  next(w: string): { word: boolean; chars: Set<string> } | null {
    const n = w.length;
    let at = this.#lower(w);
    if (at === this.words.length || !this.words[at]!.startsWith(w)) return null;
    const word = this.words[at] === w;
    if (word) at++;
    const chars = new Set<string>();
    const end = this.#lower(w + '\uffff', at);
    // One binary search per distinct next character: jump past every word that continues with it.
    while (at < end && this.words[at]!.startsWith(w)) {
      const cp = this.words[at]!.codePointAt(n)!;
      const ch = String.fromCodePoint(cp);
      chars.add(ch);
      at = this.#lower(w + ch + '\uffff', at);
    }
    return { word, chars };
  }
}

/** The word forms of a text: runs of word characters (see isWordChar). */
export function wordsOf(text: string): string[] {
  return Array.from(text.matchAll(/[\p{L}\p{N}\p{M}'’]+/gu), (m) => m[0]).filter((w) => w.length <= 64);
}

/** Sorted by UTF-16 code units, each once: the order a model's lexicon is stored in. */
export function sortedWords(words: Iterable<string>): string[] {
  return [...new Set(words)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** What fine-tuning does to a lexicon (see ModelLexicon.plan): its new sorted words, and which of them were learned. */
export interface LexiconPlan {
  words: string[];
  /** Every word fine-tuning has added so far (this run's and earlier runs'), sorted. */
  learned: string[];
  added: number;
  dropped: number;
}

/** A model's lexicon: its sorted words, and the words fine-tuning adds. */
export class ModelLexicon {
  #lexicon: Lexicon;
  /** The words fine-tuning added (learned from the user's text), sorted, kept apart so a model can be saved without them. */
  #learned: readonly string[] = [];
  #trie: WordTrie | null = null;

  /** The words the model came with, their count classes (the manifest's lexiconCounts) and the lowest of them, or null. */
  readonly #base: { words: Lexicon; classes: string; least: string } | null;

  /**
   * `limit`: most words in all (the model format's MAX_LEXICON_WORDS);
   * `counts`: the manifest's lexiconCounts for `sorted` (one hexadecimal digit per word).
   */
  constructor(
    sorted: readonly string[],
    readonly limit: number,
    counts?: string,
  ) {
    this.#lexicon = new Lexicon(sorted);
    let least = 'f';
    if (counts !== undefined) for (let i = 0; i < counts.length; i++) if (counts[i]! < least) least = counts[i]!;
    this.#base = counts !== undefined && counts.length === sorted.length ? { words: this.#lexicon, classes: counts, least } : null;
  }

  /** Whether the words came with count classes. */
  get counted(): boolean {
    return this.#base !== null;
  }

  /**
   * How common `word` was in the model's training text: floor(log2(count)),
   * 0 to 15 (see Manifest.lexiconCounts); null for a word the model came
   * without (learned in fine-tuning, or unknown) or a lexicon without counts.
   */
  countClass(word: string): number | null {
    const at = this.#base?.words.indexOf(word) ?? -1;
    return at < 0 ? null : parseInt(this.#base!.classes[at]!, 16);
  }

  /**
   * The count classes of `words` (sorted, as list() gives them) as a
   * manifest's lexiconCounts, a word the model came without in the lowest
   * class its lexicon has ("1" for one built with --min-count 3); undefined
   * when the lexicon has none.
   */
  countsOf(words: readonly string[]): string | undefined {
    const base = this.#base;
    if (!base) return undefined;
    return words.map((w) => base.classes[base.words.indexOf(w)] ?? base.least).join('');
  }

  get size(): number {
    return this.#lexicon.words.length;
  }

  /** The words fine-tuning added so far, sorted. */
  get learned(): readonly string[] {
    return this.#learned;
  }

  /**
   * The lexicon after adding the words of a fine-tuning text that it lacks,
   * the most frequent first (ties: the first seen), while it has room (at
   * most `limit` words in all): a text with more new words than fit keeps its
   * commonest ones. Pure (the trainer worker runs it, so the predictor's
   * worker only swaps the result in, see apply).
   */
  static plan(known: readonly string[], learnedSoFar: readonly string[], words: Iterable<string>, limit: number): LexiconPlan {
    const lookup = new Lexicon(known);
    const counts = new Map<string, number>();
    for (const w of words) {
      const n = counts.get(w);
      if (n !== undefined) counts.set(w, n + 1);
      else if (lookup.next(w)?.word !== true) counts.set(w, 1);
    }
    const room = Math.max(0, limit - known.length);
    // Map order is first-seen order, and the sort is stable: ties keep it.
    const fresh = [...counts].sort((a, b) => b[1] - a[1]);
    const take = sortedWords(fresh.slice(0, room).map(([w]) => w));
    return { words: mergeSorted(known, take), learned: mergeSorted(learnedSoFar, take), added: take.length, dropped: fresh.length - take.length };
  }

  /** Puts a plan in use: no work beyond keeping its arrays. */
  apply(plan: LexiconPlan): void {
    this.#lexicon = new Lexicon(plan.words);
    this.#learned = plan.learned;
    this.#trie = null;
  }

  lookup(): Lexicon {
    return this.#lexicon;
  }

  /**
   * The words as a trie, for finding those near a typed word (the typo
   * corrector's candidates, see near.ts): built on first use (about 50 ms and
   * 3.5 MB for 80,000 words; the worker asks for it just after a model with a
   * corrector loads), again after fine-tuning changes the words.
   */
  trie(): WordTrie {
    return (this.#trie ??= WordTrie.of(this.#lexicon.words));
  }

  /** Its words, sorted; `learned: false` leaves out those fine-tuning added. */
  list({ learned = true }: { learned?: boolean } = {}): string[] {
    if (learned || this.#learned.length === 0) return [...this.#lexicon.words];
    const out: string[] = [];
    const drop = this.#learned;
    let j = 0;
    for (const w of this.#lexicon.words) {
      while (j < drop.length && drop[j]! < w) j++;
      if (drop[j] !== w) out.push(w);
    }
    return out;
  }
}

/** Two sorted, duplicate-free lists as one (sorted by UTF-16 code units, each once). */
function mergeSorted(a: readonly string[], b: readonly string[]): string[] {
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]! < b[j]!)) out.push(a[i++]!);
    else if (i >= a.length || b[j]! < a[i]!) out.push(b[j++]!);
    else {
      out.push(a[i++]!);
      j++;
    }
  }
  return out;
}

export { isWordChar };

const SENTENCE_END = new Set(['.', '!', '?']);

/**
 * A character that takes a known word off the lexicon keeps this share of its
 * probability (then the step is renormalised): unknown words (names, new
 * terms) stay possible but rarely win. Measured with npm run eval on
 * ../shared/corpus/valid: 0.02 saves about as much as forbidding them.
 */
const OFF_LEXICON = Math.log(0.02);

interface Beam {
  text: string;
  logp: number;
  words: number;
  /** The word being spelled (the stem first), for the lexicon. */
  word: string;
  /** The last ids before the beam's next character (the text's, then the beam's): the adaptation's context. */
  ctx: number[];
}

function logSoftmaxRow(z: Float32Array, from: number, V: number, out: Float64Array): void {
  let max = -Infinity;
  for (let i = 0; i < V; i++) max = Math.max(max, z[from + i]!);
  let sum = 0;
  for (let i = 0; i < V; i++) sum += Math.exp(z[from + i]! - max);
  const lse = Math.log(sum) + max;
  for (let i = 0; i < V; i++) out[i] = z[from + i]! - lse;
}

/**
 * Beam search for the rest of a word ('word') or the next few words
 * ('phrase') from `start` (batch 1, not consumed). All beams advance as one
 * batch: a single recurrent step per character, whatever the beam width.
 *
 * In phrase mode every word boundary on the way is a completion of its own
 * ("quick", "quick brown", "quick brown fox"), so a caller can offer the
 * longest one that is still likely enough. With `minP`, beams less likely than
 * it are dropped as soon as they fall below it (a beam's probability only
 * shrinks as it grows), which ends unpromising searches early.
 */
export async function beamSearch(model: Model, start: LayerState[], o: BeamOptions): Promise<Completion[]> {
  const V = model.manifest.vocab.length;
  const vocab = model.manifest.vocab;
  const chars = vocab.map((cp, i) => (i === 0 ? '' : String.fromCodePoint(cp)));
  const wordChar = chars.map((c) => c !== '' && isWordChar(c));
  let states: LayerState[] = start.map((s) => (s.c ? { h: clone(s.h), c: clone(s.c) } : { h: clone(s.h) }));
  // A stem the lexicon does not know: the model alone.
  const lex = o.known && o.known.next(o.stem ?? '') ? o.known : null;
  let beams: Beam[] = [{ text: '', logp: 0, words: 0, word: o.stem ?? '', ctx: [...(o.adapt?.context ?? [])] }];
  // Several boundaries can end the same text ("tea" + " ", "tea" + ","): their probabilities add up.
  const finished = new Map<string, { p: number; complete: boolean }>();
  const finish = (text: string, logp: number, complete: boolean) => {
    const f = finished.get(text);
    if (f) f.p += Math.exp(logp);
    else finished.set(text, { p: Math.exp(logp), complete });
  };
  const lp = new Float64Array(V);
  const logMinP = o.minP ? Math.log(o.minP) : -Infinity;
  try {
    for (let t = 0; ; t++) {
      const z = tidy(() => logits(model, states));
      const data = (await z.data()) as Float32Array;
      z.dispose();
      if (t === o.maxChars) {
        for (const b of beams) finish(b.text, b.logp, false);
        break;
      }
      const cands: { beam: number; index: number; logp: number }[] = [];
      for (let b = 0; b < beams.length; b++) {
        logSoftmaxRow(data, b * V, V, lp);
        if (o.adapt) o.adapt.mixLog(beams[b]!.ctx, beams[b]!.ctx.length, lp);
        // A word already off the lexicon (a name, a typo) goes on with the model alone.
        const known = lex ? lex.next(beams[b]!.word) : null;
        if (known) {
          // Only characters that keep a known word going, or end one; renormalised over them.
          const w = beams[b]!.word;
          let mass = 0;
          for (let i = 1; i < V; i++) {
            const ok = wordChar[i] ? known.chars.has(chars[i]!) : w === '' || known.word;
            if (!ok) lp[i] = lp[i]! + OFF_LEXICON;
            mass += Math.exp(lp[i]!);
          }
          if (mass > 0) {
            const shift = Math.log(mass);
            for (let i = 1; i < V; i++) lp[i] = lp[i]! - shift;
          }
        }
        const beam = beams[b]!;
        // Word mode: every character that ends the word ends it here, whatever
        // its rank, so the beams' places go to letters that spell on (else four
        // likely punctuation marks could end every beam with nothing to offer).
        if (o.stop === 'word') {
          for (let i = 1; i < V; i++) {
            if (wordChar[i] || !(lp[i]! > -Infinity) || (o.meet !== undefined && i !== o.meet)) continue;
            finish(beam.text, beam.logp + lp[i]!, true);
            if (o.withSpace && chars[i] === ' ' && beam.text !== '') finish(beam.text + ' ', beam.logp + lp[i]!, true);
          }
        }
        // The best beamWidth extensions of each beam are enough to find the best beamWidth overall.
        const top: number[] = [];
        for (let i = 1; i < V; i++) {
          if (o.stop === 'word' && !wordChar[i]) continue;
          if (top.length < o.beamWidth) {
            top.push(i);
            top.sort((a, c) => lp[c]! - lp[a]!);
          } else if (lp[i]! > lp[top[top.length - 1]!]!) {
            top[top.length - 1] = i;
            top.sort((a, c) => lp[c]! - lp[a]!);
          }
        }
        for (const i of top) if (lp[i]! > -Infinity) cands.push({ beam: b, index: i, logp: beam.logp + lp[i]! });
      }
      cands.sort((a, b) => b.logp - a.logp);
      const next: Beam[] = [];
      const parents: number[] = [];
      const inputs: number[] = [];
      for (const c of cands) {
        const beam = beams[c.beam]!;
        const ch = chars[c.index]!;
        if (o.stop !== 'word') {
          const endsWord = !wordChar[c.index] && beam.text !== '' && isWordChar(beam.text.slice(-1));
          if (SENTENCE_END.has(ch)) {
            if (endsWord) finish(beam.text, c.logp, true); // the words before it are a phrase too
            finish(beam.text + ch, c.logp, true);
            continue;
          }
          if (endsWord && o.withSpace && ch === ' ') finish(beam.text + ' ', c.logp, true);
          if (ch === '\n' || (endsWord && beam.words + 1 >= o.phraseWords)) {
            finish(beam.text, c.logp, true);
            continue;
          }
          if (endsWord) finish(beam.text, c.logp, true); // a shorter phrase, and the beam goes on
        }
        if (c.logp < logMinP) continue;
        if (next.length < o.beamWidth) {
          const endsWord = !wordChar[c.index] && beam.text !== '' && isWordChar(beam.text.slice(-1));
          const ctx = o.adapt ? beam.ctx.concat(c.index) : beam.ctx;
          if (ctx.length > MAX_ORDER) ctx.shift();
          next.push({ text: beam.text + ch, logp: c.logp, words: beam.words + (endsWord ? 1 : 0), word: wordChar[c.index] ? beam.word + ch : '', ctx });
          parents.push(c.beam);
          inputs.push(c.index);
        }
      }
      if (next.length === 0) break;
      // Probabilities only shrink as beams grow: once k finished ones beat every live beam, stop.
      const done = [...finished].filter(([text]) => text !== '').map(([, f]) => f.p).sort((a, b) => b - a);
      if (done.length >= o.k && done[o.k - 1]! >= Math.exp(next[0]!.logp)) break;
      const prev = states;
      states = tidy(() => {
        const idx = tensor1d(parents, 'int32');
        const picked = prev.map((s) => {
          const g: LayerState = { h: gather(s.h, idx) as Tensor2D };
          if (s.c) g.c = gather(s.c, idx) as Tensor2D;
          return g;
        });
        return step(model, Int32Array.from(inputs), picked) as unknown as TensorContainer;
      }) as unknown as LayerState[];
      dispose(stateTensors(prev));
      beams = next;
    }
  } finally {
    dispose(stateTensors(states));
  }
  return [...finished]
    .filter(([text, f]) => text !== '' && (!o.minP || f.p >= o.minP))
    .map(([text, f]) => ({ text, p: f.p, complete: f.complete }))
    .sort((a, b) => b.p - a.p)
    .slice(0, o.k);
}
