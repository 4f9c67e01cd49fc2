// npm run bench [-- --model URL --samples N --backends webgl,wasm,cpu]
// Serves the repository, runs bench/page.js in headless Chromium, prints a
// table and writes bench/results.json.
import { writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { startServer } from '../scripts/serve.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const model = opt('model', '/models/default/');
const backends = opt('backends', 'webgl,wasm,cpu').split(',');
const samples = Number(opt('samples', 1000));
const completionSamples = Number(opt('completion-samples', 200));

const server = await startServer({ port: 0 });
const { port } = server.address();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`http://127.0.0.1:${port}/bench/index.html`);
  await page.waitForFunction(() => window.benchReady === true);
  const result = await page.evaluate((o) => window.runBench(o), { model, backends, samples, completionSamples });
  result.date = new Date().toISOString();
  writeFileSync(new URL('./results.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
  const ms = (x) => (x === undefined ? '' : x.toFixed(3));
  console.log(`\nmodel ${model} | cross-origin isolated: ${result.crossOriginIsolated} | ${result.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? ''}`);
  console.log('backend  metric                          samples   p50 ms    p99 ms   mean ms');
  for (const r of result.rows) {
    if (r.error) console.log(`${r.backend.padEnd(8)} unavailable: ${r.error}`);
    else if (r.metric === 'tensors') console.log(`${r.backend.padEnd(8)} live tensors after run: ${r.live} (${(r.bytes / 1024).toFixed(0)} KB)`);
    else {
      const label = r.metric === 'keystroke' ? 'keystroke (setText +1 char, top-5)' : 'complete (beam 4, ≤12 chars)';
      console.log(`${r.backend.padEnd(8)} ${label.padEnd(32)} ${String(r.n).padStart(7)} ${ms(r.p50).padStart(8)} ${ms(r.p99).padStart(9)} ${ms(r.mean).padStart(9)}`);
    }
  }
  if (backends.includes('webgl')) console.log('webgl here is SwiftShader (software rendering): it shows correctness and overhead, not GPU speed.');
  console.log('wrote bench/results.json');
} finally {
  await browser.close();
  server.close();
}
