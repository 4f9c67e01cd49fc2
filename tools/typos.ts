/**
 * npm run eval:typos -- --model DIR [--real 1000] [--real-offset 0] [--synthetic 1000] [--correct 2000] [--tune 300]
 *                       [--penalty NATS] [--seed 1] [--lanes 32] [--backend wasm|cpu] [--json]
 *
 * Typo correction measured side by side (issue 20, docs/typos.md): each
 * method corrects the same words of three sets, and one markdown table
 * prints top-1 and top-3 accuracy, the false-alarm rate and milliseconds per
 * word for every set × method.
 *
 * Sets:
 *   - real: `--real` words drawn (fixed seed) from Wikipedia's list of common
 *     misspellings (../shared/typos/wikipedia-common-misspellings.txt,
 *     `wrong->right1, right2`: any right counts), words alone, no context;
 *   - synthetic: words of ../shared/corpus/v2/valid/ with one error each from
 *     the noise model, training/noise.py --make-eval, which this tool runs
 *     (it writes training/data/typos/synthetic.jsonl, git-ignored) and reads;
 *     the left context is up to 256 characters before the word;
 *   - correct: words of the same text left as they are: a method that changes
 *     its top answer away from the typed word raises a false alarm.
 * A hit: the intended word first (top-1) or among the first three (top-3);
 * exactly, case too, except on the real list, whose makers wrote every word
 * in lower case ("carribean->caribbean": "Caribbean" is a hit there).
 *
 * Methods (see Corrector; a model-based corrector is added in correctors()):
 *   - nspell + dictionary-en (en_US Hunspell): a word nspell.correct() accepts
 *     stays; else nspell.suggest() in its order (no suggestion: nothing changes);
 *   - noisy channel: every word of the model's lexicon within distance 2 of
 *     the typed word (NoisyChannel) ranked by the language model after the
 *     left context minus a penalty per edit, the penalty chosen on the
 *     noise model's held-out slice (`split: "tune"`) unless --penalty is given.
 * With --tune-corrector, the model's corrector's settings are chosen on that
 * slice too, and its language-model weight for a word alone (no text before
 * it) on `--tune` more words of the real list, drawn after the measured ones
 * (never among them).
 */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { dispose, slice, tensor2d, tidy, type Tensor2D } from '@tensorflow/tfjs-core';
import nspell from 'nspell';
import { selectBackend } from '../worker/backend.js';
import { validateManifest } from '../worker/model/manifest.js';
import { sha256Hex } from '../worker/model/sha256.js';
import { buildModel, disposeModel, encode, logits, stateTensors, step, stepWithLogits, type Model } from '../worker/model/model.js';
import type { LayerState } from '../worker/cells/index.js';
import { isWordChar } from '../src/text.js';
import { DEFAULT_MIN_CORRECTION, shouldCorrect, type CorrectionThresholds } from '../src/widget/policy.js';
import { CORRECTION_BEAM, CORRECTOR_EDIT_PENALTY, CORRECTOR_LM_WEIGHT_ALONE, CORRECTOR_LM_WEIGHT, RESCORED, NEAR_LIMIT, CORRECTOR_CASE_PENALTY, CORRECTOR_PRIOR_ALONE, candidates, correctionOptions, countPrior, editDistance, rescored } from '../worker/model/corrector.js';
import { wordLogProbs } from '../worker/model/rescore.js';
import { nearWords } from '../worker/model/near.js';
import { mulberry32 } from '../worker/session.js';
import { readLanes } from './gapfill.js';

/** One word to correct: the text before it, what was typed, and what counts as right. */
export interface TypoItem {
  left: string;
  typed: string;
  /** The intended word(s); for a correct word, the typed word itself. */
  intended: string[];
  /** The noise model's kind of error ('none' for a correct word, 'real' for the Wikipedia list). */
  kind: string;
  /**
   * Any capitalisation of an intended word counts (the real list: its makers
   * wrote every word lower-case, "carribean->caribbean", so "Caribbean" is
   * the right answer); else exactly.
   */
  anyCase?: boolean;
}

/** Whether `answer` is a right correction of the item. */
export function isHit(it: TypoItem, answer: string): boolean {
  if (it.intended.includes(answer)) return true;
  if (!it.anyCase) return false;
  const a = answer.toLowerCase();
  return it.intended.some((w) => w.toLowerCase() === a);
}

/**
 * A typo-correction method. `correct` gets a batch of words (with their left
 * context) and returns, for each, its corrections best first, at most `k`: the
 * typed word itself first when the method would leave it as it is, and an
 * empty list when it has nothing to offer (nothing changes). The model-based
 * corrector of issue 20 implements this and is added in correctors().
 */
export interface Corrector {
  readonly name: string;
  correct(items: readonly TypoItem[], k: number): Promise<string[][]>;
  dispose?(): void;
}

interface Args {
  model: string;
  real: number;
  /** Where in the drawn order of the real list the measured words start (0: the measured set; past --real + --tune: a development slice). */
  realOffset: number;
  synthetic: number;
  correct: number;
  tune: number;
  penalty: number | null;
  minCorrection: number | null;
  beta: number | null;
  betaAlone: number | null;
  tuneCorrector: boolean;
  examples: number;
  seed: number;
  lanes: number;
  backend: 'wasm' | 'cpu';
  json: boolean;
  typos: string;
  text: string;
  python: string;
}

