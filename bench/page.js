// Runs inside headless Chromium (bench/index.html); bench/run.mjs drives it and prints the table.
import * as Comlink from '../node_modules/comlink/dist/esm/comlink.mjs';
import { createPredictor } from '../dist/index.js';

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const summary = (xs) => ({ n: xs.length, p50: quantile(xs, 0.5), p99: quantile(xs, 0.99), mean: xs.reduce((a, b) => a + b, 0) / xs.length });

const SAMPLE =
  'It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness. ' +
  'She said that she would come back in the morning, and that nothing would change before then. ';

/** Characters of a long typing session: the sample text over and over. */
function* typing(n) {
  for (let i = 0; i < n; i++) yield SAMPLE[i % SAMPLE.length];
}

async function timeKeystrokes(n, warmup, press) {
  const times = [];
  let k = 0;
  for (const ch of typing(warmup + n)) {
    const t0 = performance.now();
    await press(ch);
    const dt = performance.now() - t0;
    if (k++ >= warmup) times.push(dt);
  }
  return summary(times);
}

/** nextkey: main-thread setText with one more character until the top-5 is in hand. */
async function nextkeyKeystrokes(session, n, warmup) {
  let text = '';
  return timeKeystrokes(n, warmup, async (ch) => {
    text += ch;
    if (text.length > 400) text = ch; // a new field now and then, as a user moves on
    const u = await session.setText(text, { k: 5 });
    if (u.predictions.length !== 5) throw new Error('no predictions');
  });
}

async function completions(session, n, warmup) {
  const times = [];
  let text = '';
  let k = 0;
  for (const ch of typing(warmup + n)) {
    text += ch;
    if (text.length > 400) text = ch;
    await session.setText(text);
    const t0 = performance.now();
    await session.complete({ beamWidth: 4, maxChars: 12, stop: 'word' });
    const dt = performance.now() - t0;
    if (k++ >= warmup) times.push(dt);
  }
  return summary(times);
}

/** Same text through nextkey and baseline (a): the largest probability difference (same weights, so ~1e-6). */
async function agreement(predictor, baseline, vocab) {
  const s = await predictor.session();
  await baseline.resetStateful();
  const index = new Map(vocab.map((cp, i) => [String.fromCodePoint(cp), i]));
  let worst = 0;
  let text = '';
  for (const ch of SAMPLE.slice(0, 60)) {
    text += ch;
    const ours = (await s.setText(text, { k: vocab.length })).predictions;
    const theirs = await baseline.statefulStep(ch);
    for (const { char, p } of ours) worst = Math.max(worst, Math.abs(p - theirs[index.get(char)]));
  }
  await s.dispose();
  return worst;
}

function baselineWorker() {
  const worker = new Worker(new URL('./dist/baselines-worker.js', import.meta.url), { type: 'module' });
  return { worker, api: Comlink.wrap(worker) };
}

export async function run({ model, backends, samples, completionSamples, baselineSamples }) {
  const rows = [];
  const longTasks = [];
  new PerformanceObserver((list) => longTasks.push(...list.getEntries().map((e) => e.duration))).observe({ type: 'longtask', buffered: false });
  const manifestUrl = new URL(`${model}model.json`, location.href).href;
  const wasmBaseUrl = new URL('../dist/', import.meta.url).href;
  const { vocab } = await (await fetch(manifestUrl)).json();

  for (const backend of backends) {
    let predictor;
    try {
      predictor = await createPredictor({ model, backend, cache: false });
    } catch (error) {
      rows.push({ backend, error: `${error.name}: ${error.message}` });
      continue;
    }
    // WebGL runs on SwiftShader (software) here, ~30x slower per step: fewer samples keep the run short.
    const scale = backend === 'webgl' ? 0.2 : 1;
    const n = Math.max(200, Math.round(samples * scale));
    const { worker, api } = baselineWorker();
    try {
      const session = await predictor.session();
      rows.push({ backend, metric: 'keystroke', impl: 'nextkey', ...(await nextkeyKeystrokes(session, n, 50)) });
      rows.push({ backend, metric: 'complete', impl: 'nextkey', ...(await completions(session, Math.max(50, Math.round(completionSamples * scale)), 10)) });
      await session.dispose();
      await api.init(manifestUrl, backend, wasmBaseUrl);
      rows.push({ backend, metric: 'agreement', maxAbsDiff: await agreement(predictor, api, vocab) });
      await api.resetStateful();
      rows.push({ backend, metric: 'keystroke', impl: 'baseline-a', ...(await timeKeystrokes(n, 50, (ch) => api.statefulStep(ch))) });
      const m = Math.max(100, Math.round(baselineSamples * scale));
      rows.push({ backend, metric: 'keystroke', impl: 'baseline-b', ...(await timeKeystrokes(m, 20, (ch) => api.statelessPredict(ch))) });
    } finally {
      worker.terminate();
      await predictor.dispose();
    }
  }

  // Cold start to first prediction: IndexedDB miss (fresh database) vs hit (same database again).
  const cold = { miss: [], hit: [] };
  for (let i = 0; i < 5; i++) {
    const dbName = `nextkey-bench-${Date.now()}-${i}`;
    for (const kind of ['miss', 'hit']) {
      const t0 = performance.now();
      const p = await createPredictor({ model, cache: { dbName } });
      const s = await p.session();
      await s.setText('T');
      cold[kind].push(performance.now() - t0);
      await p.dispose();
    }
    indexedDB.deleteDatabase(dbName);
  }
  rows.push({ backend: 'auto', metric: 'cold-miss', impl: 'nextkey', ...summary(cold.miss) });
  rows.push({ backend: 'auto', metric: 'cold-hit', impl: 'nextkey', ...summary(cold.hit) });

  // Leaks: live tensors before and after 10,000 keystrokes (session disposed at the end).
  const p = await createPredictor({ model, backend: 'wasm', cache: false });
  const before = (await p.stats()).numTensors;
  const s = await p.session();
  let text = '';
  for (const ch of typing(10_000)) {
    text += ch;
    if (text.length > 400) text = ch;
    await s.setText(text, { k: 5 });
  }
  const during = await p.stats();
  const st = await s.stats();
  await s.dispose();
  const after = (await p.stats()).numTensors;
  await p.dispose();
  rows.push({ backend: 'wasm', metric: 'leak', before, after, duringTensors: during.numTensors, checkpoints: st.checkpoints, checkpointBytes: st.checkpointBytes });

  return {
    rows,
    longTasks: { count: longTasks.filter((d) => d > 50).length, max: longTasks.length ? Math.max(...longTasks) : 0 },
    crossOriginIsolated,
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    model,
  };
}
