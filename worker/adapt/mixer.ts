// Learning from the user's own text, as they type it: a count model of the
// text committed so far (character contexts of orders 1 to 8, over vocabulary
// indices) mixed with the network's distribution. No tensors: it runs beside
// the network in the worker and in tools/eval.ts alike. It keeps no text of
// its own: every call names its context (ids[0, end)), so the sessions of a
// predictor and each beam of a completion share one model.
//
// Two stages. First the network is corrected in the logit domain by learned
// biases (logits added to the network's): one per character (order 0) and
// one per character after each character (order 1) in plain arrays, and, for
// each context of orders 2 to BIAS_ORDER, one for each character it
// remembers and one shared by all the others; learned online by a gradient
// step on the log loss of the corrected distribution
// q(c) ∝ p_net(c)·exp(Σ_k b_k(c)). This is where the user's text
// overrides what the network believes in a familiar context (a word it spells
// otherwise, a name, the frequent characters of a domain). Then each order k
// whose context has been seen is an expert whose distribution is its counts
// smoothed towards q (a Dirichlet prior with q as base measure):
// (n(c) + α·q(c)) / (n + α). q is an expert too. Their mixture weights are a
// softmax over scores kept per "situation" (the longest order seen, and how
// often its context was seen), learned online by gradient steps on the log
// loss of each character, as context-mixing compressors learn theirs. A
// context never seen leaves the network's distribution untouched.
//
// Memory is fixed: besides the order-0/1 arrays, contexts live in a hashed
// table of slots (two ways per hash, the less used one is replaced), each
// slot keeping the SLOT_SYMBOLS characters seen most after it, with their
// counts and biases. The table is sized from a byte budget.

export const MAX_ORDER = 8;
/** Characters one context remembers (the least counted is replaced by a new one). */
const SLOT_SYMBOLS = 6;
/** Bytes per slot: a check hash, the context's count, a symbol, a count and a bias per remembered character, and the others' bias. */
const SLOT_BYTES = 8 + SLOT_SYMBOLS * 8 + 4;
/** Longest context with logit biases (orders 1 to 8 measured: 4 or 5 best, docs/adaptation.md). */
const BIAS_ORDER = 5;
/**
 * Vocabularies of up to DENSE_V characters keep a bias for every character
 * after every character (order 1) and one per character (order 0) in plain
 * arrays: a slot's 6 characters and one bias for the rest are too few for a
 * context of one character, which dozens follow. A larger vocabulary (a
 * model grown with extendVocab) keeps its order-1 biases in the slots, like
 * the longer contexts, and none of order 0.
 */
const DENSE_V = 128;
/** Bytes of the order-1 and order-0 bias arrays (float32). */
const DENSE_BYTES = (DENSE_V * DENSE_V + DENSE_V) * 4;
/** Step size of the order-0 biases (0.01 to 0.05 measured, docs/adaptation.md). */
const UNIGRAM_RATE = 0.02;
/** Buckets of a context's count that pick a set of mixture scores. */
const COUNT_BUCKETS = [1, 2, 4, 8, 16, 64];

function bucket(n: number): number {
  let b = 0;
  while (b < COUNT_BUCKETS.length && n >= COUNT_BUCKETS[b]!) b++;
  return b;
}

export interface AdaptiveOptions {
  /** Memory for the context table, in bytes. Default 2 MiB. */
  budgetBytes?: number;
  /** Prior weight of the network's distribution in each order's smoothed counts. Default 0.5. */
  alpha?: number;
  /** Step size of the mixture scores. Default 0.5 (tuned with npm run eval -- --adapt: 0.05 to 2 tried). */
  rate?: number;
  /** Longest context, in characters (1 to MAX_ORDER). Default 8. */
  order?: number;
  /** Step size of the logit biases: biasRate + biasBoost / (1 + how often the context was seen), high while a context is new. Defaults 0.05 and 0.3. */
  biasRate?: number;
  biasBoost?: number;
}

/** FNV-1a over the order and the indices of a context (ids[end - order, end)): two independent 32-bit hashes (slot and check). */
function hashes(order: number, ids: ArrayLike<number>, end: number): [number, number] {
  let a = 0x811c9dc5 ^ order;
  let b = 0x01000193 ^ (order * 0x9e3779b1);
  for (let i = end - order; i < end; i++) {
    a = Math.imul(a ^ ids[i]!, 0x01000193);
    b = Math.imul(b ^ (ids[i]! + 0x7f4a7c15), 0x85ebca6b);
  }
  return [a >>> 0, (b | 1) >>> 0];
}

