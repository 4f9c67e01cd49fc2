/**
 * node scripts/run-tool.mjs tools/ppm.ts --text FILE_OR_DIR... [--train FILE_OR_DIR...]
 *                                        [--train-chars N] [--limit N] [--savings N] [--json]
 *
 * The baseline the issue asks `npm run eval` to be compared with:
 * @willwade/ppmpredictor (a PPM character model, order 5, Dasher's smoothing),
 * primed on the text our network learned from and reading each held-out file
 * adaptively, as it is designed to be used. Per file it prints bits per
 * character (whole and second half), the keystrokes a typist saves with its
 * word completions (judged by the widget's own savedBy rule) and what its
 * calls cost per keystroke.
 *
 * How it is used, and why:
 * - Priming: Predictor.train() on each training file (or on an even share of
 *   each, --train-chars). train() also counts word bigrams for
 *   predictNextWord(); those are cleared after priming, since nothing here
 *   calls predictNextWord (it scans every bigram on each call, millions of
 *   them after 106 MB, far too slow per keystroke).
 * - Every file is read by its own copy of the primed model, so what one file
 *   teaches cannot help the next. Priming on all 106 MB takes minutes, once;
 *   doing it again per file does not fit, so the primed trie is copied
 *   (copyPrimed). The package exposes no copy, so that reaches into its
 *   internals; checkCopy() proves at start-up that a copy predicts exactly as
 *   a freshly primed model does, and fails loudly if the package changed.
 * - Adaptive: the predictor is created with adaptive: true and every
 *   character is given to addToContext(), which adds it to the model's counts.
 *   Error tolerance (errorTolerant) stays off and there is no lexicon: word
 *   completions come from its character model (a small beam search), the
 *   path the package takes without a word list.
 * - bpc: -log2 of the probability predictNextCharacter() gives the character
 *   that comes next, asking for every symbol (maxPredictions above the
 *   vocabulary's size). Its distribution covers every character it has ever
 *   seen plus printable ASCII, so a character outside it (never seen in
 *   106 MB of training text nor earlier in the file) is rare; it is charged
 *   the smallest probability of that step's distribution, the uniform share
 *   PPM gives a symbol it knows but has no counts for, and is counted
 *   ("unseen").
 * - Savings: before each keystroke but the first, its best word completion of
 *   the whitespace-delimited word being typed (its own notion of a word) is
 *   the suggestion, cut to the widget's 16 characters; savedBy() from the
 *   widget decides what the typist takes, exactly as tools/eval.ts does. After
 *   a space there is no word being typed and predictWordCompletion('') offers
 *   nothing, so unlike our widget it suggests no next word there. Its
 *   completions carry the probability of their characters (a beam's product
 *   of next-character probabilities, without the word's end), so the
 *   widget's minimum confidence of 0.2 applies to them; the savings of
 *   always offering its top completion are shown too.
 * - Cost per keystroke: addToContext() of the character typed, then
 *   predictNextCharacter() and predictWordCompletion(), timed at every
 *   position of the savings sample.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { createRequire } from 'node:module';
import { createPredictor, type Predictor } from '@willwade/ppmpredictor';
import { DEFAULT_POLICY, savedBy } from '../src/widget/policy.js';
import { textFiles } from './files.js';

export interface PpmRow {
  file: string;
  /** Characters predicted: the file's first `limit` code points, less the first (given, as in tools/eval.ts). */
  characters: number;
  bpc: number;
  bpcSecondHalf: number;
  /** Characters no distribution covered (charged the step's smallest probability). */
  unseen: number;
  /** 1 − keystrokes / characters over the first savingsChars characters, suggestions offered at the widget's minimum confidence. */
  savings: number;
  savingsSecondHalf?: number;
  /** The same typist, offered the top completion whatever its probability. */
  savingsTopAlways: number;
  /** Mean microseconds per keystroke: addToContext + predictNextCharacter + predictWordCompletion. */
  usPerKey: number;
  usP50: number;
  usP99: number;
  /** Mean microseconds of addToContext + predictNextCharacter alone, over every character read. */
  usPerCharLetters: number;
  /** Seconds priming took (once, shared by every file). */
  primeSeconds: number;
  /** Seconds copying the primed model for this file took. */
  copySeconds: number;
}