function usage(message?: string): never {
  if (message) console.error(`typos: ${message}`);
  console.error(
    'usage: npm run eval:typos -- --model DIR [--real 1000] [--real-offset 0] [--synthetic 1000] [--correct 2000] [--tune 300]\n' +
      '                            [--penalty NATS] [--min-correction P] [--lm-weight B] [--lm-weight-alone B] [--tune-corrector] [--examples N] [--seed 1] [--lanes 32] [--backend wasm|cpu] [--json]\n' +
      '                            [--typos FILE] [--text DIR] [--python /usr/bin/python3]',
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    model: '',
    real: 1000,
    realOffset: 0,
    synthetic: 1000,
    correct: 2000,
    tune: 300,
    penalty: null,
    minCorrection: null,
    beta: null,
    betaAlone: null,
    tuneCorrector: false,
    examples: 0,
    seed: 1,
    lanes: 32,
    backend: 'wasm',
    json: false,
    typos: '../shared/typos/wikipedia-common-misspellings.txt',
    text: '../shared/corpus/v2/valid',
    python: process.env.PYTHON ?? '/usr/bin/python3',
  };
  const count = (a: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) usage(`${a} must be a whole number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === '--model') args.model = value();
    else if (a === '--real') args.real = count(a, value());
    else if (a === '--real-offset') args.realOffset = count(a, value());
    else if (a === '--synthetic') args.synthetic = count(a, value());
    else if (a === '--correct') args.correct = count(a, value());
    else if (a === '--tune') args.tune = count(a, value());
    else if (a === '--penalty') {
      args.penalty = Number(value());
      if (!(args.penalty >= 0)) usage('--penalty must be a number of nats ≥ 0');
    } else if (a === '--min-correction') {
      args.minCorrection = Number(value());
      if (!(args.minCorrection >= 0 && args.minCorrection <= 1)) usage('--min-correction must be a number from 0 to 1');
    } else if (a === '--lm-weight') {
      args.beta = Number(value());
      if (!(args.beta >= 0)) usage('--lm-weight must be a number ≥ 0');
    } else if (a === '--lm-weight-alone') {
      args.betaAlone = Number(value());
      if (!(args.betaAlone >= 0)) usage('--lm-weight-alone must be a number ≥ 0');
    } else if (a === '--tune-corrector') args.tuneCorrector = true;
    else if (a === '--examples') args.examples = count(a, value());
    else if (a === '--seed') args.seed = count(a, value());
    else if (a === '--lanes') args.lanes = Math.max(1, count(a, value()));
    else if (a === '--backend') {
      const b = value();
      if (b !== 'wasm' && b !== 'cpu') usage(`--backend must be wasm or cpu, got ${b}`);
      args.backend = b;
    } else if (a === '--json') args.json = true;
    else if (a === '--typos') args.typos = value();
    else if (a === '--text') args.text = value();
    else if (a === '--python') args.python = value();
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown argument ${a}`);
  }
  if (!args.model) usage('--model is required');
  if (args.penalty === null && args.tune === 0 && args.synthetic + args.correct > 0) usage('give --tune N (the slice the penalty is chosen on) or --penalty NATS');
  return args;
}

/**
 * `n` lines of the Wikipedia list (`wrong->right1, right2`), drawn without
 * repeats with a fixed seed, in file order; and `tune` more drawn after them
 * (never among the first `n`: the corrector's weight for a word alone is
 * chosen on those). With `offset`, the measured lines are the `n` drawn
 * after the first `offset` (`--real 2000 --real-offset 1300`: a development
 * slice apart from the 1,000 measured and the 300 tuning lines, which the
 * corrector's settings for a word alone were chosen on).
 */
function realSets(path: string, n: number, tune: number, seed: number, offset = 0): { test: TypoItem[]; tune: TypoItem[] } {
  const rows = readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.includes('->'))
    .map((l) => {
      const [wrong, rights] = l.split('->') as [string, string];
      return { left: '', typed: wrong.trim(), intended: rights.split(',').map((r) => r.trim()).filter(Boolean), kind: 'real', anyCase: true };
    });
  const rand = mulberry32(seed);
  const idx = rows.map((_, i) => i);
  const m = Math.min(Math.max(n + tune, offset + n), idx.length);
  // A partial Fisher-Yates shuffle: its first places do not depend on how many more are drawn.
  for (let k = 0; k < m; k++) {
    const j = k + Math.floor(rand() * (idx.length - k));
    [idx[k], idx[j]] = [idx[j]!, idx[k]!];
  }
  const pick = (from: number, to: number) => idx.slice(from, Math.min(to, m)).sort((a, b) => a - b).map((i) => rows[i]!);
  return { test: pick(offset, offset + n), tune: pick(n, n + tune) };
}

