import { concat, dispose, tidy, type Tensor2D, type TensorContainer } from '@tensorflow/tfjs-core';
import type { Completion } from '../../src/protocol.js';
import { beamSearch, type BeamOptions } from './beam.js';
import type { LayerState } from '../cells/index.js';
import { isWordChar } from '../../src/text.js';
import { encode, logits, stateTensors, step, stepWithLogits, type Model } from './model.js';

/**
 * Reads `seqs` (vocabulary indices) side by side from `start` (one row;
 * kept), one batched recurrent step per character; a row whose sequence has
 * ended is fed a space. `visit(z, t)` gets the logits [B · V] before each
 * row's character t: first (unless `first` is false) those of `start`, the
 * same for every row (`shared`: read at offset 0), then after each step.
 */
function readSideBySide(model: Model, start: LayerState[], seqs: readonly number[][], visit: (z: Float32Array, t: number, shared: boolean) => void, first = true): void {
  const B = seqs.length;
  const T = Math.max(...seqs.map((a) => a.length));
  if (first) {
    const z0 = tidy(() => logits(model, start));
    const z = z0.dataSync() as Float32Array;
    z0.dispose();
    visit(z, 0, true);
  }
  const space = model.index.get(32) ?? 0;
  let states = tidy(() =>
    start.map((s) => ({ h: concat(new Array<Tensor2D>(B).fill(s.h)) as Tensor2D, ...(s.c ? { c: concat(new Array<Tensor2D>(B).fill(s.c)) as Tensor2D } : {}) })),
  ) as LayerState[];
  const input = new Int32Array(B);
  try {
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) input[b] = seqs[b]![t] ?? space;
      let z: Float32Array;
      let next: LayerState[];
      const fused = stepWithLogits(model, input, states);
      if (fused) ({ states: next, logits: z } = fused);
      else {
        const prev = states;
        next = tidy(() => step(model, input, prev) as unknown as TensorContainer) as unknown as LayerState[];
        const zt = tidy(() => logits(model, next));
        z = zt.dataSync() as Float32Array;
        zt.dispose();
      }
      dispose(stateTensors(states));
      states = next;
      visit(z, t + 1, false);
    }
  } finally {
    dispose(stateTensors(states));
  }
}

/**
 * ln p under the language model of each of `words` followed by a character
 * that is no word character (the word ends there), after the text whose
 * state is `start` (one row; kept). The words are read side by side, one
 * batched recurrent step per character (a row whose word has ended is fed a
 * space and ignored).
 */
export function wordLogProbs(model: Model, start: LayerState[], words: readonly string[]): number[] {
  const B = words.length;
  if (B === 0) return [];
  const ids = words.map((w) => encode(model, w));
  const V = model.manifest.vocab.length;
  const ends = nonWordIndices(model);
  const out = new Array<number>(B).fill(0);
  readSideBySide(model, start, ids, (z, t, shared) => {
    for (let b = 0; b < B; b++) if (t <= ids[b]!.length) out[b] += logProbAt(z, shared ? 0 : b * V, V, ids[b]!, t, ends);
  });
  return out;
}

/** ln p, from the logits z[o, o + V), of word w's character at position t, or at t = its length of any character in `ends`. */
function logProbAt(z: ArrayLike<number>, o: number, V: number, w: readonly number[], t: number, ends: readonly number[]): number {
  let max = -Infinity;
  for (let v = 0; v < V; v++) if (z[o + v]! > max) max = z[o + v]!;
  let sum = 0;
  for (let v = 0; v < V; v++) sum += Math.exp(z[o + v]! - max);
  if (t < w.length) return z[o + w[t]!]! - max - Math.log(sum);
  let e = 0;
  for (const v of ends) e += Math.exp(z[o + v]! - max);
  return Math.log(e) - Math.log(sum);
}

const nonWordCache = new WeakMap<object, number[]>();
/** Vocabulary indices of the characters that are no word characters (a word ends before any of them). */
function nonWordIndices(model: Model): number[] {
  let list = nonWordCache.get(model.manifest);
  if (!list) {
    list = [];
    model.manifest.vocab.forEach((cp, i) => {
      if (i > 0 && !isWordChar(String.fromCodePoint(cp))) list!.push(i);
    });
    nonWordCache.set(model.manifest, list);
  }
  return list;
}

/**
 * For each of `heads` (vocabulary indices), ln p under the language model of
 * `tail[from..]` read after it, from the text whose state is `start` (one
 * row; kept): how well what follows fits each candidate. The rows are read
 * side by side, one batched recurrent step per character, each row for its
 * own head then the tail (a row that is done is fed a space and ignored).
 */
