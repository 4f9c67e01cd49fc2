import { createPredictor, type Predictor } from '../index.js';

/** Predictors shared by widgets that were given no predictor, one per model URL, counted by users. */
const shared = new Map<string, { predictor: Promise<Predictor>; users: number }>();

/** The shared predictor for `model` (the shipped default model when undefined), created on first use. */
export function acquirePredictor(model: string | undefined): Promise<Predictor> {
  const key = model ?? '';
  let entry = shared.get(key);
  if (!entry) {
    const predictor = createPredictor(model === undefined ? {} : { model });
    entry = { predictor, users: 0 };
    shared.set(key, entry);
    // A failed load is not cached: the next widget tries again.
    predictor.catch(() => {
      if (shared.get(key)?.predictor === predictor) shared.delete(key);
    });
  }
  entry.users++;
  return entry.predictor;
}

/** One user fewer; the last one out frees the worker. */
export function releasePredictor(model: string | undefined): void {
  const key = model ?? '';
  const entry = shared.get(key);
  if (!entry || --entry.users > 0) return;
  shared.delete(key);
  entry.predictor.then((p) => p.dispose()).catch(() => {});
}