export interface PpmOptions {
  trainFiles: string[];
  /** Characters to prime on, shared evenly among the training files; Infinity (or more than they hold) primes on all of them. */
  trainChars: number;
  files: { file: string; text: string }[];
  savingsChars: number;
  /** Characters of each file to read (default: all). */
  limit?: number;
  /** Told when priming starts and ends, and as each file is done. */
  log?: (line: string) => void;
}

export interface PrimeInfo {
  /** Characters primed on, per training file. */
  shares: { file: string; chars: number }[];
  chars: number;
  seconds: number;
  nodes: number;
  heapBytes: number;
}

/** Its defaults (maxOrder 5, no error tolerance), adaptive, and every symbol in predictNextCharacter(). */
const CONFIG = { maxOrder: 5, errorTolerant: false, adaptive: true, maxPredictions: 1 << 16 };

// What copyPrimed needs of the package's internals (0.0.12, src/predictor.js
// and src/ppm_language_model.js). Not part of its typings, so checked at run time.
interface TrieNode {
  child_: TrieNode | null;
  next_: TrieNode | null;
  backoff_: TrieNode | null;
  count_: number;
  symbol_: number;
}
interface Internals {
  vocab: { symbols_: string[]; addSymbol(s: string): number };
  model: { root_: TrieNode; rootContext_: { head_: TrieNode; order_: number }; numNodes_: number; vocab_: unknown };
  _corpora: { default: { model: unknown } };
}

function internals(p: Predictor): Internals {
  const i = p as unknown as Internals;
  const ok =
    Array.isArray(i.vocab?.symbols_) &&
    i.model?.root_ !== undefined &&
    i.model.rootContext_?.head_ === i.model.root_ &&
    typeof i.model.numNodes_ === 'number' &&
    i.model.vocab_ === i.vocab &&
    i._corpora?.default?.model === i.model;
  if (!ok) throw new Error('@willwade/ppmpredictor internals are not those of 0.0.12 (vocab, model.root_, model.numNodes_): tools/ppm.ts cannot copy a primed model; check the installed version');
  return i;
}

/**
 * A new predictor holding a copy of `primed`'s trie and vocabulary: adapting
 * it leaves `primed` as it was. The trie is a tree along child_/next_ with
 * backoff_ links across it, so nodes are copied first and the links mapped
 * after, through maps split by symbol (one Map holds at most 2^24 entries;
 * 106 MB of text makes over 6 million nodes).
 */
function copyPrimed(primed: Predictor): Predictor {
  const from = internals(primed);
  const copy = createPredictor(CONFIG);
  const to = internals(copy);
  from.vocab.symbols_.forEach((s, id) => {
    if (id > 0 && to.vocab.addSymbol(s) !== id) throw new Error(`vocabulary copy out of step at symbol ${id}`);
  });
  const NodeClass = from.model.root_.constructor as new () => TrieNode;
  const maps: Map<TrieNode, TrieNode>[] = [];
  const made = (old: TrieNode): TrieNode => {
    const n = new NodeClass();
    n.count_ = old.count_;
    n.symbol_ = old.symbol_;
    (maps[old.symbol_] ??= new Map()).set(old, n);
    return n;
  };
  const mapped = (old: TrieNode): TrieNode => maps[old.symbol_]!.get(old)!;
  const root = made(from.model.root_);
  const stack = [from.model.root_];
  while (stack.length > 0) {
    const old = stack.pop()!;
    const parent = mapped(old);
    let last: TrieNode | null = null;
    for (let c = old.child_; c !== null; c = c.next_) {
      const n = made(c);
      if (last) last.next_ = n;
      else parent.child_ = n;
      last = n;
      stack.push(c);
    }
  }
  for (const map of maps) {
    if (!map) continue;
    for (const [old, n] of map) n.backoff_ = old.backoff_ === null ? null : mapped(old.backoff_);
  }
  to.model.root_ = root;
  to.model.rootContext_.head_ = root;
  to.model.numNodes_ = from.model.numNodes_;
  copy.resetContext();
  return copy;
}

