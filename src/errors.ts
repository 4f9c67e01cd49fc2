import type { WorkerErrorName } from './protocol.js';

/** Base class of every error nextkey throws. */
export class NextkeyError extends Error {}

/** `model.json` or `weights.bin` does not follow model format v1; the message names the field. */
export class ModelFormatError extends NextkeyError {}

/** A model file could not be fetched (network error or HTTP status). */
export class ModelFetchError extends NextkeyError {}

/** `weights.bin` does not match the SHA-256 or size in `model.json`. */
export class IntegrityError extends NextkeyError {}

/** The requested backend cannot run in this browser. */
export class BackendError extends NextkeyError {}

/** An argument passed to the API is invalid; the message names it. */
export class InvalidArgumentError extends NextkeyError {}

/** The predictor or session was used after `dispose()`. */
export class DisposedError extends NextkeyError {}

/** Fine-tuning failed (e.g. the loss diverged) or another run is in progress; the previous weights stay in use. */
export class TrainingError extends NextkeyError {}

/** IndexedDB refused to store, read or delete a saved model (quota, private mode, blocked upgrade). */
export class StorageError extends NextkeyError {}

/** The worker failed to start or crashed. */
export class WorkerError extends NextkeyError {
  /** true when the same call can simply be made again (the predictor has started a new worker): a {@link WorkerLostError}. */
  get retryable(): boolean {
    return this instanceof WorkerLostError;
  }
}

/**
 * The worker died while this call was in flight. The predictor starts a new
 * worker, reloads the model (from the IndexedDB cache when it can) and
 * restores every session's text; calling again works once it has.
 */
export class WorkerLostError extends WorkerError {}

/**
 * The WebGL context was lost (GPU reset, driver crash) while this call ran
 * on it. The worker moves to wasm (or cpu), rebuilds the weights and
 * re-reads every session's text: calling again works. A
 * {@link WorkerLostError}, so `retryable` is true.
 */
export class ContextLostError extends WorkerLostError {}

const byName: Record<Exclude<WorkerErrorName, 'AbortError'>, new (message: string, options?: { cause?: unknown }) => NextkeyError> = {
  ModelFormatError,
  ModelFetchError,
  IntegrityError,
  BackendError,
  InvalidArgumentError,
  DisposedError,
  TrainingError,
  StorageError,
  ContextLostError,
};

// Each class's `name`, on its prototype, set literally (minifiers rename
// classes), so callers may switch on `error.name`.
for (const [name, Class] of Object.entries({ ...byName, NextkeyError, WorkerError, WorkerLostError })) Class.prototype.name = name;

/**
 * Comlink delivers a worker error as a plain Error carrying only name, message
 * and stack; turn it back into the typed class its stable name stands for.
 */
export function fromWorkerError(error: unknown): Error {
  if (error instanceof NextkeyError) return error;
  // An aborted call rejects like fetch() does, with a DOMException named AbortError.
  if (error instanceof Error && error.name === 'AbortError') return new DOMException(error.message, 'AbortError');
  if (error instanceof Error) {
    const Ctor = (byName as Record<string, (typeof byName)[keyof typeof byName] | undefined>)[error.name];
    if (Ctor) return new Ctor(error.message, { cause: error });
    return new WorkerError(`worker failed: ${error.message}`, { cause: error });
  }
  return new WorkerError(`worker failed: ${String(error)}`, { cause: error });
}
