import { workerError } from '../errors.js';
import type { Model } from '../model/model.js';
import { normalizeNewlines } from '../session.js';

/** The text to train on, as vocabulary indices, and the held-out end to measure on. */
export interface Corpus {
  train: Int32Array;
  valid: Int32Array;
  /** Code points outside the vocabulary, read as the unknown symbol (index 0). */
  unknown: number;
}

/**
 * Encodes the texts (joined by '\n', newlines normalised as sessions read
 * them) and holds out the last `validationSplit` of it. With a split of 0 the
 * training text is also the measuring text.
 */
export function prepareCorpus(model: Model, texts: string[], validationSplit: number): Corpus {
  const ids: number[] = [];
  let unknown = 0;
  texts.forEach((text, i) => {
    if (i > 0) ids.push(model.index.get(10) ?? 0);
    for (const ch of normalizeNewlines(text)) {
      const id = model.index.get(ch.codePointAt(0)!) ?? 0;
      if (id === 0) unknown++;
      ids.push(id);
    }
  });
  const all = Int32Array.from(ids);
  const held = validationSplit > 0 ? Math.ceil(all.length * validationSplit) : 0;
  const train = all.subarray(0, all.length - held);
  const valid = held > 0 ? all.subarray(all.length - held) : train;
  if (train.length < 2 || valid.length < 2) {
    throw workerError(
      'InvalidArgumentError',
      `fineTune(text): the text is too short (${all.length} characters) to train on and hold out ${Math.round(validationSplit * 100)}% of it; give at least a few hundred characters`,
    );
  }
  return { train, valid, unknown };
}

/** One truncated-BPTT window: inputs and next-character targets, one-hot, time-major (row t·B + b). */
export interface Window {
  steps: number;
  x: Float32Array;
  y: Float32Array;
}

/**
 * The text cut into `batch` contiguous lanes read side by side, as the offline
 * trainer does: window w of lane b continues exactly where window w−1 of lane
 * b stopped, so the recurrent state carries over from window to window.
 */
export class Lanes {
  readonly batch: number;
  readonly laneLength: number;
  readonly windows: number;

  constructor(
    private readonly ids: Int32Array,
    batch: number,
    readonly seqLength: number,
    private readonly vocabSize: number,
  ) {
    // Each lane needs one more character than it reads (the last target);
    // a short text gets fewer lanes rather than windows shorter than seqLength.
    this.batch = Math.max(1, Math.min(batch, Math.floor((ids.length - 1) / seqLength)));
    this.laneLength = Math.floor((ids.length - 1) / this.batch);
    this.windows = Math.ceil(this.laneLength / seqLength);
  }

  /** Characters read per pass (the remainder of the division into lanes is skipped). */
  get chars(): number {
    return this.batch * this.laneLength;
  }

  window(w: number): Window {
    const B = this.batch;
    const V = this.vocabSize;
    const start = w * this.seqLength;
    const steps = Math.min(this.seqLength, this.laneLength - start);
    const x = new Float32Array(steps * B * V);
    const y = new Float32Array(steps * B * V);
    for (let t = 0; t < steps; t++) {
      for (let b = 0; b < B; b++) {
        const at = b * this.laneLength + start + t;
        const row = (t * B + b) * V;
        x[row + this.ids[at]!] = 1;
        y[row + this.ids[at + 1]!] = 1;
      }
    }
    return { steps, x, y };
  }
}
