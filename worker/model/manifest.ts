import type { CellType } from '../../src/protocol.js';
import { workerError } from '../errors.js';

/** No character model for a text field needs more; a bigger number is a broken file. */
const MAX_WEIGHTS_BYTES = 2 ** 30;

export type DType = 'float32' | 'float16' | 'int8';

export interface TensorEntry {
  name: string;
  shape: number[];
  dtype: DType;
  offset: number;
  byteLength: number;
}

/** A validated model.json (format v1). See docs/model-format.md. */
export interface Manifest {
  format: 'nextkey';
  version: 1;
  cell: CellType;
  embeddingSize: number;
  hiddenSizes: number[];
  vocab: number[];
  weights: { path: string; byteLength: number; sha256: string };
  tensors: TensorEntry[];
  card: Record<string, unknown>;
  /**
   * Optional: the word forms completions prefer (see worker/model/beam.ts),
   * e.g. every word of the training text, sorted by UTF-16 code units, each
   * once. A fine-tuned model adds the words of its tuning text.
   */
  lexicon?: string[];
  /**
   * Optional, with `lexicon`: how common each of its words is in the
   * training text, one hexadecimal digit per word in the lexicon's order,
   * floor(log2(count)) capped at 15 ("1": seen 2-3 times, "a": 1,024-2,047).
   * The typo corrector's prior for a word with no text before it
   * (worker/model/corrector.ts CORRECTOR_PRIOR_ALONE).
   */
  lexiconCounts?: string;
  /**
   * Optional: the bidirectional part (training/bidir.py): a backward stack
   * that reads the text after the caret from its end, with its tensors named
   * as the forward ones prefixed "backward." (no head), and a combining head
   * combine.weight [V, H_last + backward H_last], combine.bias [V]; with
   * combineHidden M, also a hidden layer of M tanh units whose output adds to
   * those logits: combine.hidden.weight [M, H_last + backward H_last],
   * combine.hidden.bias [M], combine.out.weight [V, M].
   */
  backward?: BackwardSection;
  /**
   * Optional: the typo corrector (training/corrector.py), a character
   * encoder-decoder whose tensors are named "corrector.*" (see
   * docs/model-format.md and worker/model/corrector.ts).
   */
  corrector?: CorrectorSection;
}

/** The manifest's optional corrector section: the encoder-decoder's sizes. */
export interface CorrectorSection {
  embeddingSize: number;
  /** Units of each of the encoder's two GRUs. */
  encoderSize: number;
  decoderSize: number;
}

/** Prefix of the corrector's tensor names. */
export const CORRECTOR_PREFIX = 'corrector.';

/** The manifest's optional backward section: the backward stack's shape. */
export interface BackwardSection {
  cell: CellType;
  embeddingSize: number;
  hiddenSizes: number[];
  /** Hidden units of the combining head (absent: the head is linear). */
  combineHidden?: number;
}

/** Prefix of the backward stack's tensor names. */
export const BACKWARD_PREFIX = 'backward.';

/** Whitespace, which no lexicon word may hold. */
const SPACE = /\s/;

/** Most words a lexicon may list, and the longest word. */
export const MAX_LEXICON_WORDS = 1_000_000;
export const MAX_WORD_LENGTH = 64;

export const FORMAT_VERSION = 1;

/** Gate blocks per cell type (rows of weight_ih = gates × H). */
export const GATES: Record<CellType, number> = { rnn: 1, lstm: 4, gru: 3, peephole: 4, cifg: 3 };

const DTYPES: readonly DType[] = ['float32', 'float16', 'int8'];

