// npm run bench [-- --model URL --compare-model URL --samples N --backends webgl,wasm,cpu --quick --only PHASES]
// Serves the repository, runs bench/page.js in headless Chromium, types into
// the autocomplete demo with real key events, prints one table (every row
// measured in this run next to its baseline) and writes bench/results.json.
//
// Phases (--only takes a comma-separated subset; default all):
//   keystroke      per-keystroke, word-completion and typo-correction latency per backend, next to two tfjs-layers baselines
//   cold           cold start to the first prediction, IndexedDB miss and hit
//   leak           live tensors before and after 10,000 keystrokes
//   memory         the worker's tensor bytes and JS heap with 5 sessions of 2,000 characters
//   jank           the autocomplete demo typed into at 20 characters/s: main-thread long tasks, key → ghost painted
//   finetune       fine-tuning characters/s per backend, next to tfjs-layers model.fit on the same network and data
//   finetune-live  setText / complete latency and long tasks while a fine-tuning run goes on, next to idle
import { writeFileSync } from 'node:fs';
import { bundleSizes } from '../scripts/sizes.mjs';
import { cpus } from 'node:os';
import { chromium } from 'playwright-core';
import { startServer } from '../scripts/serve.mjs';
import { jankProbe, summarizeJank, traceLongTasks } from './jank.mjs';

const PHASES = ['keystroke', 'cold', 'leak', 'memory', 'jank', 'finetune', 'finetune-live'];
const PAGE_PHASES = PHASES.filter((p) => p !== 'jank');

const args = process.argv.slice(2);
const VALUE_FLAGS = ['model', 'compare-model', 'samples', 'completion-samples', 'baseline-samples', 'paced-samples', 'backends', 'only', 'finetune-backends', 'live-windows', 'jank-backend', 'jank-chars'];
for (let i = 0; i < args.length; i++) {
  const name = args[i].replace(/^--/, '');
  if (VALUE_FLAGS.includes(name)) i++;
  else if (name !== 'quick') throw new Error(`bench/run.mjs: unknown argument ${args[i]}; flags: --quick, ${VALUE_FLAGS.map((f) => `--${f} VALUE`).join(', ')}`);
}
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const quick = args.includes('--quick');
const model = opt('model', '/models/default/');
// A second model timed beside the first, per keystroke on every backend (another version of the default model, say).
const compareModel = opt('compare-model', null);
const backends = opt('backends', 'wasm,cpu,webgl').split(',');
const phases = opt('only', PHASES.join(',')).split(',');
for (const p of phases) if (!PHASES.includes(p)) throw new Error(`--only: unknown phase "${p}"; phases are ${PHASES.join(', ')}`);
const samples = Number(opt('samples', quick ? 200 : 1000));
const completionSamples = Number(opt('completion-samples', quick ? 50 : 200));
const baselineSamples = Number(opt('baseline-samples', quick ? 25 : 1000));
// Keystrokes typed at a person's pace (a key 30 ms after each answer) on wasm, nextkey and baseline (a); 0 leaves the rows out.
const pacedSamples = Number(opt('paced-samples', quick ? 200 : 1000));
// Fine-tuning batches (16 lanes × 64 characters = 1,024 characters each) per backend; the
// first is not timed. WebGL is SwiftShader here (every shader on the CPU): slow, so few.
const finetuneWindows = quick ? { wasm: 3, cpu: 2, webgl: 2 } : { wasm: 12, cpu: 4, webgl: 3 };
// cpu and webgl train at tens of characters per second here (two of their batches take a minute
// or more per side): --quick measures fine-tuning on wasm only, the backend `auto` picks here.
const finetuneBackends = opt('finetune-backends', quick ? 'wasm' : backends.join(',')).split(',');
// Fewest samples per row, for the slow backends (webgl on SwiftShader, the stateless baseline).
const minSamples = quick ? { keystroke: 60, complete: 20, stateless: 20, statelessWarmup: 5 } : { keystroke: 200, complete: 50, stateless: 100, statelessWarmup: 20 };
// Fine-tuning batches to type through (wasm), and keystrokes typed idle before them for comparison.
const liveWindows = Number(opt('live-windows', quick ? 3 : 12));
const liveIdleKeys = quick ? 60 : 200;
// ?backend= for the demo page; its default ('auto') picks wasm where WebGL is software-rendered, as here.
const jankBackend = opt('jank-backend', 'auto');
const jankChars = Number(opt('jank-chars', 300));
const jankIntervalMs = 50; // 20 characters per second