export function continuationLogProbs(model: Model, start: LayerState[], heads: readonly number[][], tail: readonly number[], from = 0): number[] {
  const B = heads.length;
  if (B === 0 || tail.length <= from) return new Array<number>(B).fill(0);
  const V = model.manifest.vocab.length;
  const out = new Array<number>(B).fill(0);
  // The last character of each row is never read (nothing is scored after it); the start state's
  // logits score something only for an empty head, from tail[0].
  const seqs = heads.map((h) => [...h, ...tail].slice(0, -1));
  readSideBySide(
    model,
    start,
    seqs,
    (z, t, shared) => {
      for (let b = 0; b < B; b++) {
        // Logits before row b's character t predict tail[t - its head's length].
        const j = t - heads[b]!.length;
        if (j >= from && j < tail.length) out[b] += logProbAt(z, shared ? 0 : b * V, V, tail, j, []);
      }
    },
    from === 0 && heads.some((h) => h.length === 0),
  );
  return out;
}

/** Characters of the text after the caret that fitRight reads after each candidate. */
export const FIT_CHARS = 8;
/** Candidates a mid-line completion searches for before fitRight ranks them. */
export const FIT_CANDIDATES = 8;
/** The least probability of a candidate searched for (the request's minP applies after fitRight). */
export const FIT_MIN_P = 0.01;

/**
 * The candidates of a mid-line completion hold their total probability P
 * raised to this power after fitRight (P^0.8 > P: the words searched for,
 * the likeliest by the text before the caret, are likelier to fit the text
 * after it than the words not searched for; those share 1 − P^0.8). Chosen
 * by likelihood on gaps of the training text, not the validation text:
 * `npm run eval:gaps -- --model models/default --text
 * ../shared/corpus/v2/train --gaps 1200 --seed 7 --mass-fit` (mean
 * ln-likelihood of the words after one letter, by power: 0.5 −0.527, 0.6
 * −0.505, 0.7 −0.494, 0.8 −0.491, 0.9 −0.493, 1 −0.500; after two letters
 * also best at 0.8).
 */
export const FIT_MASS_POWER = 0.8;

/**
 * Mid-line word completions ranked by how well the text after the caret
 * follows each: with L(w) = p(tail[1..] | text, w) under the forward model
 * (tail[0], where the word ends, is already in p), each completion's
 * probability becomes p(w) L(w) / Σ p L over the candidates, times the
 * candidates' total probability P raised to FIT_MASS_POWER: Bayes' rule for
 * the word given both sides, the right side cut at `tail`. Completions that differ only by the
 * space withSpace appends share their word's L. Returns the best `k` with
 * p ≥ `minP`.
 */
export function fitRight(model: Model, start: LayerState[], completions: readonly Completion[], tail: readonly number[], k: number, minP: number): Completion[] {
  if (completions.length === 0) return [];
  const word = (t: string) => (t.endsWith(' ') ? t.slice(0, -1) : t);
  // Each word's probability once (a withSpace entry "tea " is "tea" ended by a space: part of the bare entry's).
  const p = new Map<string, number>();
  for (const c of completions) p.set(word(c.text), Math.max(p.get(word(c.text)) ?? 0, c.p));
  const texts = [...p.keys()];
  // One word: nothing to rank, and Bayes' rule gives it back its own probability.
  if (texts.length === 1) return completions.filter((c) => c.p >= minP).sort((a, b) => b.p - a.p).slice(0, k);
  const fit = continuationLogProbs(model, start, texts.map((t) => encode(model, t)), tail, 1);
  const top = Math.max(...fit);
  const L = new Map(texts.map((t, i) => [t, Math.exp(fit[i]! - top)]));
  let mass = 0;
  let z = 0;
  for (const t of texts) {
    mass += p.get(t)!;
    z += p.get(t)! * L.get(t)!;
  }
  const share = Math.pow(mass, FIT_MASS_POWER);
  return completions
    .map((c) => ({ ...c, p: (c.p * L.get(word(c.text))! * share) / z }))
    .filter((c) => c.p >= minP)
    .sort((a, b) => b.p - a.p)
    .slice(0, k);
}

/**
 * The word completions at a caret in the middle of a line, as a session makes
 * them: `o` ends the word where the text after the caret resumes (`o.meet`);
 * `search` (the forward model, or with the bidirectional head) finds
 * FIT_CANDIDATES of them down to FIT_MIN_P, and fitRight ranks them by how
 * well `tail`, the first FIT_CHARS characters after the caret, follows each
 * under `model` before `o.k` and `o.minP` apply. Without a boundary to meet or
 * a tail of at least two characters: the search alone.
 */
