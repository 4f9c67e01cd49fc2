/**
 * npm run eval -- --model DIR --text FILE... [--backend wasm|cpu] [--lanes 64] [--limit N]
 *                  [--savings N] [--min-confidence 0.2[,0.15,...]] [--no-lexicon] [--json]
 *
 * Runs a model through the same TypeScript runtime the worker runs (manifest
 * validation, dtype decoding, cells, tfjs kernels), in Node on the wasm (or
 * cpu) backend, with no IndexedDB. Prints bits per character, top-1 and top-3
 * next-character accuracy and characters per second. With --savings, also
 * the keystrokes a typist saves with the widget on the first N characters,
 * for word and phrase mode at each --min-confidence threshold, with how
 * often a suggestion was on screen and taken (see simulateTypist).
 *
 * Each file is scored on its own (from a zero state): cut into at most `lanes`
 * contiguous pieces of at least 256 characters read side by side as one batch,
 * each from a zero state, exactly as a session reads a text field. With more
 * than one file it prints a table of bpc per file and their mean (each file
 * weighs the same, as genres should), and with --savings a savings table per
 * file (each file's first N characters) and one for all of them together.
 * --limit N scores only the first N characters of each file.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { dispose, tidy, type TensorContainer } from '@tensorflow/tfjs-core';
import { selectBackend } from '../worker/backend.js';
import { validateManifest } from '../worker/model/manifest.js';
import { sha256Hex } from '../worker/model/sha256.js';
import { buildModel, disposeModel, encode, logits, stateTensors, step, zeroState } from '../worker/model/model.js';
import { Adaptation, CommitTracker, vocabView, DEFAULT_ADAPT_BUDGET } from '../worker/adapt/index.js';
import type { LayerState } from '../worker/cells/index.js';
import { DEFAULT_POLICY as DEFAULT_CHECKPOINTS } from '../worker/checkpoints.js';
import { Session, softmax } from '../worker/session.js';
import { ppmCompare, type PpmRow } from './ppm.js';
import { DEFAULT_POLICY as DEFAULT_SUGGESTION, completeOptions, pickSuggestion, resolvePolicy, savedBy, type SuggestionPolicy } from '../src/widget/policy.js';
import type { Model } from '../worker/model/model.js';
import { textFiles } from './files.js';

/** The completions the widget asks a session for, with the options its policy resolves to. */
function widgetCompletions(session: Session, o: ReturnType<typeof completeOptions>) {
  return session.complete({ maxChars: o.maxChars!, beamWidth: o.beamWidth!, stop: o.stop!, phraseWords: o.phraseWords!, k: o.k!, minP: o.minProbability!, withSpace: o.withSpace!, lexicon: true });
}

/** What the simulated typist did with one policy. */
interface TypistResult {
  chars: number;
  keystrokes: number;
  /** Keystrokes at which a suggestion was on screen. */
  shown: number;
  /** Suggestions taken: whole (Tab) and by the next-word key. */
  accepted: number;
  acceptedWhole: number;
  acceptedWord: number;
  /** The keystrokes typing the second half took (from the first keystroke at or past the middle). */
  secondHalf: { chars: number; keystrokes: number };
  /** Milliseconds of each keystroke's work: setText, learning what it committed, the widget's completions. */
  keyMs: number[];
}

/**
 * A simulated typist types `text`. Before each keystroke the widget's policy
 * (the same functions the widget runs) picks the suggestion for what is typed
 * so far (none in an empty field, as in the widget); {@link savedBy} says
 * what the typist takes: all of it with Tab when all of it is what comes
 * next, else its next word with the next-word key when that is right, one
 * keystroke either way; else the typist types one character. Returns the
 * keystrokes spent on the whole text and how often a suggestion was shown
 * and taken.
 */
