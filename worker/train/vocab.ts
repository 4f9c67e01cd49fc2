import type { Manifest } from '../model/manifest.js';
import type { DecodedWeights, Model } from '../model/model.js';
import { normalizeNewlines } from '../session.js';

/** A character must occur this often in the text to get a vocabulary entry of its own (fineTune({ extendVocab })). */
export const MIN_NEW_CHAR_COUNT = 8;
/** Most characters one run adds. */
export const MAX_NEW_CHARS = 512;
/** Above this share of characters the vocabulary cannot read, a text is refused (without extendVocab). */
export const REFUSE_UNKNOWN_SHARE = 0.5;
/** Above this share, the run warns. */
export const WARN_UNKNOWN_SHARE = 0.05;

/** The text's code points the vocabulary lacks, with their counts (first seen first), and the text's length in code points. */
export function unknownCounts(model: Pick<Model, 'index'>, texts: readonly string[]): { counts: Map<number, number>; total: number } {
  const counts = new Map<number, number>();
  let total = 0;
  for (const text of texts) {
    for (const ch of normalizeNewlines(text)) {
      total++;
      const cp = ch.codePointAt(0)!;
      if (model.index.has(cp)) continue;
      counts.set(cp, (counts.get(cp) ?? 0) + 1);
    }
  }
  return { counts, total };
}

/** The code points worth an entry: those used at least MIN_NEW_CHAR_COUNT times, the most used first, at most MAX_NEW_CHARS. */
export function newCharacters(counts: Map<number, number>): number[] {
  return [...counts]
    .filter(([cp, n]) => n >= MIN_NEW_CHAR_COUNT && !(cp >= 0xd800 && cp <= 0xdfff))
    .sort((a, b) => b[1] - a[1])
    .slice(0, MAX_NEW_CHARS)
    .map(([cp]) => cp);
}

/**
 * The model with `cps` appended to its vocabulary: each new character's
 * embedding row and output row (head weight row and bias) start as copies of
 * the unknown symbol's (index 0), which is how the model read and predicted
 * them so far; training then tells them apart.
 */
export function extendVocabulary(manifest: Manifest, weights: DecodedWeights, cps: readonly number[]): { manifest: Manifest; weights: DecodedWeights } {
  const V = manifest.vocab.length;
  const n = cps.length;
  const grow = (name: string, width: number): Float32Array => {
    const old = weights.get(name)!;
    const out = new Float32Array((V + n) * width);
    out.set(old);
    for (let i = 0; i < n; i++) out.copyWithin((V + i) * width, 0, width);
    return out;
  };
  const next: DecodedWeights = new Map(weights);
  next.set('embedding', grow('embedding', manifest.embeddingSize));
  next.set('head.weight', grow('head.weight', manifest.hiddenSizes[manifest.hiddenSizes.length - 1]!));
  next.set('head.bias', grow('head.bias', 1));
  const vocab = [...manifest.vocab, ...cps];
  const shape = (name: string, s: number[]): number[] => (name === 'embedding' || name === 'head.weight' || name === 'head.bias' ? [vocab.length, ...s.slice(1)] : s);
  return {
    manifest: {
      ...manifest,
      vocab,
      // Offsets and sizes describe the old file; encodeModel writes the new one.
      tensors: manifest.tensors.map((t) => ({ ...t, shape: shape(t.name, t.shape), dtype: 'float32' as const })),
    },
    weights: next,
  };
}