/** The next-character distribution as a map, for lookups and exact comparison. */
function letterProbs(p: Predictor): Map<string, number> {
  return new Map(p.predictNextCharacter().map((x) => [x.text, x.probability]));
}

/**
 * copyPrimed relies on internals, so before trusting it: a copy must predict
 * exactly (to the bit) as a predictor primed afresh on the same text, while
 * both read and learn from a text, and the original must not learn from
 * what its copy reads.
 */
function checkCopy(primeText: string, readText: string): void {
  const prime = () => {
    const p = createPredictor(CONFIG);
    p.train(primeText);
    return p;
  };
  const original = prime();
  const before = letterProbs(original);
  const copy = copyPrimed(original);
  const fresh = prime();
  for (const ch of readText) {
    const a = letterProbs(copy);
    const b = letterProbs(fresh);
    if (a.size !== b.size || [...a].some(([k, v]) => b.get(k) !== v)) {
      throw new Error('a copied ppmpredictor model predicts differently from a freshly primed one: copyPrimed no longer matches the package');
    }
    copy.addToContext(ch);
    fresh.addToContext(ch);
  }
  const after = letterProbs(original);
  if ([...before].some(([k, v]) => after.get(k) !== v)) throw new Error('reading with a copied ppmpredictor model changed the original: copyPrimed shares state');
}

/**
 * Shares of `total` characters for files of the given sizes, as even as the
 * files allow: a file smaller than its share gives all it has and the rest
 * goes to the others.
 */
function evenShares(sizes: number[], total: number): number[] {
  const shares = sizes.map(() => 0);
  let left = total;
  const order = sizes.map((_, i) => i).sort((a, b) => sizes[a]! - sizes[b]!);
  order.forEach((i, k) => {
    shares[i] = Math.min(sizes[i]!, Math.floor(left / (order.length - k)));
    left -= shares[i]!;
  });
  return shares;
}

const normalize = (text: string): string => text.replace(/\r\n?/g, '\n');

/** Primes a predictor on the training files, all of each or an even share ending at a line break. */
export function prime(trainFiles: string[], trainChars: number): { predictor: Predictor; info: PrimeInfo } {
  if (trainFiles.length === 0) throw new Error('no training files to prime ppmpredictor on');
  const sizes = trainFiles.map((f) => statSync(f).size);
  const all = trainChars >= sizes.reduce((a, b) => a + b, 0);
  const quotas = all ? sizes : evenShares(sizes, trainChars);
  const predictor = createPredictor(CONFIG);
  const t0 = performance.now();
  const shares: PrimeInfo['shares'] = [];
  trainFiles.forEach((file, i) => {
    let text = normalize(readFileSync(file, 'utf8'));
    if (!all && text.length > quotas[i]!) {
      // A paragraph cut in the middle would teach a false line ending.
      const cut = text.lastIndexOf('\n', quotas[i]!);
      text = text.slice(0, cut > 0 ? cut + 1 : quotas[i]!);
    }
    predictor.train(text);
    shares.push({ file, chars: text.length });
  });
  predictor.clearBigrams();
  const seconds = (performance.now() - t0) / 1000;
  return {
    predictor,
    info: { shares, chars: shares.reduce((a, s) => a + s.chars, 0), seconds, nodes: internals(predictor).model.numNodes_, heapBytes: process.memoryUsage().heapUsed },
  };
}

const percentile = (sorted: number[], q: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN);

/** A simulated typist (as simulateTypist in tools/eval.ts): where it is, and the keystrokes spent. */
interface Typist {
  minConfidence: number;
  at: number;
  keystrokes: number;
  /** Keystrokes, and where they began, from the first keystroke in the sample's second half. */
  secondHalfFrom: number;
  secondHalfKeystrokes: number;
}

