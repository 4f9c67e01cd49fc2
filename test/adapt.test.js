// worker/adapt/mixer.ts against a plain-JS reference of the same mixture
// (unbounded maps, exact counts): on a text whose contexts never have more
// followers than a slot keeps, the hashed, fixed-size table must give the
// reference's probabilities; and what the user typed becomes likelier.
import { assert, assertEqual } from './helpers.js';

/**
 * The model written out plainly (for a vocabulary of at most 128
 * characters): orders 1..order of counts; the network corrected by logit
 * biases learned by gradient steps: one per character (order 0), one per
 * character after each character (order 1), and per context of orders 2..5
 * one per character seen after it and one shared by the others; the
 * corrected network and the counts smoothed towards it mixed with softmax
 * weights per situation. The model keeps biases as float32: so does this
 * (Math.fround on every store).
 */
class Reference {
  constructor({ alpha = 0.5, rate = 1, order = 8, biasRate = 0.05, biasBoost = 0.3 } = {}) {
    Object.assign(this, { alpha, rate, order, biasRate, biasBoost, contexts: new Map(), history: [], scores: new Map(), last: null });
    this.charBias = new Map(); // character → bias (0 when absent)
    this.pairBias = new Map(); // previous character → Map(character → bias)
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
    // q(c) ∝ net(c)·exp(b_0(c) + b_1(c) + Σ_k b_k(c)), k = 2..5 where the context was seen.
    const biased = experts.slice(2, 6).filter((c) => c !== null);
    const pair = this.history.length ? this.pairBias.get(this.history.at(-1)) : undefined;
    const q = net.map((p, i) => p * Math.exp((this.charBias.get(i) ?? 0) + (pair?.get(i) ?? 0) + biased.reduce((a, c) => a + (c.bias.get(i) ?? c.rest), 0)));
    const zq = q.reduce((a, b) => a + b, 0);
    for (let i = 0; i < q.length; i++) q[i] /= zq;
    const expert = (k, i) => (k === 0 ? q[i] : ((experts[k].next.get(i) ?? 0) + this.alpha * q[i]) / (experts[k].total + this.alpha));
    const mixed = new Float64Array(net.length);
    for (let i = 0; i < net.length; i++) for (let k = 0; k <= 8; k++) if (live[k]) mixed[i] += w[k] * expert(k, i);
    this.last = { situation, w, live, expert, mixed, q, biased };
    return mixed;
  }
  learn(next, net) {
    const l = this.last;
    if (l && l.situation >= 0) {
      const s = this.scores.get(l.situation);
      for (let k = 0; k <= 8; k++) if (l.live[k]) s[k] += this.rate * l.w[k] * (l.expert(k, next) / l.mixed[next] - 1);
      // d(-log q(next))/d b(c) = q(c) - 1[c = next]; the shared bias gets the sum over the characters it stands for.
      for (const c of l.biased) {
        const r = this.biasRate + this.biasBoost / (1 + c.total);
        let others = 1;
        for (const [i, b] of c.bias) {
          others -= l.q[i];
          c.bias.set(i, Math.fround(b + r * ((i === next ? 1 : 0) - l.q[i])));
        }
        c.rest = Math.fround(c.rest + r * ((c.bias.has(next) ? 0 : 1) - others));
      }
    }
    const q = l && l.situation >= 0 ? l.q : net;
    // Orders 0 and 1: every character's bias takes its step.
    const r1 = this.biasRate + this.biasBoost / (1 + (this.key(1) !== null ? (this.contexts.get(this.key(1))?.total ?? 0) : 0));
    for (let i = 0; i < net.length; i++) {
      const g = (i === next ? 1 : 0) - q[i];
      if (this.history.length) {
        const prev = this.history.at(-1);
        if (!this.pairBias.has(prev)) this.pairBias.set(prev, new Map());
        const row = this.pairBias.get(prev);
        row.set(i, Math.fround((row.get(i) ?? 0) + r1 * g));
      }
      this.charBias.set(i, Math.fround((this.charBias.get(i) ?? 0) + 0.02 * g));
    }
    for (let k = 1; k <= this.order && this.history.length >= k; k++) {
      const key = this.key(k);
      const fresh = !this.contexts.has(key);
      if (fresh) this.contexts.set(key, { total: 0, next: new Map(), bias: new Map(), rest: 0 });
      const c = this.contexts.get(key);
      c.total++;
      c.next.set(next, (c.next.get(next) ?? 0) + 1);
      // A character new to a context starts from the others' bias.
      if (!c.bias.has(next)) c.bias.set(next, c.rest);
      // A context seen for the first time takes its first step too: next up, the others down.
      if (fresh && k >= 2 && k <= 5) {
        const step = (this.biasRate + this.biasBoost) * (1 - q[next]);
        c.bias.set(next, Math.fround(step));
        c.rest = Math.fround(-step);
      }
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
      const a = ours.mix(ids, t, net);
      const b = ref.mix(net);
      for (let i = 0; i < V; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
      ours.learn(ids, t, net);
      ref.learn(ids[t], net);
    }
    assert(worst < 1e-12, `max abs difference from the reference: ${worst}`);
  });

