import {
  AdamOptimizer,
  add,
  dispose,
  getBackend,
  keep,
  mul,
  scalar,
  square,
  sum,
  tensor2d,
  tidy,
  transpose,
  variableGrads,
  type NamedTensorMap,
  type Scalar,
  type Tensor,
  type Tensor2D,
} from '@tensorflow/tfjs-core';
import type { FineTuneProgress, FineTuneRequest, FineTuneResult } from '../../src/protocol.js';
import type { LayerState } from '../cells/index.js';
import { workerError } from '../errors.js';
import { registerTrainingKernels } from '../kernels/index.js';
import { stateTensors, weightTensors, zeroState, type Model, type ModelWeights } from '../model/model.js';
import { Lanes, prepareCorpus } from './data.js';
import { recurrentGradient, trainingLoss, windowLoss, type RecurrentTrace } from './forward.js';
import { registerGradients } from './gradients.js';
import { checkRequest } from './options.js';
import { disposeTrainable, frozen, trainableCopy } from './trainable.js';

export { encodeModel } from './export.js';

/** What the caller lends a run: progress reports, and a check that throws when the run must stop. */
export interface Hooks {
  progress(p: FineTuneProgress): void;
  /** Called between batches; throws (AbortError, DisposedError) to stop the run. */
  check(): void;
}

const LN2 = Math.LN2;

/**
 * Lets queued messages (setText, predict, complete, abort) run between
 * batches. A MessageChannel task, unlike setTimeout, is not clamped to 4 ms.
 */
function macrotask(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(0);
  });
}

function withLanes(lanes: Lanes, w: number): { x: Tensor2D; y: Tensor2D; steps: number } {
  const win = lanes.window(w);
  const rows = win.steps * lanes.batch;
  const V = win.x.length / rows;
  return { x: tensor2d(win.x, [rows, V]), y: tensor2d(win.y, [rows, V]), steps: win.steps };
}

/** Bits per character of `weights` on `ids`, read in up to 32 lanes from the zero state. */
/** The held-out text measured is at most this many code points (its start): the measurement must not outgrow the run. */
export const MAX_HELD_OUT = 1 << 16;

/**
 * Bits per character of `weights` on `ids`, over at most `maxWindows`
 * windows, stopping after the first window that ends past `deadline`
 * (performance.now() time). Returns the bpc and the windows measured, so a
 * second measurement can cover exactly the same ones.
 */
async function evaluate(
  model: Model,
  weights: ModelWeights,
  ids: Int32Array,
  seqLength: number,
  hooks: Hooks,
  { maxWindows = Infinity, deadline = Infinity }: { maxWindows?: number; deadline?: number } = {},
): Promise<{ bpc: number; windows: number; chars: number }> {
  const lanes = new Lanes(ids, 32, seqLength, model.manifest.vocab.length);
  let states = zeroState(model, lanes.batch);
  let nats = 0;
  let count = 0;
  let w = 0;
  try {
    for (; w < Math.min(lanes.windows, maxWindows); w++) {
      if (w > 0 && performance.now() > deadline) break;
      const { x, y, steps } = withLanes(lanes, w);
      const prev = states;
      const r = tidy(() => {
        const out = windowLoss(model.cell, weights, x, y, steps, prev);
        return { loss: out.loss, states: out.states } as never;
      }) as { loss: Scalar; states: LayerState[] };
      dispose([x, y, ...stateTensors(prev)]);
      states = r.states;
      nats += (await r.loss.data())[0]! * steps * lanes.batch;
      count += steps * lanes.batch;
      r.loss.dispose();
      await macrotask();
      hooks.check();
    }
  } finally {
    dispose(stateTensors(states));
  }
  return { bpc: nats / count / LN2, windows: w, chars: count };
}

/**
 * Fine-tunes a copy of the model's weights on `texts` with truncated BPTT
 * (stateful lanes, windows of seqLength, state carried and detached between
 * windows), Adam and global-norm gradient clipping, on the current backend.
 * The model itself is never written to: the caller swaps the returned weights
 * in. On abort or error every tensor of the run is freed and it rethrows.
 */