export class AdaptiveModel {
  readonly #slots: number;
  /** Per slot: the context's check hash (0: empty). */
  readonly #check: Uint32Array;
  /** Per slot, SLOT_SYMBOLS entries: vocabulary index + 1 (0: none), and its count. */
  readonly #symbol: Uint16Array;
  readonly #count: Uint16Array;
  /** Per slot, SLOT_SYMBOLS entries: the logit bias of each remembered character; and, per slot, that of all the others. */
  readonly #bias: Float32Array;
  readonly #rest: Float32Array;
  /** Logit biases for a vocabulary of at most DENSE_V characters: [previous character · DENSE_V + character], and [character]. */
  readonly #pairBias = new Float32Array(DENSE_V * DENSE_V);
  readonly #charBias = new Float32Array(DENSE_V);
  /** Per slot: how often the context was seen (its remembered characters' counts may add up to less: the rest went to characters it forgot). */
  readonly #seen: Uint32Array;
  /** Mixture scores per situation: [expert] (expert 0 is the network, k the order-k counts). */
  readonly #scores = new Map<number, Float64Array>();
  readonly #alpha: number;
  readonly #rate: number;
  readonly #order: number;
  readonly #biasRate: number;
  readonly #biasBoost: number;
  #used = 0;
  /** Scratch of #experts (one call at a time: the worker is single-threaded). */
  readonly #experts = new Int32Array(MAX_ORDER + 1);
  readonly #totals = new Float64Array(MAX_ORDER + 1);
  readonly #weights = new Float64Array(MAX_ORDER + 1);
  readonly #pk = new Float64Array(MAX_ORDER + 1);
  /** Scratch of #biases (grows with the vocabulary). */
  #logBias = new Float64Array(DENSE_V);

  constructor(options: AdaptiveOptions = {}) {
    this.#slots = slotsFor(options.budgetBytes);
    this.#check = new Uint32Array(this.#slots);
    this.#symbol = new Uint16Array(this.#slots * SLOT_SYMBOLS);
    this.#count = new Uint16Array(this.#slots * SLOT_SYMBOLS);
    this.#seen = new Uint32Array(this.#slots);
    this.#bias = new Float32Array(this.#slots * SLOT_SYMBOLS);
    this.#rest = new Float32Array(this.#slots);
    this.#alpha = options.alpha ?? 0.5;
    this.#rate = options.rate ?? 1;
    this.#order = Math.min(MAX_ORDER, Math.max(1, options.order ?? 8));
    this.#biasRate = options.biasRate ?? 0.05;
    this.#biasBoost = options.biasBoost ?? 0.3;
  }

  /** Contexts held now. */
  get contexts(): number {
    return this.#used;
  }