/** Public-domain English prose (Jane Austen, Pride and Prejudice, 1813), only characters on a US keyboard. */
const PROSE =
  'It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife. ' +
  'However little known the feelings or views of such a man may be on his first entering a neighbourhood, this truth is so well ' +
  'fixed in the minds of the surrounding families, that he is considered as the rightful property of some one or other of their daughters. ';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const secs = (t0) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

/**
 * Opens `path` (the autocomplete demo, or the control page without the
 * widget), waits until its model is ready, then types `jankChars` characters
 * of prose with trusted key events (Playwright → DevTools protocol → the
 * browser's input pipeline), one every 50 ms on a fixed schedule, while
 * Chromium traces its tasks. The measuring code (bench/jank.mjs) is injected
 * before the page's scripts; neither the demo nor the widget is changed.
 */
async function typeInto(browser, url, widget) {
  const page = await browser.newPage();
  try {
    page.on('pageerror', (e) => console.error('demo page error:', e.message));
    await page.addInitScript(jankProbe);
    const t0 = performance.now();
    await page.goto(url);
    await page.waitForFunction(() => /^ready|Error/.test(document.getElementById('status')?.textContent ?? ''), null, { timeout: 180_000 });
    const status = await page.textContent('#status');
    if (!status.startsWith('ready')) throw new Error(`${url} did not load: ${status}`);
    const backend = widget ? (await page.textContent('#backend')).split(' ')[0] : 'page';
    console.error(`bench: jank: ${url} ready after ${secs(t0)}`);
    await page.focus('#body');
    await page.evaluate((w) => window.__nextkeyJank.start(document.getElementById('body'), w), widget);
    const text = PROSE.repeat(Math.ceil(jankChars / PROSE.length)).slice(0, jankChars);
    await browser.startTracing(page, { categories: ['toplevel'] });
    const t1 = performance.now();
    for (let i = 0; i < text.length; i++) {
      const wait = t1 + i * jankIntervalMs - performance.now();
      if (wait > 0) await sleep(wait);
      // type() of one character: keydown, keypress, input, keyup, as a keyboard sends them.
      await page.keyboard.type(text[i]);
    }
    await sleep(1500); // the last answer, and long-task entries, arrive after the last key
    const trace = traceLongTasks((await browser.stopTracing()).toString('utf8'));
    console.error(`bench: jank: typed ${text.length} characters, trace read, ${secs(t0)} in all`);
    const raw = await page.evaluate(() => window.__nextkeyJank.stop());
    const typed = await page.inputValue('#body');
    if (typed !== text) throw new Error(`the field holds ${JSON.stringify(typed.slice(0, 60))}…, not the typed text`);
    return { backend, ...summarizeJank(raw), trace };
  } finally {
    await page.close();
  }
}

/** The demo typed into, then the same typing into the same field with no widget (the control). */
async function jankPhase(browser, port) {
  const query = jankBackend === 'auto' ? '' : `?backend=${encodeURIComponent(jankBackend)}`;
  const demo = await typeInto(browser, `http://127.0.0.1:${port}/examples/autocomplete/${query}`, true);
  const plain = await typeInto(browser, `http://127.0.0.1:${port}/bench/plain-field.html`, false);
  return { ...demo, plain };
}