async function simulateTypist(model: Model, text: string, policy: SuggestionPolicy, adaptation: Adaptation | null = null): Promise<TypistResult> {
  const cps = Array.from(text);
  const session = new Session(model, DEFAULT_CHECKPOINTS, undefined, adaptation);
  const r: TypistResult = { chars: cps.length, keystrokes: 0, shown: 0, accepted: 0, acceptedWhole: 0, acceptedWord: 0, secondHalf: { chars: 0, keystrokes: 0 }, keyMs: [] };
  const o = completeOptions(policy);
  let i = 0;
  try {
    while (i < cps.length) {
      let suggestion: string | null = null;
      const half = i >= cps.length / 2 ? r.secondHalf : null;
      if (i > 0) {
        const t0 = performance.now();
        await session.setText(cps.slice(0, i).join(''), 1);
        // As the worker does after answering a keystroke: what it committed is learned before the next call.
        adaptation?.drain(Infinity);
        const completions = await widgetCompletions(session, o);
        suggestion = pickSuggestion(completions, policy);
        r.keyMs.push(performance.now() - t0);
      }
      if (suggestion !== null) r.shown++;
      const taken = savedBy(suggestion, cps.slice(i, i + policy.maxChars + 1).join(''));
      if (taken) {
        r.keystrokes += taken.keystrokes;
        r.accepted++;
        if (taken.key === 'all') r.acceptedWhole++;
        else r.acceptedWord++;
        i += taken.chars;
        if (half) (half.keystrokes += taken.keystrokes), (half.chars += taken.chars);
      } else {
        r.keystrokes++;
        i++;
        if (half) half.keystrokes++, half.chars++;
      }
    }
  } finally {
    session.dispose();
  }
  return r;
}

/** One line of the keystroke-savings table. */
interface SavingsRow extends TypistResult {
  mode: 'word' | 'phrase';
  minConfidence: number;
  /** 1 − keystrokes / chars. */
  savings: number;
  keystrokesPerChar: number;
  /** accepted / shown: how often a suggestion on screen was taken. */
  precision: number;
}

interface Args {
  model: string;
  text: string[];
  backend: 'wasm' | 'cpu';
  lanes: number;
  limit: number;
  json: boolean;
  /** Characters of the text the simulated typist types (0: skip keystroke savings). */
  savings: number;
  /** Thresholds the savings are measured at. */
  minConfidence: number[];
  /** Leave the model's lexicon out of completions. */
  noLexicon: boolean;
  /** Texts to show the widget's suggestion for, as a person typing them would see it. */
  prompts: string[];
  /** Read each file from its start with and without learning from it as it goes (worker/adapt/mixer.ts). */
  adapt: boolean;
  /** Memory of the adaptation for --adapt, in bytes. */
  adaptBudget: number;
  /** With --adapt: @willwade/ppmpredictor primed on the training text, reading the same files (tools/ppm.ts). */
  ppm: boolean;
  /** Characters it is primed on (Infinity: all of the training text). */
  ppmTrainChars: number;
}

