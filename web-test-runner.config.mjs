import { PassThrough } from 'node:stream';
import { defaultReporter } from '@web/test-runner';
import { playwrightLauncher } from '@web/test-runner-playwright';
import { widgetCommands } from './test/widget/commands.mjs';
import { storageQuota } from './test/finetune-commands.mjs';
import { cdnOrigin } from './test/cdn/server.mjs';
import { unitBundles } from './test/units/bundle.mjs';

// Debian's Chromium, run as root in CI. These flags keep it off the network
// (which is closed here) and working without /dev/shm limits. WebGL2 still
// works in workers through SwiftShader (software), no GPU flags needed.
const chromiumArgs = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
  // test/faults.test.js measures the main thread's heap after garbage collection.
  '--js-flags=--expose-gc',
  '--enable-precise-memory-info',
];

const chromium = (extraArgs = []) =>
  playwrightLauncher({
    product: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: [...chromiumArgs, ...extraArgs],
    },
  });

/**
 * Test-only HTTP endpoints, real requests over loopback:
 *   PUT /__store/<path>   keep a body in memory (for broken model files made by a test)
 *   GET /__store/<path>   serve it back
 *   GET /__count?path=P   how many GET requests the server saw for path P
 *   GET /__flaky/<n>/<path>  HTTP 503 for the first n requests of this URL, then /__store/<path>
 *   GET /__stall/<path>   /__store/<path> for .json; for anything else the headers and
 *                         half the body, then nothing more (a stalled download)
 */
const store = new Map();
const counts = new Map();
async function testEndpoints(ctx, next) {
  if (ctx.method === 'GET') counts.set(ctx.path, (counts.get(ctx.path) ?? 0) + 1);
  if (ctx.path === '/__count') {
    ctx.body = { count: counts.get(ctx.query.path) ?? 0 };
    return;
  }
  const flaky = /^\/__flaky\/(\d+)(\/.*)$/.exec(ctx.path);
  if (flaky) {
    if (counts.get(ctx.path) <= Number(flaky[1])) {
      ctx.status = 503;
      noStore(ctx);
      ctx.body = 'try again later';
      return;
    }
    return serveStored(ctx, `/__store${flaky[2]}`);
  }
  if (ctx.path.startsWith('/__stall/')) {
    const path = `/__store${ctx.path.slice('/__stall'.length)}`;
    if (path.endsWith('.json')) return serveStored(ctx, path);
    const body = store.get(path);
    if (!body) {
      ctx.status = 404;
      return;
    }
    const stream = new PassThrough();
    stream.write(body.subarray(0, body.length >> 1));
    ctx.req.on('close', () => stream.destroy());
    ctx.type = 'application/octet-stream';
    ctx.length = body.length;
    noStore(ctx);
    ctx.body = stream;
    return;
  }
  if (ctx.path.startsWith('/__store/')) {
    if (ctx.method === 'PUT') {
      const chunks = [];
      for await (const chunk of ctx.req) chunks.push(chunk);
      store.set(ctx.path, Buffer.concat(chunks));
      ctx.status = 204;
      return;
    }
    return serveStored(ctx, ctx.path);
  }
  if (ctx.path.startsWith('/test/fixtures/')) noStore(ctx);
  return next();
}

function serveStored(ctx, path) {
  const body = store.get(path);
  if (!body) {
    ctx.status = 404;
    return;
  }
  ctx.type = path.endsWith('.json') ? 'application/json' : 'application/octet-stream';
  noStore(ctx);
  ctx.body = body;
}

/**
 * Every fixture request must reach the server so the counts above mean
 * "network fetches". The runner's own cache middleware wraps ours and marks
 * files cacheable for a year after we return, so pin the header instead.
 */
function noStore(ctx) {
  ctx.set('Cache-Control', 'no-store');
  const set = ctx.response.set.bind(ctx.response);
  ctx.response.set = (field, value) => {
    if (typeof field === 'string' && field.toLowerCase() === 'cache-control') return;
    set(field, value);
  };
}

/** Prints one closing line, "N passed, N failed", counted over every browser group. */
function summaryReporter() {
  return {
    onTestRunFinished({ sessions }) {
      let passed = 0;
      let failed = 0;
      let skipped = 0;
      const walk = (suite) => {
        for (const t of suite?.tests ?? []) {
          if (t.skipped) skipped++;
          else if (t.passed) passed++;
          else failed++;
        }
        for (const s of suite?.suites ?? []) walk(s);
      };
      for (const session of sessions) {
        walk(session.testResults);
        // A file that failed to load has errors but no test results: count it as failed.
        if (!session.passed && !session.testResults?.tests?.length && !session.testResults?.suites?.length) failed++;
      }
      process.on('exit', () => console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`));
    },
  };
}

export default {
  reporters: [defaultReporter(), summaryReporter()],
  rootDir: '.',
  files: ['test/**/*.test.js', '!test/no-webgl/**'],
  groups: [
    {
      // Chromium with WebGL removed entirely: proves the fallback path for real.
      name: 'no-webgl',
      files: 'test/no-webgl/**/*.test.js',
      browsers: [chromium(['--disable-gpu', '--disable-software-rasterizer'])],
    },
  ],
  browsers: [chromium()],
  nodeResolve: false,
  concurrency: 1,
  browserStartTimeout: 60_000,
  testsStartTimeout: 60_000,
  testsFinishTimeout: 15 * 60_000,
  testFramework: { config: { timeout: 120_000 } },
  middleware: [testEndpoints],
  // Server commands: widgetCommands (real keys, IME, paste, screenshots for test/widget/); storageQuota (fine-tune tests).
  // cdnOrigin: a second origin serving the repository as a CDN would, and the CSP test pages (test/cdn/).
  // unitBundles: the worker's own modules bundled for unit tests (test/units/).
  plugins: [widgetCommands(), storageQuota(), cdnOrigin(), unitBundles()],
};