const server = await startServer({ port: 0 });
const { port } = server.address();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: [...(process.env.XARGS ? process.env.XARGS.split(' ') : []), '--no-sandbox', '--enable-blink-features=ForceEagerMeasureMemory', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
});
let result = { rows: [], longTasks: null };
try {
  const started = performance.now();
  if (phases.some((p) => PAGE_PHASES.includes(p))) {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    page.on('console', (m) => m.text().startsWith('bench:') && console.error(m.text()));
    await page.goto(`http://127.0.0.1:${port}/bench/index.html`);
    await page.waitForFunction(() => window.benchReady === true);
    page.setDefaultTimeout(0);
    result = await page.evaluate((o) => window.runBench(o), {
      model,
      compareModel,
      backends,
      phases,
      samples,
      completionSamples,
      baselineSamples,
      pacedSamples,
      finetuneWindows,
      finetuneBackends,
      minSamples,
      liveWindows,
      liveIdleKeys,
    });
    await page.close();
  }
  if (phases.includes('jank')) {
    const t0 = performance.now();
    result.jank = await jankPhase(browser, port);
    console.error(`bench: phase jank: ${secs(t0)}`);
  }
  console.error(`bench: all phases: ${secs(started)}`);
} finally {
  await browser.close();
  server.close();
}

