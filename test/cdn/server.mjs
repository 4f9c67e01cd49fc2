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
//   GET  /__cdn/example.html?cdn&model  examples/cdn/index.html, pointed at this CDN origin (cdn=down: at none)
//   GET  /__cdn/readme/script-tag.html?id  README.md's script-tag snippet, pointed at this CDN
//                                    origin, under README.md's policy (+ default-src 'none')
//   GET  /__cdn/readme/module.html?name  a page whose import map points 'nextkey' at this CDN
//                                    origin, running README.md's snippet `name` as a module
//   GET  /__cdn/readme/snippet.js?name   that snippet, as written
//   GET  /__cdn/readme/cors?         README.md's self-hosting server (python3), started on a
//                                    free port in a folder with one file: the headers it sends
//   POST /__cdn/csp-report?id=…      the browser's CSP violation reports (report-uri)
//   GET  /__cdn/csp-reports?id=…     those reports, as JSON
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/**
 * The code block after `<!-- snippet: NAME` in README.md, as written. The
 * README's snippets carry these markers (invisible on a rendered page) so
 * the tests run exactly what a reader copies.
 */
export function readmeSnippet(name) {
  const readme = readFileSync('README.md', 'utf8');
  const at = readme.indexOf(`<!-- snippet: ${name}`);
  if (at < 0) throw new Error(`README.md has no <!-- snippet: ${name} --> marker`);
  const m = /```[\w-]*\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!m) throw new Error(`README.md: no code block after the ${name} marker`);
  return m[1];
}

/** Where the README's snippets load nextkey from; the tests put the CDN origin in its place. */
const README_CDN = 'https://cdn.jsdelivr.net/npm/nextkey@';
const README_CDN_ORIGIN = 'https://cdn.jsdelivr.net';

/** README.md's Content-Security-Policy directives, with the CDN origin in place of jsDelivr's. */
function readmePolicy(origin) {
  return readmeSnippet('csp')
    .split('\n')
    .map((l) => l.trim().replace(/;$/, ''))
    .filter(Boolean)
    .map((l) => l.replaceAll(README_CDN_ORIGIN, origin))
    .join('; ');
}

/** The README's snippet with its CDN URLs (any version) pointed at `origin`. */
function atOrigin(snippet, origin) {
  return snippet.replace(/https:\/\/cdn\.jsdelivr\.net\/npm\/nextkey@[\w.-]+\//g, `${origin}/`);
}

/** Runs README.md's self-hosting server in a temporary folder; resolves to the headers of a GET. */
async function readmeCorsServer() {
  const dir = mkdtempSync(join(tmpdir(), 'nextkey-cors-'));
  writeFileSync(join(dir, 'probe.txt'), 'ok');
  // As written, but on a free port (8081 may be taken) and with unbuffered output to read the port from.
  const command = readmeSnippet('cors-server').replace(/port=\d+/, 'port=0').replace(/^python3 /, 'python3 -u ');
  const child = spawn('sh', ['-c', command], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const port = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /port (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.stderr.on('data', (d) => (out += d));
      child.on('exit', (code) => reject(new Error(`the README's server exited (${code}): ${out}`)));
    });
    const res = await fetch(`http://127.0.0.1:${port}/probe.txt`, { headers: { origin: 'http://example.test' } });
    return { status: res.status, body: await res.text(), headers: Object.fromEntries(res.headers) };
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
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
        case '/__cdn/readme/script-tag.html': {
          const policy = `default-src 'none'; ${readmePolicy(origin)}; report-uri /__cdn/csp-report?id=${encodeURIComponent(id)}`;
          return html(`<!doctype html><meta charset="utf-8"><title>README script-tag snippet</title>\n${atOrigin(readmeSnippet('script-tag'), origin)}`, {
            'content-security-policy': policy,
          });
        }
        case '/__cdn/readme/module.html': {
          const name = String(ctx.query.name);
          const imports = { nextkey: `${origin}/dist/index.js`, 'nextkey/widget': `${origin}/dist/widget.js` };
          return html(`<!doctype html><meta charset="utf-8"><title>README snippet ${name}</title>
<script type="importmap">${JSON.stringify({ imports })}</script>
<textarea rows="4" cols="60"></textarea>
<script type="module">
  window.logs = [];
  const log = console.log;
  console.log = (...args) => { window.logs.push(args); log.apply(console, args); };
  window.snippet = import('/__cdn/readme/snippet.js?name=${encodeURIComponent(name)}').then(() => ({ ok: true }), (e) => ({ ok: false, error: String(e && e.stack || e) }));
</script>`);
        }
        case '/__cdn/readme/snippet.js':
          return { body: readmeSnippet(String(ctx.query.name)), type: 'text/javascript', headers: { 'cache-control': 'no-store' } };
        case '/__cdn/readme/cors':
          return json(await readmeCorsServer());
        case '/__cdn/example.html': {
          // As served by npm start (relative URLs resolve in examples/cdn/), pointed at this CDN
          // origin, or with cdn=down at a port where nothing listens.
          const cdn = ctx.query.cdn === 'down' ? 'http://127.0.0.1:9' : origin;
          const page = readFileSync('examples/cdn/index.html', 'utf8').replaceAll(EXAMPLE_CDN, cdn);
          return html(page.replace('<meta charset="utf-8">', '<meta charset="utf-8">\n<base href="/examples/cdn/">'));
        }
        default:
          return undefined;
      }
    },
  };
}
