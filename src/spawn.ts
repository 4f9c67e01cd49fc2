/**
 * Starts the worker bundle at `url`. Browsers only start workers from the
 * page's own origin, so a bundle on another origin (a CDN) is fetched once and
 * started from a Blob URL instead; the page's CSP then needs `worker-src blob:`.
 * The Blob URL is kept for the page's life: a restarted worker and the
 * fine-tuning worker (which the worker starts from its own URL) reuse it.
 */
export async function spawnWorker(url: URL, name: string): Promise<Worker> {
  let script = url.href;
  if (typeof location !== 'undefined' && url.origin !== location.origin && url.protocol !== 'blob:' && url.protocol !== 'data:') {
    const { blobUrlOf } = await import('./cross-origin.js');
    script = await blobUrlOf(url);
  }
  return new Worker(script, { type: 'module', name });
}
