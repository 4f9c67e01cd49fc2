// worker/adapt/mixer.ts against a plain-JS reference of the same mixture
// (unbounded maps, exact counts): on a text whose contexts never have more
// followers than a slot keeps, the hashed, fixed-size table must give the
// reference's probabilities; and what the user typed becomes likelier.
import { assert, assertEqual } from './helpers.js';

/** The mixture written out plainly: orders 1..order, counts smoothed towards the network, softmax weights per situation. */
class Reference {
  constructor({ alpha = 0.5, rate = 0.5, order = 6 } = {}) {
    Object.assign(this, { alpha, rate, order, contexts: new Map(), history: [], scores: new Map(), last: null });
  }
  key(k) {
    return this.history.length < k ? null : `${k}:${this.history.slice(-k).join(',')}`;
  }
  mix(net) {
    const experts = [null];
    let longest = 0;
    for (let k = 1; k <= 8; k++) {
      const c = k <= this.order && this.key(k) !== null ? this.contexts.get(this.key(k)) : undefined;
      experts.push(c ?? null);
      if (c) longest = k;
    }
    if (!longest) return (this.last = { situation: -1, net, mixed: net }), net;
    const n = experts[longest].total;
    const bucket = [1, 2, 4, 8, 16, 64].filter((b) => n >= b).length;
    const situation = longest * 16 + bucket;
    if (!this.scores.has(situation)) this.scores.set(situation, Array.from({ length: 9 }, (_, k) => (k === 0 ? 0 : -1 + 0.2 * k)));
    const s = this.scores.get(situation);
    const live = experts.map((c, k) => k === 0 || c !== null);
    const max = Math.max(...s.filter((_, k) => live[k]));
    const raw = s.map((v, k) => (live[k] ? Math.exp(v - max) : 0));
    const z = raw.reduce((a, b) => a + b, 0);
    const w = raw.map((v) => v / z);
    const expert = (k, i) => (k === 0 ? net[i] : ((experts[k].next.get(i) ?? 0) + this.alpha * net[i]) / (experts[k].total + this.alpha));
    const mixed = new Float64Array(net.length);
    for (let i = 0; i < net.length; i++) for (let k = 0; k <= 8; k++) if (live[k]) mixed[i] += w[k] * expert(k, i);
    this.last = { situation, w, live, expert, mixed };
    return mixed;
  }
  learn(next) {
    const l = this.last;
    if (l && l.situation >= 0) {
      const s = this.scores.get(l.situation);
      for (let k = 0; k <= 8; k++) if (l.live[k]) s[k] += this.rate * l.w[k] * (l.expert(k, next) / l.mixed[next] - 1);
    }
    for (let k = 1; k <= this.order && this.history.length >= k; k++) {
      const key = this.key(k);
      if (!this.contexts.has(key)) this.contexts.set(key, { total: 0, next: new Map() });
      const c = this.contexts.get(key);
      c.total++;
      c.next.set(next, (c.next.get(next) ?? 0) + 1);
    }
    this.history.push(next);
  }
}

/** A fixed, made-up network distribution per position (not uniform), from a seeded generator. */
function networkAt(t, V) {
  let x = (t * 2654435761) >>> 0;
  const p = new Float64Array(V);
  for (let i = 0; i < V; i++) {
    x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    p[i] = 0.2 + (x % 1000) / 1000;
  }
  const z = p.reduce((a, b) => a + b, 0);
  return p.map((v) => v / z);
}

describe('adaptive mixer (worker/adapt/mixer.ts)', () => {
  let AdaptiveModel;
  before(async () => {
    ({ AdaptiveModel } = await import('/__units/adapt.js'));
  });

  it('equals the plain reference on a text of at most 6 distinct characters', async () => {
    const V = 12;
    const text = 'abcab acab bacca cabba abc cab abba '.repeat(20);
    const ids = Array.from(text, (ch) => ' abc'.indexOf(ch) + 1);
    const ours = new AdaptiveModel();
    const ref = new Reference();
    let worst = 0;
    for (let t = 0; t < ids.length; t++) {
      const net = networkAt(t, V);
      const a = ours.mix(net);
      const b = ref.mix(net);
      for (let i = 0; i < V; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
      ours.learn(ids[t]);
      ref.learn(ids[t]);
    }
    assert(worst < 1e-12, `max abs difference from the reference: ${worst}`);
  });

  it('what was typed becomes likelier, memory stays within its budget, and clear() forgets', async () => {
    const V = 60;
    const word = [7, 21, 30, 12, 40, 9, 3]; // a name the network gives no special chance
    const ours = new AdaptiveModel({ budgetBytes: 256 * 1024 });
    const net = new Float64Array(V).fill(1 / V);
    const feed = (ids) => ids.forEach((i) => (ours.mix(net), ours.learn(i)));
    for (let r = 0; r < 3; r++) feed([1, ...word, 1, 5, 6, 1]);
    feed([1, word[0], word[1]]);
    const p = ours.mix(net);
    assert(p[word[2]] > 10 / V, `after its first two letters, the name's third is likely: ${p[word[2]]} vs ${1 / V} from the network`);
    assertEqual(p.reduce((a, b) => a + b, 0).toFixed(9), '1.000000000', 'a distribution');
    assert(ours.bytes <= 256 * 1024 + 9 * 8 * 64, `memory within the budget: ${ours.bytes}`);
    for (let t = 0; t < 20000; t++) ours.learn((t * 7919) % V);
    assert(ours.bytes <= 256 * 1024 + 9 * 8 * 64, `still within it after 20,000 characters: ${ours.bytes}`);
    ours.clear();
    assertEqual(ours.contexts, 0, 'nothing kept');
    assert(ours.mix(net) === net, 'the network\'s distribution, untouched');
  });
});