/** Reads one file with a fresh copy of the primed model: bpc, the typists and the timings in one pass (the model's state at a position depends only on the text before it). */
function readFile(primed: Predictor, file: string, text: string, limit: number, savingsChars: number, primeSeconds: number): PpmRow {
  const t0 = performance.now();
  const p = copyPrimed(primed);
  const copySeconds = (performance.now() - t0) / 1000;
  const cps = Array.from(normalize(text)).slice(0, limit);
  const n = cps.length;
  if (n < 2) throw new Error(`${file}: needs at least 2 characters to score`);
  const S = Math.min(savingsChars, n);
  const half = Math.floor(n / 2);
  const typists: Typist[] = [DEFAULT_POLICY.minConfidence, 0].map((minConfidence) => ({ minConfidence, at: 0, keystrokes: 0, secondHalfFrom: -1, secondHalfKeystrokes: 0 }));
  let bits = 0;
  let bitsSecond = 0;
  let unseen = 0;
  let letterUs = 0;
  let addUs = 0;
  const keyUs: number[] = [];
  let wordStart = 0;
  for (let i = 0; i < n; i++) {
    const ch = cps[i]!;
    const a = performance.now();
    const dist = p.predictNextCharacter();
    const b = performance.now();
    letterUs += (b - a) * 1000 + addUs;
    if (i > 0) {
      let prob = dist.find((x) => x.text === ch)?.probability;
      if (prob === undefined) {
        unseen++;
        prob = dist.length ? dist[dist.length - 1]!.probability : 1;
      }
      bits -= Math.log2(prob);
      if (i >= half) bitsSecond -= Math.log2(prob);
    }
    if (i > 0 && i < S) {
      const partial = cps.slice(wordStart, i).join('');
      let wordUs = 0;
      let top: { text: string; probability: number } | undefined;
      if (partial) {
        const before = cps.slice(Math.max(0, wordStart - 64), wordStart).join('');
        const c = performance.now();
        top = p.predictWordCompletion(partial, before)[0];
        wordUs = (performance.now() - c) * 1000;
      }
      keyUs.push(addUs + (b - a) * 1000 + wordUs);
      for (const t of typists) {
        if (t.at !== i) continue;
        if (i >= S / 2 && t.secondHalfFrom < 0) t.secondHalfFrom = i;
        const offered = top && top.probability >= t.minConfidence ? Array.from(top.text.slice(partial.length)).slice(0, DEFAULT_POLICY.maxChars).join('') : null;
        const taken = savedBy(offered, cps.slice(i, Math.min(S, i + DEFAULT_POLICY.maxChars + 1)).join(''));
        t.keystrokes++;
        if (t.secondHalfFrom >= 0) t.secondHalfKeystrokes++;
        t.at += taken ? taken.chars : 1;
      }
    } else if (i === 0) {
      // An empty field: no suggestion (as in the widget); the first character is typed.
      for (const t of typists) {
        t.keystrokes++;
        t.at = 1;
      }
    }
    const c = performance.now();
    p.addToContext(ch);
    addUs = (performance.now() - c) * 1000;
    if (/\s/.test(ch)) wordStart = i + 1;
  }
  keyUs.sort((x, y) => x - y);
  const [atThreshold, always] = typists as [Typist, Typist];
  return {
    file,
    characters: n - 1,
    bpc: bits / (n - 1),
    bpcSecondHalf: bitsSecond / (n - half),
    unseen,
    savings: 1 - atThreshold.keystrokes / S,
    ...(atThreshold.secondHalfFrom >= 0 ? { savingsSecondHalf: 1 - atThreshold.secondHalfKeystrokes / (S - atThreshold.secondHalfFrom) } : {}),
    savingsTopAlways: 1 - always.keystrokes / S,
    usPerKey: keyUs.reduce((x, y) => x + y, 0) / keyUs.length,
    usP50: percentile(keyUs, 0.5),
    usP99: percentile(keyUs, 0.99),
    usPerCharLetters: letterUs / n,
    primeSeconds,
    copySeconds,
  };
}