function usage(message?: string): never {
  if (message) console.error(`eval: ${message}`);
  console.error(
    'usage: npm run eval -- --model DIR --text FILE_OR_DIR... [--backend wasm|cpu] [--lanes 64] [--limit CHARS]\n' +
      '                      [--savings CHARS] [--min-confidence 0.2[,0.1,...]] [--no-lexicon] [--json]\n' +
      '       npm run eval -- --model DIR --text FILE_OR_DIR... --adapt [--adapt-budget BYTES] [--limit CHARS] [--savings CHARS]\n' +
      '                      [--ppm [--ppm-train-chars N]] [--json]\n' +
      '       npm run eval -- --model DIR --prompt TEXT [--prompt TEXT ...] [--min-confidence 0.2] [--json]',
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const args: Args = { model: '', text: [], backend: 'wasm', lanes: 64, limit: Infinity, json: false, savings: 0, minConfidence: [DEFAULT_SUGGESTION.minConfidence], noLexicon: false, prompts: [], adapt: false, adaptBudget: DEFAULT_ADAPT_BUDGET, ppm: false, ppmTrainChars: Infinity };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === '--model') args.model = value();
    else if (a === '--text') {
      while (argv[i + 1] && !argv[i + 1]!.startsWith('--')) args.text.push(argv[++i]!);
    } else if (a === '--backend') {
      const b = value();
      if (b !== 'wasm' && b !== 'cpu') usage(`--backend must be wasm or cpu, got ${b}`);
      args.backend = b;
    } else if (a === '--lanes') args.lanes = Number(value());
    else if (a === '--limit') args.limit = Number(value());
    else if (a === '--json') args.json = true;
    else if (a === '--no-lexicon') args.noLexicon = true;
    else if (a === '--adapt') args.adapt = true;
    else if (a === '--adapt-budget') args.adaptBudget = Number(value());
    else if (a === '--ppm') args.ppm = true;
    else if (a === '--ppm-train-chars') args.ppmTrainChars = Number(value());
    else if (a === '--prompt') args.prompts.push(value());
    else if (a === '--savings') args.savings = Number(value());
    else if (a === '--min-confidence') args.minConfidence = value().split(',').map(Number);
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown argument ${a}`);
  }
  if (!args.model) usage('--model is required');
  if (args.text.length === 0 && args.prompts.length === 0) usage('give --text FILES to score, or --prompt TEXT to show suggestions for');
  if (!Number.isInteger(args.lanes) || args.lanes < 1) usage('--lanes must be a positive integer');
  if (!(args.limit > 0)) usage('--limit must be a positive number');
  if (!Number.isInteger(args.savings) || args.savings < 0) usage('--savings must be a whole number of characters');
  if (!args.minConfidence.every((t) => t >= 0 && t <= 1)) usage('--min-confidence must be numbers from 0 to 1, separated by commas');
  if (args.ppm && !args.adapt) usage('--ppm compares with --adapt: give both');
  if (!(args.ppmTrainChars > 0)) usage('--ppm-train-chars must be a positive number');
  return args;
}

/** What the widget would show after each prompt, word and phrase mode, with the likeliest word completions. */
async function suggestionsFor(model: Model, prompts: string[], minConfidence: number) {
  const out = [];
  for (const prompt of prompts) {
    const row: { prompt: string; word: string | null; phrase: string | null; words: { text: string; p: number }[] } = { prompt, word: null, phrase: null, words: [] };
    for (const mode of ['word', 'phrase'] as const) {
      const policy = resolvePolicy({ mode, minConfidence });
      const o = completeOptions(policy);
      const session = new Session(model, DEFAULT_CHECKPOINTS);
      try {
        await session.setText(prompt, 1);
        const completions = await widgetCompletions(session, o);
        row[mode] = pickSuggestion(completions, policy);
        if (mode === 'word') row.words = completions.slice(0, 3).map((c) => ({ text: c.text, p: c.p }));
      } finally {
        session.dispose();
      }
    }
    out.push(row);
  }
  return out;
}

function savingsRow(mode: 'word' | 'phrase', minConfidence: number, r: TypistResult): SavingsRow {
  return { mode, minConfidence, ...r, savings: 1 - r.keystrokes / r.chars, keystrokesPerChar: r.keystrokes / r.chars, precision: r.shown ? r.accepted / r.shown : 0 };
}

/** What scoring one file gives: totals (for sums over files) and its own rates. */
interface FileScore {
  characters: number;
  lanes: number;
  nll: number;
  top1Count: number;
  top3Count: number;
  unknown: number;
  seconds: number;
  bpc: number;
  top1: number;
  top3: number;
}
interface FileResult extends FileScore {
  file: string;
  savings: SavingsRow[];
}

/** One batched recurrent step (the old states are freed) and the logits after it, on the host. */
async function stepAndLogits(model: Model, input: Int32Array, states: LayerState[]): Promise<{ states: LayerState[]; values: Float32Array }> {
  const next = tidy(() => step(model, input, states) as unknown as TensorContainer) as unknown as LayerState[];
  dispose(stateTensors(states));
  const z = tidy(() => logits(model, next));
  const values = (await z.data()) as Float32Array;
  z.dispose();
  return { states: next, values };
}

/** Bits per character of one file read from its start, without and with adaptation, over the whole file and its second half. */
interface AdaptScore {
  file: string;
  characters: number;
  off: number;
  on: number;
  offSecondHalf: number;
  onSecondHalf: number;
  contexts: number;
  words: number;
  bytes: number;
}

/**
 * Each file read from its start as one typist would type it (one lane per
 * file, side by side in one batch): the network's next-character
 * distribution, and the same mixed with an Adaptation fed exactly as the
 * worker feeds it while the user types: a CommitTracker per field decides
 * what is committed (a word once the edit after its boundary came), the
 * network's probability of each typed character goes with it, and the queue
 * is learned before the next prediction.
 */
async function scoreAdaptive(model: Model, files: { file: string; ids: number[] }[], budgetBytes: number): Promise<AdaptScore[]> {
  const V = model.manifest.vocab.length;
  const B = files.length;
  const len = Math.max(...files.map((f) => f.ids.length));
  const view = vocabView(model.manifest.vocab);
  const known = model.lexicon?.lookup() ?? null;
  const adapt = files.map(() => new Adaptation(budgetBytes));
  const trackers = files.map(() => new CommitTracker(view.wordChar));
  const sums = files.map(() => ({ off: 0, on: 0, offHalf: 0, onHalf: 0, n: 0, nHalf: 0 }));
  let states: LayerState[] = zeroState(model, B);
  const input = new Int32Array(B);
  for (let t = 0; t + 1 < len; t++) {
    for (let b = 0; b < B; b++) input[b] = files[b]!.ids[t] ?? 0;
    let values: Float32Array;
    ({ states, values } = await stepAndLogits(model, input, states));
    for (let b = 0; b < B; b++) {
      const ids = files[b]!.ids;
      if (t + 1 >= ids.length) continue;
      const a = adapt[b]!;
      const tracker = trackers[b]!;
      // The first character was typed into an empty field.
      if (t === 0) {
        const c = tracker.edit(0, ids, 1, 0);
        if (c) a.enqueue(c, view, known);
      }
      const target = ids[t + 1]!;
      const row = values.subarray(b * V, (b + 1) * V);
      const net = softmax(row);
      const mixed = a.mix(ids, t + 1, net);
      const off = -Math.log2(net[target]!);
      const on = -Math.log2(mixed[target]!);
      // The worker learns what a keystroke committed right after answering it: the prediction after the next keystroke knows it.
      a.drain(Infinity);
      tracker.predicted(t + 1, net);
      const c = tracker.edit(t + 1, ids, t + 2, t + 1);
      if (c) a.enqueue(c, view, known);
      const s = sums[b]!;
      s.off += off;
      s.on += on;
      s.n++;
      if (t + 1 >= ids.length / 2) {
        s.offHalf += off;
        s.onHalf += on;
        s.nHalf++;
      }
    }
  }
  dispose(stateTensors(states));
  return files.map((f, b) => {
    const s = sums[b]!;
    const a = adapt[b]!;
    return { file: f.file, characters: s.n, off: s.off / s.n, on: s.on / s.n, offSecondHalf: s.offHalf / s.nHalf, onSecondHalf: s.onHalf / s.nHalf, contexts: a.mixer.contexts, words: a.words.size, bytes: a.bytes };
  });
}

/**
 * Next-character scores of one text, cut into at most `maxLanes` contiguous
 * pieces of at least 256 characters read side by side as one batch, each from
 * a zero state, as a session reads a text field (the PyTorch trainer scores a
 * validation file the same way).
 */
async function scoreText(model: Model, ids: number[], maxLanes: number): Promise<FileScore> {
  const lanes = Math.min(maxLanes, Math.max(1, Math.floor(ids.length / 256)));
  const len = Math.floor(ids.length / lanes);
  const V = model.manifest.vocab.length;
  let states: LayerState[] = zeroState(model, lanes);
  const input = new Int32Array(lanes);
  let nll = 0;
  let top1 = 0;
  let top3 = 0;
  let count = 0;
  let unknown = 0;
  const t0 = performance.now();
  for (let t = 0; t + 1 < len; t++) {
    for (let b = 0; b < lanes; b++) input[b] = ids[b * len + t]!;
    let values: Float32Array;
    ({ states, values } = await stepAndLogits(model, input, states));
    for (let b = 0; b < lanes; b++) {
      const target = ids[b * len + t + 1]!;
      const row = values.subarray(b * V, (b + 1) * V);
      let max = -Infinity;
      for (let i = 0; i < V; i++) if (row[i]! > max) max = row[i]!;
      let sum = 0;
      for (let i = 0; i < V; i++) sum += Math.exp(row[i]! - max);
      nll += Math.log(sum) + max - row[target]!;
      let higher = 0;
      for (let i = 0; i < V; i++) if (row[i]! > row[target]!) higher++;
      if (higher === 0) top1++;
      if (higher < 3) top3++;
      if (target === 0) unknown++;
      count++;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  dispose(stateTensors(states));
  return { characters: count, lanes, nll, top1Count: top1, top3Count: top3, unknown, seconds, bpc: nll / count / Math.LN2, top1: top1 / count, top3: top3 / count };
}

export async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const dir = args.model.endsWith('.json') ? dirname(args.model) : args.model;
  const manifest = validateManifest(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')));
  const file = readFileSync(join(dir, manifest.weights.path));
  const weights = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;
  const hash = await sha256Hex(weights);
  if (hash !== manifest.weights.sha256) throw new Error(`weights SHA-256 ${hash} does not match model.json (${manifest.weights.sha256})`);

  const require = createRequire(import.meta.url);
  const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
  const backend = await selectBackend(args.backend, wasmDir);
  const model = buildModel(manifest, weights);
  // --no-lexicon: completions from the network alone, to measure what the lexicon adds.
  if (args.noLexicon) (model as { lexicon: unknown }).lexicon = null;

  if (args.text.length === 0) {
    const shown = await suggestionsFor(model, args.prompts, args.minConfidence[0]!);
    disposeModel(model);
    if (args.json) console.log(JSON.stringify({ model: resolve(dir), backend: backend.name, prompts: shown }, null, 2));
    else {
      console.log(`suggestions of ${resolve(dir)} at min confidence ${args.minConfidence[0]} (the widget's policy; Tab takes the word or phrase):`);
      for (const r of shown) {
        console.log(`${JSON.stringify(r.prompt)}\n  word:   ${r.word === null ? '(none)' : JSON.stringify(r.word)}\n  phrase: ${r.phrase === null ? '(none)' : JSON.stringify(r.phrase)}` +
          `\n  likeliest words: ${r.words.map((c) => `${JSON.stringify(c.text)} ${(c.p * 100).toFixed(0)}%`).join(', ')}`);
      }
    }
    return;
  }
  const files = textFiles(args.text);
  if (files.length === 0) usage(`no .txt files in ${args.text.join(' ')}`);
  if (args.adapt) {
    const texts = files.map((f) => readFileSync(f, 'utf8').replace(/\r\n?/g, '\n'));
    const inputs = files.map((f, i) => {
      const ids = encode(model, texts[i]!);
      return { file: f, ids: ids.length > args.limit ? ids.slice(0, args.limit) : ids };
    });
    const t0 = performance.now();
    const rows = await scoreAdaptive(model, inputs, args.adaptBudget);
    const bpcSeconds = (performance.now() - t0) / 1000;
    // Keystroke savings of the widget's default policy on each file's first N characters, typed from an empty field, without and with adaptation.
    const policy = resolvePolicy({ minConfidence: args.minConfidence[0]! });
    const typed: { file: string; off: TypistResult; on: TypistResult }[] = [];
    if (args.savings > 0) {
      for (const [i, f] of files.entries()) {
        const sample = Array.from(texts[i]!).slice(0, args.savings).join('');
        const off = await simulateTypist(model, sample, policy);
        const on = await simulateTypist(model, sample, policy, new Adaptation(args.adaptBudget));
        typed.push({ file: f, off, on });
      }
    }
    disposeModel(model);
    // The classical adaptive predictor on the same files, primed on the text our network learned from.
    let ppm: PpmRow[] = [];
    if (args.ppm) {
      const trainFiles = textFiles(['../shared/corpus/train', '../shared/corpus/v2/train']);
      ppm = await ppmCompare({ trainFiles, trainChars: args.ppmTrainChars, files: files.map((f, i) => ({ file: f, text: texts[i]! })), savingsChars: args.savings, limit: args.limit, log: args.json ? undefined : (l) => console.error(`ppm: ${l}`) });
    }
    const mean = (k: 'off' | 'on' | 'offSecondHalf' | 'onSecondHalf') => rows.reduce((a, r) => a + r[k], 0) / rows.length;
    const saved = (r: TypistResult) => 1 - r.keystrokes / r.chars;
    const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    const savedHalf = (r: TypistResult) => 1 - r.secondHalf.keystrokes / r.secondHalf.chars;
    if (args.json) {
      const savings = typed.map((t) => ({ file: t.file, chars: t.off.chars, off: saved(t.off), on: saved(t.on), offSecondHalf: savedHalf(t.off), onSecondHalf: savedHalf(t.on), keyMsP50: { off: p50(t.off.keyMs), on: p50(t.on.keyMs) } }));
      console.log(JSON.stringify({ model: resolve(dir), budgetBytes: args.adaptBudget, files: rows, mean: { off: mean('off'), on: mean('on'), offSecondHalf: mean('offSecondHalf'), onSecondHalf: mean('onSecondHalf') }, savings, ppm }, null, 2));
      return;
    }
    console.log(`adaptation (worker/adapt), each file typed from its start${Number.isFinite(args.limit) ? ` (first ${args.limit} characters)` : ''}, learning committed text as the worker does; bits per character without → with:`);
    console.log(`\n${'file'.padEnd(36)} ${'chars'.padStart(8)}  ${'off'.padStart(6)}  ${'on'.padStart(6)}  ${'Δ'.padStart(6)}  ${'2nd half off'.padStart(12)}  ${'on'.padStart(6)}  ${'Δ'.padStart(6)}  ${'words'.padStart(6)}  ${'memory'.padStart(8)}`);
    const f4 = (x: number) => x.toFixed(3).padStart(6);
    for (const r of rows) {
      console.log(
        `${basename(r.file).padEnd(36)} ${r.characters.toLocaleString('en').padStart(8)}  ${f4(r.off)}  ${f4(r.on)}  ${f4(r.on - r.off)}  ${f4(r.offSecondHalf).padStart(12)}  ${f4(r.onSecondHalf)}  ${f4(r.onSecondHalf - r.offSecondHalf)}  ${String(r.words).padStart(6)}  ${`${(r.bytes / 1048576).toFixed(2)} MB`.padStart(8)}`,
      );
    }
    console.log(`${'mean (each file weighs the same)'.padEnd(36)} ${''.padStart(8)}  ${f4(mean('off'))}  ${f4(mean('on'))}  ${f4(mean('on') - mean('off'))}  ${f4(mean('offSecondHalf')).padStart(12)}  ${f4(mean('onSecondHalf'))}  ${f4(mean('onSecondHalf') - mean('offSecondHalf'))}`);
    console.log(`\n${bpcSeconds.toFixed(0)} s`);
    if (typed.length) {
      const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(7);
      console.log(`\nkeystroke savings, widget's default policy (${policy.mode} mode, min confidence ${policy.minConfidence}), first ${args.savings.toLocaleString('en')} characters of each file, off → on:`);
      console.log(`${'file'.padEnd(36)} ${'chars'.padStart(7)}  ${'off'.padStart(7)}  ${'on'.padStart(7)}  ${'Δ pts'.padStart(6)}  ${'2nd half off'.padStart(12)}  ${'on'.padStart(7)}  ${'Δ pts'.padStart(6)}`);
      for (const t of typed) {
        console.log(
          `${basename(t.file).padEnd(36)} ${String(t.off.chars).padStart(7)}  ${pct(saved(t.off))}  ${pct(saved(t.on))}  ${((saved(t.on) - saved(t.off)) * 100).toFixed(1).padStart(6)}  ${pct(savedHalf(t.off)).padStart(12)}  ${pct(savedHalf(t.on))}  ${((savedHalf(t.on) - savedHalf(t.off)) * 100).toFixed(1).padStart(6)}`,
        );
      }
      const all = (k: 'off' | 'on') => {
        const chars = typed.reduce((a, t) => a + t[k].chars, 0);
        const keys = typed.reduce((a, t) => a + t[k].keystrokes, 0);
        return 1 - keys / chars;
      };
      console.log(`${'all files'.padEnd(36)} ${''.padStart(7)}  ${pct(all('off'))}  ${pct(all('on'))}  ${((all('on') - all('off')) * 100).toFixed(1).padStart(6)}`);
    }
    if (ppm.length) {
      const f3 = (x: number) => x.toFixed(3).padStart(6);
      const pct = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '-' : `${(x * 100).toFixed(1)}%`).padStart(7);
      console.log(`\nside by side with @willwade/ppmpredictor (tools/ppm.ts: order 5, adaptive, primed on ${Number.isFinite(args.ppmTrainChars) ? `about ${args.ppmTrainChars.toLocaleString('en')} characters of ` : ''}the network's training text), the same characters:`);
      console.log(`${'file'.padEnd(36)}  ${'bpc off'.padStart(7)}  ${'on'.padStart(6)}  ${'ppm'.padStart(6)}  ${'saved off'.padStart(9)}  ${'on'.padStart(7)}  ${'ppm'.padStart(7)}  ${'ms/key on'.padStart(9)}  ${'ppm'.padStart(7)}`);
      rows.forEach((r, i) => {
        const t = typed[i];
        const q = ppm[i]!;
        console.log(
          `${basename(r.file).padEnd(36)}  ${f3(r.off).padStart(7)}  ${f3(r.on)}  ${f3(q.bpc)}  ${pct(t ? saved(t.off) : undefined).padStart(9)}  ${pct(t ? saved(t.on) : undefined)}  ${pct(t ? q.savings : undefined)}  ${(t ? p50(t.on.keyMs).toFixed(2) : '-').padStart(9)}  ${(t ? (q.usP50 / 1000).toFixed(2) : '-').padStart(7)}`,
        );
      });
      const m = (f: (q: PpmRow) => number) => ppm.reduce((a, q) => a + f(q), 0) / ppm.length;
      console.log(`${'mean (each file weighs the same)'.padEnd(36)}  ${f3(mean('off')).padStart(7)}  ${f3(mean('on'))}  ${f3(m((q) => q.bpc))}`);
      console.log('ms/key: p50 of one keystroke\'s work in Node (ours: setText, learning, the widget\'s completions; ppm: addToContext, letters, word completion)');
    }
    console.log(`\n${((performance.now() - t0) / 1000).toFixed(0)} s in all`);
    return;
  }
  const perFile: FileResult[] = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8').replace(/\r\n?/g, '\n');
    let ids = encode(model, text);
    if (ids.length > args.limit) ids = ids.slice(0, args.limit);
    const score = await scoreText(model, ids, args.lanes);
    const savings: SavingsRow[] = [];
    if (args.savings > 0) {
      const sample = Array.from(text).slice(0, args.savings).join('');
      for (const mode of ['word', 'phrase'] as const) {
        for (const minConfidence of args.minConfidence) {
          const r = await simulateTypist(model, sample, resolvePolicy({ mode, minConfidence }));
          savings.push(savingsRow(mode, minConfidence, r));
        }
      }
    }
    perFile.push({ file: f, ...score, savings });
  }
  disposeModel(model);

  const sum = (k: 'characters' | 'nll' | 'top1Count' | 'top3Count' | 'unknown' | 'seconds') => perFile.reduce((a, r) => a + r[k], 0);
  const count = sum('characters');
  // Savings over all files: their typists' keystrokes and characters added up.
  const savings: SavingsRow[] = (perFile[0]?.savings ?? []).map((row, j) => {
    const t: TypistResult = { chars: 0, keystrokes: 0, shown: 0, accepted: 0, acceptedWhole: 0, acceptedWord: 0, secondHalf: { chars: 0, keystrokes: 0 }, keyMs: [] };
    for (const r of perFile) {
      const x = r.savings[j]!;
      for (const k of ['chars', 'keystrokes', 'shown', 'accepted', 'acceptedWhole', 'acceptedWord'] as const) t[k] += x[k];
      t.secondHalf.chars += x.secondHalf.chars;
      t.secondHalf.keystrokes += x.secondHalf.keystrokes;
    }
    return savingsRow(row.mode, row.minConfidence, t);
  });
  const result = {
    model: resolve(dir),
    cell: manifest.cell,
    hiddenSizes: manifest.hiddenSizes,
    parameters: model.parameters,
    lexiconWords: model.lexicon?.size ?? 0,
    weightsBytes: manifest.weights.byteLength,
    dtypes: [...new Set(manifest.tensors.map((t) => t.dtype))],
    backend: backend.name,
    files,
    characters: count,
    unknownShare: count ? sum('unknown') / count : 0,
    lanes: Math.max(...perFile.map((r) => r.lanes)),
    /** Over every predicted character of every file. */
    bpc: sum('nll') / count / Math.LN2,
    /** Each file weighs the same (the corpus's per-genre mean). */
    meanBpc: perFile.reduce((a, r) => a + r.bpc, 0) / perFile.length,
    top1: sum('top1Count') / count,
    top3: sum('top3Count') / count,
    charsPerSecond: count / sum('seconds'),
    savings,
    perFile: perFile.map(({ nll: _n, top1Count: _a, top3Count: _b, seconds: _s, ...r }) => r),
  };
  if (args.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  const row = (k: string, v: string) => console.log(`${k.padEnd(16)} ${v}`);
  row('model', `${result.model} (${result.cell} ${result.hiddenSizes.join('x')}, ${result.parameters.toLocaleString('en')} params, ${result.weightsBytes.toLocaleString('en')} bytes, ${result.dtypes.join('/')})`);
  row('backend', `${result.backend} (Node, same runtime as the worker)`);
  row('text', `${files.length} file(s), ${count.toLocaleString('en')} predicted characters in up to ${result.lanes} lanes a file, ${(result.unknownShare * 100).toFixed(3)}% unknown`);
  row('lexicon', result.lexiconWords ? `${result.lexiconWords.toLocaleString('en-US')} words` : args.noLexicon ? 'left out (--no-lexicon)' : 'none');
  if (perFile.length > 1) {
    console.log(`\n${'file'.padEnd(40)} ${'chars'.padStart(9)} ${'lanes'.padStart(5)}  ${'bpc'.padStart(6)}  ${'top-1'.padStart(6)}  ${'top-3'.padStart(6)}`);
    for (const r of perFile) {
      console.log(`${basename(r.file).padEnd(40)} ${r.characters.toLocaleString('en').padStart(9)} ${String(r.lanes).padStart(5)}  ${r.bpc.toFixed(4)}  ${`${(r.top1 * 100).toFixed(2)}%`.padStart(6)}  ${`${(r.top3 * 100).toFixed(2)}%`.padStart(6)}`);
    }
    console.log(`${'mean over files'.padEnd(40)} ${''.padStart(9)} ${''.padStart(5)}  ${result.meanBpc.toFixed(4)}\n`);
    row('mean bpc', `${result.meanBpc.toFixed(4)} (each file weighs the same)`);
  }
  row('bpc', `${result.bpc.toFixed(4)}${perFile.length > 1 ? ' (over all characters)' : ''}`);
  row('top-1 accuracy', `${(result.top1 * 100).toFixed(2)}%`);
  row('top-3 accuracy', `${(result.top3 * 100).toFixed(2)}%`);
  row('chars/s', `${Math.round(result.charsPerSecond).toLocaleString('en')} (batched up to ${result.lanes} lanes)`);
  const table = (rows: SavingsRow[], what: string) => {
    console.log(`\n${what}keystroke savings on the first ${rows[0]!.chars.toLocaleString('en')} characters (shown: keystrokes with a suggestion on screen; accepted: taken whole with Tab + by the next-word key)`);
    console.log('mode    min conf  saved   keys/char  shown  accepted (whole + word)  accepted/shown');
    for (const r of rows) {
      console.log(
        `${r.mode.padEnd(7)} ${r.minConfidence.toFixed(2).padStart(8)}  ${`${(r.savings * 100).toFixed(1)}%`.padStart(5)}  ${r.keystrokesPerChar.toFixed(3).padStart(9)}  ` +
          `${String(r.shown).padStart(5)}  ${`${r.accepted} (${r.acceptedWhole} + ${r.acceptedWord})`.padStart(23)}  ${`${(r.precision * 100).toFixed(1)}%`.padStart(14)}`,
      );
    }
  };
  if (savings.length) {
    if (perFile.length > 1) for (const r of perFile) table(r.savings, `${basename(r.file)}: `);
    table(savings, perFile.length > 1 ? `all ${perFile.length} files: ` : '');
  }
}
