// A second origin for the CDN tests: scripts/serve.mjs in its CDN mode (CORS,
// Cross-Origin-Resource-Policy) serves this repository on another port, as
// unpkg or jsDelivr would serve the package, while the test pages stay on the
// runner's origin. Real HTTP over loopback; nothing is mocked.
//
// Endpoints on the runner's origin (browser side: test/cdn/util.js):
//   GET  /__cdn/info                 { origin, integrity: { 'dist/nextkey.min.js': 'sha384-…', … } }
//   GET  /__cdn/requests             paths the CDN origin has been asked for, in order
//   GET  /__cdn/page.html?id&variant a page under a strict Content-Security-Policy (header),
//                                    whose violations are reported to /__cdn/csp-report?id=…
//   GET  /__cdn/example.html         examples/cdn/index.html, pointed at this CDN origin
//   POST /__cdn/csp-report?id=…      the browser's CSP violation reports (report-uri)
//   GET  /__cdn/csp-reports?id=…     those reports, as JSON
import { readFileSync } from 'node:fs';
import { startServer } from '../../scripts/serve.mjs';
import { integrityHashes } from '../../scripts/sizes.mjs';

/**
 * The strict policy the CSP tests run under, for a page on its own origin that
 * loads nextkey from `cdn`. The README states the same directives. No
 * 'unsafe-eval', no 'unsafe-inline', nothing from the page's own origin but
 * scripts (the test's helper), no style permissions at all.
 */
export function strictPolicy(cdn, { wasm = true } = {}) {
  return [
    "default-src 'none'",
    `script-src 'self' ${cdn}${wasm ? " 'wasm-unsafe-eval'" : ''}`,
    'worker-src blob:',
    `connect-src ${cdn}`,
  ].join('; ');
}

/** The origin examples/cdn/index.html loads the package from (`npm start`'s second port). */
const EXAMPLE_CDN = 'http://127.0.0.1:8081';

export function cdnOrigin() {
  let server;
  let origin;
  const requests = [];
  const reports = new Map();
  const json = (value) => ({ body: JSON.stringify(value), type: 'application/json', headers: { 'cache-control': 'no-store' } });
  const html = (body, headers = {}) => ({ body, type: 'text/html', headers: { 'cache-control': 'no-store', ...headers } });

  return {
    name: 'nextkey-cdn-origin',

    async serverStart() {
      server = await startServer({ root: '.', port: 0, host: '127.0.0.1', cdn: true, onRequest: (method, path) => requests.push(path) });
      origin = `http://127.0.0.1:${server.address().port}`;
    },

    async serverStop() {
      server?.closeAllConnections();
      await new Promise((done) => server?.close(done) ?? done());
    },

    async serve(ctx) {
      if (!ctx.path.startsWith('/__cdn/')) return undefined;
      const id = String(ctx.query.id ?? '');
      switch (ctx.path) {
        case '/__cdn/info':
          return json({
            origin,
            integrity: Object.fromEntries(integrityHashes().map(({ file, integrity }) => [file, integrity])),
          });
        case '/__cdn/requests':
          return json(requests);
        case '/__cdn/csp-report': {
          const chunks = [];
          for await (const chunk of ctx.req) chunks.push(chunk);
          const report = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
          reports.set(id, [...(reports.get(id) ?? []), report['csp-report'] ?? report]);
          return json({ ok: true });
        }
        case '/__cdn/csp-reports':
          return json(reports.get(id) ?? []);
        case '/__cdn/page.html': {
          const wasm = ctx.query.variant !== 'no-wasm-eval';
          const policy = `${strictPolicy(origin, { wasm })}; report-uri /__cdn/csp-report?id=${encodeURIComponent(id)}`;
          // The helper (same origin, first) records violations in the page
          // before anything else runs; the bundle then comes from the CDN.
          const script = ctx.query.variant === 'esm' ? '' : `<script src="${origin}/dist/nextkey.min.js" crossorigin="anonymous"></script>`;
          return html(
            `<!doctype html><meta charset="utf-8"><title>nextkey under a strict CSP</title>
<script src="/test/cdn/page-helper.js"></script>
<textarea rows="4" cols="50"></textarea>
${script}`,
            { 'content-security-policy': policy },
          );
        }
        case '/__cdn/example.html':
          return html(readFileSync('examples/cdn/index.html', 'utf8').replaceAll(EXAMPLE_CDN, origin));
        default:
          return undefined;
      }
    },
  };
}
