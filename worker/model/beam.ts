import { clone, dispose, gather, tensor1d, tidy, type Tensor2D, type TensorContainer } from '@tensorflow/tfjs-core';
import type { Completion, CompletionStop } from '../../src/protocol.js';
import { isWordChar } from '../../src/text.js';
import type { LayerState } from '../cells/index.js';
import { logits, stateTensors, step, type Model } from './model.js';

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
}

export { isWordChar };

const SENTENCE_END = new Set(['.', '!', '?']);

interface Beam {
  text: string;
  logp: number;
  words: number;
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
  let beams: Beam[] = [{ text: '', logp: 0, words: 0 }];
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
        // The best beamWidth extensions of each beam are enough to find the best beamWidth overall.
        const top: number[] = [];
        for (let i = 1; i < V; i++) {
          if (top.length < o.beamWidth) {
            top.push(i);
            top.sort((a, c) => lp[c]! - lp[a]!);
          } else if (lp[i]! > lp[top[top.length - 1]!]!) {
            top[top.length - 1] = i;
            top.sort((a, c) => lp[c]! - lp[a]!);
          }
        }
        for (const i of top) cands.push({ beam: b, index: i, logp: beams[b]!.logp + lp[i]! });
      }
      cands.sort((a, b) => b.logp - a.logp);
      const next: Beam[] = [];
      const parents: number[] = [];
      const inputs: number[] = [];
      for (const c of cands) {
        const beam = beams[c.beam]!;
        const ch = chars[c.index]!;
        if (o.stop === 'word') {
          if (!wordChar[c.index]) {
            finish(beam.text, c.logp, true);
            if (o.withSpace && ch === ' ' && beam.text !== '') finish(beam.text + ' ', c.logp, true);
            continue;
          }
        } else {
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
          next.push({ text: beam.text + ch, logp: c.logp, words: beam.words + (endsWord ? 1 : 0) });
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