function bad(field: string, expected: string, got: unknown): never {
  let shown: string;
  try {
    shown = JSON.stringify(got) ?? String(got);
  } catch {
    shown = String(got);
  }
  if (shown.length > 80) shown = shown.slice(0, 77) + '...';
  throw workerError('ModelFormatError', `model.json: field "${field}" must be ${expected}, got ${shown}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function positiveInt(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) bad(field, 'a positive integer', v);
  return v;
}

function nonNegativeInt(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) bad(field, 'a non-negative integer', v);
  return v;
}

/** Bytes a tensor of `count` values and `rows` rows takes in `dtype`. */
export function bytesFor(dtype: DType, shape: number[]): number {
  const count = shape.reduce((a, b) => a * b, 1);
  if (dtype === 'float32') return 4 * count;
  if (dtype === 'float16') return 2 * count;
  const rows = shape.length >= 2 ? shape[0]! : 1;
  return count + 4 * rows;
}

/**
 * The tensors a model of this shape must hold, with their shapes; with a
 * backward section, also the bidirectional part's (after the forward ones).
 */
export function expectedTensors(cell: CellType, vocabSize: number, embeddingSize: number, hiddenSizes: number[], backward?: BackwardSection): Map<string, number[]> {
  const out = stackTensors('', cell, vocabSize, embeddingSize, hiddenSizes);
  const last = hiddenSizes[hiddenSizes.length - 1]!;
  out.set('head.weight', [vocabSize, last]);
  out.set('head.bias', [vocabSize]);
  if (backward) {
    for (const [name, shape] of stackTensors(BACKWARD_PREFIX, backward.cell, vocabSize, backward.embeddingSize, backward.hiddenSizes)) out.set(name, shape);
    const both = last + backward.hiddenSizes[backward.hiddenSizes.length - 1]!;
    out.set('combine.weight', [vocabSize, both]);
    out.set('combine.bias', [vocabSize]);
    const m = backward.combineHidden;
    if (m) {
      out.set('combine.hidden.weight', [m, both]);
      out.set('combine.hidden.bias', [m]);
      out.set('combine.out.weight', [vocabSize, m]);
    }
  }
  return out;
}

/** The corrector's tensors and shapes (training/nextkey_model.py corrector_tensor_specs), for a language model whose top h has `lm` units. */
export function correctorTensors(vocabSize: number, lm: number, c: CorrectorSection): Map<string, number[]> {
  const { embeddingSize: E, encoderSize: He, decoderSize: Hd } = c;
  const V = vocabSize;
  const out = new Map<string, number[]>([
    ['embedding', [V, E]],
    ['encoder.init.weight', [He, lm]],
    ['encoder.init.bias', [He]],
  ]);
  const gru = (name: string, H: number) => {
    out.set(`${name}.weight_ih`, [3 * H, E]);
    out.set(`${name}.weight_hh`, [3 * H, H]);
    out.set(`${name}.bias_ih`, [3 * H]);
    out.set(`${name}.bias_hh`, [3 * H]);
  };
  gru('encoder.forward', He);
  gru('encoder.backward', He);
  out.set('decoder.init.weight', [Hd, lm + 2 * He]);
  out.set('decoder.init.bias', [Hd]);
  gru('decoder', Hd);
  out.set('attention.weight', [2 * He, Hd]);
  out.set('out.weight', [V, Hd + 2 * He]);
  out.set('out.bias', [V]);
  return new Map([...out].map(([n, s]) => [CORRECTOR_PREFIX + n, s]));
}

/** A stack's embedding and layers (no head), each name prefixed. */
function stackTensors(prefix: string, cell: CellType, vocabSize: number, embeddingSize: number, hiddenSizes: number[]): Map<string, number[]> {
  const g = GATES[cell];
  const out = new Map<string, number[]>();
  out.set(`${prefix}embedding`, [vocabSize, embeddingSize]);
  let input = embeddingSize;
  hiddenSizes.forEach((h, l) => {
    out.set(`${prefix}layers.${l}.weight_ih`, [g * h, input]);
    out.set(`${prefix}layers.${l}.weight_hh`, [g * h, h]);
    out.set(`${prefix}layers.${l}.bias_ih`, [g * h]);
    out.set(`${prefix}layers.${l}.bias_hh`, [g * h]);
    if (cell === 'peephole') {
      for (const p of ['peep_i', 'peep_f', 'peep_o']) out.set(`${prefix}layers.${l}.${p}`, [h]);
    }
    input = h;
  });
  return out;
}

const CELL_NAMES = 'one of "rnn", "lstm", "gru", "peephole", "cifg"';

/** A cell type's name (an own key of GATES: "constructor" is not a cell). */
function isCell(v: unknown): v is CellType {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(GATES, v);
}

/** The optional backward section, checked as the forward stack's fields are. */
function backwardSection(b: unknown): BackwardSection {
  if (!isRecord(b)) bad('backward', 'an object { cell, embeddingSize, hiddenSizes[, combineHidden] } (the bidirectional part)', b);
  if (!isCell(b.cell)) bad('backward.cell', CELL_NAMES, b.cell);
  const embeddingSize = positiveInt(b.embeddingSize, 'backward.embeddingSize');
  if (!Array.isArray(b.hiddenSizes) || b.hiddenSizes.length === 0) bad('backward.hiddenSizes', 'a non-empty array of positive integers', b.hiddenSizes);
  const hiddenSizes = b.hiddenSizes.map((h, i) => positiveInt(h, `backward.hiddenSizes[${i}]`));
  if (b.combineHidden === undefined) return { cell: b.cell, embeddingSize, hiddenSizes };
  return { cell: b.cell, embeddingSize, hiddenSizes, combineHidden: positiveInt(b.combineHidden, 'backward.combineHidden') };
}

/** The optional corrector section: three positive sizes. */
function correctorSection(c: unknown): CorrectorSection {
  if (!isRecord(c)) bad('corrector', 'an object { embeddingSize, encoderSize, decoderSize } (the typo corrector)', c);
  return {
    embeddingSize: positiveInt(c.embeddingSize, 'corrector.embeddingSize'),
    encoderSize: positiveInt(c.encoderSize, 'corrector.encoderSize'),
    decoderSize: positiveInt(c.decoderSize, 'corrector.decoderSize'),
  };
}

/**
 * Checks every field of a parsed model.json against format v1 and returns it
 * typed. Throws a ModelFormatError naming the first field that is wrong.
 */
export function validateManifest(json: unknown): Manifest {
  if (!isRecord(json)) bad('(root)', 'a JSON object', json);
  if (json.format !== 'nextkey') bad('format', '"nextkey"', json.format);
  if (json.version !== FORMAT_VERSION) bad('version', `${FORMAT_VERSION} (this runtime reads format version ${FORMAT_VERSION})`, json.version);
  const cell = json.cell;
  if (!isCell(cell)) bad('cell', CELL_NAMES, cell);
  const embeddingSize = positiveInt(json.embeddingSize, 'embeddingSize');
  if (!Array.isArray(json.hiddenSizes) || json.hiddenSizes.length === 0) bad('hiddenSizes', 'a non-empty array of positive integers', json.hiddenSizes);
  const hiddenSizes = json.hiddenSizes.map((h, i) => positiveInt(h, `hiddenSizes[${i}]`));

  if (!Array.isArray(json.vocab) || json.vocab.length < 2) bad('vocab', 'an array of at least 2 code points', json.vocab);
  if (json.vocab[0] !== 0) bad('vocab[0]', '0 (index 0 is reserved for unknown characters)', json.vocab[0]);
  const seen = new Set<number>();
  const vocab = json.vocab.map((cp, i) => {
    if (i === 0) return 0;
    if (typeof cp !== 'number' || !Number.isInteger(cp) || cp < 1 || cp > 0x10ffff) bad(`vocab[${i}]`, 'a Unicode code point (integer 1..0x10FFFF)', cp);
    if (cp >= 0xd800 && cp <= 0xdfff) bad(`vocab[${i}]`, 'a code point that is not a surrogate half', cp);
    if (seen.has(cp)) bad(`vocab[${i}]`, 'a code point not already in the vocabulary', cp);
    seen.add(cp);
    return cp;
  });

  const w = json.weights;
  if (!isRecord(w)) bad('weights', 'an object { path, byteLength, sha256 }', w);
  // Weights come from where model.json is: a relative path, never another origin or a data:/blob: URL.
  if (typeof w.path !== 'string' || w.path.length === 0 || /^[a-z][a-z\d+.-]*:/i.test(w.path) || w.path.startsWith('//') || w.path.startsWith('\\')) {
    bad('weights.path', 'a relative path such as "weights.bin" (resolved against model.json; no scheme, no //host)', w.path);
  }
  const weightsBytes = nonNegativeInt(w.byteLength, 'weights.byteLength');
  if (weightsBytes > MAX_WEIGHTS_BYTES) bad('weights.byteLength', `at most ${MAX_WEIGHTS_BYTES} (1 GiB)`, weightsBytes);
  if (typeof w.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(w.sha256)) bad('weights.sha256', '64 lowercase hex digits', w.sha256);

  if (!Array.isArray(json.tensors)) bad('tensors', 'an array of tensor entries', json.tensors);
  const backward = json.backward === undefined ? undefined : backwardSection(json.backward);
  const expected = expectedTensors(cell as CellType, vocab.length, embeddingSize, hiddenSizes, backward);
  const corrector = json.corrector === undefined ? undefined : correctorSection(json.corrector);
  if (corrector) for (const [name, shape] of correctorTensors(vocab.length, hiddenSizes[hiddenSizes.length - 1]!, corrector)) expected.set(name, shape);
  const what = `${hiddenSizes.length}-layer ${cell} model${backward ? ` with a ${backward.hiddenSizes.length}-layer ${backward.cell} backward part` : ''}`;
  const tensors: TensorEntry[] = [];
  const names = new Set<string>();
  json.tensors.forEach((t, i) => {
    const f = `tensors[${i}]`;
    if (!isRecord(t)) bad(f, 'an object { name, shape, dtype, offset, byteLength }', t);
    if (typeof t.name !== 'string') bad(`${f}.name`, 'a string', t.name);
    const want = expected.get(t.name);
    if (!want) {
      const hint =
        !backward && /^(backward|combine)\./.test(t.name)
          ? ' (tensors "backward.*" and "combine.*" need a "backward" section)'
          : !corrector && t.name.startsWith(CORRECTOR_PREFIX)
            ? ' (tensors "corrector.*" need a "corrector" section)'
            : '';
      bad(`${f}.name`, `one of the tensors of a ${what}${hint} (${[...expected.keys()].join(', ')})`, t.name);
    }
    if (names.has(t.name)) bad(`${f}.name`, 'a name not already listed', t.name);
    names.add(t.name);
    if (!Array.isArray(t.shape) || t.shape.length !== want.length || t.shape.some((d, k) => d !== want[k])) {
      bad(`${f}.shape`, `[${want.join(', ')}] for "${t.name}" of this ${what}`, t.shape);
    }
    if (typeof t.dtype !== 'string' || !DTYPES.includes(t.dtype as DType)) bad(`${f}.dtype`, 'one of "float32", "float16", "int8"', t.dtype);
    const dtype = t.dtype as DType;
    const offset = nonNegativeInt(t.offset, `${f}.offset`);
    if (offset % 4 !== 0) bad(`${f}.offset`, 'a multiple of 4', offset);
    const byteLength = nonNegativeInt(t.byteLength, `${f}.byteLength`);
    const need = bytesFor(dtype, want);
    if (byteLength !== need) bad(`${f}.byteLength`, `${need} (${dtype} [${want.join(', ')}])`, byteLength);
    if (offset + byteLength > weightsBytes) {
      bad(`${f}.offset`, `within weights.bin (offset + byteLength ≤ weights.byteLength = ${weightsBytes})`, offset);
    }
    tensors.push({ name: t.name, shape: want, dtype, offset, byteLength });
  });
  for (const name of expected.keys()) {
    if (!names.has(name)) bad('tensors', `to include "${name}" for a ${what}`, [...names]);
  }
  // Each tensor has its own bytes: no two ranges of weights.bin overlap.
  const byOffset = tensors.map((t, i) => ({ t, i })).sort((a, b) => a.t.offset - b.t.offset);
  for (let j = 1; j < byOffset.length; j++) {
    const prev = byOffset[j - 1]!;
    const cur = byOffset[j]!;
    if (cur.t.offset < prev.t.offset + prev.t.byteLength) {
      bad(`tensors[${cur.i}].offset`, `past the end of "${prev.t.name}" (${prev.t.offset + prev.t.byteLength}): tensors may not overlap`, cur.t.offset);
    }
  }
  const card = json.card === undefined ? {} : json.card;
  if (!isRecord(card)) bad('card', 'an object (the model card)', card);
  checkCard(card);
  const lexicon = json.lexicon;
  if (lexicon !== undefined) {
    if (!Array.isArray(lexicon) || lexicon.length > MAX_LEXICON_WORDS) bad('lexicon', `an array of at most ${MAX_LEXICON_WORDS} words`, Array.isArray(lexicon) ? `${lexicon.length} entries` : lexicon);
    // A cold start reads this list: one pass, building no string (joining the
    // words to test them at once took ~20 ms in a fresh worker).
    let prev = '';
    for (let i = 0; i < lexicon.length; i++) {
      const word: unknown = lexicon[i];
      if (typeof word !== 'string' || word.length === 0 || word.length > MAX_WORD_LENGTH || SPACE.test(word)) bad(`lexicon[${i}]`, `a word: 1 to ${MAX_WORD_LENGTH} characters, no spaces`, word);
      if (i > 0 && !(prev < word)) bad(`lexicon[${i}]`, `a word after ${JSON.stringify(prev)} (sorted by UTF-16 code units, each once)`, word);
      prev = word;
    }
  }
  const counts = json.lexiconCounts;
  if (counts !== undefined) {
    if (!Array.isArray(lexicon)) bad('lexiconCounts', 'present only with a lexicon', counts);
    if (typeof counts !== 'string' || counts.length !== lexicon.length) bad('lexiconCounts', `a string of one hexadecimal digit per lexicon word (${lexicon.length})`, typeof counts === 'string' ? `${counts.length} characters` : counts);
    const at = counts.search(/[^0-9a-f]/);
    if (at >= 0) bad(`lexiconCounts[${at}]`, `a hexadecimal digit 0-9 or a-f (the count class of ${JSON.stringify(lexicon[at])})`, counts[at]);
  }
  return {
    format: 'nextkey',
    version: 1,
    cell: cell as CellType,
    embeddingSize,
    hiddenSizes,
    vocab,
    weights: { path: w.path, byteLength: weightsBytes, sha256: w.sha256 },
    tensors,
    card,
    ...(lexicon ? { lexicon: lexicon as string[] } : {}),
    ...(typeof counts === 'string' ? { lexiconCounts: counts } : {}),
    ...(backward ? { backward } : {}),
    ...(corrector ? { corrector } : {}),
  };
}

/** Deepest nesting and most values a model card may hold: it is metadata, copied between threads and into IndexedDB. */
export const MAX_CARD_DEPTH = 32;
export const MAX_CARD_VALUES = 100_000;

/** A card of plain JSON values, at most MAX_CARD_DEPTH deep and MAX_CARD_VALUES values (walked without recursion). */
function checkCard(card: Record<string, unknown>): void {
  const stack: { v: unknown; depth: number; at: string }[] = [{ v: card, depth: 1, at: 'card' }];
  let values = 0;
  while (stack.length) {
    const { v, depth, at } = stack.pop()!;
    if (++values > MAX_CARD_VALUES) bad('card', `at most ${MAX_CARD_VALUES} values`, `more than ${MAX_CARD_VALUES}`);
    if (v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) continue;
    if (typeof v !== 'object') bad(at, 'a JSON value', v);
    if (depth > MAX_CARD_DEPTH) bad(at, `nested at most ${MAX_CARD_DEPTH} deep`, `deeper than ${MAX_CARD_DEPTH}`);
    if (Array.isArray(v)) v.forEach((x, i) => stack.push({ v: x, depth: depth + 1, at: `${at}[${i}]` }));
    else for (const [k, x] of Object.entries(v as Record<string, unknown>)) stack.push({ v: x, depth: depth + 1, at: `${at}.${k}` });
  }
}
