import { WorkerError } from './errors.js';

/** Blob URLs of worker bundles fetched from other origins, by bundle URL. */
const blobUrls = new Map<string, Promise<string>>();

/**
 * Starts the worker bundle at `url`. Browsers only start workers from the
 * page's own origin, so a bundle on another origin (a CDN) is fetched once and
 * started from a Blob URL instead; the page's CSP then needs `worker-src blob:`.
 * The Blob URL is kept for the page's life: a restarted worker and the
 * fine-tuning worker (which the worker starts from its own URL) reuse it.
 */
export async function spawnWorker(url: URL): Promise<Worker> {
  let script = url.href;
  if (typeof location !== 'undefined' && url.origin !== location.origin && url.protocol !== 'blob:' && url.protocol !== 'data:') {
    let blob = blobUrls.get(script);
    if (!blob) {
      blob = fetch(url)
        .then(async (response) => {
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
          return URL.createObjectURL(new Blob([await response.text()], { type: 'text/javascript' }));
        })
        .catch((error: Error) => {
          blobUrls.delete(url.href);
          throw new WorkerError(`could not fetch the worker bundle from ${url.href}: ${error.message}`, { cause: error });
        });
      blobUrls.set(script, blob);
    }
    script = await blob;
  }
  return new Worker(script, { type: 'module', name: 'nextkey' });
}