export async function fineTune(model: Model, texts: string[], request: FineTuneRequest, hooks: Hooks): Promise<{ result: Omit<FineTuneResult, 'learnedWords' | 'addedChars' | 'warnings'>; weights: ModelWeights }> {
  const r = checkRequest(request);
  const corpus = prepareCorpus(model, texts, r.validationSplit);
  registerGradients();
  registerTrainingKernels(getBackend() as 'cpu' | 'webgl' | 'wasm');
  const V = model.manifest.vocab.length;
  const lanes = new Lanes(corpus.train, r.batchSize, r.seqLength, V);

  // With a time budget the whole call stays within it: the measurement before
  // training takes at most 15% of it, the one after covers the same windows
  // (about as long), and training gets the rest.
  const held = corpus.valid.length > MAX_HELD_OUT ? corpus.valid.subarray(0, MAX_HELD_OUT) : corpus.valid;
  const evalStart = performance.now();
  const before = await evaluate(model, model, held, r.seqLength, hooks, { deadline: r.timeBudgetMs === null ? Infinity : evalStart + 0.15 * r.timeBudgetMs });
  const bpcBefore = before.bpc;
  const evalMs = performance.now() - evalStart;
  const trainable = trainableCopy(model);
  const autodiffed = trainable.variables.filter((v) => !trainable.recurrent.includes(v));
  // No epsilon given: the backend's (1e-4 where WebGL has only half floats, where 1e-7 would round to 0 and 0/0 appear).
  const optimizer = new AdamOptimizer(r.learningRate, 0.9, 0.999);
  const names = trainable.variables.map((v) => v.name);
  let states = zeroState(model, lanes.batch);
  let step = 0;
  let trainedChars = 0;
  let epochsDone = 0;
  const planned = r.epochs === null ? null : r.epochs * lanes.windows;
  const budget = r.timeBudgetMs === null ? Infinity : Math.max(0, r.timeBudgetMs - 2 * evalMs);
  const maxEpochs = r.epochs ?? Infinity;
  const started = performance.now();
  let elapsed = 0;
  let stoppedBy: FineTuneResult['stoppedBy'] = 'epochs';
  let tuned: ModelWeights | null = null;
  try {
    training: for (let epoch = 0; epoch < maxEpochs; epoch++) {
      dispose(stateTensors(states));
      states = zeroState(model, lanes.batch);
      for (let w = 0; w < lanes.windows; w++) {
        const { x, y, steps } = withLanes(lanes, w);
        let next: LayerState[] = [];
        const prev = states;
        const traces: RecurrentTrace[] = [];
        const recurrentT = trainable.recurrent.map((wh) => transpose(wh) as Tensor2D);
        const { value, grads } = variableGrads(() => {
          const out = trainingLoss(model.cell, trainable.weights, x, y, steps, prev, traces, recurrentT);
          // The state leaves the tape here: the next window starts from its value (truncated BPTT).
          next = out.states.map((s) => (s.c ? { h: keep(s.h), c: keep(s.c) } : { h: keep(s.h) }));
          return out.loss;
        }, autodiffed);
        trainable.recurrent.forEach((wh, l) => (grads[wh.name] = recurrentGradient(traces[l]!, steps)));
        dispose(recurrentT);
        dispose([x, y, ...stateTensors(prev)]);
        states = next;
        const norm2 = tidy(() => names.reduce<Tensor>((acc, n) => add(acc, sum(square(grads[n]!))), scalar(0)));
        const [loss, sq] = [(await value.data())[0]!, (await norm2.data())[0]!];
        dispose([value, norm2]);
        // Ten times a uniform guess is no model any more: the step size blew it up.
        if (!Number.isFinite(loss) || !Number.isFinite(sq) || loss / LN2 > 10 * Math.log2(V)) {
          dispose(Object.values(grads));
          throw workerError(
            'TrainingError',
            `fine-tuning diverged at step ${step + 1} (loss ${(loss / LN2).toPrecision(3)} bits per character); the previous weights are still in use. Lower learningRate (now ${r.learningRate})`,
          );
        }
        const scale = Math.min(1, r.clipNorm / (Math.sqrt(sq) + 1e-12));
        const clipped: NamedTensorMap = scale < 1 ? tidy(() => Object.fromEntries(names.map((n) => [n, mul(grads[n]!, scale)]))) : grads;
        optimizer.applyGradients(names.map((name) => ({ name, tensor: clipped[name]! })));
        dispose(Object.values(grads));
        if (clipped !== grads) dispose(Object.values(clipped));

        step++;
        trainedChars += steps * lanes.batch;
        elapsed = performance.now() - started;
        const msPerStep = elapsed / step;
        const leftBySteps = planned === null ? Infinity : (planned - step) * msPerStep;
        // The budget is checked here, so the last batch's event already says nothing is left.
        const outOfTime = elapsed >= budget;
        const lastPlanned = epoch + 1 >= maxEpochs && w + 1 >= lanes.windows;
        hooks.progress({
          step,
          steps: planned,
          epoch: epoch + 1,
          loss: loss / LN2,
          charsPerSecond: (trainedChars * 1000) / elapsed,
          etaMs: outOfTime || lastPlanned ? 0 : Math.max(0, Math.min(leftBySteps, budget - elapsed)),
          elapsedMs: elapsed,
        });
        await macrotask();
        hooks.check();
        epochsDone = epoch + (w + 1) / lanes.windows;
        if (outOfTime) {
          if (!lastPlanned) stoppedBy = 'timeBudget';
          break training;
        }
      }
    }
    elapsed = performance.now() - started;
    tuned = frozen(model, trainable);
    const bpcAfter = (await evaluate(model, tuned, held, r.seqLength, hooks, { maxWindows: before.windows })).bpc;
    if (!Number.isFinite(bpcAfter)) {
      throw workerError('TrainingError', `fine-tuning produced unusable weights (held-out bpc ${bpcAfter}); the previous weights are still in use. Lower learningRate`);
    }
    const result: Omit<FineTuneResult, 'learnedWords' | 'addedChars' | 'warnings'> = {
      bpcBefore,
      bpcAfter,
      steps: step,
      epochs: epochsDone,
      trainedChars,
      charsPerSecond: elapsed > 0 ? (trainedChars * 1000) / elapsed : 0,
      elapsedMs: elapsed,
      trainLength: corpus.train.length,
      validLength: r.validationSplit > 0 ? corpus.valid.length : 0,
      measuredChars: before.chars,
      batchSize: lanes.batch,
      unknownChars: corpus.unknown,
      stoppedBy,
    };
    const weights = tuned;
    tuned = null;
    return { result, weights };
  } finally {
    dispose(stateTensors(states));
    optimizer.dispose();
    disposeTrainable(trainable);
    if (tuned) dispose(weightTensors(model, tuned));
  }
}

