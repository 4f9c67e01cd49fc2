// Serves the repository for the examples: `npm start`, then open the printed URLs.
// No dependencies. Two origins: the pages (with COOP/COEP, so the page is
// cross-origin isolated and performance.now() precise), and a second port that
// serves the same files as a CDN would (CORS, no isolation headers), which
// examples/cdn/ loads the package from.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';

import { fileURLToPath } from 'node:url';

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.map': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.md': 'text/markdown; charset=utf-8',
};

/**
 * A static file server for `root`. By default it sends cross-origin isolation
 * headers (so performance.now() is precise); with `cdn: true` it serves like a
 * public CDN instead: `Access-Control-Allow-Origin: *` and
 * `Cross-Origin-Resource-Policy: cross-origin`, so pages on any origin (also
 * cross-origin-isolated ones) may load its scripts, fetch its files and import
 * its modules. `onRequest(method, pathname)` sees every request. Port 0 picks
 * a free port (read it from `server.address().port`). Resolves once listening.
 */
export function startServer({ root = '.', port = 8080, host = '127.0.0.1', cdn = false, onRequest } = {}) {
  root = resolve(root);
  const headers = cdn
    ? { 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin' }
    : {
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
        'cross-origin-resource-policy': 'cross-origin',
      };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    onRequest?.(req.method, url.pathname);
    if (url.pathname === '/' && !cdn) {
      res.writeHead(302, { location: '/examples/autocomplete/' });
      return res.end();
    }
    let path = normalize(join(root, decodeURIComponent(url.pathname)));
    if (!path.startsWith(root)) {
      res.writeHead(403);
      return res.end('forbidden');
    }
    try {
      let info = await stat(path);
      if (info.isDirectory()) {
        path = join(path, 'index.html');
        info = await stat(path);
      }
      // As a static host does: a validator, so a repeat visit revalidates
      // (304, no body) and the browser reuses its copy and the compiled code
      // it cached for a script; no-cache, so an edited file is never stale.
      const etag = `"${info.size.toString(36)}-${Math.floor(info.mtimeMs).toString(36)}"`;
      const common = { etag, 'cache-control': 'no-cache', ...headers };
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, common);
        return res.end();
      }
      res.writeHead(200, {
        'content-type': types[extname(path)] ?? 'application/octet-stream',
        'content-length': info.size,
        ...common,
      });
      createReadStream(path).pipe(res);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain', ...headers });
      res.end(`not found: ${url.pathname}`);
    }
  });

  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => done(server));
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.PORT ?? 8080);
  // examples/cdn/index.html loads the package from http://127.0.0.1:8081/.
  const cdnPort = Number(process.env.CDN_PORT ?? port + 1);
  const host = process.env.HOST ?? '127.0.0.1';
  const name = host === '0.0.0.0' ? 'localhost' : host;
  const root = process.argv[2] ?? '.';
  await startServer({ root, port, host });
  await startServer({ root, port: cdnPort, host, cdn: true });
  console.log(`nextkey demo:    http://${name}:${port}/examples/`);
  console.log(`CDN example:     http://${name}:${port}/examples/cdn/  (loads the package from the "CDN" below, another origin)`);
  console.log(`"CDN" (CORS):    http://${name}:${cdnPort}/  (this repository: dist/, models/)`);
}
