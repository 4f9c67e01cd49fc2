import { LIFE_MESSAGE } from './protocol.js';

let counter = 0;

/** A lock name unique across this origin's tabs and workers (Web Locks are shared by them). */
export function lifeLockName(): string {
  return `nextkey-life-${++counter}-${Math.random().toString(36).slice(2)}`;
}

/**
 * Watches a worker started with the name `<role>#<lock>` from the moment it
 * is created: `onDeath` is called once it ends for any reason (an uncaught
 * error, a failed start, closing itself, being killed), until `stop` aborts.
 * Where Web Locks are missing, only errors are seen. Works in windows and
 * in workers (the trainer is watched from the predictor's worker).
 */
export function watchLife(
  worker: Worker,
  lock: string,
  stop: AbortSignal,
  onDeath: (reason: string, event?: ErrorEvent) => void,
  startTimeoutMs = 30_000,
): void {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  let dead = false;
  const die = (reason: string, event?: ErrorEvent) => {
    if (dead || stop.aborted) return;
    dead = true;
    onDeath(reason, event);
  };
  worker.addEventListener('error', (event) => {
    event.preventDefault();
    die(event.message || 'could not start', event);
  });
  worker.addEventListener('messageerror', () => die('a message from the worker could not be read'));
  // A worker that ends after it started but before it held its lock (a tiny
  // window) sends nothing: it counts as dead once startTimeoutMs passes with
  // no word from it (the bundle's download and compile included).
  const late = locks ? setTimeout(() => die(`it did not start within ${startTimeoutMs} ms`), startTimeoutMs) : undefined;
  stop.addEventListener('abort', () => clearTimeout(late), { once: true });
  const alive = (event: MessageEvent) => {
    if (!(event.data as Record<string, unknown> | null)?.[LIFE_MESSAGE]) return;
    clearTimeout(late);
    worker.removeEventListener('message', alive);
    // The worker holds the lock from before this message until it ends: the request is granted then.
    locks?.request(lock, { signal: stop }, () => die('the worker stopped')).catch(() => {});
  };
  if (locks) worker.addEventListener('message', alive);
}
