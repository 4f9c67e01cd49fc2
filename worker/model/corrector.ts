import { CORRECTOR_PREFIX, type Manifest } from './manifest.js';
import type { DecodedWeights } from './model.js';
import type { WordList } from '../adapt/words.js';

/**
 * A model's optional typo corrector (the manifest's corrector section,
 * trained by training/corrector.py): a character encoder-decoder. The
 * encoder reads the typed word with two GRUs, one from its start (its first
 * state tanh(encoder.init · h_lm), h_lm the language model's top h before the
 * word) and one from its end (from zeros); the decoder, a GRU over the
 * previous output character (a space first) from tanh(decoder.init · [h_lm ;
 * last forward output ; last backward output]), attends over the typed
 * characters and writes the intended word, ending with a space.
 *
 * It runs on the host in plain typed arrays, not tfjs: a word is a few dozen
 * steps of matrices of about 100 × 100, where a tfjs op's own cost would be
 * most of the time. Each GRU's input products are a table per vocabulary
 * entry (embedding · W_ihᵀ + b_ih), made at load.
 */
export interface Corrector {
  readonly V: number;
  /** Sizes: embedding, encoder (per direction), decoder, the language model's top h. */
  readonly E: number;
  readonly He: number;
  readonly Hd: number;
  readonly Hlm: number;
  readonly encInitW: Float32Array; // [He, Hlm]
  readonly encInitB: Float32Array; // [He]
  readonly encF: Gru;
  readonly encB: Gru;
  readonly decInitW: Float32Array; // [Hd, Hlm + 2He]
  readonly decInitB: Float32Array; // [Hd]
  readonly dec: Gru;
  readonly att: Float32Array; // [2He, Hd]
  readonly outW: Float32Array; // [V, Hd + 2He]
  readonly outB: Float32Array; // [V]
  readonly parameters: number;
}

/** A GRU's recurrent weights and its input table: PyTorch's gates r, z, n. */
interface Gru {
  readonly H: number;
  readonly whh: Float32Array; // [3H, H]
  readonly bhh: Float32Array; // [3H]
  readonly xtab: Float32Array; // [V, 3H]: embedding[v] · W_ihᵀ + b_ih
}

/** One candidate correction: the word, and its probability under the decoder. */
export interface Correction {
  text: string;
  p: number;
}

/** Builds the corrector of validated weights on the host; null when the manifest has none. */
export function buildCorrector(manifest: Manifest, values: DecodedWeights): Corrector | null {
  const c = manifest.corrector;
  if (!c) return null;
  const get = (name: string) => values.get(CORRECTOR_PREFIX + name)!;
  const V = manifest.vocab.length;
  const E = c.embeddingSize;
  const He = c.encoderSize;
  const Hd = c.decoderSize;
  const Hlm = manifest.hiddenSizes[manifest.hiddenSizes.length - 1]!;
  const emb = get('embedding');
  const gru = (prefix: string, H: number): Gru => {
    const wih = get(`${prefix}.weight_ih`); // [3H, E]
    const bih = get(`${prefix}.bias_ih`);
    const bhh = get(`${prefix}.bias_hh`);
    const xtab = new Float32Array(V * 3 * H);
    for (let v = 0; v < V; v++) matvec(wih, 3 * H, E, emb, v * E, bih, xtab, v * 3 * H);
    return { H, whh: get(`${prefix}.weight_hh`), bhh, xtab };
  };
  let parameters = 0;
  for (const [name, t] of values) if (name.startsWith(CORRECTOR_PREFIX)) parameters += t.length;
  return {
    V,
    E,
    He,
    Hd,
    Hlm,
    encInitW: get('encoder.init.weight'),
    encInitB: get('encoder.init.bias'),
    encF: gru('encoder.forward', He),
    encB: gru('encoder.backward', He),
    decInitW: get('decoder.init.weight'),
    decInitB: get('decoder.init.bias'),
    dec: gru('decoder', Hd),
    att: get('attention.weight'),
    outW: get('out.weight'),
    outB: get('out.bias'),
    parameters,
  };
}

/** out[o + i] = Σ_j w[i, j] · x[xo + j] + b[i], for w [rows, cols] row-major. */
function matvec(w: Float32Array, rows: number, cols: number, x: Float32Array, xo: number, b: Float32Array | null, out: Float32Array, o: number): void {
  for (let i = 0; i < rows; i++) out[o + i] = dot(w, i * cols, x, xo, cols) + (b ? b[i]! : 0);
}

