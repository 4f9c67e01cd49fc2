/**
 * npm run eval:gaps -- --model DIR --text FILE_OR_DIR... [--gaps 1000] [--seed 1] [--lanes 64]
 *                      [--backend wasm|cpu] [--min-p P] [--no-lexicon] [--json]
 *                      [--fit-candidates 8] [--fit-beam 4] [--fit-chars 8] [--fit-min-p 0.01] [--mass-fit]
 *
 * Gap filling: how much the text after the caret helps (the model's optional
 * bidirectional part, worker/model/bidir.ts). In each file, words in the
 * middle of lines (runs of word characters, src/text.ts isWordChar, neither
 * the first nor the last word of their line) are picked at random with a
 * fixed seed, the same number from each file, and taken out. The left context
 * is up to 256 characters before the gap, read from a zero state; the right
 * context is the rest of the gap's line (newline excluded), at most 256
 * characters, read by the backward stack from its end.
 *
 * Per file and as a mean over files (each file weighs the same), forward only
 * vs bidirectional:
 *   - bits per character of the missing word: each of its characters given the
 *     left text and the word's earlier letters (bidirectional: also the right text);
 *   - top-1 / top-3 of the word completion after the word's first letter and
 *     after its first two (words longer than that): beamSearch in word mode,
 *     worker/model/beam.ts, with the model's lexicon and the widget's default
 *     completion settings (src/widget/policy.ts completeOptions), on the
 *     forward model vs on the mid-text model; a hit is a completion whose text
 *     (without the trailing space withSpace adds) is the rest of the word.
 *
 *   - with the bidirectional part, also the bits per character of the
 *     missing word under the word distribution the mid-line completions are
 *     ranked by (rescore.ts fitNextChar: at each letter, the head's
 *     candidates for the rest of the word share their probability by how well
 *     the text after the gap follows each, Bayes' rule; the next character's
 *     distribution is its marginal). By default with the completions' own
 *     settings (FIT_CANDIDATES candidates, the widget's beam, FIT_CHARS
 *     characters read, FIT_MIN_P); the --fit-* options widen the search.
 *
 * With --mass-fit (run it on training text, never on the validation text),
 * it also prints, for each power γ of the candidates' total probability P
 * that fitRight gives them (rescore.ts FIT_MASS_POWER), the mean
 * log-likelihood of the gaps' words after one and after two letters, the
 * part that depends on γ: γ ln P when the word is among the candidates,
 * ln(1 − P^γ) when it is not (the words not searched for share 1 − P^γ).
 *
 * A model without the section gives the forward columns only, and says so.
 * Work is batched: the gaps' left texts, words and right texts are read in
 * lanes (one batch row per gap; shorter texts start later from a zero state).
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { dispose, gather, mul, tensor1d, tensor2d, tidy, type Tensor2D } from '@tensorflow/tfjs-core';
import { selectBackend } from '../worker/backend.js';
import { validateManifest } from '../worker/model/manifest.js';
import { sha256Hex } from '../worker/model/sha256.js';
import { buildModel, disposeModel, encode, logits, stateTensors, step, zeroState, type Model } from '../worker/model/model.js';
import { disposeMidText, midTextModel } from '../worker/model/bidir.js';
import { beamSearch } from '../worker/model/beam.js';
import { FIT_CANDIDATES, FIT_CHARS, FIT_MIN_P, completeMidLine, fitTail, fitNextChar } from '../worker/model/rescore.js';
import type { LayerState } from '../worker/cells/index.js';
import { isWordChar } from '../src/text.js';
import { DEFAULT_POLICY, completeOptions } from '../src/widget/policy.js';
import { textFiles } from './files.js';
import { mulberry32 } from '../worker/session.js';

/** Most characters of context on each side of a gap. */
const CONTEXT = 256;

interface Args {
  model: string;
  text: string[];
  gaps: number;
  seed: number;
  lanes: number;
  backend: 'wasm' | 'cpu';
  minP: number;
  noLexicon: boolean;
  json: boolean;
  /** Print how likely the gaps' words are for each power of the candidates' mass in fitRight (`--mass-fit`). */
  massFit: boolean;
  /** The fitted next character's search (fitNextChar): candidates, beam width, characters after the gap read, least probability. */
  fit: { candidates: number; beam: number; chars: number; minP: number };
}

