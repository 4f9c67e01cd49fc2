import { editDistance } from './corrector.js';

/**
 * Words near a typed word: the candidates the typo corrector scores beside
 * its own beams (worker/model/corrector.ts). The decoder spells a long word
 * letter by letter and a narrow beam can lose it on the way ("agressor" →
 * "agrees"); the lexicon's words one or two edits away are few, and the
 * decoder can score each of them exactly (scoreWords).
 *
 * Distance: optimal string alignment (a substitution, insertion, deletion or
 * swap of two neighbours is one edit, and a swapped pair is not edited
 * again), with the first letters compared lower-cased, so "carribean" finds
 * "Caribbean" and "Teh" finds "the" (and the rest as they are: "thier" does
 * not find "THEIR"). The typed word itself is never among the answers.
 */

/** A word found, and its distance from the typed word. */
export interface Near {
  word: string;
  d: number;
}

/**
 * A sorted word list as a trie of code points in flat arrays (first child,
 * next sibling), built once in a pass over the list: the walk that finds the
 * words within a distance visits only the prefixes that can still come
 * within it.
 */
export class WordTrie {
  readonly #first: Int32Array;
  readonly #sibling: Int32Array;
  /** Each node's code point, lower-cased at a word's first letter (the walk compares these). */
  readonly #lower: Int32Array;
  /** The index of the word that ends at a node, or -1. */
  readonly #word: Int32Array;
  readonly #words: readonly string[];

  private constructor(words: readonly string[], first: Int32Array, sibling: Int32Array, lower: Int32Array, word: Int32Array) {
    this.#words = words;
    this.#first = first;
    this.#sibling = sibling;
    this.#lower = lower;
    this.#word = word;
  }

  /** Nodes in the trie (the root too). */
  get nodes(): number {
    return this.#first.length;
  }

  /** The trie of `words`, which must be sorted by UTF-16 code units with no repeats (the model format's lexicon order). */
  static of(words: readonly string[]): WordTrie {
    let cap = 1024;
    let first = new Int32Array(cap).fill(-1);
    let sibling = new Int32Array(cap).fill(-1);
    let lower = new Int32Array(cap);
    let word = new Int32Array(cap).fill(-1);
    let last = new Int32Array(cap).fill(-1);
    let size = 1;
    const grow = () => {
      const more = (a: Int32Array, fill: number) => {
        const b = new Int32Array(cap * 2).fill(fill);
        b.set(a);
        return b;
      };
      first = more(first, -1);
      sibling = more(sibling, -1);
      lower = more(lower, 0);
      word = more(word, -1);
      last = more(last, -1);
      cap *= 2;
    };
    // The path of the previous word: its code points and their nodes (path[0] the root).
    let prev: number[] = [];
    const path = [0];
    words.forEach((w, wi) => {
      if (wi > 0 && !(words[wi - 1]! < w)) throw new RangeError(`WordTrie: the words are not sorted and unique at ${JSON.stringify(w)}`);
      const cps = Array.from(w, (c) => c.codePointAt(0)!);
      let k = 0;
      while (k < cps.length && k < prev.length && cps[k] === prev[k]) k++;
      path.length = k + 1;
      for (let i = k; i < cps.length; i++) {
        if (size === cap) grow();
        const node = size++;
        const parent = path[i]!;
        lower[node] = i === 0 ? String.fromCodePoint(cps[i]!).toLowerCase().codePointAt(0)! : cps[i]!;
        // Sorted input: a new node is its parent's last child so far.
        if (last[parent] === -1) first[parent] = node;
        else sibling[last[parent]!] = node;
        last[parent] = node;
        path.push(node);
      }
      word[path[cps.length]!] = wi;
      prev = cps;
    });
    return new WordTrie(words, first.slice(0, size), sibling.slice(0, size), lower.slice(0, size), word.slice(0, size));
  }

