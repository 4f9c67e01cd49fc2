import type { WorkerErrorName } from './protocol.js';

/** Base class of every error nextkey throws. */
export class NextkeyError extends Error {
  // Names are set literally: minifiers rename classes, and callers may switch on `name`.
  override name = 'NextkeyError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** `model.json` or `weights.bin` does not follow model format v1; the message names the field. */
export class ModelFormatError extends NextkeyError {
  override name = 'ModelFormatError';
}

/** A model file could not be fetched (network error or HTTP status). */
export class ModelFetchError extends NextkeyError {
  override name = 'ModelFetchError';
}

/** `weights.bin` does not match the SHA-256 or size in `model.json`. */
export class IntegrityError extends NextkeyError {
  override name = 'IntegrityError';
}

/** The requested backend cannot run in this browser. */
export class BackendError extends NextkeyError {
  override name = 'BackendError';
}

/** An argument passed to the API is invalid; the message names it. */
export class InvalidArgumentError extends NextkeyError {
  override name = 'InvalidArgumentError';
}

/** The predictor or session was used after `dispose()`. */
export class DisposedError extends NextkeyError {
  override name = 'DisposedError';
}

/** Fine-tuning failed (e.g. the loss diverged) or another run is in progress; the previous weights stay in use. */
export class TrainingError extends NextkeyError {
  override name = 'TrainingError';
}

/** IndexedDB refused to store, read or delete a saved model (quota, private mode, blocked upgrade). */
export class StorageError extends NextkeyError {
  override name = 'StorageError';
}

/** The worker failed to start or crashed. */
export class WorkerError extends NextkeyError {
  override name = 'WorkerError';
  /** true when the same call can simply be made again (the predictor has started a new worker). */
  readonly retryable: boolean = false;
}

/**
 * The worker died while this call was in flight. The predictor starts a new
 * worker, reloads the model (from the IndexedDB cache when it can) and
 * restores every session's text; calling again works once it has.
 */
export class WorkerLostError extends WorkerError {
  override name = 'WorkerLostError';
  override readonly retryable = true;
}

const byName: Record<Exclude<WorkerErrorName, 'AbortError'>, new (message: string, options?: { cause?: unknown }) => NextkeyError> = {
  ModelFormatError,
  ModelFetchError,
  IntegrityError,
  BackendError,
  InvalidArgumentError,
  DisposedError,
  TrainingError,
  StorageError,
};

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

/** Awaits a worker call, turning its error into the typed class. */
export async function call<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw fromWorkerError(error);
  }
}
