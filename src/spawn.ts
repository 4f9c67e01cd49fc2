import { WorkerError } from './errors.js';

/**
 * Starts the worker bundle at `url`. Browsers only start workers from the
 * page's own origin, so a bundle on another origin (a CDN) is fetched and
 * started from a Blob URL instead; the page's CSP then needs `worker-src blob:`.
 */
export async function spawnWorker(url: URL): Promise<Worker> {
  const sameOrigin = typeof location === 'undefined' || url.origin === location.origin || url.protocol === 'blob:' || url.protocol === 'data:';
  if (sameOrigin) return new Worker(url, { type: 'module', name: 'nextkey' });
  let code: string;
  try {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    code = await response.text();
  } catch (error) {
    throw new WorkerError(`could not fetch the worker bundle from ${url.href}: ${(error as Error).message}`, { cause: error });
  }
  const blobUrl = URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
  try {
    return new Worker(blobUrl, { type: 'module', name: 'nextkey' });
  } finally {
    // The worker has its own reference to the script once started.
    setTimeout(() => URL.revokeObjectURL(blobUrl), 10_000);
  }
}
