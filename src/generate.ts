import type { GenerateOptions, Run } from './session.js';

/**
 * Streams sampled characters after a session's text: `start` queues the
 * generator's creation behind the session's earlier calls; the worker keeps
 * its own copy of the state, so the session's text state is left as it was.
 */
export async function* generate(
  run: Run,
  start: <T>(f: () => Promise<T>) => Promise<T>,
  session: number,
  options: GenerateOptions,
  predictorDisposed: () => boolean,
): AsyncIterableIterator<string> {
  const { signal } = options;
  // The worker checks every option.
  const request = { length: options.length ?? 100, temperature: options.temperature ?? 1, topK: options.topK ?? 1_000_000, seed: options.seed ?? null };
  const g = await start(() => run((api) => api.generateStart(session, request)));
  try {
    // Small chunks keep the stream live and the abort prompt.
    let chunk = 1;
    for (;;) {
      signal?.throwIfAborted();
      const chars = await run((api) => api.generateNext(g, chunk));
      if (chars.length === 0) return;
      for (const ch of chars) {
        signal?.throwIfAborted();
        yield ch;
      }
      chunk = Math.min(16, chunk * 2);
    }
  } finally {
    if (!predictorDisposed()) await run((api) => api.generateEnd(g)).catch(() => {});
  }
}