  it('mixLog (the beam search\'s, in the log domain) equals the log of mix, for a small and a large vocabulary', async () => {
    for (const V of [40, 150]) {
      // V = 150 has no order-0/1 arrays: its order-1 biases live in the slots.
      const ids = Array.from({ length: 3000 }, (_, t) => ((t * 7) % 13 === 0 ? (t * 31) % V : (t % 9) + 1));
      const ours = new AdaptiveModel({ budgetBytes: 256 * 1024 });
      let worst = 0;
      let mixed = 0;
      for (let t = 0; t < ids.length; t++) {
        const net = networkAt(t, V);
        const p = ours.mix(ids, t, net);
        const lp = Float64Array.from(net, Math.log);
        const changed = ours.mixLog(ids, t, lp);
        assertEqual(changed, p !== net, `at ${t}: mixLog changes lp exactly when mix changes the distribution`);
        if (changed) mixed++;
        for (let i = 0; i < V; i++) worst = Math.max(worst, Math.abs(Math.exp(lp[i]) - p[i]));
        ours.learn(ids, t, net);
      }
      assert(mixed > 2500, `V=${V}: mixed at ${mixed} of ${ids.length} positions`);
      assert(worst < 1e-12, `V=${V}: max abs difference of exp(mixLog) from mix: ${worst}`);
    }
  });

  it('what was typed becomes likelier, memory stays within its budget, and clear() forgets', async () => {
    const V = 60;
    const word = [7, 21, 30, 12, 40, 9, 3]; // a name the network gives no special chance
    const ours = new AdaptiveModel({ budgetBytes: 256 * 1024 });
    const net = new Float64Array(V).fill(1 / V);
    const text = [];
    const feed = (ids) => ids.forEach((i) => (text.push(i), ours.learn(text, text.length - 1, net)));
    for (let r = 0; r < 3; r++) feed([1, ...word, 1, 5, 6, 1]);
    feed([1, word[0], word[1]]);
    const p = ours.mix(text, text.length, net);
    assert(p[word[2]] > 10 / V, `after its first two letters, the name's third is likely: ${p[word[2]]} vs ${1 / V} from the network`);
    assertEqual(p.reduce((a, b) => a + b, 0).toFixed(9), '1.000000000', 'a distribution');
    assert(ours.bytes <= 256 * 1024 + 9 * 8 * 64, `memory within the budget: ${ours.bytes}`);
    const noise = Array.from({ length: 20000 }, (_, t) => (t * 7919) % V);
    for (let t = 0; t < noise.length; t++) ours.learn(noise, t, net);
    assert(ours.bytes <= 256 * 1024 + 9 * 8 * 64, `still within it after 20,000 characters: ${ours.bytes}`);
    const snap = ours.snapshot();
    const copy = new AdaptiveModel({ budgetBytes: 256 * 1024 });
    assert(copy.restore(snap), 'a snapshot goes back into a model of the same size');
    const again = copy.mix(text, text.length, net);
    assert(again.every((v, i) => v === ours.mix(text, text.length, net)[i]), 'and predicts the same');
    assert(!new AdaptiveModel({ budgetBytes: 128 * 1024 }).restore(snap), 'not into one of another size');
    ours.clear();
    assertEqual(ours.contexts, 0, 'nothing kept');
    assert(ours.mix(text, text.length, net) === net, 'the network\'s distribution, untouched');
  });
});

