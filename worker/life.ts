// Imported first by worker/index.ts, so it runs before anything else in the
// bundle: the worker takes the lock its name carries (see LIFE_MESSAGE) for
// its whole life and says so. Its parent watches that lock from then on.
import { LIFE_MESSAGE } from '../src/protocol.js';

const [role = '', lock] = self.name.split('#');
/** The worker's role, its name without the lock: 'nextkey' or the trainer's name. */
export const ROLE = role;

if (lock && typeof navigator !== 'undefined' && navigator.locks) {
  void navigator.locks.request(lock, () => {
    self.postMessage({ [LIFE_MESSAGE]: true });
    return new Promise<never>(() => {});
  });
}
