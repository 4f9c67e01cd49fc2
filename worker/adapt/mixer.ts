// Learning from the user's own text, as they type it: a count model of the
// text read so far (character contexts of orders 1 to 6, over vocabulary
// indices) mixed with the network's distribution. No tensors: it runs beside
// the network in the worker and in tools/eval.ts alike.
//
// Each order k whose context has been seen is an expert whose distribution
// is its counts smoothed towards the network's (a Dirichlet prior with the
// network as base measure): (n(c) + α·p_net(c)) / (n + α). The network is an
// expert too. Their mixture weights are a softmax over scores kept per
// "situation" (the longest order seen, and how often its context was seen),
// learned online by gradient steps on the log loss of each character, as
// context-mixing compressors learn theirs. A context never seen leaves the
// network's distribution untouched.
//
// Memory is fixed: contexts live in a hashed table of slots (two ways per
// hash, the less used one is replaced), each slot keeping the SLOT_SYMBOLS
// characters seen most after it. The table is sized from a byte budget.

export const MAX_ORDER = 8;
/** Characters one context remembers (the least counted is replaced by a new one). */
const SLOT_SYMBOLS = 6;
/** Bytes per slot: a check hash, the context's count, and a symbol and a count per remembered character. */
const SLOT_BYTES = 8 + SLOT_SYMBOLS * 4;
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
  /** Longest context, in characters (1 to MAX_ORDER). Default 6. */
  order?: number;
}

