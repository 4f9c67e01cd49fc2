import { dispose, tidy, type TensorContainer } from '@tensorflow/tfjs-core';
import type { FeedResult, Prediction, StateSnapshot } from '../src/protocol.js';
import type { LayerState } from './cells/index.js';
import { encode, logits, stateTensors, step, zeroState, type Model } from './model/model.js';

/**
 * One text's recurrent state. Feeding text runs one step per code point and
 * keeps only the newest h (and c); predictions read the head off that state.
 */
export class Session {
  #states: LayerState[];
  #length = 0;
  readonly #index = new Int32Array(1);

  constructor(private readonly model: Model) {
    this.#states = zeroState(model);
  }

  /** Code points fed since the last reset. */
  get length(): number {
    return this.#length;
  }

  feed(text: string): FeedResult {
    const ids = encode(this.model, text);
    for (const id of ids) {
      this.#index[0] = id;
      // tidy frees the step's intermediates and keeps only the new state.
      const next = tidy(() => step(this.model, this.#index, this.#states) as unknown as TensorContainer) as unknown as LayerState[];
      dispose(stateTensors(this.#states));
      this.#states = next;
    }
    this.#length += ids.length;
    return { steps: ids.length, length: this.#length };
  }

  reset(): void {
    dispose(stateTensors(this.#states));
    this.#states = zeroState(this.model);
    this.#length = 0;
  }

  /** Top-k next characters (the unknown symbol excluded), softmax in float64 on the host. */
  async predict(k: number, temperature: number): Promise<Prediction[]> {
    const t = tidy(() => logits(this.model, this.#states));
    let z: Float32Array;
    try {
      z = (await t.data()) as Float32Array;
    } finally {
      t.dispose();
    }
    return topK(softmax(z, temperature), this.model.manifest.vocab, k);
  }

  state(): StateSnapshot {
    const rows = (t: { dataSync(): ArrayLike<number> }) => Array.from(t.dataSync());
    return {
      h: this.#states.map((s) => rows(s.h)),
      c: this.model.cell.hasCellState ? this.#states.map((s) => rows(s.c!)) : null,
    };
  }

  dispose(): void {
    dispose(stateTensors(this.#states));
    this.#states = [];
  }
}

/** Softmax of logits / temperature, in float64. */
export function softmax(z: ArrayLike<number>, temperature = 1): Float64Array {
  const p = new Float64Array(z.length);
  let max = -Infinity;
  for (let i = 0; i < z.length; i++) max = Math.max(max, z[i]! / temperature);
  let sum = 0;
  for (let i = 0; i < z.length; i++) sum += p[i] = Math.exp(z[i]! / temperature - max);
  for (let i = 0; i < z.length; i++) p[i] = p[i]! / sum;
  return p;
}

function topK(p: Float64Array, vocab: number[], k: number): Prediction[] {
  const order: number[] = [];
  for (let i = 1; i < p.length; i++) order.push(i);
  order.sort((a, b) => p[b]! - p[a]!);
  return order.slice(0, k).map((i) => ({ char: String.fromCodePoint(vocab[i]!), p: p[i]! }));
}
