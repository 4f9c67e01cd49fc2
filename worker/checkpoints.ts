import { dispose } from '@tensorflow/tfjs-core';
import type { LayerState } from './cells/index.js';
import { stateTensors } from './model/model.js';

/** How densely a session keeps state checkpoints, and how much memory they may take. */
export interface CheckpointPolicy {
  /** Every position within this many characters of the cursor (or of the text's end) keeps a checkpoint. */
  dense: number;
  /** Upper bound on checkpoint memory; the oldest positions are dropped first. */
  maxBytes: number;
}

export const DEFAULT_POLICY: CheckpointPolicy = { dense: 32, maxBytes: 2 * 1024 * 1024 };

/**
 * Recurrent states by text position (number of code points read). Dense near
 * the anchors (cursor and text end), then one every 2, 4, 8, … characters
 * further back, so a backspace or a local edit restores a state instead of
 * re-reading the text, while memory grows only with the log of the length.
 * Position 0 (the zero state) is always kept.
 */
export class Checkpoints {
  readonly #states = new Map<number, LayerState[]>();
  #positions: number[] = []; // ascending

  constructor(
    readonly policy: CheckpointPolicy,
    readonly bytesEach: number,
  ) {}

  get size(): number {
    return this.#states.size;
  }

  get bytes(): number {
    return this.#states.size * this.bytesEach;
  }

  get(position: number): LayerState[] | undefined {
    return this.#states.get(position);
  }

  has(position: number): boolean {
    return this.#states.has(position);
  }

  /** The newest checkpoint at or before `position`. */
  floor(position: number): number {
    let lo = 0;
    let hi = this.#positions.length - 1;
    let best = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.#positions[mid]! <= position) {
        best = this.#positions[mid]!;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best;
  }

  /** Takes ownership of `state` at `position`. */
  set(position: number, state: LayerState[]): void {
    const old = this.#states.get(position);
    if (old) dispose(stateTensors(old));
    else this.#insert(position);
    this.#states.set(position, state);
  }

  /** Drops (and frees) every checkpoint after `position`. */
  truncate(position: number): void {
    while (this.#positions.length && this.#positions[this.#positions.length - 1]! > position) {
      const p = this.#positions.pop()!;
      dispose(stateTensors(this.#states.get(p)!));
      this.#states.delete(p);
    }
  }

  /** Whether `position` deserves a checkpoint given the anchors (cursor, text end). */
  wanted(position: number, anchors: readonly number[]): boolean {
    if (position === 0) return true;
    let d = Infinity;
    for (const a of anchors) d = Math.min(d, Math.abs(a - position));
    const D = this.policy.dense;
    if (d < D) return true;
    // Stride doubles with each doubling of the distance: 2 for [D, 2D), 4 for [2D, 4D), …
    const stride = 2 ** (Math.floor(Math.log2(d / D)) + 1);
    return position % stride === 0;
  }

  /** Applies the density rule and the memory budget. */
  thin(anchors: readonly number[]): void {
    const keep: number[] = [];
    for (const p of this.#positions) {
      if (this.wanted(p, anchors) || anchors.includes(p)) keep.push(p);
      else {
        dispose(stateTensors(this.#states.get(p)!));
        this.#states.delete(p);
      }
    }
    const max = Math.max(anchors.length + 1, Math.floor(this.policy.maxBytes / this.bytesEach));
    // Over budget: drop the oldest positions (never 0, never an anchor).
    let i = 1;
    while (keep.length > max && i < keep.length) {
      const p = keep[i]!;
      if (anchors.includes(p)) {
        i++;
        continue;
      }
      dispose(stateTensors(this.#states.get(p)!));
      this.#states.delete(p);
      keep.splice(i, 1);
    }
    this.#positions = keep;
  }

  clear(): void {
    for (const s of this.#states.values()) dispose(stateTensors(s));
    this.#states.clear();
    this.#positions = [];
  }

  #insert(position: number): void {
    const ps = this.#positions;
    if (!ps.length || ps[ps.length - 1]! < position) {
      ps.push(position);
      return;
    }
    let lo = 0;
    let hi = ps.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ps[mid]! < position) lo = mid + 1;
      else hi = mid;
    }
    ps.splice(lo, 0, position);
  }
}
