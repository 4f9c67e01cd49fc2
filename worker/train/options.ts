import type { FineTuneRequest } from '../../src/protocol.js';
import { workerError } from '../errors.js';

/** Characters per batch; the tape of a batch holds every step's activations. */
const MAX_BATCH_CHARS = 4096;

function bad(option: string, expected: string, got: unknown): never {
  throw workerError('InvalidArgumentError', `fineTune({ ${option} }) must be ${expected}, got ${String(got)}`);
}

function int(value: unknown, option: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) bad(option, `an integer from ${min} to ${max}`, value);
  return value;
}

/**
 * Fills in the defaults of the options not given and checks every option at
 * the worker boundary; messages name the option.
 */
export function checkRequest(given: Partial<FineTuneRequest>): FineTuneRequest {
  if (typeof given !== 'object' || given === null) throw workerError('InvalidArgumentError', 'fineTune(text, options): options must be an object');
  const r: FineTuneRequest = {
    epochs: given.epochs ?? (given.timeBudgetMs == null ? 1 : null),
    timeBudgetMs: given.timeBudgetMs ?? null,
    seqLength: given.seqLength ?? 64,
    batchSize: given.batchSize ?? 16,
    learningRate: given.learningRate ?? 3e-3,
    clipNorm: given.clipNorm ?? 1,
    validationSplit: given.validationSplit ?? 0.1,
    extendVocab: given.extendVocab ?? false,
  };
  if (typeof r.extendVocab !== 'boolean') bad('extendVocab', 'true or false', r.extendVocab);
  if (r.epochs !== null) int(r.epochs, 'epochs', 1, 10_000);
  if (r.timeBudgetMs !== null && !(typeof r.timeBudgetMs === 'number' && r.timeBudgetMs > 0 && Number.isFinite(r.timeBudgetMs))) {
    bad('timeBudgetMs', 'a finite number of milliseconds > 0', r.timeBudgetMs);
  }
  int(r.seqLength, 'seqLength', 1, 1024);
  int(r.batchSize, 'batchSize', 1, 1024);
  // Backpropagation keeps every step's activations of a batch: tens of KB per character for a 2x256 LSTM.
  if (r.seqLength * r.batchSize > MAX_BATCH_CHARS) {
    throw workerError('InvalidArgumentError', `fineTune({ seqLength, batchSize }): seqLength × batchSize must be at most ${MAX_BATCH_CHARS} (memory), got ${r.seqLength} × ${r.batchSize}`);
  }
  if (!(typeof r.learningRate === 'number' && r.learningRate > 0 && Number.isFinite(r.learningRate))) bad('learningRate', 'a finite number > 0 (typically 1e-3 to 1e-2)', r.learningRate);
  if (!(typeof r.clipNorm === 'number' && r.clipNorm > 0)) bad('clipNorm', 'a number > 0 (Infinity disables clipping)', r.clipNorm);
  if (!(typeof r.validationSplit === 'number' && r.validationSplit >= 0 && r.validationSplit <= 0.5)) {
    bad('validationSplit', 'a number from 0 to 0.5 (the share of the text held out)', r.validationSplit);
  }
  return r;
}