export async function completeMidLine(model: Model, search: Model, start: LayerState[], o: BeamOptions, tail: readonly number[]): Promise<Completion[]> {
  if (o.meet === undefined || tail.length < 2) return beamSearch(search, start, o);
  const wide = await beamSearch(search, start, { ...o, k: Math.max(o.k, FIT_CANDIDATES), minP: Math.min(o.minP ?? 0, FIT_MIN_P) });
  return fitRight(model, start, wide, tail, o.k, o.minP ?? 0);
}

/** The first FIT_CHARS characters of `right` (the text after the caret), as vocabulary indices. */
export function fitTail(model: Model, right: Iterable<string>): number[] {
  let head = '';
  let n = 0;
  for (const ch of right) {
    if (n++ === FIT_CHARS) break;
    head += ch;
  }
  return encode(model, head);
}

/** ln p of each of `seqs` (vocabulary indices), every character scored, after the text whose state is `start` (one row; kept). */
export function sequenceLogProbs(model: Model, start: LayerState[], seqs: readonly number[][]): number[] {
  const B = seqs.length;
  if (B === 0) return [];
  const V = model.manifest.vocab.length;
  const out = new Array<number>(B).fill(0);
  readSideBySide(model, start, seqs, (z, t, shared) => {
    for (let b = 0; b < B; b++) if (t < seqs[b]!.length) out[b] += logProbAt(z, shared ? 0 : b * V, V, seqs[b]!, t, []);
  });
  return out;
}

/**
 * The next character's distribution at a caret in the middle of a line,
 * from the word distribution fitRight gives: `search`'s candidates for the
 * rest of the word (ending where the text resumes, o.meet), each s with its
 * probability p(s) under `search` and the fit L(s) of `tail` after it under
 * `model`, share P' = P^FIT_MASS_POWER (P their total probability) by
 * p(s) L(s) (Bayes' rule), and every other word keeps p(s) · (1 − P') /
 * (1 − P). The next character c then has, with o(c) the probability of the
 * words that start with c and are not candidates, p(c) − Σ p(s) over the
 * candidates that start with c,
 *   q(c) = o(c) · (1 − P') / (1 − P) + Σ over candidates starting with c of P' · p(s) L(s) / Σ p L,
 * which sums to 1: a proper distribution whose product over a word's
 * characters is the probability that word distribution gives it.
 */
export async function fitNextChar(model: Model, search: Model, start: LayerState[], o: BeamOptions, tail: readonly number[]): Promise<Float64Array> {
  const V = model.manifest.vocab.length;
  const z0 = tidy(() => logits(search, start));
  const z = z0.dataSync() as Float32Array;
  z0.dispose();
  let max = -Infinity;
  for (let v = 0; v < V; v++) max = Math.max(max, z[v]!);
  const q = new Float64Array(V);
  let sum = 0;
  for (let v = 0; v < V; v++) sum += q[v] = Math.exp(z[v]! - max);
  for (let v = 0; v < V; v++) q[v]! /= sum;
  if (o.meet === undefined || tail.length < 2) return q;
  const wide = await beamSearch(search, start, { ...o, withSpace: false });
  const texts = [...new Set(wide.map((c) => c.text))];
  if (texts.length < 2) return q;
  const ids = texts.map((t) => encode(model, t));
  const lp = sequenceLogProbs(search, start, ids.map((s) => [...s, o.meet!]));
  const fit = continuationLogProbs(model, start, ids, tail, 1);
  const top = Math.max(...lp.map((l, i) => l + fit[i]!));
  let mass = 0;
  let zf = 0;
  for (let i = 0; i < texts.length; i++) {
    mass += Math.exp(lp[i]!);
    zf += Math.exp(lp[i]! + fit[i]! - top);
  }
  const share = Math.pow(mass, FIT_MASS_POWER);
  const firsts = ids.map((s) => (s.length ? s[0]! : o.meet!));
  // The words not searched for: what is left of each character's probability, rescaled.
  for (let i = 0; i < texts.length; i++) q[firsts[i]!] = q[firsts[i]!]! - Math.exp(lp[i]!);
  const rest = mass < 1 ? (1 - share) / (1 - mass) : 0;
  for (let v = 0; v < V; v++) q[v] = Math.max(0, q[v]!) * rest;
  for (let i = 0; i < texts.length; i++) q[firsts[i]!] = q[firsts[i]!]! + (share * Math.exp(lp[i]! + fit[i]! - top)) / zf;
  for (let v = 0; v < V; v++) if (!(q[v]! > 1e-12)) q[v] = 1e-12;
  return q;
}