function usage(message?: string): never {
  if (message) console.error(`gapfill: ${message}`);
  console.error(
    'usage: npm run eval:gaps -- --model DIR --text FILE_OR_DIR... [--gaps 1000] [--seed 1] [--lanes 64]\n' +
      '                           [--backend wasm|cpu] [--min-p P] [--no-lexicon] [--json]\n' +
      '                           [--fit-candidates 8] [--fit-beam 4] [--fit-chars 8] [--fit-min-p 0.01] [--mass-fit]',
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const widget = completeOptions(DEFAULT_POLICY);
  const args: Args = {
    model: '',
    text: [],
    gaps: 1000,
    seed: 1,
    lanes: 64,
    backend: 'wasm',
    minP: widget.minProbability!,
    noLexicon: false,
    json: false,
    massFit: false,
    fit: { candidates: FIT_CANDIDATES, beam: widget.beamWidth!, chars: FIT_CHARS, minP: FIT_MIN_P },
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === '--model') args.model = value();
    else if (a === '--text') {
      while (argv[i + 1] && !argv[i + 1]!.startsWith('--')) args.text.push(argv[++i]!);
    } else if (a === '--gaps') args.gaps = Number(value());
    else if (a === '--seed') args.seed = Number(value());
    else if (a === '--lanes') args.lanes = Number(value());
    else if (a === '--backend') {
      const b = value();
      if (b !== 'wasm' && b !== 'cpu') usage(`--backend must be wasm or cpu, got ${b}`);
      args.backend = b;
    } else if (a === '--min-p') args.minP = Number(value());
    else if (a === '--no-lexicon') args.noLexicon = true;
    else if (a === '--json') args.json = true;
    else if (a === '--mass-fit') args.massFit = true;
    else if (a === '--fit-candidates') args.fit.candidates = Number(value());
    else if (a === '--fit-beam') args.fit.beam = Number(value());
    else if (a === '--fit-chars') args.fit.chars = Number(value());
    else if (a === '--fit-min-p') args.fit.minP = Number(value());
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown argument ${a}`);
  }
  if (!args.model) usage('--model is required');
  if (args.text.length === 0) usage('--text FILES is required');
  if (!Number.isInteger(args.gaps) || args.gaps < 1) usage('--gaps must be a positive integer');
  if (!Number.isInteger(args.seed)) usage('--seed must be an integer');
  if (!Number.isInteger(args.lanes) || args.lanes < 1) usage('--lanes must be a positive integer');
  if (!(args.minP >= 0 && args.minP < 1)) usage('--min-p must be a number from 0 to 1');
  for (const [name, v] of [['--fit-candidates', args.fit.candidates], ['--fit-beam', args.fit.beam], ['--fit-chars', args.fit.chars]] as const) {
    if (!Number.isInteger(v) || v < 1) usage(`${name} must be a positive integer`);
  }
  if (!(args.fit.minP >= 0 && args.fit.minP < 1)) usage('--fit-min-p must be a number from 0 to 1');
  return args;
}

/** One word taken out of a text. */
interface Gap {
  file: number;
  /** Code points. */
  left: string[];
  word: string[];
  right: string[];
}

/**
 * Up to `count` gaps of one text: words with a word before and after them in
 * the same line, chosen uniformly without repeats, in text order.
 */
export function pickGaps(text: string, count: number, rand: () => number, file = 0): Gap[] {
  const cps = Array.from(text);
  const candidates: { start: number; end: number; lineEnd: number }[] = [];
  let lineStart = 0;
  for (let i = 0; i <= cps.length; i++) {
    if (i < cps.length && cps[i] !== '\n') continue;
    const words: { start: number; end: number }[] = [];
    for (let k = lineStart; k < i; ) {
      if (!isWordChar(cps[k]!)) {
        k++;
        continue;
      }
      const start = k;
      while (k < i && isWordChar(cps[k]!)) k++;
      words.push({ start, end: k });
    }
    for (let w = 1; w < words.length - 1; w++) candidates.push({ ...words[w]!, lineEnd: i });
    lineStart = i + 1;
  }
  // A partial Fisher-Yates shuffle: the first `n` places are a uniform sample.
  const n = Math.min(count, candidates.length);
  for (let k = 0; k < n; k++) {
    const j = k + Math.floor(rand() * (candidates.length - k));
    [candidates[k], candidates[j]] = [candidates[j]!, candidates[k]!];
  }
  return candidates
    .slice(0, n)
    .sort((a, b) => a.start - b.start)
    .map((c) => ({
      file,
      left: cps.slice(Math.max(0, c.start - CONTEXT), c.start),
      word: cps.slice(c.start, c.end),
      right: cps.slice(c.end, Math.min(c.lineEnd, c.end + CONTEXT)),
    }));
}

/**
 * Reads each of `seqs` (vocabulary indices) from a zero state, one batch row
 * each: the rows are right-aligned, so a shorter one starts later and stays
 * zero until then. Returns the states after every row's last character.
 */
export function readLanes(model: Model, seqs: number[][]): LayerState[] {
  const B = seqs.length;
  const T = Math.max(0, ...seqs.map((s) => s.length));
  let states = zeroState(model, B);
  const ids = new Int32Array(B);
  const mask = new Float32Array(B);
  for (let t = 0; t < T; t++) {
    let waiting = false;
    for (let i = 0; i < B; i++) {
      const at = t - (T - seqs[i]!.length);
      ids[i] = at >= 0 ? seqs[i]![at]! : 0;
      mask[i] = at >= 0 ? 1 : 0;
      waiting ||= at < 0;
    }
    const prev = states;
    states = tidy(() => {
      const next = step(model, ids, prev);
      if (!waiting) return next as never;
      const m = tensor2d(mask, [B, 1]);
      return next.map((s) => (s.c ? { h: mul(s.h, m) as Tensor2D, c: mul(s.c, m) as Tensor2D } : { h: mul(s.h, m) as Tensor2D })) as never;
    }) as unknown as LayerState[];
    dispose(stateTensors(prev));
  }
  return states;
}

/** Row `i` of a batch of states, as a batch of one (new tensors). */
function row(states: LayerState[], i: number): LayerState[] {
  return tidy(() => {
    const idx = tensor1d([i], 'int32');
    return states.map((s) => (s.c ? { h: gather(s.h, idx) as Tensor2D, c: gather(s.c, idx) as Tensor2D } : { h: gather(s.h, idx) as Tensor2D })) as never;
  }) as unknown as LayerState[];
}

/** −ln p(target) from one row of logits. */
function nllOf(z: Float32Array, from: number, V: number, target: number, add: Float32Array | null): number {
  let max = -Infinity;
  for (let v = 0; v < V; v++) max = Math.max(max, z[from + v]! + (add ? add[v]! : 0));
  let sum = 0;
  for (let v = 0; v < V; v++) sum += Math.exp(z[from + v]! + (add ? add[v]! : 0) - max);
  return Math.log(sum) + max - (z[from + target]! + (add ? add[target]! : 0));
}

/** What one side (forward only, or bidirectional) scored on a set of gaps. */
interface Tally {
  chars: number;
  nll: number;
  /** The character after the word (where the text after the gap resumes), given the whole word: how many, and −ln p. */
  ends: number;
  endNll: number;
  /** Completions after the first letter / first two: tries, top-1 hits, top-3 hits. */
  after: { tries: number; top1: number; top3: number }[];
}

const tally = (): Tally => ({ chars: 0, nll: 0, ends: 0, endNll: 0, after: [0, 1].map(() => ({ tries: 0, top1: 0, top3: 0 })) });

/** The measures of a tally. */
function measures(t: Tally) {
  const share = (n: number, d: number) => (d ? n / d : NaN);
  return {
    chars: t.chars,
    bpc: t.nll / t.chars / Math.LN2,
    /** Bits per character of the word and the character that ends it (knowing where the word stops). */
    bpcWithEnd: (t.nll + t.endNll) / (t.chars + t.ends) / Math.LN2,
    after1: { words: t.after[0]!.tries, top1: share(t.after[0]!.top1, t.after[0]!.tries), top3: share(t.after[0]!.top3, t.after[0]!.tries) },
    after2: { words: t.after[1]!.tries, top1: share(t.after[1]!.top1, t.after[1]!.tries), top3: share(t.after[1]!.top3, t.after[1]!.tries) },
  };
}
type Measures = ReturnType<typeof measures>;

/** Completion texts ranked, each once: "ing " (withSpace) counts as "ing". */
function ranked(completions: { text: string }[]): string[] {
  const out: string[] = [];
  for (const c of completions) {
    const t = c.text.endsWith(' ') ? c.text.slice(0, -1) : c.text;
    if (!out.includes(t)) out.push(t);
  }
  return out;
}

export async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const t0 = performance.now();
  const dir = args.model;
  const manifest = validateManifest(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')));
  const file = readFileSync(join(dir, manifest.weights.path));
  const weights = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;
  const hash = await sha256Hex(weights);
  if (hash !== manifest.weights.sha256) throw new Error(`weights SHA-256 ${hash} does not match model.json (${manifest.weights.sha256})`);
  const require = createRequire(import.meta.url);
  const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
  const backend = await selectBackend(args.backend, wasmDir);
  const model = buildModel(manifest, weights);
  const V = manifest.vocab.length;
  const bidir = model.bidir;
  const files = textFiles(args.text);
  const rand = mulberry32(args.seed);
  const perFile = Math.ceil(args.gaps / files.length);
  const gaps: Gap[] = [];
  files.forEach((f, i) => gaps.push(...pickGaps(readFileSync(f, 'utf8').replace(/\r\n?/g, '\n'), perFile, rand, i)));
  const widget = completeOptions(DEFAULT_POLICY);
  const beam = { maxChars: widget.maxChars!, beamWidth: widget.beamWidth!, stop: widget.stop!, phraseWords: widget.phraseWords!, k: widget.k!, minP: args.minP, withSpace: widget.withSpace! };
  const lexicon = args.noLexicon ? null : (model.lexicon?.lookup() ?? null);
  const fwd = files.map(tally);
  const both = files.map(tally);
  // The bidirectional head's completions before fitRight ranks them (its share of the gain).
  const head = files.map(tally);
  // Both sides with the next character from the word distribution fitRight gives (fitNextChar).
  const fitted = files.map(tally);
  // The combining head with nothing added: the batch's combined logits are its logits plus each row's right-text share.
  const mid0 = bidir ? midTextModel(model, bidir, new Float32Array(V)) : null;
  const seconds = { read: 0, complete: 0, fitted: 0 };
  /** Per completion request mid-line (after 1 and 2 letters): the candidates' total probability, and whether the word is among them. */
  const massRows: { n: number; mass: number; hit: boolean }[] = [];
  try {
    for (let b0 = 0; b0 < gaps.length; b0 += args.lanes) {
      const batch = gaps.slice(b0, b0 + args.lanes);
      const B = batch.length;
      const tRead = performance.now();
      const words = batch.map((g) => encode(model, g.word.join('')));
      // The right text's share of each row's logits, [B · V].
      let right: Float32Array | null = null;
      if (bidir) {
        const back = bidir.backward;
        const sb = readLanes(back, batch.map((g) => encode(back, g.right.join('')).reverse()));
        const z = tidy(() => logits(back, sb));
        right = z.dataSync() as Float32Array;
        z.dispose();
        dispose(stateTensors(sb));
      }
      let states = readLanes(model, batch.map((g) => encode(model, g.left.join(''))));
      // The states after the word's first letter and first two, for the completions.
      const starts: LayerState[][] = [];
      const initial = states;
      const longest = Math.max(...words.map((w) => w.length));
      // The character that follows each gap (its end, where the text resumes); -1 when the line ends there.
      const ends = batch.map((g) => (g.right.length ? (model.index.get(g.right[0]!.codePointAt(0)!) ?? 0) : -1));
      for (let k = 0; k <= longest; k++) {
        // Both heads by the same ops on the same state: an untrained part (backward columns zero) gives the forward numbers exactly.
        const zf = tidy(() => logits(model, states));
        const f = zf.dataSync() as Float32Array;
        zf.dispose();
        let c: Float32Array | null = null;
        if (mid0) {
          const zc = tidy(() => logits(mid0, states));
          c = zc.dataSync() as Float32Array;
          zc.dispose();
        }
        for (let i = 0; i < B; i++) {
          const w = words[i]!;
          const g = batch[i]!;
          if (k === w.length && ends[i]! >= 0) {
            fwd[g.file]!.ends++;
            fwd[g.file]!.endNll += nllOf(f, i * V, V, ends[i]!, null);
            if (c && right) {
              both[g.file]!.ends++;
              both[g.file]!.endNll += nllOf(c, i * V, V, ends[i]!, right.subarray(i * V, i * V + V));
            }
          }
          if (k >= w.length) continue;
          fwd[g.file]!.chars++;
          fwd[g.file]!.nll += nllOf(f, i * V, V, w[k]!, null);
          if (c && right) {
            both[g.file]!.chars++;
            both[g.file]!.nll += nllOf(c, i * V, V, w[k]!, right.subarray(i * V, i * V + V));
          }
        }
        if (k === longest) break;
        const prev = states;
        states = tidy(() => step(model, Int32Array.from(words, (w) => w[k] ?? 0), prev) as never) as unknown as LayerState[];
        starts.push(states);
        if (k > 0 && !starts.includes(prev)) dispose(stateTensors(prev));
      }
      seconds.read += (performance.now() - tRead) / 1000;
      const tFitted = performance.now();
      if (bidir && right) {
        for (let i = 0; i < B; i++) {
          const g = batch[i]!;
          const w = words[i]!;
          if (!(ends[i]! > 0 && !isWordChar(g.right[0]!))) continue;
          const mid = midTextModel(model, bidir, right.slice(i * V, i * V + V));
          const tail = encode(model, g.right.slice(0, args.fit.chars).join(''));
          try {
            for (let k = 0; k <= w.length; k++) {
              const all = k === 0 ? initial : starts[k - 1]!;
              const start = row(all, i);
              try {
                const stem = g.word.slice(0, k).join('');
                const o = { ...beam, beamWidth: args.fit.beam, k: args.fit.candidates, minP: args.fit.minP, meet: ends[i]!, ...(lexicon ? { known: lexicon, stem } : {}) };
                const q = await fitNextChar(model, mid, start, o, tail);
                const target = k < w.length ? w[k]! : ends[i]!;
                const nll = -Math.log(Math.max(q[target]!, 1e-300));
                const t = fitted[g.file]!;
                if (k < w.length) {
                  t.chars++;
                  t.nll += nll;
                } else {
                  t.ends++;
                  t.endNll += nll;
                }
              } finally {
                dispose(stateTensors(start));
              }
            }
          } finally {
            disposeMidText(mid);
          }
        }
      }
      seconds.fitted += (performance.now() - tFitted) / 1000;
      const tComplete = performance.now();
      for (let i = 0; i < B; i++) {
        const g = batch[i]!;
        for (let n = 1; n <= 2; n++) {
          if (g.word.length <= n || !starts[n - 1]) continue;
          const stem = g.word.slice(0, n).join('');
          const rest = g.word.slice(n).join('');
          const start = row(starts[n - 1]!, i);
          // As a session does mid-line: the word ends where the text after the gap resumes (a non-word character).
          const meet = ends[i]! > 0 && !isWordChar(g.right[0]!) ? { meet: ends[i]! } : {};
          const o = { ...beam, ...meet, ...(lexicon ? { known: lexicon, stem } : {}) };
          try {
            const score = (t: Tally, list: string[]) => {
              const a = t.after[n - 1]!;
              a.tries++;
              if (list[0] === rest) a.top1++;
              if (list.slice(0, 3).includes(rest)) a.top3++;
            };
            score(fwd[g.file]!, ranked(await beamSearch(model, start, o)));
            // Both sides, as a session completes mid-line: the bidirectional head (when the model has
            // one), then the candidates ranked by how well the text after the gap follows them.
            const mid = bidir && right ? midTextModel(model, bidir, right.slice(i * V, i * V + V)) : null;
            try {
              const m = mid ?? model;
              if (mid) score(head[g.file]!, ranked(await beamSearch(m, start, o)));
              if (args.massFit && 'meet' in o) {
                const wide = await beamSearch(m, start, { ...o, k: Math.max(o.k, FIT_CANDIDATES), minP: Math.min(o.minP ?? 0, FIT_MIN_P) });
                const words = new Map<string, number>();
                for (const c of wide) {
                  const t = c.text.endsWith(' ') ? c.text.slice(0, -1) : c.text;
                  words.set(t, Math.max(words.get(t) ?? 0, c.p));
                }
                if (words.size > 1) massRows.push({ n, mass: [...words.values()].reduce((a, x) => a + x, 0), hit: words.has(rest) });
              }
              score(both[g.file]!, ranked(await completeMidLine(model, m, start, o, fitTail(model, g.right))));
            } finally {
              if (mid) disposeMidText(mid);
            }
          } finally {
            dispose(stateTensors(start));
          }
        }
      }
      seconds.complete += (performance.now() - tComplete) / 1000;
      for (const s of new Set([initial, states, ...starts])) dispose(stateTensors(s));
      if (!args.json) process.stderr.write(`\r${Math.min(b0 + B, gaps.length)} of ${gaps.length} gaps`);
    }
  } finally {
    if (mid0) disposeMidText(mid0);
    disposeModel(model);
  }
  if (!args.json) process.stderr.write('\n');

  const rows = files.map((f, i) => ({
    file: f,
    gaps: gaps.filter((g) => g.file === i).length,
    forward: measures(fwd[i]!),
    bidirectional: bidir ? measures(both[i]!) : null,
    /** The completions from the bidirectional head alone (before fitRight); the bpc columns are the same as bidirectional's. */
    headOnly: bidir ? measures({ ...both[i]!, after: head[i]!.after }) : null,
    fitted: bidir ? measures(fitted[i]!) : null,
  }));
  const used = rows.filter((r) => r.gaps > 0);
  const meanOf = (pick: (r: (typeof rows)[number]) => Measures | null) => {
    const ms = used.map(pick).filter((x): x is Measures => x !== null);
    if (!ms.length) return null;
    const avg = (f: (m: Measures) => number) => {
      const xs = ms.map(f).filter((x) => !Number.isNaN(x));
      return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
    };
    return {
      bpc: avg((m) => m.bpc),
      bpcWithEnd: avg((m) => m.bpcWithEnd),
      after1: { top1: avg((m) => m.after1.top1), top3: avg((m) => m.after1.top3) },
      after2: { top1: avg((m) => m.after2.top1), top3: avg((m) => m.after2.top3) },
    };
  };
  const result = {
    model: resolve(dir),
    backend: backend.name,
    bidirectional: bidir ? manifest.backward! : null,
    seed: args.seed,
    gaps: gaps.length,
    context: CONTEXT,
    completion: { ...beam, lexicon: lexicon ? model.lexicon!.size : 0 },
    files: rows,
    /** Each file weighs the same. */
    mean: { forward: meanOf((r) => r.forward), bidirectional: bidir ? meanOf((r) => r.bidirectional) : null, headOnly: bidir ? meanOf((r) => r.headOnly) : null, fitted: bidir ? meanOf((r) => r.fitted) : null },
    fit: { chars: FIT_CHARS, candidates: FIT_CANDIDATES, minP: FIT_MIN_P },
    seconds: { ...seconds, total: (performance.now() - t0) / 1000 },
  };
  if (args.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  const pct = (x: number) => (Number.isNaN(x) ? '–' : `${(x * 100).toFixed(1)}%`);
  const pair = (a: number, b: number | null, f: (x: number) => string) => (b === null ? f(a) : `${f(a)} → ${f(b)}`);
  const bpc = (x: number) => x.toFixed(3);
  console.log(`model ${result.model} (${manifest.cell} ${manifest.hiddenSizes.join('x')}${bidir ? `, backward ${bidir.backward.manifest.cell} ${bidir.backward.manifest.hiddenSizes.join('x')}` : ''}), ${backend.name}`);
  console.log(`${gaps.length} gaps (seed ${args.seed}, up to ${perFile} a file): a word in the middle of a line; left ${CONTEXT} characters, right the rest of the line (≤ ${CONTEXT})`);
  console.log(`completions: beam search in word mode, width ${beam.beamWidth}, up to ${beam.maxChars} characters, k ${beam.k}, min p ${beam.minP}, ${lexicon ? `lexicon of ${model.lexicon!.size.toLocaleString('en')} words` : 'no lexicon'}; a hit: the rest of the word`);
  console.log(bidir ? '\ncolumns: forward only → both sides (the text after the gap too: the bidirectional head, and completions ranked by how well the text after the gap follows them)\n' : '\nthis model has no backward section: forward only (bidirectional: none)\n');
  console.log('| file | gaps | chars | bpc of the word | bpc with its end | top-1 after 1 letter | top-3 after 1 | top-1 after 2 letters | top-3 after 2 |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of used) {
    const b = r.bidirectional;
    console.log(
      `| ${basename(r.file)} | ${r.gaps} | ${r.forward.chars} | ${pair(r.forward.bpc, b?.bpc ?? null, bpc)} | ${pair(r.forward.bpcWithEnd, b?.bpcWithEnd ?? null, bpc)} | ${pair(r.forward.after1.top1, b?.after1.top1 ?? null, pct)} | ${pair(r.forward.after1.top3, b?.after1.top3 ?? null, pct)} | ${pair(r.forward.after2.top1, b?.after2.top1 ?? null, pct)} | ${pair(r.forward.after2.top3, b?.after2.top3 ?? null, pct)} |`,
    );
  }
  const mf = result.mean.forward!;
  const mb = result.mean.bidirectional;
  console.log(
    `| **mean** (each file weighs the same) | ${gaps.length} | | ${pair(mf.bpc, mb?.bpc ?? null, bpc)} | ${pair(mf.bpcWithEnd, mb?.bpcWithEnd ?? null, bpc)} | ${pair(mf.after1.top1, mb?.after1.top1 ?? null, pct)} | ${pair(mf.after1.top3, mb?.after1.top3 ?? null, pct)} | ${pair(mf.after2.top1, mb?.after2.top1 ?? null, pct)} | ${pair(mf.after2.top3, mb?.after2.top3 ?? null, pct)} |`,
  );
  const mh = result.mean.headOnly;
  if (mh) {
    console.log(
      `\nCompletions from the bidirectional head alone, before they are ranked by how well the next ${FIT_CHARS} characters after the gap follow each (fitRight, ${FIT_CANDIDATES} candidates): top-1 / top-3 after 1 letter ${pct(mh.after1.top1)} / ${pct(mh.after1.top3)}, after 2 ${pct(mh.after2.top1)} / ${pct(mh.after2.top3)} (mean over files).`,
    );
  }
  if (args.massFit) {
    for (const n of [1, 2]) {
      const rows = massRows.filter((r) => r.n === n);
      const ll = (g: number) => rows.reduce((a, r) => a + (r.hit ? g * Math.log(r.mass) : Math.log(Math.max(1e-12, 1 - Math.pow(r.mass, g)))), 0) / rows.length;
      const grid = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
      console.log(`\nmass power after ${n} letter(s), ${rows.length} requests (${rows.filter((r) => r.hit).length} with the word among the candidates): mean ln-likelihood (γ-dependent part) ${grid.map((g) => `${g}: ${ll(g).toFixed(4)}`).join(', ')}`);
    }
  }
  const mq = result.mean.fitted;
  if (mq) {
    console.log(
      `\nBoth sides, the next character from the word distribution the mid-line completions are ranked by (fitNextChar: ${args.fit.candidates} candidates, beam ${args.fit.beam}, min p ${args.fit.minP}, ${args.fit.chars} characters after the gap): bpc of the word ${bpc(mf.bpc)} → ${bpc(mq.bpc)} (${(mq.bpc - mf.bpc).toFixed(3)}), with its end ${bpc(mf.bpcWithEnd)} → ${bpc(mq.bpcWithEnd)} (mean over files; ${seconds.fitted.toFixed(0)} s).`,
    );
  }
  console.log(`\n${result.seconds.total.toFixed(0)} s (reading ${seconds.read.toFixed(0)} s, fitted next character ${seconds.fitted.toFixed(0)} s, completions ${seconds.complete.toFixed(0)} s)`);
}