  /** Bytes held: the table and the order-0/1 bias arrays (fixed), and the mixture scores. */
  get bytes(): number {
    return tableBytes(this.#slots) + this.#scores.size * 8 * (MAX_ORDER + 1);
  }

  /** The slot of the order-k context ending at `end`, or -1; with `create`, claims one (the less used of its two ways). */
  #slot(order: number, ids: ArrayLike<number>, end: number, create: boolean): number {
    if (end < order) return -1;
    const [h, check] = hashes(order, ids, end);
    const a = (h % (this.#slots >>> 1)) * 2;
    if (this.#check[a] === check) return a;
    if (this.#check[a + 1] === check) return a + 1;
    if (!create) return -1;
    const s = this.#seen[a]! <= this.#seen[a + 1]! ? a : a + 1;
    if (this.#check[s] === 0) this.#used++;
    this.#check[s] = check;
    this.#seen[s] = 0;
    this.#symbol.fill(0, s * SLOT_SYMBOLS, (s + 1) * SLOT_SYMBOLS);
    this.#count.fill(0, s * SLOT_SYMBOLS, (s + 1) * SLOT_SYMBOLS);
    this.#bias.fill(0, s * SLOT_SYMBOLS, (s + 1) * SLOT_SYMBOLS);
    this.#rest[s] = 0;
    return s;
  }

  /** The share of the order's expert that follows the network: the prior's, and that of characters the slot forgot. */
  #netShare(s: number, total: number): number {
    return (this.#alpha + this.#leftover(s, total)) / (total + this.#alpha);
  }

  /** How many of the context's characters went to followers its slot no longer keeps. */
  #leftover(s: number, total: number): number {
    let kept = 0;
    for (let j = s * SLOT_SYMBOLS; j < (s + 1) * SLOT_SYMBOLS; j++) kept += this.#count[j]!;
    return Math.max(0, total - kept);
  }

  #countOf(s: number, id: number): number {
    for (let j = s * SLOT_SYMBOLS; j < (s + 1) * SLOT_SYMBOLS; j++) if (this.#symbol[j] === id + 1) return this.#count[j]!;
    return 0;
  }

  /**
   * Finds the experts of the context ids[0, end) (into #experts, #totals) and
   * their mixture weights (into #weights); returns the situation, or -1 when
   * no context has been seen (the network alone).
   */
  #situate(ids: ArrayLike<number>, end: number, create: boolean): number {
    const experts = this.#experts.fill(-1);
    const totals = this.#totals.fill(0);
    let longest = 0;
    for (let k = 1; k <= this.#order; k++) {
      const s = this.#slot(k, ids, end, false);
      if (s < 0) continue;
      const n = this.#seen[s]!;
      if (n === 0) continue;
      experts[k] = s;
      totals[k] = n;
      longest = k;
    }
    if (longest === 0) return -1;
    const situation = longest * 16 + bucket(totals[longest]!);
    let scores = this.#scores.get(situation);
    if (!scores) {
      // Start by trusting longer contexts a little more than the network.
      scores = new Float64Array(MAX_ORDER + 1);
      for (let k = 1; k <= MAX_ORDER; k++) scores[k] = -1 + 0.2 * k;
      if (create) this.#scores.set(situation, scores);
    }
    const weights = this.#weights.fill(0);
    let max = scores[0]!;
    for (let k = 1; k <= MAX_ORDER; k++) if (experts[k]! >= 0 && scores[k]! > max) max = scores[k]!;
    let z = 0;
    for (let k = 0; k <= MAX_ORDER; k++) {
      if (k > 0 && experts[k]! < 0) continue;
      weights[k] = Math.exp(scores[k]! - max);
      z += weights[k]!;
    }
    for (let k = 0; k <= MAX_ORDER; k++) weights[k]! /= z;
    return situation;
  }

  /**
   * The logit bias of each character after ids[0, end), for the contexts
   * found by #situate, into #logBias: the order-0/1 arrays' (dense
   * vocabularies), plus for each remembered character of a context of
   * orders 2 (1 for a large vocabulary) to BIAS_ORDER its bias minus the
   * others' (the others' bias is added to every character not remembered, so
   * up to normalisation only the difference counts). q(c) ∝ p_net(c)·exp(b(c)).
   */
  #biases(ids: ArrayLike<number>, end: number, V: number): Float64Array {
    if (this.#logBias.length < V) this.#logBias = new Float64Array(V);
    const b = this.#logBias;
    const dense = V <= DENSE_V;
    if (dense) {
      const o = end >= 1 ? ids[end - 1]! * DENSE_V : -1;
      for (let i = 0; i < V; i++) b[i] = this.#charBias[i]! + (o >= 0 ? this.#pairBias[o + i]! : 0);
    } else b.fill(0, 0, V);
    for (let k = dense ? 2 : 1; k <= BIAS_ORDER; k++) {
      const s = this.#experts[k]!;
      if (s < 0) continue;
      const rest = this.#rest[s]!;
      for (let j = s * SLOT_SYMBOLS; j < (s + 1) * SLOT_SYMBOLS; j++) {
        const id = this.#symbol[j]!;
        if (id && id <= V) b[id - 1] = b[id - 1]! + (this.#bias[j]! - rest);
      }
    }
    return b;
  }

  /** The corrected network q(c) ∝ p_net(c)·exp(b(c)) (see #biases), a new array. */
  #corrected(net: Float64Array, ids: ArrayLike<number>, end: number): Float64Array {
    const V = net.length;
    const b = this.#biases(ids, end, V);
    const q = new Float64Array(V);
    let z = 0;
    for (let i = 0; i < V; i++) z += q[i] = b[i] !== 0 ? net[i]! * Math.exp(b[i]!) : net[i]!;
    for (let i = 0; i < V; i++) q[i]! /= z;
    return q;
  }

  /** The weight of q in the mixture: its own, and the share of each count expert that follows it. */
  #netWeight(): number {
    let w = this.#weights[0]!;
    for (let k = 1; k <= MAX_ORDER; k++) {
      const s = this.#experts[k]!;
      if (s >= 0) w += this.#weights[k]! * this.#netShare(s, this.#totals[k]!);
    }
    return w;
  }

  /** Calls add(index, mass) for each remembered character of each count expert found by #situate: its weighted count. */
  #countMass(V: number, add: (i: number, mass: number) => void): void {
    for (let k = 1; k <= MAX_ORDER; k++) {
      const s = this.#experts[k]!;
      if (s < 0) continue;
      const w = this.#weights[k]! / (this.#totals[k]! + this.#alpha);
      for (let j = s * SLOT_SYMBOLS; j < (s + 1) * SLOT_SYMBOLS; j++) {
        const id = this.#symbol[j]!;
        if (id && id <= V) add(id - 1, w * this.#count[j]!);
      }
    }
  }

  /**
   * The distribution of the character after ids[0, end): the network's
   * (`net`, probabilities over the vocabulary) corrected and mixed with what
   * the committed text says. Returns `net` itself when no context has been
   * seen, else a new array.
   */
  mix(ids: ArrayLike<number>, end: number, net: Float64Array): Float64Array {
    if (this.#situate(ids, end, false) < 0) return net;
    const q = this.#corrected(net, ids, end);
    const netWeight = this.#netWeight();
    for (let i = 0; i < q.length; i++) q[i]! *= netWeight;
    this.#countMass(q.length, (i, mass) => (q[i]! += mass));
    return q;
  }

  /**
   * mix() in the log domain, in place, for a caller that works with log
   * probabilities (the beam search): `lp` holds the network's; on return, the
   * mixture's. False (and `lp` untouched) when no context has been seen.
   * One exp per character (the normaliser) and a log per character the
   * counts remember, where mix() followed by log costs two exps and a log
   * per character.
   */
  mixLog(ids: ArrayLike<number>, end: number, lp: Float64Array): boolean {
    if (this.#situate(ids, end, false) < 0) return false;
    const V = lp.length;
    const b = this.#biases(ids, end, V);
    let z = 0;
    for (let i = 0; i < V; i++) z += Math.exp(lp[i]! + b[i]!);
    // log(netWeight · q(c)) = lp(c) + b(c) − log z + log netWeight, then the counts' mass added where they have some.
    const shift = Math.log(this.#netWeight()) - Math.log(z);
    for (let i = 0; i < V; i++) lp[i] = lp[i]! + b[i]! + shift;
    this.#countMass(V, (i, mass) => {
      lp[i] = Math.log(Math.exp(lp[i]!) + mass);
    });
    return true;
  }

  /**
   * Learns that ids[end] followed ids[0, end) in committed text: first the
   * mixture scores (a gradient step on the log loss of what the mixture gave
   * it, from `net`, the network's distribution there; null when it is not
   * known, as after a paste read without the head: then the counts only),
   * then the biases (a gradient step on the log loss of the corrected
   * network), then the counts (a character new to a context starts from the
   * others' bias).
   */
  learn(ids: ArrayLike<number>, end: number, net: Float64Array | null): void {
    const next = ids[end]!;
    const known = net !== null && net[next]! > 0;
    const situation = known ? this.#situate(ids, end, true) : -1;
    // The corrected network before this character (the network itself where no context was seen).
    const q = situation >= 0 ? this.#corrected(net!, ids, end) : known ? net : null;
    if (situation >= 0 && q) {
      const qy = q[next]!;
      const experts = this.#experts;
      const totals = this.#totals;
      const weights = this.#weights;
      const pk = this.#pk.fill(0);
      pk[0] = qy;
      let p = weights[0]! * qy;
      for (let k = 1; k <= MAX_ORDER; k++) {
        const s = experts[k]!;
        if (s < 0) continue;
        pk[k] = (this.#countOf(s, next) + (this.#alpha + this.#leftover(s, totals[k]!)) * qy) / (totals[k]! + this.#alpha);
        p += weights[k]! * pk[k]!;
      }
      const scores = this.#scores.get(situation)!;
      for (let k = 0; k <= MAX_ORDER; k++) {
        if (k > 0 && experts[k]! < 0) continue;
        // d(log p)/d score_k = w_k (p_k / p - 1)
        scores[k]! += this.#rate * weights[k]! * (pk[k]! / p - 1);
      }
      this.#learnBias(next, q);
    }
    // The arrays of orders 0 and 1 learn from every character whose network is known.
    if (q && q.length <= DENSE_V) this.#learnDense(ids, end, next, q);
    const fresh = this.#count1(ids, end, next);
    // A context seen for the first time learns too (its first step is the largest): its slot now holds next alone, bias 0 like the others'.
    if (fresh && known && q) {
      const step = (this.#biasRate + this.#biasBoost) * (1 - q[next]!);
      for (let k = q.length <= DENSE_V ? 2 : 1; k <= BIAS_ORDER; k++) {
        if (!(fresh & (1 << k))) continue;
        const s = this.#slot(k, ids, end, false);
        if (s < 0) continue;
        for (let j = s * SLOT_SYMBOLS; j < (s + 1) * SLOT_SYMBOLS; j++) if (this.#symbol[j] === next + 1) this.#bias[j] = step;
        this.#rest[s] = -step;
      }
    }
  }

  /**
   * A gradient step on −log q(next) for the biases of the contexts found by
   * #situate (orders 1..BIAS_ORDER): d/d b(c) = 1[c = next] − q(c) for a
   * remembered c, and the sum of that over the others for their shared bias.
   * The step is larger while the context is new.
   */
  #learnBias(next: number, q: Float64Array): void {
    const V = q.length;
    for (let k = V <= DENSE_V ? 2 : 1; k <= BIAS_ORDER; k++) {
      const s = this.#experts[k]!;
      if (s < 0) continue;
      const r = this.#biasRate + this.#biasBoost / (1 + this.#totals[k]!);
      let others = 1;
      let found = false;
      for (let j = s * SLOT_SYMBOLS; j < (s + 1) * SLOT_SYMBOLS; j++) {
        const id = this.#symbol[j]!;
        if (!id) continue;
        const c = id - 1;
        const qc = c < V ? q[c]! : 0;
        others -= qc;
        if (c === next) found = true;
        this.#bias[j] = this.#bias[j]! + r * ((c === next ? 1 : 0) - qc);
      }
      this.#rest[s] = this.#rest[s]! + r * ((found ? 0 : 1) - Math.max(0, others));
    }
  }

  /** A gradient step on −log q(next) for the order-1 biases after ids[end − 1] (step size as a slot's) and the order-0 biases. */
  #learnDense(ids: ArrayLike<number>, end: number, next: number, q: Float64Array): void {
    const V = q.length;
    if (end >= 1) {
      const o = ids[end - 1]! * DENSE_V;
      // How often the order-1 context was seen before (as #situate found it; 0 when it found none).
      const seen = this.#experts[1]! >= 0 ? this.#totals[1]! : 0;
      const r = this.#biasRate + this.#biasBoost / (1 + seen);
      for (let i = 0; i < V; i++) this.#pairBias[o + i] = this.#pairBias[o + i]! + r * ((i === next ? 1 : 0) - q[i]!);
    }
    for (let i = 0; i < V; i++) this.#charBias[i] = this.#charBias[i]! + UNIGRAM_RATE * ((i === next ? 1 : 0) - q[i]!);
  }

  /** Counts ids[end] after each of its contexts ids[end - k, end), k = 1..order; returns a bit (1 << k) per context seen for the first time. */
  #count1(ids: ArrayLike<number>, end: number, next: number): number {
    let fresh = 0;
    for (let k = 1; k <= this.#order; k++) {
      const s = this.#slot(k, ids, end, true);
      if (s < 0) break;
      let at = -1;
      let least = s * SLOT_SYMBOLS;
      for (let j = s * SLOT_SYMBOLS; j < (s + 1) * SLOT_SYMBOLS; j++) {
        if (this.#symbol[j] === next + 1) at = j;
        if (this.#count[j]! < this.#count[least]!) least = j;
      }
      if (at < 0) {
        at = least;
        this.#symbol[at] = next + 1;
        this.#count[at] = 0;
        // Until now it was one of the others.
        this.#bias[at] = this.#rest[s]!;
      }
      if (this.#count[at] === 0xffff || this.#seen[s] === 0xffffffff) {
        for (let j = s * SLOT_SYMBOLS; j < (s + 1) * SLOT_SYMBOLS; j++) this.#count[j] = this.#count[j]! >>> 1;
        this.#seen[s] = this.#seen[s]! >>> 1;
      }
      if (this.#seen[s] === 0) fresh |= 1 << k;
      this.#count[at]!++;
      this.#seen[s]!++;
    }
    return fresh;
  }

  /** Forgets everything learned. */
  clear(): void {
    this.#check.fill(0);
    this.#symbol.fill(0);
    this.#count.fill(0);
    this.#seen.fill(0);
    this.#bias.fill(0);
    this.#rest.fill(0);
    this.#pairBias.fill(0);
    this.#charBias.fill(0);
    this.#scores.clear();
    this.#used = 0;
  }

  /** Everything learned, as plain typed arrays (structured-cloneable: what IndexedDB keeps). */
  snapshot(): AdaptiveSnapshot {
    return {
      slots: this.#slots,
      check: this.#check.slice(),
      symbol: this.#symbol.slice(),
      count: this.#count.slice(),
      seen: this.#seen.slice(),
      bias: this.#bias.slice(),
      rest: this.#rest.slice(),
      pairBias: this.#pairBias.slice(),
      charBias: this.#charBias.slice(),
      scores: [...this.#scores].map(([situation, v]) => [situation, Array.from(v)]),
    };
  }

  /** Takes back a snapshot of a model of the same size; false (and nothing changed) when it does not fit. */
  restore(snap: AdaptiveSnapshot): boolean {
    const n = this.#slots;
    const ok =
      snap?.slots === n &&
      snap.check instanceof Uint32Array && snap.check.length === n &&
      snap.seen instanceof Uint32Array && snap.seen.length === n &&
      snap.symbol instanceof Uint16Array && snap.symbol.length === n * SLOT_SYMBOLS &&
      snap.count instanceof Uint16Array && snap.count.length === n * SLOT_SYMBOLS &&
      snap.bias instanceof Float32Array && snap.bias.length === n * SLOT_SYMBOLS && snap.bias.every(Number.isFinite) &&
      snap.rest instanceof Float32Array && snap.rest.length === n && snap.rest.every(Number.isFinite) &&
      snap.pairBias instanceof Float32Array && snap.pairBias.length === DENSE_V * DENSE_V && snap.pairBias.every(Number.isFinite) &&
      snap.charBias instanceof Float32Array && snap.charBias.length === DENSE_V && snap.charBias.every(Number.isFinite) &&
      Array.isArray(snap.scores) &&
      snap.scores.every((e) => Array.isArray(e) && Number.isInteger(e[0]) && Array.isArray(e[1]) && e[1].length === MAX_ORDER + 1 && e[1].every(Number.isFinite));
    if (!ok) return false;
    this.#check.set(snap.check);
    this.#symbol.set(snap.symbol);
    this.#count.set(snap.count);
    this.#seen.set(snap.seen);
    this.#bias.set(snap.bias);
    this.#rest.set(snap.rest);
    this.#pairBias.set(snap.pairBias);
    this.#charBias.set(snap.charBias);
    this.#scores.clear();
    for (const [situation, v] of snap.scores) this.#scores.set(situation, Float64Array.from(v));
    let used = 0;
    for (let s = 0; s < n; s++) if (this.#check[s] !== 0) used++;
    this.#used = used;
    return true;
  }
}

/** What AdaptiveModel.snapshot() gives and restore() takes. */
export interface AdaptiveSnapshot {
  slots: number;
  check: Uint32Array;
  symbol: Uint16Array;
  count: Uint16Array;
  seen: Uint32Array;
  bias: Float32Array;
  rest: Float32Array;
  pairBias: Float32Array;
  charBias: Float32Array;
  scores: [number, number[]][];
}

/** Slots a table of `budgetBytes` holds (even: two ways per hash), beside the order-0/1 bias arrays. */
export function slotsFor(budgetBytes = 2 * 1024 * 1024): number {
  return Math.max(256, Math.floor((budgetBytes - DENSE_BYTES) / SLOT_BYTES) & ~1);
}

/** Bytes of a table of `slots` slots, with the order-0/1 bias arrays. */
export const tableBytes = (slots: number): number => slots * SLOT_BYTES + DENSE_BYTES;
