// Loaded on the first fineTune() call (a chunk of its own), so pages that only
// predict never download it.
import * as Comlink from 'comlink';
import { DisposedError, InvalidArgumentError } from './errors.js';
import type { FineTuneOptions } from './predictor.js';
import type { FineTuneProgress, FineTuneResult } from './protocol.js';
import type { Run, WorkerSession } from './session.js';

/**
 * Runs fine-tuning job `job` in the worker: relays progress, sends an abort
 * over when the signal fires (an AbortSignal cannot cross to the worker), and
 * rejects with DisposedError if `onDispose` is called first. At the end the
 * `sessions` forget the answers the worker sent ahead: they may come from the
 * old weights.
 */
export async function fineTune(
  run: Run,
  job: number,
  text: string | readonly string[],
  options: FineTuneOptions,
  onDispose: Set<() => void>,
  sessions: Iterable<WorkerSession>,
): Promise<FineTuneResult> {
  // The worker checks the texts, fills in the defaults and checks every option.
  const texts = (typeof text === 'string' ? [text] : text) as string[];
  const { signal, onProgress, epochs, timeBudgetMs, seqLength, batchSize, learningRate, clipNorm, validationSplit, extendVocab } = options;
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new InvalidArgumentError('fineTune({ onProgress }) must be a function');
  signal?.throwIfAborted();
  const abort = () => void run((api) => api.abortFineTune(job)).catch(() => {});
  signal?.addEventListener('abort', abort, { once: true });
  const progress = onProgress
    ? Comlink.proxy((p: FineTuneProgress) => {
        try {
          onProgress(p);
        } catch {
          // A throwing listener must not stop training.
        }
      })
    : undefined;
  let disposed!: () => void;
  const whenDisposed = new Promise<never>((_, reject) => {
    disposed = () => reject(new DisposedError('the predictor was disposed during fine-tuning'));
  });
  onDispose.add(disposed);
  try {
    const request = { epochs, timeBudgetMs, seqLength, batchSize, learningRate, clipNorm, validationSplit, extendVocab };
    return await Promise.race([run((api) => api.fineTune(job, texts, request, progress)), whenDisposed]);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw error;
  } finally {
    onDispose.delete(disposed);
    signal?.removeEventListener('abort', abort);
    for (const session of sessions) session.dropAhead();
  }
}
