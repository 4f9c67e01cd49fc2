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

/**
 * Times `press` for each character of a long typing session, after `warmup`
 * untimed ones. Back to back by default; with `gapMs`, each key comes that
 * long after the previous answer, as a person types (the worker is idle in
 * between, as it is between real keystrokes).
 */
async function timeKeystrokes(n, warmup, press, gapMs = 0) {
  const times = [];
  let k = 0;
  for (const ch of typing(warmup + n)) {
    if (gapMs) await sleep(gapMs);
    const t0 = performance.now();
    await press(ch);
    const dt = performance.now() - t0;
    if (k++ >= warmup) times.push(dt);
  }
  return summary(times);
}

/** nextkey: main-thread setText with one more character until the top-5 is in hand. */
async function nextkeyKeystrokes(session, n, warmup, gapMs = 0) {
  let text = '';
  let ahead = 0;
  let pressed = 0;
  const times = await timeKeystrokes(
    n,
    warmup,
    async (ch) => {
      text += ch;
      if (text.length > 400) text = ch; // a new field now and then, as a user moves on
      const u = await session.setText(text, { k: 5 });
      if (u.predictions.length !== 5) throw new Error('no predictions');
      // Answered on the main thread from what the worker sent ahead (counted over the measured keys).
      if (pressed++ >= warmup && u.ahead) ahead++;
    },
    gapMs,
  );
  return { ...times, ahead };
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

/**
 * Two sessions typed into in turn, on the same text (which goes first
 * alternates, so a machine that gets busier or quieter weighs on both alike):
 * after each key, for each session, `prepare(session, text)` untimed, then
 * `timed(session, text)` timed.
 */
async function paired(a, b, n, warmup, timed, prepare = async () => {}) {
  const times = { a: [], b: [] };
  let text = '';
  let k = 0;
  for (const ch of typing(warmup + n)) {
    text += ch;
    if (text.length > 400) text = ch;
    for (const [name, s] of k % 2 ? [['b', b], ['a', a]] : [['a', a], ['b', b]]) {
      await prepare(s, text);
      const t0 = performance.now();
      await timed(s, text);
      const dt = performance.now() - t0;
      if (k >= warmup) times[name].push(dt);
    }
    k++;
  }
  return { a: summary(times.a), b: summary(times.b) };
}

/** `w` misspelled as a hurried typist might: its second and third letters swapped ("teh"); words of under 4 letters as they are. */
const swapped = (w) => (w.length < 4 ? w : w[0] + w[2] + w[1] + w.slice(3));

/**
 * The word just finished, after each word of the sample and its space (every
 * other word misspelled by `swapped`): session.corrections() for it, and the
 * word completion for the same text, taking turns (which goes first
 * alternates), each timed. The text is set untimed first.
 */
async function correctionTimes(session, n, warmup) {
  const words = SAMPLE.split(' ').filter(Boolean);
  const times = { corrections: [], complete: [] };
  let text = '';
  for (let k = 0; k < warmup + n; k++) {
    const w = words[k % words.length];
    text += (k % 2 ? swapped(w) : w) + ' ';
    if (text.length > 400) text = w + ' ';
    await session.setText(text);
    const calls = [
      ['corrections', () => session.corrections({ k: 3 })],
      ['complete', () => session.complete({ beamWidth: 4, maxChars: 12, stop: 'word' })],
    ];
    for (const [name, call] of k % 2 ? calls.reverse() : calls) {
      const t0 = performance.now();
      await call();
      const dt = performance.now() - t0;
      if (k >= warmup) times[name].push(dt);
    }
  }
  return { corrections: summary(times.corrections), complete: summary(times.complete) };
}

/** Keystrokes in two sessions in turn: setText +1 char → top-5, timed each. */
const pairedKeystrokes = (a, b, n, warmup) =>
  paired(a, b, n, warmup, async (s, text) => {
    if ((await s.setText(text, { k: 5 })).predictions.length !== 5) throw new Error('no predictions');
  });

/** Word completions after each keystroke in two sessions in turn, as completions() times one. */
const pairedCompletions = (a, b, n, warmup) =>
  paired(a, b, n, warmup, (s) => s.complete({ beamWidth: 4, maxChars: 12, stop: 'word' }), (s, text) => s.setText(text));

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

function worker(file) {
  const w = new Worker(new URL(`./dist/${file}`, import.meta.url), { type: 'module' });
  return { worker: w, api: Comlink.wrap(w) };
}

const log = (...a) => console.log('bench:', ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Main-thread long tasks (> 50 ms) whose start falls in [t0, t1]. */
function longTasksIn(entries, t0, t1) {
  const hits = entries.filter((e) => e.duration > 50 && e.startTime >= t0 && e.startTime <= t1);
  return { count: hits.length, maxMs: hits.length ? Math.max(...hits.map((e) => e.duration)) : 0 };
}

/** Per-keystroke latency of setText → top-5, word completion, agreement and the two inference baselines, per backend. */
/** Milliseconds between an answer and the next key in the typing-pace rows. */
const PACE_MS = 30;

async function keystrokePhase(rows, { model, compareModel, backends, samples, completionSamples, baselineSamples, pacedSamples, minSamples, manifestUrl, wasmBaseUrl, vocab }) {
  for (const backend of backends) {
    let predictor;
    try {
      // The network alone (adapt: false): what the baselines compute, so their agreement is exact. Adaptation's rows follow.
      predictor = await createPredictor({ model, backend, cache: false, adapt: false });
    } catch (error) {
      rows.push({ backend, error: `${error.name}: ${error.message}` });
      continue;
    }
    // WebGL runs on SwiftShader (software) here, ~30x slower per step: fewer samples keep the run short.
    const scale = backend === 'webgl' ? 0.2 : 1;
    const n = Math.max(minSamples.keystroke, Math.round(samples * scale));
    const { worker: w, api } = worker('baselines-worker.js');
    const t0 = performance.now();
    const step = (what) => log(`keystroke ${backend}: ${what} done at ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    try {
      // The baselines' worker starts (and compiles its bundle) before anything is timed, so no row pays for it.
      await api.init(manifestUrl, backend, wasmBaseUrl);
      const session = await predictor.session();
      rows.push({ backend, metric: 'keystroke', impl: 'nextkey', ...(await nextkeyKeystrokes(session, n, 50)) });
      step('nextkey setText');
      if (compareModel) {
        // The same keystrokes on another model, in the same page and worker conditions.
        const other = await createPredictor({ model: compareModel, backend, cache: false });
        try {
          rows.push({ backend, metric: 'keystroke', impl: 'compare-model', model: compareModel, ...(await nextkeyKeystrokes(await other.session(), n, 50)) });
        } finally {
          await other.dispose();
        }
        step('--compare-model setText');
      }
      // The floor under every row: a worker call that does no work (Comlink round trip).
      rows.push({ backend, metric: 'roundtrip', impl: 'nextkey', ...(await timeKeystrokes(n, 50, () => predictor.stats())) });
      const completeSamples = Math.max(minSamples.complete, Math.round(completionSamples * scale));
      rows.push({ backend, metric: 'complete', impl: 'nextkey', ...(await completions(session, completeSamples, 10)) });
      step('nextkey complete');
      // The same keystrokes and completions with adaptation on (the default): it learns the prose as it is
      // typed (committed words), so from the second sentence on every prediction and every beam step is mixed.
      // Off and on take turns key by key (see paired), each in a predictor of its own made for these rows
      // (a worker that has already run the rows above is warmer: alike, an off/off run differed by ~10%).
      const plain = await createPredictor({ model, backend, cache: false, adapt: false });
      const adaptive = await createPredictor({ model, backend, cache: false });
      try {
        const [off, on] = await Promise.all([plain.session(), adaptive.session()]);
        const keys = await pairedKeystrokes(off, on, n, 100);
        rows.push({ backend, metric: 'adapt-keystroke', impl: 'off', ...keys.a }, { backend, metric: 'adapt-keystroke', impl: 'on', ...keys.b });
        const words = await pairedCompletions(off, on, completeSamples, 10);
        rows.push({ backend, metric: 'adapt-complete', impl: 'off', ...words.a }, { backend, metric: 'adapt-complete', impl: 'on', ...words.b });
        const { adapt } = await adaptive.stats();
        rows.push({ backend, metric: 'adapt-memory', bytes: adapt.bytes, budgetBytes: adapt.budgetBytes, learnedChars: adapt.learnedChars, words: adapt.words, contexts: adapt.contexts });
      } finally {
        await Promise.all([plain.dispose(), adaptive.dispose()]);
      }
      step('with adaptation');
      // The caret in the middle of the text (issue 19): the same keys typed before a fixed line of text
      // in one session and at the end in another, taking turns. With the model's bidirectional part the
      // middle reads the line after the caret (once: typing does not change it) and predicts with both sides.
      {
        const RIGHT = ' and that was the end of it, as far as anyone could tell.';
        const [end, mid] = await Promise.all([predictor.session(), predictor.session()]);
        const keys = await paired(end, mid, n, 100, async (s, text) => {
          const u = s === end ? await s.setText(text, { k: 5 }) : await s.setText(text + RIGHT, { cursor: text.length, k: 5 });
          if (u.predictions.length !== 5) throw new Error('no predictions');
        });
        const { right } = await mid.stats();
        rows.push(
          { backend, metric: 'midtext-keystroke', impl: 'end', ...keys.a },
          { backend, metric: 'midtext-keystroke', impl: 'mid', ...keys.b, bidirectional: !!right?.midText },
        );
        // The widget's word completion at each of those places (mid-line: more candidates, ranked by how
        // well the line after the caret follows each, see fitRight), the text set untimed first.
        const words = await paired(
          end,
          mid,
          Math.max(minSamples.complete, Math.round(completionSamples * scale)),
          10,
          (s) => s.complete({ beamWidth: 4, maxChars: 16, stop: 'word', minProbability: 0.2 }),
          (s, text) => (s === end ? s.setText(text) : s.setText(text + RIGHT, { cursor: text.length })),
        );
        rows.push({ backend, metric: 'midtext-complete', impl: 'end', ...words.a }, { backend, metric: 'midtext-complete', impl: 'mid', ...words.b, bidirectional: !!right?.midText });
        await Promise.all([end.dispose(), mid.dispose()]);
      }
      step('mid-text');
      if (predictor.model.parts.corrector) {
        // Typo corrections (issue 20) for the word just finished, next to the word completion on the same texts.
        const s = await predictor.session();
        const t = await correctionTimes(s, Math.max(minSamples.complete, Math.round(completionSamples * scale)), 10);
        rows.push({ backend, metric: 'corrections', impl: 'nextkey', ...t.corrections }, { backend, metric: 'corrections', impl: 'complete', ...t.complete });
        await s.dispose();
        step('corrections');
      }
      await session.dispose();
      rows.push({ backend, metric: 'agreement', maxAbsDiff: await agreement(predictor, api, vocab) });
      step('agreement');
      await api.resetStateful();
      rows.push({ backend, metric: 'keystroke', impl: 'baseline-a', ...(await timeKeystrokes(n, 50, (ch) => api.statefulStep(ch))) });
      step('baseline (a)');
      if (pacedSamples > 0 && backend === 'wasm') {
        // At typing pace: the same two, a key 30 ms after the previous answer (a fast typist).
        // nextkey steps ahead for the likeliest next keys while it waits; the baseline cannot.
        const paced = await predictor.session();
        const before = (await paced.stats()).speculation;
        rows.push({ backend, metric: 'paced', impl: 'nextkey', ...(await nextkeyKeystrokes(paced, pacedSamples, 20, PACE_MS)) });
        const after = (await paced.stats()).speculation;
        rows.push({ backend, metric: 'paced-hits', hits: after.hits - before.hits, misses: after.misses - before.misses });
        await paced.dispose();
        rows.push({ backend, metric: 'paced', impl: 'roundtrip', ...(await timeKeystrokes(pacedSamples, 20, () => predictor.stats(), PACE_MS)) });
        await api.resetStateful();
        rows.push({ backend, metric: 'paced', impl: 'baseline-a', ...(await timeKeystrokes(pacedSamples, 20, (ch) => api.statefulStep(ch), PACE_MS)) });
        step('at typing pace');
      }
      const m = Math.max(minSamples.stateless, Math.round(baselineSamples * scale));
      rows.push({ backend, metric: 'keystroke', impl: 'baseline-b', ...(await timeKeystrokes(m, minSamples.statelessWarmup, (ch) => api.statelessPredict(ch))) });
      step('baseline (b)');
    } finally {
      w.terminate();
      await predictor.dispose();
    }
  }
}

/** Cold start to first prediction: IndexedDB miss (fresh database) vs hit (same database again). */
async function coldPhase(rows, { model }) {
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
}

/** Leaks: live tensors before and after 10,000 keystrokes (session disposed at the end). */
async function leakPhase(rows, { model }) {
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
}

/**
 * Memory with the default model and 5 sessions, each fed 2,000 characters a
 * keystroke at a time (so each holds its full set of checkpoints): the
 * worker's tensor bytes (weights, states, checkpoints) from predictor.stats(),
 * the checkpoints' share from each session's stats(), and the worker's JS
 * heap from performance.measureUserAgentSpecificMemory() (this page is
 * cross-origin isolated; Chromium runs with ForceEagerMeasureMemory).
 */
async function memoryPhase(rows, { model }) {
  const p = await createPredictor({ model, backend: 'wasm', cache: false });
  try {
    const empty = await p.stats();
    const heap = async () => {
      if (typeof performance.measureUserAgentSpecificMemory !== 'function') return null;
      const m = await performance.measureUserAgentSpecificMemory();
      let worker = 0;
      for (const b of m.breakdown) {
        if (b.attribution.some((a) => a.scope === 'DedicatedWorkerGlobalScope' && /\/dist\/worker\.js/.test(a.url ?? ''))) worker += b.bytes;
      }
      return { total: m.bytes, worker };
    };
    const heapBefore = await heap();
    const sessions = [];
    for (let i = 0; i < 5; i++) sessions.push(await p.session());
    const chars = [...typing(2000 + 5 * 37)];
    for (const [i, s] of sessions.entries()) {
      let text = '';
      for (const ch of chars.slice(i * 37, i * 37 + 2000)) {
        text += ch;
        await s.setText(text, { k: 5 });
      }
    }
    const st = await p.stats();
    const per = await Promise.all(sessions.map((s) => s.stats()));
    const heapAfter = await heap();
    rows.push({
      backend: 'wasm',
      metric: 'memory',
      sessions: sessions.length,
      textChars: 2000,
      weightsTensorBytes: empty.numBytes,
      tensorBytes: st.numBytes,
      numTensors: st.numTensors,
      checkpoints: per.reduce((a, s) => a + s.checkpoints, 0),
      checkpointBytes: per.reduce((a, s) => a + s.checkpointBytes, 0),
      workerHeapBefore: heapBefore?.worker ?? null,
      workerHeap: heapAfter?.worker ?? null,
      agentHeap: heapAfter?.total ?? null,
    });
    for (const s of sessions) await s.dispose();
  } finally {
    await p.dispose();
  }
}

// ---------------------------------------------------------------------------
// Fine-tuning

/** nextkey's fine-tuning defaults (src/predictor.ts), used by both sides of the comparison. */
const TUNE = { batchSize: 16, seqLength: 64, learningRate: 3e-3 };
/** A small held-out share: the two evaluations it costs are not part of the timed training, only of the wall time. */
const SPLIT = 0.05;

/**
 * The first code points of `chars` such that, after nextkey holds out the
 * last SPLIT of them (ceil), exactly `trainChars` remain to train on.
 */
function textWithTrainLength(chars, trainChars) {
  let n = trainChars;
  while (n - Math.ceil(n * SPLIT) < trainChars) n++;
  if (n > chars.length) throw new Error(`the fine-tuning text has ${chars.length} characters, ${n} are needed; use fewer windows`);
  return chars.slice(0, n).join('');
}

async function fineTuneText() {
  const text = await (await fetch(new URL('../test/fixtures/finetune/tidewell.txt', import.meta.url))).text();
  // As sessions and the trainer read text: newlines normalised, code points.
  return Array.from(text.replace(/\r\n?/g, '\n'));
}

/**
 * Characters per second over batches 2..N from the times each batch ended:
 * the first batch (shader compilation on webgl, first-call set-up elsewhere)
 * is left out on both sides of the comparison.
 */
function steadyRate(batchEnds, batchChars) {
  if (batchEnds.length < 2) return { charsPerSecond: NaN, chars: 0, ms: 0, firstBatchMs: batchEnds[0] };
  const ms = batchEnds[batchEnds.length - 1] - batchEnds[0];
  const chars = (batchEnds.length - 1) * batchChars;
  return { charsPerSecond: (chars * 1000) / ms, chars, ms, firstBatchMs: batchEnds[0] };
}

/**
 * Fine-tuning throughput on one backend: nextkey's predictor.fineTune next to
 * tfjs-layers model.fit, one pass each over the same `windows` × 16 lanes ×
 * 64 characters, timed per batch (see steadyRate).
 */
async function fineTuneThroughput(rows, backend, windows, { model, manifestUrl, wasmBaseUrl, vocab, chars }) {
  const B = TUNE.batchSize;
  const T = TUNE.seqLength;
  const trainChars = B * T * windows + 1;
  const text = textWithTrainLength(chars, trainChars);

  let predictor;
  try {
    predictor = await createPredictor({ model, backend, cache: false });
    const ends = [];
    const r = await predictor.fineTune(text, { ...TUNE, epochs: 1, validationSplit: SPLIT, onProgress: (p) => ends.push(p.elapsedMs) });
    if (r.steps !== windows || r.batchSize !== B) throw new Error(`expected ${windows} batches of ${B} lanes, got ${r.steps} of ${r.batchSize}`);
    const rate = steadyRate(ends, B * T);
    rows.push({ backend, metric: 'finetune', impl: 'nextkey', ...rate, batches: r.steps, wholeRunCharsPerSecond: r.charsPerSecond, bpcBefore: r.bpcBefore, bpcAfter: r.bpcAfter });
    log(`fine-tune ${backend} nextkey: ${Math.round(rate.charsPerSecond)} chars/s over batches 2-${r.steps} (first batch ${Math.round(rate.firstBatchMs)} ms)`);
  } catch (error) {
    rows.push({ backend, metric: 'finetune', impl: 'nextkey', error: `${error.name}: ${error.message}` });
  } finally {
    await predictor?.dispose();
  }

  // The same training characters as vocabulary indices, as nextkey's trainer encodes them.
  const index = new Map(vocab.map((cp, i) => [cp, i]));
  index.delete(0);
  const ids = Int32Array.from(chars.slice(0, trainChars), (ch) => index.get(ch.codePointAt(0)) ?? 0);
  const { worker: w, api } = worker('fit-worker.js');
  try {
    await api.init(manifestUrl, backend, wasmBaseUrl);
    // Embedding, the stock layer, where the backend has its gradient kernel; else one-hot rows through Dense.
    const input = await api.inputFor(backend);
    const r = await api.fit({ ids, batch: B, seqLength: T, learningRate: TUNE.learningRate, input });
    if (r.batches !== windows) throw new Error(`expected ${windows} batches, got ${r.batches}`);
    const rate = steadyRate(r.batchEnds, r.batchChars);
    rows.push({ backend, metric: 'finetune', impl: 'tfjs-layers', input, ...rate, batches: r.batches, lossFirst: r.losses[0], lossLast: r.losses[r.losses.length - 1] });
    log(`fine-tune ${backend} tfjs-layers (${input}): ${Math.round(rate.charsPerSecond)} chars/s over batches 2-${r.batches} (first batch ${Math.round(rate.firstBatchMs)} ms)`);
  } catch (error) {
    rows.push({ backend, metric: 'finetune', impl: 'tfjs-layers', error: `${error.name}: ${error.message}`.slice(0, 200) });
  } finally {
    w.terminate();
  }
}

/**
 * Types like a person (one character every `intervalMs`, on a fixed schedule;
 * a late call delays only the next keystroke) through setText(+1 char) and a
 * word completion, as the widget does, until `stop()` says so or `max`
 * keystrokes are done. Returns each call's latency.
 */
async function paceTyping(session, { max, stop, intervalMs }) {
  const setText = [];
  const complete = [];
  const at = [];
  let text = '';
  let next = performance.now();
  let i = 0;
  for (const ch of typing(max)) {
    if (stop()) break;
    const wait = next - performance.now();
    if (wait > 0) await sleep(wait);
    next = Math.max(next + intervalMs, performance.now());
    text += ch;
    if (text.length > 400) text = ch;
    const t0 = performance.now();
    await session.setText(text, { k: 1 });
    const t1 = performance.now();
    await session.complete({ beamWidth: 4, maxChars: 16, stop: 'word', k: 3 });
    setText.push(t1 - t0);
    complete.push(performance.now() - t1);
    at.push(t0);
    i++;
  }
  return { setText, complete, at, keystrokes: i };
}

/**
 * Typing stays live while fine-tuning: the same paced typing on the main
 * thread, idle and then during one fineTune run on the same predictor (wasm),
 * with the main thread's long tasks over the run.
 */
async function typingDuringFineTune(rows, windows, idleKeys, { model, chars, longTasks }) {
  const backend = 'wasm';
  const B = TUNE.batchSize;
  const T = TUNE.seqLength;
  const text = textWithTrainLength(chars, B * T * windows + 1);
  const predictor = await createPredictor({ model, backend, cache: false });
  try {
    const session = await predictor.session();
    // Five more fields of 4,000 characters each: all of them must be read with the new
    // weights when they go in, which must not hold the typing up.
    const fields = [];
    for (let f = 0; f < 5; f++) {
      const s = await predictor.session();
      await s.setText(chars.slice(f * 997, f * 997 + 4000).join(''));
      fields.push(s);
    }
    const intervalMs = 50;
    const idle = await paceTyping(session, { max: 20 + idleKeys, stop: () => false, intervalMs });
    let done = 0;
    const batches = [];
    const t0 = performance.now();
    const run = predictor
      .fineTune(text, { ...TUNE, epochs: 1, validationSplit: SPLIT, onProgress: (p) => batches.push(p.elapsedMs) })
      .finally(() => (done = performance.now()));
    // Typing goes on for a second after the run, when the new weights are in.
    const during = await paceTyping(session, { max: 100_000, stop: () => done > 0 && performance.now() > done + 1000, intervalMs });
    const result = await run;
    const t1 = done;
    const after = during.setText.filter((_, i) => during.at[i] >= t1);
    during.setText = during.setText.filter((_, i) => during.at[i] < t1);
    during.complete = during.complete.filter((_, i) => during.at[i] < t1);
    const all = [...during.setText, ...after];
    const worst = Math.max(...all);
    const worstAt = during.at[all.indexOf(worst)] - t0;
    rows.push({ backend, metric: 'live-swap', impl: 'finetune', n: during.keystrokes, p50: worst, p99: worst, fields: fields.length, idleMax: Math.max(...idle.setText.slice(20)), worstAt, doneAt: t1 - t0 });
    for (const s of fields) await s.dispose();
    await sleep(100); // long-task entries arrive a little after the task
    const lt = longTasksIn(longTasks, t0, t1);
    const drop = (xs) => xs.slice(20); // warm-up of the idle run
    const gaps = batches.map((t, i) => t - (batches[i - 1] ?? 0));
    rows.push({ backend, metric: 'live-settext', impl: 'idle', ...summary(drop(idle.setText)) });
    rows.push({ backend, metric: 'live-settext', impl: 'finetune', ...summary(during.setText) });
    rows.push({ backend, metric: 'live-complete', impl: 'idle', ...summary(drop(idle.complete)) });
    rows.push({ backend, metric: 'live-complete', impl: 'finetune', ...summary(during.complete) });
    rows.push({ backend, metric: 'live-longtasks', ...lt, runMs: t1 - t0, trainMs: result.elapsedMs, batches: result.steps, batchMs: summary(gaps), keystrokes: during.keystrokes });
    log(`typing during fine-tune (${backend}): ${during.keystrokes} keystrokes over ${Math.round(t1 - t0)} ms, ${result.steps} batches (p50 ${Math.round(summary(gaps).p50)} ms each), ${lt.count} long tasks`);
    await session.dispose();
  } finally {
    await predictor.dispose();
  }
}

/** Phases run in this page; `jank` runs in the demo page, driven by bench/run.mjs. */
export const PAGE_PHASES = ['keystroke', 'cold', 'leak', 'memory', 'finetune', 'finetune-live'];

export async function run(options) {
  const { model, phases, finetuneWindows, liveWindows } = options;
  const rows = [];
  const longTasks = [];
  new PerformanceObserver((list) => longTasks.push(...list.getEntries())).observe({ type: 'longtask', buffered: false });
  const manifestUrl = new URL(`${model}model.json`, location.href).href;
  const wasmBaseUrl = new URL('../dist/', import.meta.url).href;
  const { vocab } = await (await fetch(manifestUrl)).json();
  const ctx = { ...options, manifestUrl, wasmBaseUrl, vocab, longTasks };
  const timed = async (name, fn) => {
    if (!phases.includes(name)) return;
    const t0 = performance.now();
    await fn();
    log(`phase ${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  };

  await timed('keystroke', () => keystrokePhase(rows, ctx));
  await timed('cold', () => coldPhase(rows, ctx));
  await timed('leak', () => leakPhase(rows, ctx));
  await timed('memory', () => memoryPhase(rows, ctx));
  if (phases.includes('finetune') || phases.includes('finetune-live')) ctx.chars = await fineTuneText();
  await timed('finetune', async () => {
    for (const backend of options.finetuneBackends) await fineTuneThroughput(rows, backend, finetuneWindows[backend] ?? 2, ctx);
  });
  await timed('finetune-live', () => typingDuringFineTune(rows, liveWindows, options.liveIdleKeys, ctx));

  return {
    rows,
    longTasks: { count: longTasks.filter((d) => d.duration > 50).length, max: longTasks.length ? Math.max(...longTasks.map((e) => e.duration)) : 0 },
    crossOriginIsolated,
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    model,
  };
}