describe('what adaptation learns from (worker/adapt/commit.ts, words.ts, index.ts)', () => {
  let CommitTracker, UserWords, unionWords, Adaptation, vocabView;
  before(async () => {
    ({ CommitTracker, UserWords, unionWords, Adaptation, vocabView } = await import('/__units/adapt.js'));
  });

  // A small vocabulary: index 0 unknown, then these characters.
  const CHARS = [...' .,abcdefghijklmnopqrstuvwxyzKO'];
  const vocab = [0, ...CHARS.map((c) => c.codePointAt(0))];
  const enc = (s) => Array.from(s, (c) => CHARS.indexOf(c) + 1);
  const dec = (ids) => ids.map((i) => CHARS[i - 1]).join('');

  /** A field: each call is the text before the caret after one edit; returns the texts committed, in order. */
  function typeInto(texts, { leaveAtEnd = false } = {}) {
    const { wordChar } = vocabView(vocab);
    const t = new CommitTracker(wordChar);
    let prev = [];
    const out = [];
    for (const text of texts) {
      const ids = enc(text);
      let common = 0;
      while (common < Math.min(prev.length, ids.length) && prev[common] === ids[common]) common++;
      const c = t.edit(prev.length, ids, ids.length, common);
      if (c) out.push(dec(c.ids.slice(c.offset)));
      prev = ids;
    }
    if (leaveAtEnd) {
      const c = t.leave(prev, prev.length);
      if (c) out.push(dec(c.ids.slice(c.offset)));
    }
    return out;
  }
  /** Every prefix of s, as typed one key at a time. */
  const keys = (s, from = '') => Array.from({ length: s.length - from.length }, (_, i) => s.slice(0, from.length + i + 1));

  it('commits a word once the edit after its boundary comes, never an unfinished word', () => {
    assertEqual(JSON.stringify(typeInto(keys('hello world'))), JSON.stringify(['hello ']), 'the word after the boundary is not committed');
    assertEqual(JSON.stringify(typeInto(keys('hello world '))), JSON.stringify(['hello ']), 'the space alone has not been outlived yet');
    assertEqual(JSON.stringify(typeInto(keys('hello world x'))), JSON.stringify(['hello ', 'world ']), 'the next key commits it');
    // "Okonkwo" typed, then deleted letter by letter before it was finished, then other text.
    const deleted = [...keys('say Okonkw'), 'say Okonk', 'say Okon', 'say Oko', 'say Ok', 'say O', 'say ', ...keys('say hi there', 'say ')];
    const got = typeInto(deleted);
    assert(!got.join('').includes('Oko'), `the deleted word teaches nothing: ${JSON.stringify(got)}`);
    assertEqual(got.join(''), 'say hi ', 'what stayed is committed');
  });

  it('a paste undone at the next edit teaches nothing; one kept is learned; leaving the field commits to its last boundary', () => {
    const undone = typeInto(['a', 'a ', 'a pasted words here. ', 'a ', 'a b']);
    assert(!undone.join('').includes('pasted'), `an undone paste: ${JSON.stringify(undone)}`);
    const kept = typeInto(['a', 'a ', 'a pasted words here. ', 'a pasted words here. x']);
    assertEqual(kept.join(''), 'a pasted words here. ', 'a paste the user typed after is committed');
    assertEqual(typeInto(keys('see you Okonkwo. ok'), { leaveAtEnd: true }).join(''), 'see you Okonkwo. ', 'leaving commits up to the boundary, not the unfinished word');
  });

  it('knows the network\'s probability of each character typed at the end, and not of pasted ones', () => {
    const { wordChar } = vocabView(vocab);
    const t = new CommitTracker(wordChar);
    const V = vocab.length;
    const ids = enc('ab c');
    const net = new Float64Array(V).fill(1 / (2 * V));
    let prev = 0;
    const commits = [];
    for (let n = 1; n <= ids.length; n++) {
      net[ids[n - 1]] = 0.1 * n; // what the prediction before the n-th character gave it
      if (n > 1) t.predicted(prev, net.slice()); // an empty field shows no prediction
      commits.push(t.edit(prev, ids, n, prev));
      net[ids[n - 1]] = 1 / (2 * V);
      prev = n;
    }
    assertEqual(commits.filter(Boolean).length, 1, 'one commit: when "c" came after "ab "');
    const c = commits[3];
    assertEqual(dec(c.ids.slice(c.offset)), 'ab ', 'committed');
    const pNet = c.nets.map((d, j) => (d === null ? null : +d[ids[j]].toFixed(3)));
    assertEqual(JSON.stringify(pNet), JSON.stringify([null, 0.2, 0.3]), 'no prediction came before the first');
  });

  it('keeps the user\'s new words within a budget, and a union of lists knows both', () => {
    const words = new UserWords(2000);
    for (const w of ['Okonkwo', 'Okafor', 'Kubernetes']) words.add(w);
    assertEqual(JSON.stringify([...words.next('Ok').chars].sort()), JSON.stringify(['a', 'o']), 'what may follow Ok');
    assert(words.next('Okonkwo').word, 'a word');
    assertEqual(words.next('Oz'), null, 'no word starts so');
    for (let i = 0; i < 200; i++) words.add(`w${i}x`);
    assert(words.bytes <= 2000, `within the budget: ${words.bytes}`);
    const base = { next: (w) => ('Okay'.startsWith(w) ? { word: w === 'Okay', chars: new Set(w.length < 4 ? ['Okay'[w.length]] : []) } : null) };
    const both = unionWords(base, words);
    words.add('Okonkwo');
    assertEqual(JSON.stringify([...both.next('Ok').chars].sort()), JSON.stringify(['a', 'o']), 'the model\'s words and the user\'s (the rarely used went first)');
  });

  it('learns committed words the model lacks, in chunks, and forgets them', () => {
    const a = new Adaptation(256 * 1024);
    const view = vocabView(vocab);
    const known = { next: (w) => (w === 'see' ? { word: true, chars: new Set() } : null) };
    const ids = enc('see you Okonkwo. ');
    a.enqueue({ ids, offset: 0, nets: ids.map(() => null) }, view, known);
    assert(a.drain(5), 'five characters learned, more queued');
    assert(!a.drain(1000), 'the rest');
    assert(a.words.has('Okonkwo') && a.words.has('you'), 'the new words are kept');
    assert(!a.words.has('see'), 'a word the model knows is not');
    assertEqual(a.learnedChars, ids.length, 'every committed character');
    a.clear();
    assertEqual(a.words.size + a.mixer.contexts, 0, 'forgotten');
  });
});