  /**
   * The words within `max` edits of `typed` (see the module's comment),
   * nearest first (ties: the list's order), at most `limit` of them.
   */
  near(typed: string, max = 2, limit = Infinity): Near[] {
    const t = Int32Array.from(firstLower(typed));
    const n = t.length;
    const out: Near[] = [];
    if (n === 0) return out;
    const depthMax = n + max;
    // rows[d]: distances between the d code points on the path and each prefix of the typed word, in the
    // band |d − j| ≤ max (outside it a distance exceeds max: those cells keep max + 1).
    const rows = Array.from({ length: depthMax + 2 }, () => new Int32Array(n + 1).fill(max + 1));
    for (let j = 0; j <= Math.min(n, max); j++) rows[0]![j] = j;
    const chars = new Int32Array(depthMax + 1);
    const first = this.#first;
    const sibling = this.#sibling;
    const lower = this.#lower;
    const wordAt = this.#word;
    const found: { wi: number; d: number }[] = [];
    const walk = (node: number, depth: number) => {
      for (let c = first[node]!; c !== -1; c = sibling[c]!) {
        const ch = lower[c]!;
        const row = rows[depth]!;
        const next = rows[depth + 1]!;
        const before = depth > 0 ? rows[depth - 1]! : null;
        const last = depth > 0 ? chars[depth - 1]! : -1;
        next[0] = depth + 1 <= max ? depth + 1 : max + 1;
        let best = next[0]!;
        const hi = Math.min(n, depth + 1 + max);
        for (let j = Math.max(1, depth + 1 - max); j <= hi; j++) {
          let v = row[j]! + 1;
          const ins = next[j - 1]! + 1;
          if (ins < v) v = ins;
          const sub = row[j - 1]! + (ch === t[j - 1] ? 0 : 1);
          if (sub < v) v = sub;
          if (before && j > 1 && ch === t[j - 2] && last === t[j - 1] && before[j - 2]! + 1 < v) v = before[j - 2]! + 1;
          next[j] = v;
          if (v < best) best = v;
        }
        // No extension of this prefix can come within max.
        if (best > max) continue;
        chars[depth] = ch;
        const wi = wordAt[c]!;
        if (wi >= 0 && next[n]! <= max) found.push({ wi, d: next[n]! });
        if (depth + 1 < depthMax) walk(c, depth + 1);
      }
    };
    walk(0, 0);
    // The walk meets words in the list's order: a stable sort by distance keeps it for ties.
    found.sort((a, b) => a.d - b.d);
    for (const { wi, d } of found) {
      const w = this.#words[wi]!;
      if (w === typed) continue;
      if (out.length >= limit) break;
      out.push({ word: w, d });
    }
    return out;
  }
}

/** The same as WordTrie.near for a short list with no trie (the user's own words): each word compared in turn. */
export function nearIn(words: Iterable<string>, typed: string, max = 2): Near[] {
  const t = firstLower(typed);
  const out: Near[] = [];
  for (const w of words) {
    if (w === typed) continue;
    const d = editDistance(t, firstLower(w), max);
    if (d <= max) out.push({ word: w, d });
  }
  return out.sort((a, b) => a.d - b.d);
}

/** A word's code points, the first lower-cased. */
function firstLower(w: string): number[] {
  const cps = Array.from(w, (c) => c.codePointAt(0)!);
  if (cps.length) cps[0] = String.fromCodePoint(cps[0]!).toLowerCase().codePointAt(0)!;
  return cps;
}

/**
 * The words near `typed` (at most `max` edits) in a model's lexicon and in
 * the user's own words, nearest first (ties: the lexicon's first), at most
 * `limit` of them.
 */
export function nearWords(lexicon: WordTrie | null, user: readonly string[] | null, typed: string, max: number, limit: number): string[] {
  if (max <= 0 || limit <= 0) return [];
  const found = [...(lexicon?.near(typed, max, limit) ?? []), ...(user?.length ? nearIn(user, typed, max) : [])];
  // Stable: at a distance the lexicon's words stay first.
  found.sort((a, b) => a.d - b.d);
  return [...new Set(found.map((n) => n.word))].slice(0, limit);
}