/** Σ_j w[r + j] · x[xo + j] for j < n, with four running sums (no chain of dependent additions). */
function dot(w: Float32Array, r: number, x: Float32Array, xo: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  for (; j + 3 < n; j += 4) {
    s0 += w[r + j]! * x[xo + j]!;
    s1 += w[r + j + 1]! * x[xo + j + 1]!;
    s2 += w[r + j + 2]! * x[xo + j + 2]!;
    s3 += w[r + j + 3]! * x[xo + j + 3]!;
  }
  for (; j < n; j++) s0 += w[r + j]! * x[xo + j]!;
  return s0 + s1 + s2 + s3;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** One GRU step on vocabulary entry `id` from h (read) into out (written; may not be h). gh: scratch [3H]. */
function gruStep(g: Gru, id: number, h: Float32Array, out: Float32Array, gh: Float32Array): void {
  const H = g.H;
  matvec(g.whh, 3 * H, H, h, 0, g.bhh, gh, 0);
  const x = id * 3 * H;
  const t = g.xtab;
  for (let i = 0; i < H; i++) {
    const r = sigmoid(t[x + i]! + gh[i]!);
    const z = sigmoid(t[x + H + i]! + gh[H + i]!);
    const n = Math.tanh(t[x + 2 * H + i]! + r * gh[2 * H + i]!);
    out[i] = (1 - z) * n + z * h[i]!;
  }
}

/** gruStep for several rows at once (ids[b], hs[b] → outs[b]): each row of W_hh is read once for all. gh: scratch [rows · 3H]. */
function gruSteps(g: Gru, ids: readonly number[], hs: readonly Float32Array[], outs: readonly Float32Array[], gh: Float32Array): void {
  const H = g.H;
  const B = ids.length;
  const G = 3 * H;
  for (let i = 0; i < G; i++) {
    const r = i * H;
    const bias = g.bhh[i]!;
    for (let b = 0; b < B; b++) gh[b * G + i] = dot(g.whh, r, hs[b]!, 0, H) + bias;
  }
  const t = g.xtab;
  for (let b = 0; b < B; b++) {
    const x = ids[b]! * G;
    const o = b * G;
    const h = hs[b]!;
    const out = outs[b]!;
    for (let i = 0; i < H; i++) {
      const r = sigmoid(t[x + i]! + gh[o + i]!);
      const z = sigmoid(t[x + H + i]! + gh[o + H + i]!);
      const n = Math.tanh(t[x + 2 * H + i]! + r * gh[o + 2 * H + i]!);
      out[i] = (1 - z) * n + z * h[i]!;
    }
  }
}

/** What the decoder attends over, for one typed word. */
export interface Encoded {
  /** [S, 2He]: per typed character, the forward and backward outputs. */
  enc: Float32Array;
  S: number;
  /** The decoder's first state [Hd]. */
  h0: Float32Array;
}

/** Encodes a typed word (vocabulary indices, at least one) given the language model's top h before it. */
export function encodeWord(net: Corrector, hLm: Float32Array, ids: ArrayLike<number>): Encoded {
  const { He, Hd, Hlm } = net;
  const S = ids.length;
  if (S === 0) throw new RangeError('encodeWord: the typed word is empty');
  if (hLm.length !== Hlm) throw new RangeError(`encodeWord: h_lm holds ${hLm.length} numbers, the model's top layer ${Hlm}`);
  const enc = new Float32Array(S * 2 * He);
  const gh = new Float32Array(3 * Math.max(He, Hd));
  let h = new Float32Array(He);
  matvec(net.encInitW, He, Hlm, hLm, 0, net.encInitB, h, 0);
  for (let i = 0; i < He; i++) h[i] = Math.tanh(h[i]!);
  let next = new Float32Array(He);
  for (let s = 0; s < S; s++) {
    gruStep(net.encF, ids[s]!, h, next, gh);
    [h, next] = [next, h];
    enc.set(h, s * 2 * He);
  }
  const fLast = h.slice();
  h = new Float32Array(He);
  for (let s = S - 1; s >= 0; s--) {
    gruStep(net.encB, ids[s]!, h, next, gh);
    [h, next] = [next, h];
    enc.set(h, s * 2 * He + He);
  }
  // The backward GRU's last output is at the word's first character.
  const joint = new Float32Array(Hlm + 2 * He);
  joint.set(hLm, 0);
  joint.set(fLast, Hlm);
  joint.set(enc.subarray(He, 2 * He), Hlm + He);
  const h0 = new Float32Array(Hd);
  matvec(net.decInitW, Hd, Hlm + 2 * He, joint, 0, net.decInitB, h0, 0);
  for (let i = 0; i < Hd; i++) h0[i] = Math.tanh(h0[i]!);
  return { enc, S, h0 };
}

/**
 * One decoder step: from state h after the previous character `prev`, the
 * new state (into `out`) and the log-probabilities of the next character
 * (into `lp` [V]). `scratch` from decoderScratch.
 */
export function decoderStep(net: Corrector, e: Encoded, prev: number, h: Float32Array, out: Float32Array, lp: Float64Array, scratch: DecoderScratch): void {
  const { He, Hd, V } = net;
  const { gh, q, a, hc } = scratch;
  gruStep(net.dec, prev, h, out, gh);
  matvec(net.att, 2 * He, Hd, out, 0, null, q, 0);
  let max = -Infinity;
  for (let s = 0; s < e.S; s++) {
    let v = 0;
    const o = s * 2 * He;
    for (let j = 0; j < 2 * He; j++) v += e.enc[o + j]! * q[j]!;
    a[s] = v;
    if (v > max) max = v;
  }
  let sum = 0;
  for (let s = 0; s < e.S; s++) sum += a[s] = Math.exp(a[s]! - max);
  hc.set(out, 0);
  hc.fill(0, Hd);
  for (let s = 0; s < e.S; s++) {
    const w = a[s]! / sum;
    const o = s * 2 * He;
    for (let j = 0; j < 2 * He; j++) hc[Hd + j] += w * e.enc[o + j]!;
  }
  let zmax = -Infinity;
  const cols = Hd + 2 * He;
  for (let v = 0; v < V; v++) {
    let z = net.outB[v]!;
    const r = v * cols;
    for (let j = 0; j < cols; j++) z += net.outW[r + j]! * hc[j]!;
    lp[v] = z;
    if (z > zmax) zmax = z;
  }
  let zs = 0;
  for (let v = 0; v < V; v++) zs += Math.exp(lp[v]! - zmax);
  const lz = zmax + Math.log(zs);
  for (let v = 0; v < V; v++) lp[v] = lp[v]! - lz;
}

export interface DecoderScratch {
  gh: Float32Array;
  q: Float32Array;
  a: Float32Array;
  hc: Float32Array;
}

export function decoderScratch(net: Corrector, S: number): DecoderScratch {
  return { gh: new Float32Array(3 * net.Hd), q: new Float32Array(2 * net.He), a: new Float32Array(S), hc: new Float32Array(net.Hd + 2 * net.He) };
}

export interface CorrectOptions {
  /** Candidates to return. */
  k: number;
  /** Hypotheses kept per step. */
  beamWidth: number;
  /** The words the decoder may write (besides the typed word itself); null: any string. */
  known: WordList | null;
  /** code point -> vocabulary index. */
  index: Map<number, number>;
  /** The vocabulary index that ends a word (a space). */
  end: number;
  /** Longest word written, in code points. */
  maxChars: number;
  /**
   * Drop words this many times less likely than the best one found, and
   * hypotheses this many times less likely than the best one growing beside
   * them (default: keep all; the search is then exact up to the beam width).
   */
  prune?: number;
}

/**
 * The language model's weight when the decoder's candidates are rescored:
 * score = ln p_dec + CORRECTOR_LM_WEIGHT · ln p_lm (session.corrections,
 * eval:typos; chosen with eval:typos --tune-corrector, see docs/typos.md).
 */
export const CORRECTOR_LM_WEIGHT = 0.5;

/**
 * The language model's weight for a word with no text before it (the first
 * word of a field): from its zero state the model expects the start of a
 * text, a poor judge of which word a lone one is. Chosen with eval:typos
 * --tune-corrector on a tuning slice of the real-misspellings list that the
 * measured words do not overlap (docs/typos.md).
 */
export const CORRECTOR_LM_WEIGHT_ALONE = 0;

/**
 * Optimal-string-alignment distance (Damerau-Levenshtein where a transposed
 * pair is not edited again) between code-point arrays, or `max + 1` as soon
 * as it must exceed `max`.
 */
export function editDistance(a: ArrayLike<number>, b: ArrayLike<number>, max = 2): number {
  const n = a.length;
  const m = b.length;
  if (Math.abs(n - m) > max) return max + 1;
  let prev2 = new Int32Array(m + 1);
  let prev = new Int32Array(m + 1);
  let cur = new Int32Array(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    let best = i;
    for (let j = 1; j <= m; j++) {
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      cur[j] = v;
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[m]!;
}

/**
 * Nats taken off a candidate's score per edit between it and the typed word
 * (editDistance, counted up to EDIT_CAP), a channel term beside the decoder and the language
 * model (chosen with eval:typos --tune-corrector, see docs/typos.md).
 */
export const CORRECTOR_EDIT_PENALTY = 4;

/** Candidates the decoder gives for the language model to rescore (at least k). */
export const RESCORED = 6;

/** Whether a string starts with a lower-case letter. */
function startsLower(w: string): boolean {
  const c = String.fromCodePoint(w.codePointAt(0) ?? 32);
  return c !== c.toUpperCase() && c === c.toLowerCase();
}

/** Whether a string starts with a capital (a letter with a lower-case form). */
function startsUpper(w: string): boolean {
  const c = String.fromCodePoint(w.codePointAt(0) ?? 32);
  return c !== c.toLowerCase();
}

/** `w` with its first letter lower-cased. */
function lowerFirst(w: string): string {
  const c = String.fromCodePoint(w.codePointAt(0) ?? 32);
  return w ? c.toLowerCase() + w.slice(c.length) : w;
}

/**
 * Edits from `typed` to a candidate `text` (editDistance, up to EDIT_CAP):
 * a typed word that starts in lower case is compared with the candidate's
 * first letter lower-cased too, as the near words are found (near.ts): a
 * name typed in lower case, "carribean", is two edits from "Caribbean", not
 * three.
 */
export function correctionEdits(typed: string, text: string): number {
  const cps = (w: string) => Array.from(w, (ch) => ch.codePointAt(0)!);
  return editDistance(cps(typed), cps(startsLower(typed) ? lowerFirst(text) : text), EDIT_CAP);
}

/**
 * Nats taken off a candidate that gives a word typed in lower case a capital
 * ("humer": "humor" before "Hume"), when the word has no text before it. In
 * a sentence the language model reads the capital itself and decides
 * (rescored's casePenalty is 0 there: "across the carribean" becomes
 * "Caribbean"). eval:typos on 2,000 words of the real-misspellings list
 * apart from the measured ones (`--real 2000 --real-offset 1300`): 0 gave
 * 79.7% top-1, 1, 2, 3 and 5 79.8%; in context (`--seed 2`, synthetic
 * errors and correct words) 0 and 2 gave the same, 92.1% and 0.2%.
 */
export const CORRECTOR_CASE_PENALTY = 2;

/** The channel's share of a candidate's score: `penalty` per edit (correctionEdits), and `casePenalty` for a capital the typed word lacks. */
export function channelCost(typed: string, text: string, penalty: number, casePenalty = CORRECTOR_CASE_PENALTY): number {
  return penalty * correctionEdits(typed, text) + (startsLower(typed) && startsUpper(text) ? casePenalty : 0);
}

/**
 * The form the decoder scores a near word in: a word that `known` holds only
 * with a capital ("Caribbean": a name) is read in lower case when the typed
 * word starts in lower case. The decoder learned to keep the typed word's
 * case, so it gives the capital itself almost nothing; people type names in
 * lower case all the time ("carribean"), and the candidate keeps its
 * capital. Any other word is scored as it is.
 */
export function scoredForm(typed: string, word: string, known: WordList | null): string {
  if (!startsLower(typed) || !startsUpper(word)) return word;
  const lower = lowerFirst(word);
  return lower !== word && !known?.next(lower)?.word ? lower : word;
}

/**
 * The weight of how common a word was in the model's training text when it
 * has no text before it: its score gains CORRECTOR_PRIOR_ALONE · ln count
 * (countPrior; the count from the lexicon's count classes, Manifest.lexiconCounts).
 * With no context the language model is a poor judge (CORRECTOR_LM_WEIGHT_ALONE
 * is 0), and among words the decoder finds equally near, the common one is
 * the likelier intent ("govement": "government", not the misspelling
 * "goverment" the corpus holds three times). Chosen with eval:typos on
 * 2,000 words of the real-misspellings list that the measured 1,000 do not
 * overlap (`--real 2000 --real-offset 1300`): 0.1, 0.2, 0.3, 0.5, 0.75, 1,
 * 1.5 gave 79.8, 80.0, 80.0, 80.3, 80.0, 79.7, 79.0% top-1 (0: 79.8%).
 * Not in a sentence, where the language model knows how common a word is:
 * there 0.25 took synthetic errors fixed from 92.1% to 91.8% and false
 * alarms from 0.2% to 0.3% (eval:typos --seed 2).
 */
export const CORRECTOR_PRIOR_ALONE = 0.5;

/**
 * Each word's prior in nats, `weight` · ln count with count = 2^class from
 * `lexicon.countClass` (a word without a class, learned or the user's own,
 * counts as class 1: seen twice); all 0 when the lexicon has no counts.
 */
export function countPrior(lexicon: { countClass(w: string): number | null; readonly counted: boolean } | null, words: readonly string[], weight = CORRECTOR_PRIOR_ALONE): number[] {
  if (!lexicon?.counted || weight === 0) return words.map(() => 0);
  return words.map((w) => weight * Math.LN2 * (lexicon.countClass(w) ?? 1));
}

/**
 * The decoder's candidates rescored with the language model and the edits
 * from the typed word: score = ln p_dec + weight · lm[i] − penalty ·
 * edits (correctionEdits) − casePenalty for a capital the typed word lacks
 * + prior[i] (both for a word alone: CORRECTOR_CASE_PENALTY, countPrior; lm: ln p of each word in its context, rescore.ts), p the softmax of
 * the scores over the candidates, best first.
 */
export function rescored(list: readonly Correction[], lm: readonly number[], typed: string, weight = CORRECTOR_LM_WEIGHT, penalty = CORRECTOR_EDIT_PENALTY, prior?: readonly number[], casePenalty = 0): Correction[] {
  const s = list.map((c, i) => Math.log(c.p) + weight * lm[i]! - channelCost(typed, c.text, penalty, casePenalty) + (prior?.[i] ?? 0));
  const max = Math.max(...s);
  const e = s.map((x) => Math.exp(x - max));
  const z = e.reduce((a, b) => a + b, 0);
  return list.map((c, i) => ({ text: c.text, p: e[i]! / z })).sort((a, b) => b.p - a.p);
}

/** Words and hypotheses this many times less likely than the best are dropped (session.corrections, eval:typos). */
export const PRUNE = 1e4;
/**
 * Edits counted against a candidate at most (then EDIT_CAP + 1): far enough
 * that a short common word ("ad") never outscores a long word two edits from
 * what was typed ("accomadating" → "accommodating") on the language model's
 * preference for short words (eval:typos, real list: cap 3 59.8% top-1, 6 or
 * 12 61.8%, 400 words, beam 4).
 */
export const EDIT_CAP = 8;
/**
 * corrections()' default beam width (session.corrections, eval:typos). Alone,
 * a narrow beam loses long words on the way (eval:typos, real list, 400
 * words: beam 4 61.8% top-1, 8 65.5%, 16 67.8%); with the near words scored
 * beside it (NEAR_ONE) beams 4 and 8 do the same (1,000 words: 78.8% both),
 * and 4 costs half as much.
 */
export const CORRECTION_BEAM = 4;
/**
 * Beside the decoder's beams, the lexicon's words near the typed word are
 * scored by the decoder (scoreWords): those one edit away when it has at
 * least NEAR_ONE characters, two when it has at least NEAR_TWO, the nearest
 * NEAR_LIMIT of them (near.ts). The beams lose long words on the way
 * ("agressor" → "agrees"); the few words an edit or two away do not.
 * eval:typos, real list, 1,000 words: beams alone (8 wide) 73.0% top-1, with
 * the near words 78.8%, the same with beams 4 wide (docs/typos.md).
 */
export const NEAR_ONE = 3;
export const NEAR_TWO = 7;
export const NEAR_LIMIT = 8;

/** How many edits from a typed word of `chars` code points its near words may be (0: none are scored). */
export function nearEdits(chars: number): number {
  return chars >= NEAR_TWO ? 2 : chars >= NEAR_ONE ? 1 : 0;
}

/**
 * The decoder's candidates and, after them, those of `near` they lack (the
 * typed word left out), each with its probability under the decoder
 * (scoreWith: the same number a beam would have given it); words the
 * decoder cannot write (a character outside the vocabulary) are left out.
 */
function withNear(dec: Decoding, typed: string, list: readonly Correction[], near: readonly string[], index: Map<number, number>, known: WordList | null): Correction[] {
  const have = new Set(list.map((c) => c.text));
  // A name the typed word only differs from by its capital ("london", "London") is left out: a change of case is no correction.
  // So is a capitalised word whose lower-case form is known (that form is as near, and the one to offer).
  const extra = [...new Set(near)]
    .filter((w) => w !== typed && !have.has(w))
    .map((text) => ({ text, form: scoredForm(typed, text, known) }))
    .filter(({ text, form }) => form !== typed && !(startsLower(typed) && form === text && startsUpper(text)));
  if (extra.length === 0) return [...list];
  const scores = scoreWith(dec, extra.map((x) => x.form), index, index.get(32) ?? 0);
  return [...list, ...extra.flatMap(({ text }, i) => (scores[i]! > -Infinity ? [{ text, p: Math.exp(scores[i]!) }] : []))];
}

/**
 * The candidates session.corrections() and eval:typos rescore with the
 * language model: the decoder's beams (correct) and the near words they lack
 * (withNear; `near(typed, max)` gives the words at most `max` edits away,
 * near.ts nearWords), the `o.k` best by ln p_dec − penalty · edits, less
 * those `o.prune` times less likely than the best by that score (the
 * language model's reading of each word costs far more than the decoder's,
 * so only these are read). One encoding of the typed word serves both, and
 * the near words reuse the steps of the beams' prefixes.
 */
export function candidates(net: Corrector, hLm: Float32Array, typed: string, o: CorrectOptions, near: (typed: string, max: number) => readonly string[], penalty = CORRECTOR_EDIT_PENALTY): Correction[] {
  const dec = decoding(net, hLm, typed, o.index);
  if (!dec) return [];
  const list = correctWith(dec, typed, o);
  const max = nearEdits(Array.from(typed).length);
  if (max === 0) return list;
  const score = (c: Correction) => Math.log(c.p) - channelCost(typed, c.text, penalty);
  const ranked = withNear(dec, typed, list, near(typed, max), o.index, o.known)
    .map((c) => ({ c, s: score(c) }))
    .sort((a, b) => b.s - a.s);
  // As the beams do (o.prune): words that many times less likely than the best are not worth reading.
  const cut = ranked.length ? ranked[0]!.s - Math.log(o.prune ?? Infinity) : -Infinity;
  return ranked
    .filter((x) => x.s >= cut)
    .slice(0, o.k)
    .map((x) => x.c);
}

/** Corrections are at most this many characters longer than the typed word. */
export const LONGER = 6;

/** The options session.corrections() searches with (eval:typos uses the same). */
export function correctionOptions(index: Map<number, number>, known: WordList | null, typed: string, k: number, beamWidth: number): CorrectOptions {
  return { k, beamWidth, known, index, end: index.get(32) ?? 0, maxChars: Math.min(Array.from(typed).length + LONGER, 48), prune: PRUNE };
}

interface Hyp {
  text: string;
  /** Code points of text. */
  n: number;
  prev: number;
  h: Float32Array;
  score: number;
}

/**
 * The likeliest intended words for `typed`, best first: a beam search of the
 * decoder kept inside `known` (which may hold the typed word itself). p is
 * the decoder's probability of writing the word, its full distribution read
 * at each character (not renormalised over what `known` allows: that would
 * let a path the decoder never wanted end with a probability near 1, and
 * short words win). The decoder was trained to write known words only, so a
 * typed word that is not one is never among the answers. Words and hypotheses
 * less than `prune` times as likely as the best are dropped on the way. A
 * typed word that starts with a capital may also become a known
 * word written with a capital ("Teh" → "The"). An empty list when the typed
 * word has a character outside the vocabulary.
 */
export function correct(net: Corrector, hLm: Float32Array, typed: string, o: CorrectOptions): Correction[] {
  const dec = decoding(net, hLm, typed, o.index);
  return dec ? correctWith(dec, typed, o) : [];
}

/** The decoder over `typed` read by the encoder; null when it is empty or has a character outside the vocabulary. */
function decoding(net: Corrector, hLm: Float32Array, typed: string, index: Map<number, number>): Decoding | null {
  const ids = typedIds(typed, index);
  return ids ? new Decoding(net, encodeWord(net, hLm, ids)) : null;
}

/** correct() with the decoder given (its steps remembered for scoreWith). */
function correctWith(dec: Decoding, typed: string, o: CorrectOptions): Correction[] {
  const cps = Array.from(typed);
  const capital = cps[0] !== cps[0]!.toLowerCase();
  // The typed word is a path only when it is a known word itself: the decoder learned to write known words.
  const path = !o.known || o.known.next(typed)?.word === true ? cps : null;
  const done: { text: string; score: number }[] = [];
  let alive: Hyp[] = [{ text: '', n: 0, prev: o.end, h: dec.h0, score: 0 }];
  for (let step = 0; step <= o.maxChars && alive.length > 0; step++) {
    const grown: { from: Hyp; id: number; ch: string; score: number }[] = [];
    // What each hypothesis may do next; those that may do nothing are done.
    const live: { hyp: Hyp; next: { id: number; ch: string }[]; word: boolean }[] = [];
    for (const hyp of alive) {
      const { chars, word } = allowed(hyp.text, hyp.n, path, capital, o.known);
      const next: { id: number; ch: string }[] = [];
      if (hyp.n < o.maxChars) {
        for (const ch of chars) {
          const id = o.index.get(ch.codePointAt(0)!);
          if (id !== undefined && id !== o.end) next.push({ id, ch });
        }
      }
      if (next.length || word) live.push({ hyp, next, word });
    }
    // The decoder's log-softmax over the whole vocabulary, read at the allowed characters (and the end
    // where a word may end). Not renormalised over what is allowed: a path the decoder did not want keeps
    // the low probability it gave it at every step, so a long word it was spelling is not beaten by a
    // short one that only the word list made likely.
    const rows = dec.steps(live.map((l) => ({ key: l.hyp.text, prev: l.hyp.prev, h: l.hyp.h })));
    live.forEach(({ hyp, next, word }, bi) => {
      const { h, lp } = rows[bi]!;
      if (word) insertDone(done, { text: hyp.text, score: hyp.score + lp[o.end]! });
      hyp.h = h;
      for (const x of next) grown.push({ from: hyp, id: x.id, ch: x.ch, score: hyp.score + lp[x.id]! });
    });
    grown.sort((x, y) => y.score - x.score);
    // Scores only fall as a word grows: one already below the k-th finished word can never pass it,
    // nor come within `prune` times of the best.
    // A hypothesis `prune` times less likely than the best one growing beside it is dropped too.
    const cut = Math.log(o.prune ?? Infinity);
    const bar = Math.max(done.length >= o.k ? done[o.k - 1]!.score : -Infinity, done.length ? done[0]!.score - cut : -Infinity, grown.length ? grown[0]!.score - cut : -Infinity);
    alive = [];
    for (const g of grown) {
      if (alive.length === o.beamWidth || g.score <= bar) break;
      alive.push({ text: g.from.text + g.ch, n: g.from.n + 1, prev: g.id, h: g.from.h, score: g.score });
    }
  }
  return done.slice(0, o.k).map((d) => ({ text: d.text, p: Math.exp(d.score) }));
}

/** The typed word's vocabulary indices; null when it is empty or has a character outside the vocabulary. */
function typedIds(typed: string, index: Map<number, number>): number[] | null {
  const ids: number[] = [];
  for (const ch of typed) {
    const id = index.get(ch.codePointAt(0)!);
    if (id === undefined) return null;
    ids.push(id);
  }
  return ids.length ? ids : null;
}

/**
 * The decoder over one encoded typed word, a batch of rows at a time: from
 * states h after previous characters, the new states and the log-softmax of
 * the next character over the whole vocabulary. correct() (beams) and
 * scoreWords() (given words) both step it, so a word gets the same
 * probability from either; each row is remembered by the text written before
 * it, so the words candidates() scores after the beams reuse the beams' steps.
 */
class Decoding {
  readonly h0: Float32Array;
  /** Each typed character's encoding through the attention matrix, [S, Hd]: a step scores with one product per character. */
  #keys: Float32Array;
  #a: Float64Array;
  #logit: Float64Array;
  #gh = new Float32Array(0);
  #hc: Float32Array;
  #memo = new Map<string, { h: Float32Array; lp: Float64Array }>();

  constructor(
    readonly net: Corrector,
    readonly e: Encoded,
  ) {
    const { Hd, He } = net;
    const S = e.S;
    this.h0 = e.h0;
    const keys = new Float32Array(S * Hd);
    for (let s = 0; s < S; s++) {
      for (let i = 0; i < 2 * He; i++) {
        const v = e.enc[s * 2 * He + i]!;
        if (v === 0) continue;
        const row = i * Hd;
        for (let j = 0; j < Hd; j++) keys[s * Hd + j] += v * net.att[row + j]!;
      }
    }
    this.#keys = keys;
    this.#a = new Float64Array(S);
    this.#logit = new Float64Array(net.V);
    this.#hc = new Float32Array(Hd + 2 * He);
  }

  /**
   * One step for each row: from the state h after the text `key` (its last
   * character `prev`), the new state and the log-probabilities of the next
   * character. Rows met before are not computed again.
   */
  steps(rows: readonly { key: string; prev: number; h: Float32Array }[]): { h: Float32Array; lp: Float64Array }[] {
    const todo = rows.filter((r) => !this.#memo.has(r.key));
    if (todo.length) {
      const got = this.#compute(todo.map((r) => r.prev), todo.map((r) => r.h));
      todo.forEach((r, i) => this.#memo.set(r.key, got[i]!));
    }
    return rows.map((r) => this.#memo.get(r.key)!);
  }

  #compute(prevs: readonly number[], hs: readonly Float32Array[]): { h: Float32Array; lp: Float64Array }[] {
    const { net, e } = this;
    const { Hd, He, V } = net;
    const S = e.S;
    const B = prevs.length;
    if (this.#gh.length < B * 3 * Hd) this.#gh = new Float32Array(B * 3 * Hd);
    // The rows' decoder steps side by side: each weight row is read once for all of them.
    const outs = prevs.map(() => new Float32Array(Hd));
    gruSteps(net.dec, prevs, hs, outs, this.#gh);
    const a = this.#a;
    const hc = this.#hc;
    const logit = this.#logit;
    const cols = Hd + 2 * He;
    return outs.map((h) => {
      // Attention over the typed characters.
      let max = -Infinity;
      for (let s = 0; s < S; s++) {
        const v = dot(this.#keys, s * Hd, h, 0, Hd);
        a[s] = v;
        if (v > max) max = v;
      }
      let sum = 0;
      for (let s = 0; s < S; s++) sum += a[s] = Math.exp(a[s]! - max);
      hc.set(h, 0);
      hc.fill(0, Hd);
      for (let s = 0; s < S; s++) {
        const w = a[s]! / sum;
        for (let j = 0; j < 2 * He; j++) hc[Hd + j] += w * e.enc[s * 2 * He + j]!;
      }
      let zmax = -Infinity;
      for (let v = 0; v < V; v++) {
        const z = (logit[v] = net.outB[v]! + dot(net.outW, v * cols, hc, 0, cols));
        if (z > zmax) zmax = z;
      }
      let total = 0;
      for (let v = 0; v < V; v++) total += Math.exp(logit[v]! - zmax);
      const lz = zmax + Math.log(total);
      const lp = new Float64Array(V);
      for (let v = 0; v < V; v++) lp[v] = logit[v]! - lz;
      return { h, lp };
    });
  }
}

/**
 * The decoder's ln p of writing each of `words` for `typed` (its full
 * distribution at each character, then the end, as correct() scores a
 * word): the words share their prefixes' steps, a trie level at a time.
 * -Infinity for a word with a character outside the vocabulary; an empty
 * typed word (or one with such a character) gives all -Infinity.
 */
export function scoreWords(net: Corrector, hLm: Float32Array, typed: string, words: readonly string[], index: Map<number, number>, end: number): number[] {
  const dec = decoding(net, hLm, typed, index);
  return dec ? scoreWith(dec, words, index, end) : words.map(() => -Infinity);
}

/** scoreWords() with the decoder given. */
function scoreWith(dec: Decoding, words: readonly string[], index: Map<number, number>, end: number): number[] {
  const out = words.map(() => -Infinity);
  if (words.length === 0) return out;
  interface Node {
    text: string;
    prev: number;
    h: Float32Array;
    score: number;
    children: Map<number, Node>;
    /** Indices of the words that end here. */
    ends: number[];
  }
  const root: Node = { text: '', prev: end, h: dec.h0, score: 0, children: new Map(), ends: [] };
  words.forEach((w, i) => {
    let node = root;
    for (const ch of w) {
      const id = index.get(ch.codePointAt(0)!);
      if (id === undefined || id === end) return;
      let child = node.children.get(id);
      if (!child) node.children.set(id, (child = { text: node.text + ch, prev: id, h: node.h, score: 0, children: new Map(), ends: [] }));
      node = child;
    }
    node.ends.push(i);
  });
  let level = [root];
  while (level.length) {
    const rows = dec.steps(level.map((n) => ({ key: n.text, prev: n.prev, h: n.h })));
    const next: Node[] = [];
    level.forEach((node, b) => {
      const { h, lp } = rows[b]!;
      for (const i of node.ends) out[i] = node.score + lp[end]!;
      for (const [id, child] of node.children) {
        child.h = h;
        child.score = node.score + lp[id]!;
        next.push(child);
      }
    });
    level = next;
  }
  return out;
}

function insertDone(done: { text: string; score: number }[], d: { text: string; score: number }): void {
  if (done.some((x) => x.text === d.text)) return;
  let i = done.length;
  while (i > 0 && done[i - 1]!.score < d.score) i--;
  done.splice(i, 0, d);
}

/** The characters that may follow `prefix` (n code points), and whether it may end there. `typed`: the typed word's characters when it is a path. */
function allowed(prefix: string, n: number, typed: string[] | null, capital: boolean, known: WordList | null): { chars: Set<string>; word: boolean } {
  let word = false;
  const chars = new Set<string>();
  if (typed && n < typed.length && typed.slice(0, n).join('') === prefix) chars.add(typed[n]!);
  if (typed && n === typed.length && typed.join('') === prefix) word = true;
  if (!known) {
    // No word list: any character of the vocabulary (the caller's index filters).
    return { chars: new Set([...chars, ...ALL]), word: word || n > 0 };
  }
  const add = (p: string, upperFirst: boolean) => {
    const r = known.next(p);
    if (!r) return;
    word ||= r.word;
    for (const ch of r.chars) chars.add(upperFirst && p === '' ? ch.toUpperCase() : ch);
  };
  add(prefix, false);
  if (capital) {
    // "Teh" may be "The": a known lowercase word, capitalised.
    if (n === 0) add('', true);
    else {
      const first = String.fromCodePoint(prefix.codePointAt(0)!);
      const lower = first.toLowerCase();
      if (lower !== first) add(lower + prefix.slice(first.length), false);
    }
  }
  return { chars, word };
}

/** Printable ASCII, for decoding with no word list (tests, models without a lexicon). */
const ALL: string[] = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));