// Size budgets (scripts/sizes.mjs): checked here, by the benchmark, not by the tests.
result.sizes = bundleSizes();
result.phases = phases;
result.date = new Date().toISOString();
result.machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}`;
writeFileSync(new URL('./results.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');

const mb = (x) => (x == null ? 'n/a' : `${(x / 1048576).toFixed(2)} MB`);
const pct = (x) => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)}%`;
const ms = (x) => (x === undefined ? '' : x < 10 ? x.toFixed(3) : x.toFixed(1));
const int = (x) => Math.round(x).toLocaleString('en-US');
const find = (backend, metric, impl) => result.rows.find((r) => r.backend === backend && r.metric === metric && r.impl === impl);
// Everything printed from here on also goes to BENCHMARKS.md.
const report = [];
const log = console.log;
console.log = (...parts) => {
  report.push(parts.join(' '));
  log(...parts);
};
const line = (...cells) => console.log(`| ${cells.join(' | ')} |`);
const ua = result.userAgent?.match(/Chrome\/[\d.]+/)?.[0] ?? '';
console.log(`\nnextkey benchmark — model ${model} — ${ua}${result.crossOriginIsolated === undefined ? '' : `, cross-origin isolated: ${result.crossOriginIsolated}`}`);
console.log(`machine: ${result.machine}; phases: ${phases.join(', ')}${quick ? ' (--quick)' : ''}\n`);
line('backend', 'measure', 'n', 'p50 ms', 'p99 ms', 'vs baseline');
line('---', '---', '---:', '---:', '---:', '---:');
const labels = {
  'keystroke/nextkey': 'keystroke: setText +1 char → top-5 (nextkey)',
  'roundtrip/nextkey': 'floor: a worker call doing no work (Comlink round trip)',
  'keystroke/baseline-a': 'keystroke: tfjs-layers stateful LSTM predict, full vector (a)',
  'keystroke/compare-model': `keystroke: setText +1 char → top-5 (nextkey), --compare-model ${compareModel}`,
  'keystroke/baseline-b': 'keystroke: re-run last 40 chars, stateless (b)',
  'paced/nextkey': 'at typing pace, a key 30 ms after each answer: setText +1 char → top-5 (nextkey)',
  'paced/roundtrip': 'at typing pace: floor, a worker call doing no work 30 ms after the last',
  'paced/baseline-a': 'at typing pace, a key 30 ms after each answer: baseline (a)',
  'complete/nextkey': 'word completion: beam 4, ≤ 12 chars',
  'adapt-keystroke/off': 'keystroke, adaptation off, keys taking turns with the row below: setText +1 char → top-5',
  'adapt-keystroke/on': 'keystroke, adaptation on (learning the text as it is typed), same keys: setText +1 char → top-5',
  'adapt-complete/off': 'word completion, adaptation off, taking turns with the row below: beam 4, ≤ 12 chars',
  'adapt-complete/on': 'word completion, adaptation on, same texts: beam 4, ≤ 12 chars',
  'midtext-keystroke/end': 'keystroke at the end of the text, keys taking turns with the row below: setText +1 char → top-5',
  'midtext-keystroke/mid': 'keystroke with the caret in the middle (a line of text after it), same keys: setText +1 char → top-5',
  'midtext-complete/end': 'word completion at the end of the text, taking turns with the row below: beam 4, ≤ 16 chars, min p 0.2',
  'midtext-complete/mid': 'word completion with the caret mid-line, same texts: 8 candidates (beam 4, min p 0.01), ranked by the next 8 characters after the caret',
  'corrections/nextkey': 'typo corrections of the word just finished (every other one misspelled), k 3',
  'corrections/complete': 'word completion on the same texts, taking turns with the row above: beam 4, ≤ 12 chars',
  'cold-miss/nextkey': 'cold start to first prediction, cache miss',
  'cold-hit/nextkey': 'cold start to first prediction, IndexedDB hit',
  'live-settext/idle': 'a key every 50 ms, idle: setText +1 char → top-1',
  'live-settext/finetune': 'a key every 50 ms during fineTune: setText +1 char → top-1',
  'live-complete/idle': 'a key every 50 ms, idle: word completion (beam 4, ≤ 16)',
  'live-complete/finetune': 'a key every 50 ms during fineTune: word completion (beam 4, ≤ 16)',
};
const printRow = (r) => {
  const label = labels[`${r.metric}/${r.impl}`];
  if (!label) return;
  let ratio = '';
  const ours = find(r.backend, r.metric, 'nextkey');
  if ((r.metric === 'keystroke' || r.metric === 'paced') && r.impl !== 'nextkey' && r.impl !== 'roundtrip' && ours) {
    const x = r.p50 / ours.p50;
    ratio = x >= 1 ? `${x.toFixed(1)}× slower` : `${(1 / x).toFixed(1)}× faster`;
  }
  // Adaptation against the network alone, same run: the issue's bound is 10% (p50 and p99).
  const off = r.impl === 'on' ? find(r.backend, r.metric, 'off') : null;
  if (off) ratio = `p50 ${pct(r.p50 / off.p50 - 1)}, p99 ${pct(r.p99 / off.p99 - 1)} vs off`;
  // Mid-text against the end of the text, same run: the issue's bound is 2× (p50, wasm).
  const atEnd = r.impl === 'mid' ? find(r.backend, r.metric, 'end') : null;
  if (atEnd) ratio = `${(r.p50 / atEnd.p50).toFixed(2)}× end p50${r.bidirectional ? '' : ' (no bidirectional part: the forward model alone)'}`;
  // Corrections against the word completion on the same texts: the issue's bound is 5 ms p50 on wasm.
  const completion = r.metric === 'corrections' && r.impl === 'nextkey' ? find(r.backend, r.metric, 'complete') : null;
  if (completion) ratio = `${(r.p50 / completion.p50).toFixed(2)}× completion p50`;
  const idle = find(r.backend, r.metric, 'idle');
  if (r.impl === 'finetune' && idle) ratio = `${(r.p50 / idle.p50).toFixed(1)}× idle p50, ${(r.p99 / idle.p99).toFixed(1)}× idle p99`;
  line(r.backend, label, r.n, ms(r.p50), ms(r.p99), ratio);
};
for (const r of result.rows.filter((x) => x.error)) line(r.backend, `${r.metric ?? ''}${r.impl ? ` (${r.impl})` : ''} unavailable: ${r.error}`, '', '', '', '');
const ok = result.rows.filter((x) => !x.error);
ok.filter((r) => ['keystroke', 'roundtrip', 'paced', 'complete', 'adapt-keystroke', 'adapt-complete', 'midtext-keystroke', 'midtext-complete', 'corrections', 'cold-miss', 'cold-hit'].includes(r.metric)).forEach(printRow);
for (const r of ok.filter((x) => x.metric === 'paced-hits')) {
  line(r.backend, 'at typing pace: keystrokes whose state was stepped ahead while idle (hits / all)', r.hits + r.misses, `${r.hits} / ${r.hits + r.misses}`, '', '');
}
for (const r of ok.filter((x) => x.metric === 'paced' && x.impl === 'nextkey' && x.ahead !== undefined)) {
  line(r.backend, 'at typing pace: of those, answered on the main thread from answers the worker sent ahead (no round trip)', r.n, `${r.ahead} / ${r.n}`, '', '');
}
for (const r of ok.filter((x) => x.metric === 'agreement')) {
  line(r.backend, 'baseline (a) vs nextkey, same weights: max |Δp|', 60, r.maxAbsDiff.toExponential(1), '', '');
}
for (const r of ok.filter((x) => x.metric === 'adapt-memory')) {
  line(r.backend, `adaptation's memory after the keystroke rows (${int(r.learnedChars)} committed characters learned, ${r.words} new words, ${int(r.contexts)} contexts; budget ${mb(r.budgetBytes)})`, '', mb(r.bytes), '', '');
}
const leak = result.rows.find((r) => r.metric === 'leak');
if (leak) line('wasm', 'live tensors before / after 10,000 keystrokes (session disposed)', 10000, `${leak.before} / ${leak.after}`, '', '');
const mem = result.rows.find((r) => r.metric === 'memory' && !r.error);
if (mem) {
  line('wasm', `memory, ${mem.sessions} sessions × ${mem.textChars.toLocaleString('en-US')} chars: worker tensor bytes (weights ${mb(mem.weightsTensorBytes)}, ${mem.checkpoints} checkpoints ${mb(mem.checkpointBytes)})`, mem.sessions, mb(mem.tensorBytes), '', '');
  line('wasm', `memory, same: worker JS heap (measureUserAgentSpecificMemory; ${mb(mem.workerHeapBefore)} with no session)`, mem.sessions, mb(mem.workerHeap), '', '');
}

