import { WorkerError } from './errors.js';

/** Blob URLs of worker bundles fetched from other origins, by bundle URL. */
const blobUrls = new Map<string, Promise<string>>();

/**
 * A Blob URL holding the worker bundle at `url` (on another origin, which a
 * worker cannot start from), fetched once per page. Only pages that load
 * nextkey from a CDN need it, so it is a chunk of its own (dist/cross-origin.js).
 */
export function blobUrlOf(url: URL): Promise<string> {
  let blob = blobUrls.get(url.href);
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
    blobUrls.set(url.href, blob);
  }
  return blob;
}