/** The synthetic set and the correct words, made by training/noise.py (one implementation of the noise model). */
function syntheticSets(args: Args) {
  const out = resolve('training/data/typos/synthetic.jsonl');
  const cmd = [
    'training/noise.py', '--make-eval', '--text', args.text, '--lexicon', join(args.model, 'model.json'),
    '--errors', String(args.synthetic), '--correct', String(args.correct), '--tune', String(args.penalty === null || args.tuneCorrector ? args.tune : 0),
    '--seed', String(args.seed), '--out', out,
  ];
  const r = spawnSync(args.python, cmd, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.python} ${cmd.join(' ')} failed (${r.error?.message ?? r.stderr.trim()}); set PYTHON or --python to a Python 3`);
  const recs = readFileSync(out, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { split: string; left: string; typed: string; intended: string; kind: string });
  const item = (r: (typeof recs)[number]): TypoItem => ({ left: r.left, typed: r.typed, intended: [r.intended], kind: r.kind });
  return {
    file: out,
    errors: recs.filter((r) => r.split === 'test' && r.kind !== 'none').map(item),
    correct: recs.filter((r) => r.split === 'test' && r.kind === 'none').map(item),
    tune: recs.filter((r) => r.split === 'tune').map(item),
  };
}

// ---------------------------------------------------------------- nspell

/** nspell with the en_US Hunspell dictionary of dictionary-en (read from the package: its own loader needs its file URL). */
function hunspell(): Corrector {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('dictionary-en'));
  const spell = nspell({ aff: readFileSync(join(dir, 'index.aff')), dic: readFileSync(join(dir, 'index.dic')) });
  return {
    name: 'nspell + dictionary-en',
    async correct(items, k) {
      return items.map((it) => (spell.correct(it.typed) ? [it.typed] : spell.suggest(it.typed).slice(0, k)));
    },
  };
}

// ---------------------------------------------------------- noisy channel

/** A prefix of some candidates: the language model's log p of it, and (once expanded) its state and next-character log p. */
interface TrieNode {
  text: string;
  /** Vocabulary index of its last character. */
  id: number;
  parent: TrieNode | null;
  children: TrieNode[];
  /** Least edit distance of a candidate at or below it. */
  minD: number;
  /** Its edit distance when it is a candidate itself, else -1. */
  d: number;
  /** ln p of its characters after the left context (set when its parent is expanded). */
  lp: number;
  /** Per layer h (and c), on the host; null until expanded. */
  state: Float32Array[] | null;
  next: Float32Array | null;
  /** ln p that a non-word character follows it. */
  end: number;
}

/** A binary max-heap on `score`. */
class Heap<T extends { score: number }> {
  items: T[] = [];
  push(x: T) {
    const a = this.items;
    a.push(x);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (a[p]!.score >= a[i]!.score) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length && last) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]!.score > a[m]!.score) m = l;
        if (r < a.length && a[r]!.score > a[m]!.score) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
  get size() {
    return this.items.length;
  }
}

type Entry = { score: number; node: TrieNode; final: boolean };

/**
 * The noisy-channel baseline: the candidates of a typed word are the words
 * of the model's lexicon within edit distance 2 (editDistance; the typed
 * word itself when the lexicon has it), each scored
 *
 *     ln p(word, then a non-word character | left context) − penalty · distance
 *
 * by the forward model. The exact top k of that score comes from a best-first
 * search over the candidates' prefix tree: a prefix's ln p minus the penalty
 * times the least distance below it bounds every candidate under it (log
 * probabilities only fall as characters are added), so a candidate popped
 * from the queue beats everything left in it. Prefixes are expanded (one
 * recurrent step each) in batches across the words of a lane group, and shared
 * by the searches of several penalties (tuning).
 */
class NoisyChannel {
  readonly name = 'noisy channel (lexicon ≤ 2 edits + LM)';
  #byLength = new Map<number, { word: string; cps: Int32Array }[]>();
  #nonWord: number[];

  constructor(
    readonly model: Model,
    public penalty: number,
    readonly lanes: number,
  ) {
    for (const word of model.lexicon?.list() ?? []) {
      const cps = Int32Array.from(Array.from(word), (c) => c.codePointAt(0)!);
      let list = this.#byLength.get(cps.length);
      if (!list) this.#byLength.set(cps.length, (list = []));
      list.push({ word, cps });
    }
    if (this.#byLength.size === 0) throw new Error('the model has no lexicon: the noisy-channel baseline ranks its words');
    this.#nonWord = [];
    model.manifest.vocab.forEach((cp, i) => {
      if (i > 0 && !isWordChar(String.fromCodePoint(cp))) this.#nonWord.push(i);
    });
  }

  /** The lexicon's words within distance 2 of `typed`, with their distances. */
  candidates(typed: string): { word: string; d: number }[] {
    const t = Int32Array.from(Array.from(typed), (c) => c.codePointAt(0)!);
    const out: { word: string; d: number }[] = [];
    for (let len = Math.max(1, t.length - 2); len <= t.length + 2; len++) {
      for (const w of this.#byLength.get(len) ?? []) {
        const d = editDistance(t, w.cps, 2);
        if (d <= 2) out.push({ word: w.word, d });
      }
    }
    return out;
  }

  #trie(cands: { word: string; d: number }[], root: TrieNode): void {
    for (const { word, d } of cands) {
      let node = root;
      node.minD = Math.min(node.minD, d);
      let text = '';
      for (const ch of word) {
        text += ch;
        let child = node.children.find((c) => c.text === text);
        if (!child) {
          child = { text, id: this.model.index.get(ch.codePointAt(0)!) ?? 0, parent: node, children: [], minD: d, d: -1, lp: 0, state: null, next: null, end: 0 };
          node.children.push(child);
        }
        child.minD = Math.min(child.minD, d);
        node = child;
      }
      node.d = d;
    }
  }

  /** Host copies of every row of a state list, and log-softmax rows of logits, into nodes. */
  #store(nodes: TrieNode[], states: LayerState[], z: Float32Array): void {
    const V = this.model.manifest.vocab.length;
    const parts = states.flatMap((s) => (s.c ? [s.h, s.c] : [s.h]).map((t) => ({ data: t.dataSync() as Float32Array, width: t.shape[1]! })));
    nodes.forEach((node, r) => {
      node.state = parts.map((p) => p.data.slice(r * p.width, (r + 1) * p.width));
      const lp = new Float32Array(V);
      let max = -Infinity;
      for (let v = 0; v < V; v++) max = Math.max(max, z[r * V + v]!);
      let sum = 0;
      for (let v = 0; v < V; v++) sum += Math.exp(z[r * V + v]! - max);
      const lse = Math.log(sum) + max;
      for (let v = 0; v < V; v++) lp[v] = z[r * V + v]! - lse;
      node.next = lp;
      let e = 0;
      for (const v of this.#nonWord) e += Math.exp(lp[v]!);
      node.end = Math.log(e);
      for (const c of node.children) c.lp = node.lp + lp[c.id]!;
    });
  }

  /** One recurrent step for each node from its parent's state. */
  #expand(nodes: TrieNode[]): void {
    const B = nodes.length;
    const sizes = this.model.manifest.hiddenSizes;
    const cell = this.model.cell.hasCellState;
    const prev: LayerState[] = tidy(() =>
      sizes.map((H, l) => {
        const part = (k: number) => {
          const buf = new Float32Array(B * H);
          nodes.forEach((n, r) => buf.set(n.parent!.state![k]!, r * H));
          return tensor2d(buf, [B, H]);
        };
        const k = cell ? 2 * l : l;
        return cell ? { h: part(k), c: part(k + 1) } : { h: part(k) };
      }),
    ) as unknown as LayerState[];
    const ids = Int32Array.from(nodes, (n) => n.id);
    const fused = stepWithLogits(this.model, ids, prev);
    let next: LayerState[];
    let z: Float32Array;
    if (fused) ({ states: next, logits: z } = fused);
    else {
      next = tidy(() => step(this.model, ids, prev) as never) as unknown as LayerState[];
      const t = tidy(() => logits(this.model, next));
      z = t.dataSync() as Float32Array;
      t.dispose();
    }
    this.#store(nodes, next, z);
    dispose(stateTensors(prev));
    dispose(stateTensors(next));
  }

  /** For each item, for each penalty, the top `k` candidates (fewer when it has fewer). */
  async rank(items: readonly TypoItem[], penalties: number[], k: number): Promise<string[][][]> {
    const out: string[][][] = [];
    for (let b0 = 0; b0 < items.length; b0 += this.lanes) {
      const batch = items.slice(b0, b0 + this.lanes);
      const roots = batch.map((): TrieNode => ({ text: '', id: 0, parent: null, children: [], minD: Infinity, d: -1, lp: 0, state: null, next: null, end: 0 }));
      batch.forEach((it, i) => this.#trie(this.candidates(it.typed), roots[i]!));
      const ctx = readLanes(this.model, batch.map((it) => encode(this.model, it.left)));
      const z = tidy(() => logits(this.model, ctx));
      this.#store(roots, ctx, z.dataSync() as Float32Array);
      z.dispose();
      dispose(stateTensors(ctx));
      const searches = batch.flatMap((_, i) =>
        penalties.map((penalty) => {
          const heap = new Heap<Entry>();
          const root = roots[i]!;
          if (root.minD !== Infinity) heap.push({ score: -penalty * root.minD, node: root, final: false });
          return { i, penalty, heap, found: [] as string[] };
        }),
      );
      for (;;) {
        const wanted = new Set<TrieNode>();
        for (const s of searches) {
          while (s.found.length < k && s.heap.size) {
            const top = s.heap.items[0]!;
            if (top.final) {
              s.heap.pop();
              s.found.push(top.node.text);
            } else if (top.node.next) {
              s.heap.pop();
              const n = top.node;
              if (n.d >= 0) s.heap.push({ score: n.lp + n.end - s.penalty * n.d, node: n, final: true });
              for (const c of n.children) s.heap.push({ score: c.lp - s.penalty * c.minD, node: c, final: false });
            } else {
              // Expand this node and, speculatively, the next few unexpanded ones in the queue's order.
              const popped: Entry[] = [];
              while (s.heap.size && wanted.size < 4096 && popped.length < 4) {
                const e = s.heap.pop()!;
                popped.push(e);
                if (!e.final && !e.node.next) wanted.add(e.node);
              }
              for (const e of popped) s.heap.push(e);
              break;
            }
          }
        }
        if (wanted.size === 0) break;
        this.#expand([...wanted]);
      }
      for (let i = 0; i < batch.length; i++) out.push(searches.filter((s) => s.i === i).map((s) => s.found));
    }
    return out;
  }

  corrector(): Corrector {
    return {
      name: this.name,
      correct: async (items, k) => (await this.rank(items, [this.penalty], k)).map((r) => r[0]!),
    };
  }
}

// ------------------------------------------------------- the model's corrector

/** A candidate of the model's corrector: the decoder's ln p (among known words) and the language model's ln p of the word in its context. */
interface Scored {
  text: string;
  dec: number;
  lm: number;
  /** ln of how often the word was seen in the training text (countPrior with weight 1; 0 without the lexicon's counts). */
  count: number;
}

/** An item's candidates, and whether its typed word is a known word. */
interface Candidates {
  known: boolean;
  /** No text before the word: the language model's weight is betaAlone. */
  alone: boolean;
  list: Scored[];
}

/**
 * The model's own corrector (issue 20): the decoder's candidates
 * (worker/model/corrector.ts candidates(): beams kept inside the lexicon,
 * and the lexicon's words an edit or two away scored by the decoder) from the
 * language model's state after the left context, rescored with the language
 * model (worker/model/rescore.ts): score = ln p_dec + beta · ln p_lm, p the
 * softmax of the scores over the candidates (Session.corrections does the
 * same). The widget's rule then decides whether the word changes
 * (shouldCorrect with `min`); when it would not, the typed word comes first.
 */
class ModelCorrector {
  readonly name = 'nextkey corrector (encoder-decoder)';
  constructor(
    readonly model: Model,
    readonly lanes: number,
    public min: CorrectionThresholds,
    public beta: number,
    public gamma: number,
    public betaAlone = CORRECTOR_LM_WEIGHT_ALONE,
  ) {
    if (!model.corrector) throw new Error('the model has no corrector (model.json has no "corrector" section)');
  }

  /** Candidates already computed, per item and k (the measurement and the operating points share them). */
  #seen = new Map<number, WeakMap<TypoItem, Candidates>>();

  /** For each item, the corrector's candidates (k of them) with both scores. */
  async candidates(items: readonly TypoItem[], k: number): Promise<Candidates[]> {
    let seen = this.#seen.get(k);
    if (!seen) this.#seen.set(k, (seen = new WeakMap()));
    const todo = items.filter((it) => !seen!.has(it));
    const fresh = await this.#compute(todo, k);
    todo.forEach((it, i) => seen!.set(it, fresh[i]!));
    return items.map((it) => seen!.get(it)!);
  }

  async #compute(items: readonly TypoItem[], k: number): Promise<Candidates[]> {
    const net = this.model.corrector!;
    const known = this.model.lexicon?.lookup() ?? null;
    const trie = this.model.lexicon?.trie() ?? null;
    const near = (t: string, max: number) => nearWords(trie, null, t, max, NEAR_LIMIT);
    const out: Candidates[] = [];
    for (let b0 = 0; b0 < items.length; b0 += this.lanes) {
      const batch = items.slice(b0, b0 + this.lanes);
      const ctx = readLanes(this.model, batch.map((it) => encode(this.model, it.left)));
      const H = ctx[ctx.length - 1]!.h.dataSync() as Float32Array;
      try {
        batch.forEach((it, i) => {
          const h = H.slice(i * net.Hlm, (i + 1) * net.Hlm);
          const list = candidates(net, h, it.typed, correctionOptions(this.model.index, known, it.typed, k, CORRECTION_BEAM), near, this.gamma);
          const row = tidy(() => ctx.map((s) => ({ h: slice(s.h, [i, 0], [1, -1]) as Tensor2D, ...(s.c ? { c: slice(s.c, [i, 0], [1, -1]) as Tensor2D } : {}) })) as never) as unknown as LayerState[];
          const lm = wordLogProbs(this.model, row, list.map((c) => c.text));
          dispose(stateTensors(row));
          const count = countPrior(this.model.lexicon, list.map((c) => c.text), 1);
          out.push({ known: !!known?.next(it.typed)?.word, alone: it.left === '', list: list.map((c, j) => ({ text: c.text, dec: Math.log(c.p), lm: lm[j]!, count: count[j]! })) });
        });
      } finally {
        dispose(stateTensors(ctx));
      }
    }
    return out;
  }

  /** The candidates with p (softmax of ln p_dec + beta · ln p_lm over them), best first. */
  static combine(list: readonly Scored[], typed: string, beta: number, gamma: number, prior = 0, casePenalty = 0): { text: string; p: number }[] {
    return rescored(list.map((c) => ({ text: c.text, p: Math.exp(c.dec) })), list.map((c) => c.lm), typed, beta, gamma, prior ? list.map((c) => prior * c.count) : undefined, casePenalty);
  }

  /** The candidates in the order a user of the widget meets them: the typed word first unless the widget would change it. */
  static order(c: Candidates, typed: string, min: CorrectionThresholds, beta: number, gamma: number, betaAlone = beta, priorAlone = CORRECTOR_PRIOR_ALONE): string[] {
    // A word alone, as session.corrections() ranks it: how common each candidate is counts (countPrior).
    const ranked = ModelCorrector.combine(c.list, typed, c.alone ? betaAlone : beta, gamma, c.alone ? priorAlone : 0, c.alone ? CORRECTOR_CASE_PENALTY : 0);
    const texts = ranked.map((x) => x.text);
    if (shouldCorrect(ranked, { text: typed, known: c.known }, min) || !c.list.length) return texts;
    return [typed, ...texts.filter((t) => t !== typed)];
  }

  corrector(): Corrector {
    return {
      name: this.name,
      correct: async (items, k) => (await this.candidates(items, Math.max(k, CANDIDATES))).map((c, i) => ModelCorrector.order(c, items[i]!.typed, this.min, this.beta, this.gamma, this.betaAlone).slice(0, k)),
    };
  }
}

const CANDIDATES = RESCORED;
/** Least confidences (for known and unknown typed words) and language-model weights the tuning tries for the corrector. */
const MINS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95];
const BETAS = [0, 0.25, 0.5, 0.75, 1, 1.5];
const GAMMAS = [0, 0.5, 1, 2, 3, 4];

/**
 * The corrector's least confidence and language-model weight, chosen on the
 * tuning slice: the most misspelled words corrected at top-1 among the
 * settings whose false alarms on its correct words stay within the issue's
 * bound (0.5%; ties: fewer false alarms).
 */
async function tuneCorrector(c: ModelCorrector, tune: TypoItem[]) {
  const lists = await c.candidates(tune, CANDIDATES);
  const errors = tune.filter((it) => it.kind !== 'none').length;
  const correct = tune.length - errors;
  const scores = GAMMAS.flatMap((gamma) => BETAS.flatMap((beta) =>
    MINS.flatMap((known) =>
      MINS.map((unknown) => {
        const min = { known, unknown };
        let fixed = 0;
        let alarms = 0;
        tune.forEach((it, i) => {
          const top = ModelCorrector.order(lists[i]!, it.typed, min, beta, gamma)[0];
          if (it.kind === 'none') alarms += top !== undefined && top !== it.typed ? 1 : 0;
          else fixed += top !== undefined && isHit(it, top) ? 1 : 0;
        });
        return { beta, gamma, min, top1: fixed / Math.max(1, errors), falseAlarms: alarms / Math.max(1, correct) };
      }),
    ),
  ));
  const within = scores.filter((x) => x.falseAlarms <= 0.005);
  const pool = within.length ? within : scores;
  const best = pool.reduce((a, b) => (b.top1 > a.top1 || (b.top1 === a.top1 && b.falseAlarms < a.falseAlarms) ? b : a));
  return { beta: best.beta, gamma: best.gamma, min: best.min, top1: best.top1, falseAlarms: best.falseAlarms, scores };
}

/**
 * The language model's weight for a word alone (no text before it), chosen on
 * the real list's tuning slice with the rest of the corrector's settings as
 * tuned: the most words corrected at top-1 (ties: the smaller weight).
 */
async function tuneAlone(c: ModelCorrector, tune: TypoItem[]) {
  const lists = await c.candidates(tune, CANDIDATES);
  const scores = BETAS.map((beta) => {
    let fixed = 0;
    tune.forEach((it, i) => {
      const top = ModelCorrector.order(lists[i]!, it.typed, c.min, c.beta, c.gamma, beta)[0];
      fixed += top !== undefined && isHit(it, top) ? 1 : 0;
    });
    return { beta, top1: fixed / Math.max(1, tune.length) };
  });
  const best = scores.reduce((a, b) => (b.top1 > a.top1 ? b : a));
  return { beta: best.beta, top1: best.top1, scores };
}

/** The widget's least confidences (known / unknown typed words) the operating-points table shows. */
const POINTS: CorrectionThresholds[] = [0, 0.2, 0.3, 0.5].flatMap((unknown) => [0.5, 0.7, 0.9].map((known) => ({ known, unknown })));

/**
 * Top-1 on the real and synthetic sets and the false-alarm rate on the
 * correct words at each of POINTS, the corrector's other settings as they
 * are: how much correcting a stricter widget gives up for fewer false alarms.
 */
async function operatingPoints(c: ModelCorrector, real: TypoItem[], errors: TypoItem[], correct: TypoItem[]) {
  const lists = await Promise.all([real, errors, correct].map((items) => c.candidates(items, CANDIDATES)));
  const rate = (min: CorrectionThresholds, items: TypoItem[], cands: Candidates[], ok: (it: TypoItem, top: string | undefined) => boolean) =>
    items.length ? items.filter((it, i) => ok(it, ModelCorrector.order(cands[i]!, it.typed, min, c.beta, c.gamma, c.betaAlone)[0])).length / items.length : null;
  const fixed = (it: TypoItem, top: string | undefined) => top !== undefined && isHit(it, top);
  return POINTS.map((min) => ({
    min,
    real: rate(min, real, lists[0]!, fixed),
    synthetic: rate(min, errors, lists[1]!, fixed),
    falseAlarms: rate(min, correct, lists[2]!, (it, top) => top !== undefined && top !== it.typed),
  }));
}

/** Penalties (nats per edit) the tuning tries. */
const PENALTIES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15];

/** The penalty that gets the most of the tuning slice right (an error corrected at top-1, a correct word left as it is). */
async function tunePenalty(channel: NoisyChannel, tune: TypoItem[]) {
  const ranked = await channel.rank(tune, PENALTIES, 1);
  const scores = PENALTIES.map((penalty, p) => {
    let right = 0;
    tune.forEach((it, i) => {
      const top = ranked[i]![p]![0];
      if (it.kind === 'none' ? top === undefined || top === it.typed : top !== undefined && isHit(it, top)) right++;
    });
    return { penalty, accuracy: right / tune.length };
  });
  const best = scores.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
  return { penalty: best.penalty, scores };
}

// ------------------------------------------------------------------ run

interface Row {
  set: string;
  method: string;
  n: number;
  top1: number | null;
  top3: number | null;
  falseAlarms: number | null;
  msPerWord: number;
  /** Words it got wrong (up to --examples of them). */
  misses?: { typed: string; intended: string; got: string[]; left: string }[];
  /** Top-1 per kind of error (synthetic set). */
  byKind?: Record<string, { n: number; top1: number }>;
}

async function measure(c: Corrector, set: string, items: TypoItem[], lanes: number, examples = 0): Promise<Row> {
  const t0 = performance.now();
  const lists: string[][] = [];
  for (let b = 0; b < items.length; b += lanes * 8) lists.push(...(await c.correct(items.slice(b, b + lanes * 8), 3)));
  const ms = (performance.now() - t0) / Math.max(1, items.length);
  const row: Row = { set, method: c.name, n: items.length, top1: null, top3: null, falseAlarms: null, msPerWord: ms };
  // The first few words each method gets wrong, for reading (--examples N).
  row.misses = items
    .map((it, i) => ({ typed: it.typed, intended: it.intended[0]!, got: lists[i]!.slice(0, 3), left: it.left.slice(-40) }))
    .filter((m, i) => (set === 'correct' ? m.got.length > 0 && m.got[0] !== m.typed : !(m.got[0] !== undefined && isHit(items[i]!, m.got[0]))))
    .slice(0, examples);
  if (set === 'correct') {
    // A false alarm: the top answer differs from the (correct) typed word; no answer changes nothing.
    row.falseAlarms = items.filter((it, i) => lists[i]!.length > 0 && lists[i]![0] !== it.typed).length / items.length;
    return row;
  }
  const hit = (i: number, n: number) => lists[i]!.slice(0, n).some((w) => isHit(items[i]!, w));
  row.top1 = items.filter((_, i) => hit(i, 1)).length / items.length;
  row.top3 = items.filter((_, i) => hit(i, 3)).length / items.length;
  if (set === 'synthetic') {
    row.byKind = {};
    items.forEach((it, i) => {
      const k = (row.byKind![it.kind] ??= { n: 0, top1: 0 });
      k.n++;
      if (hit(i, 1)) k.top1++;
    });
    for (const k of Object.values(row.byKind)) k.top1 /= k.n;
  }
  return row;
}

export async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const t0 = performance.now();
  const manifest = validateManifest(JSON.parse(readFileSync(join(args.model, 'model.json'), 'utf8')));
  const file = readFileSync(join(args.model, manifest.weights.path));
  const weights = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer;
  const hash = await sha256Hex(weights);
  if (hash !== manifest.weights.sha256) throw new Error(`weights SHA-256 ${hash} does not match model.json (${manifest.weights.sha256})`);
  const require = createRequire(import.meta.url);
  const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
  const backend = await selectBackend(args.backend, wasmDir);
  const model = buildModel(manifest, weights);
  const log = (s: string) => args.json || process.stderr.write(s + '\n');
  try {
    const realSplit = realSets(args.typos, args.real, args.tuneCorrector ? args.tune : 0, args.seed, args.realOffset);
    const real = realSplit.test;
    const synth = args.synthetic + args.correct > 0 ? syntheticSets(args) : { file: null, errors: [], correct: [], tune: [] };
    log(`sets: ${real.length} real, ${synth.errors.length} synthetic, ${synth.correct.length} correct, ${synth.tune.length} tuning (${synth.file ?? 'no synthetic file'})`);
    const channel = new NoisyChannel(model, args.penalty ?? 0, args.lanes);
    let tuning: Awaited<ReturnType<typeof tunePenalty>> | null = null;
    if (args.penalty === null) {
      const tt = performance.now();
      tuning = await tunePenalty(channel, synth.tune);
      channel.penalty = tuning.penalty;
      log(`penalty ${tuning.penalty} nats per edit, chosen on ${synth.tune.length} held-out words in ${((performance.now() - tt) / 1000).toFixed(0)} s: ${tuning.scores.map((s) => `${s.penalty}: ${(s.accuracy * 100).toFixed(1)}%`).join(', ')}`);
    }
    const correctors: Corrector[] = [hunspell(), channel.corrector()];
    let corrTuning: Awaited<ReturnType<typeof tuneCorrector>> | null = null;
    let aloneTuning: Awaited<ReturnType<typeof tuneAlone>> | null = null;
    let own: ModelCorrector | null = null;
    if (model.corrector) {
      own = new ModelCorrector(model, args.lanes, args.minCorrection === null ? DEFAULT_MIN_CORRECTION : { known: args.minCorrection, unknown: args.minCorrection }, args.beta ?? CORRECTOR_LM_WEIGHT, CORRECTOR_EDIT_PENALTY, args.betaAlone ?? CORRECTOR_LM_WEIGHT_ALONE);
      if (args.tuneCorrector && synth.tune.length) {
        corrTuning = await tuneCorrector(own, synth.tune);
        own.beta = corrTuning.beta;
        own.gamma = corrTuning.gamma;
        own.min = corrTuning.min;
        log(`corrector: language-model weight ${corrTuning.beta}, edit penalty ${corrTuning.gamma}, least confidence ${corrTuning.min.known} (known words) / ${corrTuning.min.unknown} (unknown), chosen on the ${synth.tune.length} held-out words (top-1 ${(corrTuning.top1 * 100).toFixed(1)}%, false alarms ${(corrTuning.falseAlarms * 100).toFixed(1)}%)`);
        if (realSplit.tune.length) {
          aloneTuning = await tuneAlone(own, realSplit.tune);
          own.betaAlone = aloneTuning.beta;
          log(`corrector: language-model weight for a word alone ${aloneTuning.beta}, chosen on ${realSplit.tune.length} more words of the real list (top-1 ${(aloneTuning.top1 * 100).toFixed(1)}%): ${aloneTuning.scores.map((x) => `${x.beta}: ${(x.top1 * 100).toFixed(1)}%`).join(', ')}`);
        }
      }
      correctors.push(own.corrector());
    } else log('the model has no corrector: the two baselines only');
    const rows: Row[] = [];
    for (const [set, items] of [['real', real], ['synthetic', synth.errors], ['correct', synth.correct]] as const) {
      if (!items.length) continue;
      for (const c of correctors) {
        rows.push(await measure(c, set, items, args.lanes, args.examples));
        log(`${set} × ${c.name}: done`);
      }
    }
    for (const c of correctors) c.dispose?.();
    const points = own ? await operatingPoints(own, real, synth.errors, synth.correct) : [];
    const result = {
      model: resolve(args.model),
      backend: backend.name,
      seed: args.seed,
      lexicon: model.lexicon?.size ?? 0,
      penalty: channel.penalty,
      tuning,
      minCorrection: own?.min ?? null,
      correctorLmWeight: own?.beta ?? null,
      correctorLmWeightAlone: own?.betaAlone ?? null,
      correctorAloneTuning: aloneTuning,
      correctorEditPenalty: own?.gamma ?? null,
      correctorTuning: corrTuning,
      rows,
      operatingPoints: points,
      seconds: (performance.now() - t0) / 1000,
    };
    if (args.json) {
      console.log(JSON.stringify(result, null, 2));
      return;
    }
    const pct = (x: number | null) => (x === null ? '' : `${(x * 100).toFixed(1)}%`);
    const names: Record<string, string> = { real: 'real (Wikipedia list, no context)', synthetic: 'synthetic (v2/valid, 1 error)', correct: 'correct words (v2/valid)' };
    console.log(`model ${result.model} (${manifest.cell} ${manifest.hiddenSizes.join('x')}, lexicon of ${result.lexicon.toLocaleString('en')} words), ${backend.name}; channel penalty ${channel.penalty} nats per edit${tuning ? ' (tuned)' : ''}\n`);
    console.log('| set | method | n | top-1 | top-3 | false alarms | ms per word |');
    console.log('|---|---|---:|---:|---:|---:|---:|');
    for (const r of rows) console.log(`| ${names[r.set]} | ${r.method} | ${r.n} | ${pct(r.top1)} | ${pct(r.top3)} | ${pct(r.falseAlarms)} | ${r.msPerWord.toFixed(1)} |`);
    const synthRows = rows.filter((r) => r.byKind);
    if (synthRows.length) {
      const kinds = Object.keys(synthRows[0]!.byKind!).sort();
      console.log(`\nsynthetic set, top-1 by kind of error\n\n| kind | n | ${synthRows.map((r) => r.method).join(' | ')} |\n|---|---:|${synthRows.map(() => '---:').join('|')}|`);
      for (const k of kinds) console.log(`| ${k} | ${synthRows[0]!.byKind![k]!.n} | ${synthRows.map((r) => pct(r.byKind![k]?.top1 ?? null)).join(' | ')} |`);
    }
    if (points.length) {
      console.log(`\nthe corrector's least confidence to change a word (known / unknown typed words; the widget's default ${DEFAULT_MIN_CORRECTION.known} / ${DEFAULT_MIN_CORRECTION.unknown}): top-1 and false alarms at each\n`);
      console.log('| least confidence | real top-1 | synthetic top-1 | false alarms |\n|---|---:|---:|---:|');
      for (const x of points) console.log(`| ${x.min.known} / ${x.min.unknown} | ${pct(x.real)} | ${pct(x.synthetic)} | ${pct(x.falseAlarms)} |`);
    }
    for (const r of rows.filter((x) => x.misses?.length)) {
      console.log(`\n${names[r.set]}, ${r.method}: first ${r.misses!.length} wrong (typed → intended: answers)`);
      for (const m of r.misses!) console.log(`  …${JSON.stringify(m.left)} ${m.typed} → ${m.intended}: ${m.got.join(', ') || '(none)'}`);
    }
    console.log(`\n${result.seconds.toFixed(0)} s`);
  } finally {
    disposeModel(model);
  }
}