// Fine-tuning throughput: characters per second (in the p50 column), nextkey / tfjs-layers model.fit.
for (const backend of finetuneBackends) {
  const ours = find(backend, 'finetune', 'nextkey');
  const theirs = find(backend, 'finetune', 'tfjs-layers');
  if (!ours || ours.error) continue;
  const vs = theirs && !theirs.error ? `${(ours.charsPerSecond / theirs.charsPerSecond).toFixed(1)}× tfjs-layers` : '';
  line(backend, `fine-tune: predictor.fineTune (batches 2-${ours.batches} of 16 lanes × 64 chars)`, ours.chars, `${int(ours.charsPerSecond)} chars/s`, '', vs);
  if (theirs && !theirs.error) {
    const input = theirs.input === 'embedding' ? 'Embedding' : 'one-hot + Dense: no Embedding gradient kernel here';
    line(backend, `fine-tune: tfjs-layers model.fit, same net, data and batches (${input})`, theirs.chars, `${int(theirs.charsPerSecond)} chars/s`, '', '');
  }
}
const untuned = backends.filter((b) => !finetuneBackends.includes(b));
if (phases.includes('finetune') && untuned.length) line(untuned.join(', '), 'fine-tune: not measured in this run (slow here: run without --quick, or pass --finetune-backends)', '', '', '', '');
ok.filter((r) => r.metric.startsWith('live-') && r.impl).forEach(printRow);
const live = result.rows.find((r) => r.metric === 'live-longtasks');
if (live) {
  line('wasm', `main-thread long tasks (> 50 ms) during fineTune (${(live.runMs / 1000).toFixed(1)} s, ${live.batches} batches, ${live.keystrokes} keystrokes)`, live.keystrokes, `${live.count}`, '', live.count ? `max ${ms(live.maxMs)} ms` : 'target 0');
  line('wasm', 'one fine-tuning batch (16 × 64 chars) while typing, wall ms', live.batchMs.n, ms(live.batchMs.p50), ms(live.batchMs.p99), '');
}
const swap = result.rows.find((r) => r.metric === 'live-swap');
if (swap) {
  line('wasm', 'longest keystroke (setText) idle, same session', '', ms(swap.idleMax), '', '');
  line(
    'wasm',
    `longest keystroke (setText) from fineTune start to 1 s after the new weights are in (${swap.fields} more fields of 4,000 chars re-read with them; at ${(swap.worstAt / 1000).toFixed(1)} s, the run ended at ${(swap.doneAt / 1000).toFixed(1)} s)`,
    swap.n,
    ms(swap.p50),
    '',
    swap.p50 <= 50 ? 'target ≤ 50 ms: met' : 'target ≤ 50 ms: NOT met',
  );
}

