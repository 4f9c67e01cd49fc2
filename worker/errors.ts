import type { WorkerErrorName } from '../src/protocol.js';

/**
 * An Error with a stable `name`. Comlink carries name and message across the
 * worker boundary, where the main thread maps the name back to a typed class.
 */
export function workerError(name: WorkerErrorName, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
