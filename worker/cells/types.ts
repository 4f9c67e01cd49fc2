import type { Tensor, Tensor2D } from '@tensorflow/tfjs-core';

/** Recurrent state of one layer: h, and c for LSTM-family cells. Shapes [batch, H]. */
export interface LayerState {
  h: Tensor2D;
  c?: Tensor2D;
}

/**
 * One layer's weights as stored in model format v1 (PyTorch layouts, row-major):
 * weightIh [G*H, In], weightHh [G*H, H], biasIh and biasHh [G*H], peepholes [H].
 */
export interface RawLayer {
  inputSize: number;
  hiddenSize: number;
  weightIh: Float32Array;
  weightHh: Float32Array;
  biasIh: Float32Array;
  biasHh: Float32Array;
  peepI?: Float32Array;
  peepF?: Float32Array;
  peepO?: Float32Array;
}

/**
 * A layer's weights as training reads them: the input's share of the gate
 * pre-activations x·wx + bx, computed for a whole window at once, the
 * recurrent share h·wh, computed step by step, and the cell's other tensors.
 */
export interface Unstacked {
  wx: Tensor2D; // [In, G·H]
  bx: Tensor2D; // [1, G·H]
  wh: Tensor2D; // [H, G·H]
  rest: Record<string, Tensor2D>;
}

/** A cell type: how to turn raw weights into device tensors, and one pure step. */
export interface Cell<P> {
  /** Gate blocks stacked in weight_ih / weight_hh. */
  readonly gates: number;
  /** Whether the state carries c besides h. */
  readonly hasCellState: boolean;
  /** Uploads a layer's weights in the layout `step` wants. */
  prepare(raw: RawLayer): P;
  /** (params, x [B, In], state) -> new state. Pure: allocates, never disposes. Call inside tidy. */
  step(params: P, x: Tensor2D, state: LayerState): LayerState;
  /** For training: the layer's weights as {@link Unstacked} (new tensors). */
  unstack(params: P): Unstacked;
  /** The inverse of unstack: weights in the layout `step` uses (new tensors). */
  restack(u: Unstacked): P;
  /**
   * One step from the input's share xp = x·wx + bx and the recurrent share
   * hp = h·wh (both [B, G·H]): what `step` computes, split where training
   * wants it. Pure; call inside tidy or a tape.
   */
  stepShares(rest: Record<string, Tensor2D>, xp: Tensor2D, hp: Tensor2D, state: LayerState): LayerState;
  /** Every tensor `prepare` made, for disposal. */
  tensors(params: P): Tensor[];
}