/** Primes ppmpredictor once, checks that copies of it are faithful, then reads every file with its own copy. */
export async function ppmCompare(opts: PpmOptions): Promise<PpmRow[]> {
  return (await ppmCompareWithInfo(opts)).rows;
}

async function ppmCompareWithInfo(opts: PpmOptions): Promise<{ rows: PpmRow[]; info: PrimeInfo }> {
  const log = opts.log ?? (() => {});
  const limit = opts.limit ?? Infinity;
  if (!(limit >= 2)) throw new Error('limit must be at least 2 characters');
  if (!Number.isInteger(opts.savingsChars) || opts.savingsChars < 0) throw new Error('savingsChars must be a whole number of characters');
  if (opts.trainFiles.length === 0) throw new Error('no training files to prime ppmpredictor on');
  const first = normalize(readFileSync(opts.trainFiles[0]!, 'utf8'));
  checkCopy(first.slice(0, 20000), first.slice(20000, 22000));
  log(`priming on ${Number.isFinite(opts.trainChars) ? `about ${opts.trainChars.toLocaleString('en')} characters of` : 'all of'} ${opts.trainFiles.length} training files...`);
  const { predictor, info } = prime(opts.trainFiles, opts.trainChars);
  log(`primed on ${info.chars.toLocaleString('en')} characters in ${info.seconds.toFixed(1)} s: ${info.nodes.toLocaleString('en')} trie nodes, heap in use ${(info.heapBytes / 2 ** 30).toFixed(2)} GiB (before collecting what priming left)`);
  const rows: PpmRow[] = [];
  for (const { file, text } of opts.files) {
    const row = readFile(predictor, file, text, limit, opts.savingsChars, info.seconds);
    log(`${basename(file)}: ${row.bpc.toFixed(3)} bpc`);
    rows.push(row);
  }
  return { rows, info };
}

function usage(message?: string): never {
  if (message) console.error(`ppm: ${message}`);
  console.error(
    'usage: node scripts/run-tool.mjs tools/ppm.ts --text FILE_OR_DIR... [--train FILE_OR_DIR...] [--train-chars N]\n' +
      '                                             [--limit N] [--savings N] [--json]\n' +
      '  --train defaults to ../shared/corpus/train ../shared/corpus/v2/train (the network\'s training text);\n' +
      '  --train-chars N primes on N characters shared evenly among them (default: all).',
  );
  process.exit(2);
}

