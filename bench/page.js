// Runs inside headless Chromium (bench/index.html); bench/run.mjs drives it.
import { createPredictor } from '../dist/index.js';

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const summary = (xs) => ({ n: xs.length, p50: quantile(xs, 0.5), p99: quantile(xs, 0.99), mean: xs.reduce((a, b) => a + b, 0) / xs.length });

const SAMPLE = `It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness. She said that she would come back in the morning, and that nothing would change before then. `;

/** Per-keystroke latency: setText with one more character until the top-5 is in hand. */
async function keystrokes(session, n, warmup) {
  const times = [];
  let text = '';
  let i = 0;
  for (let k = 0; k < warmup + n; k++) {
    text += SAMPLE[i++ % SAMPLE.length];
    if (text.length > 400) text = text.slice(-1); // a new field now and then: keeps texts realistic
    const t0 = performance.now();
    const u = await session.setText(text, { k: 5 });
    const dt = performance.now() - t0;
    if (u.predictions.length !== 5) throw new Error('no predictions');
    if (k >= warmup) times.push(dt);
  }
  return summary(times);
}

async function completions(session, n, warmup) {
  const times = [];
  let text = '';
  let i = 0;
  for (let k = 0; k < warmup + n; k++) {
    text += SAMPLE[i++ % SAMPLE.length];
    if (text.length > 400) text = text.slice(-1);
    await session.setText(text);
    const t0 = performance.now();
    await session.complete({ beamWidth: 4, maxChars: 12, stop: 'word' });
    const dt = performance.now() - t0;
    if (k >= warmup) times.push(dt);
  }
  return summary(times);
}

export async function run({ model, backends, samples, completionSamples }) {
  const rows = [];
  for (const backend of backends) {
    let predictor;
    try {
      predictor = await createPredictor({ model, backend, cache: false });
    } catch (error) {
      rows.push({ backend, error: `${error.name}: ${error.message}` });
      continue;
    }
    try {
      const session = await predictor.session();
      // WebGL on SwiftShader is ~30x slower per step here: fewer samples keep the run short.
      const scale = backend === 'webgl' ? 0.1 : 1;
      const n = Math.max(100, Math.round(samples * scale));
      const m = Math.max(20, Math.round(completionSamples * scale));
      rows.push({ backend, metric: 'keystroke', ...(await keystrokes(session, n, 50)) });
      rows.push({ backend, metric: 'complete', ...(await completions(session, m, 10)) });
      const stats = await predictor.stats();
      rows.push({ backend, metric: 'tensors', live: stats.numTensors, bytes: stats.numBytes });
    } finally {
      await predictor.dispose();
    }
  }
  return { rows, crossOriginIsolated, userAgent: navigator.userAgent, hardwareConcurrency: navigator.hardwareConcurrency, model };
}
