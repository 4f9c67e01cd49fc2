// Learning from the user's own text, as they type it: a count model of the
// text read so far (character contexts of orders 1 to MAX_ORDER, over
// vocabulary indices) mixed with the network's distribution. No tensors: it
// runs beside the network in the worker and in tools/eval.ts alike.
//
// Each order k whose context has been seen is an expert whose distribution
// is its counts smoothed towards the network's (a Dirichlet prior with the
// network as base measure): (n(c) + α·p_net(c)) / (n + α). The network is an
// expert too. Their mixture weights are a softmax over scores kept per
// "situation" (the longest order seen, and how often its context was seen),
// learned online by gradient steps on the log loss of each character, as
// context-mixing compressors learn theirs. A context never seen leaves the
// network's distribution untouched.

export const MAX_ORDER = 8;
/** Buckets of a context's count that pick a set of mixture scores. */
const COUNT_BUCKETS = [1, 2, 4, 8, 16, 64];

function bucket(n: number): number {
  let b = 0;
  while (b < COUNT_BUCKETS.length && n >= COUNT_BUCKETS[b]!) b++;
  return b;
}

/** Counts of what followed one context. */
interface Counts {
  total: number;
  next: Map<number, number>;
}

export interface AdaptiveOptions {
  /** Most contexts kept (memory bound); the oldest are dropped first. Default 50,000 (about 2 MB). */
  maxContexts?: number;
  /** Prior weight of the network's distribution in each order's smoothed counts. Default 0.5. */
  alpha?: number;
  /** Step size of the mixture scores. Default 0.5 (tuned with npm run eval -- --adapt: 0.05 to 2 tried). */
  rate?: number;
  /** Longest context, in characters (1 to MAX_ORDER). Default MAX_ORDER. */
  order?: number;
}

export class AdaptiveModel {
  /** Context key (order and indices) → counts; insertion order is age, for eviction. */
  readonly #contexts = new Map<string, Counts>();
  /** The last MAX_ORDER indices read. */
  #history: number[] = [];
  /** Mixture scores per situation: [expert] (expert 0 is the network, k the order-k counts). */
  readonly #scores = new Map<number, Float64Array>();
  readonly #maxContexts: number;
  readonly #alpha: number;
  readonly #rate: number;
  readonly #order: number;
  /** The experts of the last mix(), for learn(). */
  #last: { situation: number; experts: (Counts | null)[]; weights: Float64Array; net: Float64Array; mixed: Float64Array } | null = null;

  constructor(options: AdaptiveOptions = {}) {
    this.#maxContexts = options.maxContexts ?? 50_000;
    this.#alpha = options.alpha ?? 0.5;
    this.#rate = options.rate ?? 0.5;
    this.#order = Math.min(MAX_ORDER, Math.max(1, options.order ?? 6));
  }

  get contexts(): number {
    return this.#contexts.size;
  }

  /** Rough bytes held: the contexts, their counts and the scores. */
  get bytes(): number {
    let n = 0;
    for (const [k, c] of this.#contexts) n += 2 * k.length + 64 + 24 * c.next.size;
    return n + this.#scores.size * 8 * (MAX_ORDER + 1);
  }

  #key(order: number): string | null {
    const h = this.#history;
    if (h.length < order) return null;
    return `${order}:${h.slice(h.length - order).join(',')}`;
  }

  /**
   * The next character's distribution: the network's (`net`, probabilities
   * over the vocabulary) mixed with what the text read so far says. Returns
   * a new array; `net` is not changed.
   */
  mix(net: Float64Array): Float64Array {
    const V = net.length;
    const experts: (Counts | null)[] = [null];
    let longest = 0;
    for (let k = 1; k <= MAX_ORDER; k++) {
      const key = k > this.#order ? null : this.#key(k);
      const c = key === null ? undefined : this.#contexts.get(key);
      experts.push(c ?? null);
      if (c) longest = k;
    }
    if (longest === 0) {
      this.#last = { situation: -1, experts, weights: new Float64Array(0), net, mixed: net };
      return net;
    }
    const situation = longest * 16 + bucket(experts[longest]!.total);
    let scores = this.#scores.get(situation);
    if (!scores) {
      // Start by trusting longer contexts a little more than the network.
      scores = new Float64Array(MAX_ORDER + 1);
      for (let k = 1; k <= MAX_ORDER; k++) scores[k] = experts[k] ? -1 + 0.2 * k : 0;
      this.#scores.set(situation, scores);
    }
    const weights = new Float64Array(MAX_ORDER + 1);
    let max = -Infinity;
    for (let k = 0; k <= MAX_ORDER; k++) if ((k === 0 || experts[k]) && scores[k]! > max) max = scores[k]!;
    let z = 0;
    for (let k = 0; k <= MAX_ORDER; k++) {
      if (k > 0 && !experts[k]) continue;
      weights[k] = Math.exp(scores[k]! - max);
      z += weights[k]!;
    }
    for (let k = 0; k <= MAX_ORDER; k++) weights[k]! /= z;
    const mixed = new Float64Array(V);
    for (let i = 0; i < V; i++) mixed[i] = weights[0]! * net[i]!;
    for (let k = 1; k <= MAX_ORDER; k++) {
      const c = experts[k];
      if (!c) continue;
      const w = weights[k]!;
      const d = c.total + this.#alpha;
      for (let i = 0; i < V; i++) mixed[i] += (w * this.#alpha * net[i]!) / d;
      for (const [i, n] of c.next) mixed[i] += (w * n) / d;
    }
    this.#last = { situation, experts, weights, net, mixed };
    return mixed;
  }

  /** Learns from the character that came (after mix()): the mixture scores, then the counts. */
  learn(next: number): void {
    const last = this.#last;
    if (last && last.situation >= 0) {
      const scores = this.#scores.get(last.situation)!;
      const p = last.mixed[next]!;
      for (let k = 0; k <= MAX_ORDER; k++) {
        if (k > 0 && !last.experts[k]) continue;
        const c = last.experts[k];
        const pk = k === 0 ? last.net[next]! : ((c!.next.get(next) ?? 0) + this.#alpha * last.net[next]!) / (c!.total + this.#alpha);
        // d(-log p)/d score_k = w_k (1 - p_k / p)
        scores[k]! += this.#rate * last.weights[k]! * (pk / p - 1);
      }
    }
    this.#last = null;
    this.observe(next);
  }

  /** Counts a character read (committed text), with no mixing step before it. */
  observe(next: number): void {
    for (let k = 1; k <= this.#order; k++) {
      const key = this.#key(k);
      if (key === null) break;
      let c = this.#contexts.get(key);
      if (!c) {
        c = { total: 0, next: new Map() };
        this.#contexts.set(key, c);
        if (this.#contexts.size > this.#maxContexts) this.#contexts.delete(this.#contexts.keys().next().value!);
      }
      c.total++;
      c.next.set(next, (c.next.get(next) ?? 0) + 1);
    }
    this.#history.push(next);
    if (this.#history.length > MAX_ORDER) this.#history.shift();
  }

  /** Forgets everything learned. */
  clear(): void {
    this.#contexts.clear();
    this.#scores.clear();
    this.#history = [];
    this.#last = null;
  }
}