export async function main(argv: string[]): Promise<void> {
  const text: string[] = [];
  const train: string[] = [];
  let trainChars = Infinity;
  let limit = Infinity;
  let savings = 0;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => argv[++i] ?? usage(`${a} needs a value`);
    const many = (into: string[]) => {
      while (argv[i + 1] && !argv[i + 1]!.startsWith('--')) into.push(argv[++i]!);
    };
    if (a === '--text') many(text);
    else if (a === '--train') many(train);
    else if (a === '--train-chars') trainChars = Number(value());
    else if (a === '--limit') limit = Number(value());
    else if (a === '--savings') savings = Number(value());
    else if (a === '--json') json = true;
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown argument ${a}`);
  }
  if (text.length === 0) usage('give --text FILES (or folders of .txt files) to read');
  if (!(trainChars > 0)) usage('--train-chars must be a positive number');
  if (!(limit >= 2)) usage('--limit must be at least 2');
  if (!Number.isInteger(savings) || savings < 0) usage('--savings must be a whole number of characters');
  const trainFiles = textFiles(train.length ? train : ['../shared/corpus/train', '../shared/corpus/v2/train']);
  const files = textFiles(text).map((file) => ({ file, text: readFileSync(file, 'utf8') }));

  const t0 = performance.now();
  const { rows, info } = await ppmCompareWithInfo({ trainFiles, trainChars, files, savingsChars: savings, limit, log: json ? undefined : (l) => console.error(l) });
  const mean = (f: (r: PpmRow) => number) => rows.reduce((a, r) => a + f(r), 0) / rows.length;
  if (json) {
    console.log(JSON.stringify({ prime: { ...info, shares: undefined, files: info.shares.length }, config: CONFIG, rows }, null, 2));
    return;
  }
  const totalTrain = trainFiles.reduce((a, f) => a + statSync(f).size, 0);
  const share = info.chars >= totalTrain * 0.999 ? 'all of it' : `a share: the first ~${Math.round(info.chars / info.shares.length).toLocaleString('en')} characters of each file, cut at a line break`;
  const { version } = createRequire(import.meta.url)('@willwade/ppmpredictor/package.json') as { version: string };
  console.log(`@willwade/ppmpredictor ${version}, order ${CONFIG.maxOrder}, adaptive, no error tolerance, no lexicon`);
  console.log(`primed with train() on ${info.chars.toLocaleString('en')} characters of ${info.shares.length} training files (${share}) in ${info.seconds.toFixed(0)} s; ${info.nodes.toLocaleString('en')} trie nodes, heap in use ${(info.heapBytes / 2 ** 30).toFixed(2)} GiB (before collecting what priming left)`);
  console.log(`each file read from its start by its own copy of the primed model${Number.isFinite(limit) ? ` (first ${limit.toLocaleString('en')} characters)` : ''}, learning as it reads`);
  if (savings > 0) console.log(`savings: typist on the first ${savings.toLocaleString('en')} characters; its top word completion offered when p >= ${DEFAULT_POLICY.minConfidence} ("top always": whatever p), taken by savedBy(); none after whitespace`);
  const f3 = (x: number | undefined, w = 6) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(3)).padStart(w);
  const pct = (x: number | undefined, w = 7) => (x === undefined ? '-' : `${(x * 100).toFixed(1)}%`).padStart(w);
  const us = (x: number, w = 7) => (Number.isNaN(x) ? '-' : x.toFixed(0)).padStart(w);
  console.log(
    `\n${'file'.padEnd(36)} ${'chars'.padStart(7)}  ${'bpc'.padStart(6)}  ${'2nd half'.padStart(8)}  ${'savings'.padStart(7)}  ${'2nd half'.padStart(8)}  ${'top always'.padStart(10)}  ${'µs/key'.padStart(7)}  ${'p50'.padStart(7)}  ${'p99'.padStart(7)}  ${'µs/char letters'.padStart(15)}`,
  );
  for (const r of rows) {
    console.log(
      `${basename(r.file).padEnd(36)} ${r.characters.toLocaleString('en').padStart(7)}  ${f3(r.bpc)}  ${f3(r.bpcSecondHalf, 8)}  ${pct(savings ? r.savings : undefined)}  ${pct(savings ? r.savingsSecondHalf : undefined, 8)}  ${pct(savings ? r.savingsTopAlways : undefined, 10)}  ${us(r.usPerKey)}  ${us(r.usP50)}  ${us(r.usP99)}  ${us(r.usPerCharLetters, 15)}`,
    );
  }
  if (rows.length > 1) {
    console.log(
      `${'mean (each file weighs the same)'.padEnd(36)} ${''.padStart(7)}  ${f3(mean((r) => r.bpc))}  ${f3(mean((r) => r.bpcSecondHalf), 8)}  ${pct(savings ? mean((r) => r.savings) : undefined)}  ${pct(savings ? mean((r) => r.savingsSecondHalf ?? NaN) : undefined, 8)}  ${pct(savings ? mean((r) => r.savingsTopAlways) : undefined, 10)}  ${us(mean((r) => r.usPerKey))}`,
    );
  }
  const unseen = rows.reduce((a, r) => a + r.unseen, 0);
  console.log(`\n${unseen} character(s) outside its distribution (charged the step's smallest probability); copying the primed model took ${mean((r) => r.copySeconds).toFixed(1)} s a file; ${((performance.now() - t0) / 1000).toFixed(0)} s in all`);
}