const j = result.jank;
if (j) {
  const b = j.backend;
  const p = j.plain;
  const lt = (x) => `${x.longTasks.count} (trace: ${x.trace.count}, ${x.trace.cpuOver50} with > 50 ms CPU)`;
  const worst = (x) => (x.longTasks.count ? `max ${ms(x.longTasks.maxMs)} ms, ≤ ${ms(x.trace.maxCpuMs)} ms CPU` : 'target 0');
  line(b, `demo, ${j.keys} real keys at ${j.rate.toFixed(1)} chars/s: main-thread long tasks (> 50 ms) while typing`, j.keys, lt(j), '', worst(j));
  line(p.backend, `same typing into the same field without the widget (control): long tasks`, p.keys, lt(p), '', worst(p));
  line(b, 'demo: keydown → ghost text painted (model answer)', j.ghostPainted.n, ms(j.ghostPainted.p50), ms(j.ghostPainted.p99), `+${ms(j.ghostPainted.p50 - p.echoPainted.p50)} ms over control echo (p50)`);
  line(b, 'demo: keydown → ghost text in the DOM (model answer)', j.ghostInDom.n, ms(j.ghostInDom.p50), ms(j.ghostInDom.p99), '');
  line(b, 'demo: keydown → typed character painted (echo)', j.echoPainted.n, ms(j.echoPainted.p50), ms(j.echoPainted.p99), `control: ${ms(p.echoPainted.p50)} / ${ms(p.echoPainted.p99)}`);
  line(b, 'demo: keystrokes whose ghost never updated: total (overtaken by the next key / answer with nothing to draw)', j.keys, `${j.noUpdate.total}`, '', `${j.noUpdate.noAnswer} / ${j.noUpdate.nothingToDraw}`);
  line(b, 'demo: keystrokes that redrew the ghost in their own task (typed its next character)', j.keys, `${j.consumed}`, '', '');
}
if (result.longTasks) line('page', 'bench page: main-thread long tasks (> 50 ms) over all its phases', '', `${result.longTasks.count}`, '', '');
for (const x of result.sizes) {
  const verdict = x.budget == null ? '' : x.gzip <= x.budget ? `within ${(x.budget / 1024).toFixed(0)} KB budget` : `OVER the ${(x.budget / 1024).toFixed(0)} KB budget`;
  line('size', `${x.file} gzip (raw ${(x.raw / 1024).toFixed(1)} KB)`, '', `${(x.gzip / 1024).toFixed(1)} KB`, '', verdict);
}
if (backends.includes('webgl')) console.log('\nwebgl here is SwiftShader (software rendering, no GPU): its rows show correctness and overhead, not GPU speed; it runs fewer samples.');
console.log('Keystroke rows type a key the moment the last answer arrives, so every key goes to the worker; at typing pace (a key 30 ms after each answer) the worker has time to step ahead and send answers ahead, and most keys are answered on the main thread (counted above).');
console.log('Files are served as a static host serves them (ETag and no-cache: a repeat visit revalidates each file), so the IndexedDB-hit cold start is a repeat visit.');
console.log('Timings are wall clock on a shared machine: other processes compete for the CPU, so compare rows of the same run, not runs.');
console.log = log;
const command = `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`;
writeFileSync(
  new URL('../BENCHMARKS.md', import.meta.url),
  `# Benchmarks

Generated by \`${command}\` on ${result.date.slice(0, 10)} from \`bench/results.json\`;
run it again to reproduce (it builds, serves the repository, and drives
Debian's headless Chromium through playwright-core). Every row is measured in
the same run as its baseline; the machine and browser are named below.
${report.join('\n')}
`,
);
console.log('wrote bench/results.json and BENCHMARKS.md');