/** FNV-1a over the order and the indices of a context: two independent 32-bit hashes (slot and check). */
function hashes(order: number, h: readonly number[]): [number, number] {
  let a = 0x811c9dc5 ^ order;
  let b = 0x01000193 ^ (order * 0x9e3779b1);
  for (let i = h.length - order; i < h.length; i++) {
    a = Math.imul(a ^ h[i]!, 0x01000193);
    b = Math.imul(b ^ (h[i]! + 0x7f4a7c15), 0x85ebca6b);
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
  /** Per slot: how often the context was seen (its remembered characters' counts may add up to less: the rest went to characters it forgot). */
  readonly #seen: Uint32Array;
  /** The last MAX_ORDER indices read. */
  #history: number[] = [];
  /** Mixture scores per situation: [expert] (expert 0 is the network, k the order-k counts). */
  readonly #scores = new Map<number, Float64Array>();
  readonly #alpha: number;
  readonly #rate: number;
  readonly #order: number;
  #used = 0;
  /** The experts of the last mix() (slot of each order, -1: unseen), for learn(). */
  #last: { situation: number; experts: Int32Array; totals: Float64Array; weights: Float64Array; net: Float64Array; mixed: Float64Array } | null = null;

  constructor(options: AdaptiveOptions = {}) {
    this.#slots = Math.max(1024, Math.floor((options.budgetBytes ?? 2 * 1024 * 1024) / SLOT_BYTES) & ~1);
    this.#check = new Uint32Array(this.#slots);
    this.#symbol = new Uint16Array(this.#slots * SLOT_SYMBOLS);
    this.#count = new Uint16Array(this.#slots * SLOT_SYMBOLS);
    this.#seen = new Uint32Array(this.#slots);
    this.#alpha = options.alpha ?? 0.5;
    this.#rate = options.rate ?? 0.5;
    this.#order = Math.min(MAX_ORDER, Math.max(1, options.order ?? 6));
  }

  /** Contexts held now. */
  get contexts(): number {
    return this.#used;
  }

  /** Bytes held: the table (fixed) and the mixture scores. */
  get bytes(): number {
    return this.#slots * SLOT_BYTES + this.#scores.size * 8 * (MAX_ORDER + 1);
  }

  /** The slot of the order-k context now, or -1; with `create`, claims one (the less used of its two ways). */
  #slot(order: number, create: boolean): number {
    if (this.#history.length < order) return -1;
    const [h, check] = hashes(order, this.#history);
    const a = (h % (this.#slots >>> 1)) * 2;
    for (const s of [a, a + 1]) if (this.#check[s] === check) return s;
    if (!create) return -1;
    const s = this.#seen[a]! <= this.#seen[a + 1]! ? a : a + 1;
    if (this.#check[s] === 0) this.#used++;
    this.#check[s] = check;
    this.#seen[s] = 0;
    this.#symbol.fill(0, s * SLOT_SYMBOLS, (s + 1) * SLOT_SYMBOLS);
    this.#count.fill(0, s * SLOT_SYMBOLS, (s + 1) * SLOT_SYMBOLS);
    return s;
  }

  #total(s: number): number {
    return this.#seen[s]!;
  }

  /** The order-k expert's probability of `id`: its count, plus the prior's and the forgotten characters' share of the network's. */
  #expert(s: number, total: number, id: number, pNet: number): number {
    let kept = 0;
    for (let j = s * SLOT_SYMBOLS; j < (s + 1) * SLOT_SYMBOLS; j++) kept += this.#count[j]!;
    return (this.#countOf(s, id) + (this.#alpha + Math.max(0, total - kept)) * pNet) / (total + this.#alpha);
  }

  #countOf(s: number, id: number): number {
    for (let j = s * SLOT_SYMBOLS; j < (s + 1) * SLOT_SYMBOLS; j++) if (this.#symbol[j] === id + 1) return this.#count[j]!;
    return 0;
  }

  /**
   * The next character's distribution: the network's (`net`, probabilities
   * over the vocabulary) mixed with what the text read so far says. Returns
   * `net` itself when no context has been seen, else a new array.
   */
  mix(net: Float64Array): Float64Array {
    const V = net.length;
    const experts = new Int32Array(MAX_ORDER + 1).fill(-1);
    const totals = new Float64Array(MAX_ORDER + 1);
    let longest = 0;
    for (let k = 1; k <= this.#order; k++) {
      const s = this.#slot(k, false);
      if (s < 0) continue;
      experts[k] = s;
      totals[k] = this.#total(s);
      if (totals[k]! > 0) longest = k;
      else experts[k] = -1;
    }
    if (longest === 0) {
      this.#last = { situation: -1, experts, totals, weights: new Float64Array(0), net, mixed: net };
      return net;
    }
    const situation = longest * 16 + bucket(totals[longest]!);
    let scores = this.#scores.get(situation);
    if (!scores) {
      // Start by trusting longer contexts a little more than the network.
      scores = new Float64Array(MAX_ORDER + 1);
      for (let k = 1; k <= MAX_ORDER; k++) scores[k] = -1 + 0.2 * k;
      this.#scores.set(situation, scores);
    }
    const weights = new Float64Array(MAX_ORDER + 1);
    let max = -Infinity;
    for (let k = 0; k <= MAX_ORDER; k++) if ((k === 0 || experts[k]! >= 0) && scores[k]! > max) max = scores[k]!;
    let z = 0;
    for (let k = 0; k <= MAX_ORDER; k++) {
      if (k > 0 && experts[k]! < 0) continue;
      weights[k] = Math.exp(scores[k]! - max);
      z += weights[k]!;
    }
    for (let k = 0; k <= MAX_ORDER; k++) weights[k]! /= z;
    const mixed = new Float64Array(V);
    let netWeight = weights[0]!;
    for (let k = 1; k <= MAX_ORDER; k++) {
      const s = experts[k]!;
      if (s < 0) continue;
      // The prior's share, and the share of characters this context has forgotten: both follow the network.
      let kept = 0;
      for (let j = s * SLOT_SYMBOLS; j < (s + 1) * SLOT_SYMBOLS; j++) kept += this.#count[j]!;
      netWeight += (weights[k]! * (this.#alpha + Math.max(0, totals[k]! - kept))) / (totals[k]! + this.#alpha);
    }
    for (let i = 0; i < V; i++) mixed[i] = netWeight * net[i]!;
    for (let k = 1; k <= MAX_ORDER; k++) {
      const s = experts[k]!;
      if (s < 0) continue;
      const w = weights[k]! / (totals[k]! + this.#alpha);
      for (let j = s * SLOT_SYMBOLS; j < (s + 1) * SLOT_SYMBOLS; j++) {
        const id = this.#symbol[j]!;
        if (id) mixed[id - 1] += w * this.#count[j]!;
      }
    }
    this.#last = { situation, experts, totals, weights, net, mixed };
    return mixed;
  }

  /** Learns from the character that came (after mix()): the mixture scores, then the counts. */
  learn(next: number): void {
    const last = this.#last;
    if (last && last.situation >= 0) {
      const scores = this.#scores.get(last.situation)!;
      const p = last.mixed[next]!;
      for (let k = 0; k <= MAX_ORDER; k++) {
        const s = last.experts[k]!;
        if (k > 0 && s < 0) continue;
        const pk = k === 0 ? last.net[next]! : this.#expert(s, last.totals[k]!, next, last.net[next]!);
        // d(log p)/d score_k = w_k (p_k / p - 1)
        scores[k]! += this.#rate * last.weights[k]! * (pk / p - 1);
      }
    }
    this.#last = null;
    this.observe(next);
  }

  /** Counts a character read (committed text), with no mixing step before it. */
  observe(next: number): void {
    for (let k = 1; k <= this.#order; k++) {
      const s = this.#slot(k, true);
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
      }
      if (this.#count[at] === 0xffff || this.#seen[s] === 0xffffffff) {
        for (let j = s * SLOT_SYMBOLS; j < (s + 1) * SLOT_SYMBOLS; j++) this.#count[j] = this.#count[j]! >>> 1;
        this.#seen[s] = this.#seen[s]! >>> 1;
      }
      this.#count[at]!++;
      this.#seen[s]!++;
    }
    this.#history.push(next);
    if (this.#history.length > MAX_ORDER) this.#history.shift();
  }

  /** Forgets everything learned. */
  clear(): void {
    this.#check.fill(0);
    this.#symbol.fill(0);
    this.#count.fill(0);
    this.#seen.fill(0);
    this.#scores.clear();
    this.#history = [];
    this.#used = 0;
    this.#last = null;
  }
}
