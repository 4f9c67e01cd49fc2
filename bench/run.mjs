// npm run bench [-- --model URL --samples N --backends webgl,wasm,cpu --quick]
// Serves the repository, runs bench/page.js in headless Chromium, prints one
// table (every row measured in this run next to its baseline) and writes
// bench/results.json.
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { cpus } from 'node:os';
import { chromium } from 'playwright-core';
import { startServer } from '../scripts/serve.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const quick = args.includes('--quick');
const model = opt('model', '/models/default/');
const backends = opt('backends', 'wasm,cpu,webgl').split(',');
const samples = Number(opt('samples', quick ? 200 : 1000));
const completionSamples = Number(opt('completion-samples', quick ? 50 : 200));
const baselineSamples = Number(opt('baseline-samples', quick ? 100 : 1000));

const server = await startServer({ port: 0 });
const { port } = server.address();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
});
let result;
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`http://127.0.0.1:${port}/bench/index.html`);
  await page.waitForFunction(() => window.benchReady === true);
  result = await page.evaluate((o) => window.runBench(o), { model, backends, samples, completionSamples, baselineSamples });
} finally {
  await browser.close();
  server.close();
}

const gz = (f) => gzipSync(readFileSync(f), { level: 9 }).length;
result.bundles = {
  'dist/index.js': gz('dist/index.js'),
  'dist/worker.js': gz('dist/worker.js'),
  'models/default/weights.bin (raw)': readFileSync('models/default/weights.bin').length,
};
result.date = new Date().toISOString();
result.machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}`;
writeFileSync(new URL('./results.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');

const ms = (x) => (x === undefined ? '' : x < 10 ? x.toFixed(3) : x.toFixed(1));
const find = (backend, metric, impl) => result.rows.find((r) => r.backend === backend && r.metric === metric && r.impl === impl);
console.log(`\nnextkey benchmark — model ${model} — ${result.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? ''}, cross-origin isolated: ${result.crossOriginIsolated}`);
console.log(`machine: ${result.machine}\n`);
console.log('| backend | measure | samples | p50 ms | p99 ms | vs nextkey (p50) |');
console.log('|---|---|---:|---:|---:|---:|');
const labels = {
  'keystroke/nextkey': 'keystroke: setText +1 char → top-5 (nextkey)',
  'keystroke/baseline-a': 'keystroke: tfjs-layers stateful LSTM predict, full vector (a)',
  'keystroke/baseline-b': 'keystroke: re-run last 40 chars, stateless (b)',
  'complete/nextkey': 'word completion: beam 4, ≤ 12 chars',
  'cold-miss/nextkey': 'cold start to first prediction, cache miss',
  'cold-hit/nextkey': 'cold start to first prediction, IndexedDB hit',
};
for (const r of result.rows) {
  if (r.error) {
    console.log(`| ${r.backend} | unavailable: ${r.error} | | | | |`);
    continue;
  }
  const label = labels[`${r.metric}/${r.impl}`];
  if (!label) continue;
  const ours = find(r.backend, 'keystroke', 'nextkey');
  const ratio = r.metric === 'keystroke' && r.impl !== 'nextkey' && ours ? `${(r.p50 / ours.p50).toFixed(1)}× slower` : '';
  console.log(`| ${r.backend} | ${label} | ${r.n} | ${ms(r.p50)} | ${ms(r.p99)} | ${ratio} |`);
}
for (const r of result.rows.filter((x) => x.metric === 'agreement')) {
  console.log(`| ${r.backend} | baseline (a) vs nextkey, same weights: max |Δp| | 60 | ${r.maxAbsDiff.toExponential(1)} | | |`);
}
const leak = result.rows.find((r) => r.metric === 'leak');
if (leak) console.log(`| wasm | live tensors before / after 10,000 keystrokes (session disposed) | 10000 | ${leak.before} / ${leak.after} | | |`);
console.log(`| page | main-thread long tasks (> 50 ms) during the whole run | | ${result.longTasks.count} | | |`);
for (const [file, bytes] of Object.entries(result.bundles)) console.log(`| size | ${file}${file.includes('raw') ? '' : ' gzip'} | | ${(bytes / 1024).toFixed(1)} KB | | |`);
if (backends.includes('webgl')) console.log('\nwebgl here is SwiftShader (software rendering, no GPU): its rows show correctness and overhead, not GPU speed; it runs fewer samples.');
console.log('wrote bench/results.json');
