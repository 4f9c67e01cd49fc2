import { clone, concat, dispose, getBackend, split, tidy, type Tensor, type Tensor2D, type TensorContainer } from '@tensorflow/tfjs-core';
import type { CheckpointOptions, Completion, CompleteRequest, CorrectionsAnswer, CorrectionsRequest, FeedResult, GenerateRequest, Prediction, SessionStats, StateSnapshot, TextResult } from '../src/protocol.js';
import type { LayerState } from './cells/index.js';
import { Checkpoints } from './checkpoints.js';
import { beamSearch } from './model/beam.js';
import { isWordChar } from '../src/text.js';
import { encode, logits, stateTensors, step, stepWithLogits, zeroState, type Model } from './model/model.js';
import { disposeMidText, midTextModel } from './model/bidir.js';
import { CORRECTOR_CASE_PENALTY, CORRECTOR_LM_WEIGHT, CORRECTOR_LM_WEIGHT_ALONE, NEAR_LIMIT, RESCORED, candidates, correctionOptions, countPrior, rescored } from './model/corrector.js';
import { nearWords } from './model/near.js';
import { completeMidLine, fitTail, wordLogProbs } from './model/rescore.js';
import { workerError } from './errors.js';
import { rightContext } from '../src/text.js';
import { CommitTracker, contextOf, unionWords, vocabView, type Adaptation, type WordList } from './adapt/index.js';

/** Characters a session reads at most for one update (see Session's readLimit). */
export const DEFAULT_READ_LIMIT = 4096;
/** Steps between yields of a long read. */
const CHUNK = 64;
/** Next characters a session steps ahead for, between keystrokes (see Session.speculate). */
const SPECULATE = 3;

/** States after the current text plus each of its likeliest next characters, with their logits. */
interface Speculation {
  /** The state they were stepped from (a checkpoint, compared by identity). */
  from: LayerState[];
  ids: number[];
  states: (LayerState[] | null)[];
  logits: Float32Array[];
}

/** Windows and old-Mac line endings read as '\n', as a textarea reports them. */
export function normalizeNewlines(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

/** The text before a cursor given in UTF-16 units, never splitting a surrogate pair. */
export { beforeCursor } from '../src/text.js';

/**
 * One text field's recurrent state. The session keeps the text it has read
 * (as vocabulary indices) and state checkpoints along it; a new text costs only
 * the steps after the newest checkpoint inside the common prefix.
 */
export class Session {
  /** Indices the checkpoints are valid for; may run past the current length after a cursor move. */
  #ref: number[] = [];
  #length = 0;
  #steps = 0;
  #ckpts: Checkpoints;
  readonly #input = new Int32Array(1);
  /** A long read is in progress (it yields between chunks). */
  #reading = false;
  /** The weights changed during that read: it starts over. */
  #stale = false;
  #speculation: Speculation | null = null;
  /** Logits already computed for a state (a speculation's), so predict() need not run the head. */
  #ready: { state: LayerState[]; logits: Float32Array } | null = null;
  /** Vocabulary indices of the last predictions, likeliest first: what speculate() steps ahead for. */
  #likely: number[] = [];
  #hits = 0;
  #misses = 0;
  /** What of this field's text is committed, for the predictor's adaptation (null: adaptation off, or a shadow). */
  readonly #commits: CommitTracker | null;
  /**
   * With a model that has the bidirectional part: the reader of the text
   * after the caret (see rightContext), a session of the backward stack fed
   * that text reversed, so it keeps checkpoints along it as this one does
   * along the text before the caret. Made when first needed.
   */
  #right: Session | null = null;
  /** The line after the caret the right reader has read (null while it reads). */
  #rightText: string | null = null;
  /** The text after the caret is not empty (and the model can read it): predictions use both sides. */
  #midText = false;
  /** The caret has text after it on its line: completions are one word, ending where that text resumes (see #meet). */
  #inLine = false;
  /** The first character after the caret (vocabulary index), where a mid-text word completion must end. */
  #meet = -1;
  /** The first characters after the caret (vocabulary indices, fitTail): mid-line completions are ranked by how well they lead into them (see completeMidLine). */
  #tail: number[] = [];
  /** The forward model with the combining head for the text after the caret, for the right reader's state and the weights it was made with. */
  #mid: { from: LayerState[]; layers: unknown[]; model: Model } | null = null;

  /**
   * @param readLimit A text that needs more steps than this from its nearest
   *   checkpoint (a huge paste, a jump in a long document) is read from its
   *   last `readLimit` characters only, starting from the zero state there, as
   *   a fresh session reading it would: bounded time for any text.
   */
  constructor(
    private model: Model,
    private readonly policy: CheckpointOptions,
    private readonly readLimit = DEFAULT_READ_LIMIT,
    private readonly adapt: Adaptation | null = null,
  ) {
    this.#commits = adapt ? new CommitTracker(vocabView(model.manifest.vocab).wordChar) : null;
    const perState = model.manifest.hiddenSizes.reduce((a, h) => a + h, 0) * 4 * (model.cell.hasCellState ? 2 : 1);
    this.#ckpts = new Checkpoints(policy, perState);
    this.#ckpts.set(0, zeroState(model));
  }

  get length(): number {
    return this.#length;
  }

  /** The state after the current text (always a checkpoint). */
  get current(): LayerState[] {
    return this.#ckpts.get(this.#length)!;
  }

  /**
   * What the last feed left for the next one to decide: it ended with '\r'
   * (read as '\n': a '\n' that follows belongs to it), or with the first
   * half of a surrogate pair (not read until its second half comes).
   */
  #feedCR = false;
  #feedHigh = '';
  /** The text read (newlines normalised): what a shadow on another vocabulary encodes anew. */
  #text = '';
  /** Bumped by every change of the text read, so a shadow knows when it must look again. */
  #revision = 0;

  /** Appends text: the same as setText(all the text fed so far + text), also when a "\r\n" or a surrogate pair is split between two feeds. */
  async feed(text: string): Promise<FeedResult> {
    // Text appended at the end: nothing after the caret.
    this.#inLine = this.#midText = false;
    let t = this.#feedHigh + text;
    if (this.#feedCR && t.startsWith('\n')) t = t.slice(1);
    this.#feedHigh = /[\uD800-\uDBFF]$/.test(t) ? t.slice(-1) : '';
    if (this.#feedHigh) t = t.slice(0, -1);
    if (t) this.#feedCR = t.endsWith('\r');
    const normal = normalizeNewlines(t);
    this.#text += normal;
    const ids = encode(this.model, normal);
    const target = this.#ref.slice(0, this.#length).concat(ids);
    this.#edited(target, this.#length);
    const steps = await this.#read(target);
    return { steps, length: this.#length };
  }

  /**
   * Moves to a new text (already cut at the cursor), then predicts. `after`:
   * the text after the cursor; a model with the bidirectional part reads its
   * line (see rightContext) and predicts from both sides when it is not empty.
   */
  async setText(text: string, k: number, after = ''): Promise<TextResult> {
    await this.#readRight(after);
    this.#feedCR = text.endsWith('\r');
    this.#feedHigh = '';
    this.#text = normalizeNewlines(text);
    const target = encode(this.model, this.#text);
    if (this.#commits) {
      const n = Math.min(this.#length, target.length);
      let common = 0;
      while (common < n && this.#ref[common] === target[common]) common++;
      this.#edited(target, common);
    }
    const steps = await this.#read(target);
    return { steps, length: this.#length, predictions: await this.predict(k, 1) };
  }

  /**
   * Reads the text after the caret (its line) with the backward stack, from
   * its end towards the caret: typing at the caret re-reads nothing (the text
   * after it is the same), moving the caret costs the characters moved over,
   * an edit after the caret the characters between it and the caret. An empty
   * one keeps the reader's states (the caret may come back).
   */
  async #readRight(after: string): Promise<void> {
    const bidir = this.model.bidir;
    // rightContext stops at the first '\r' or '\n', so nothing in the line needs normalising (and the
    // rest of a long document is never scanned).
    const right = rightContext(after);
    this.#inLine = right !== '';
    this.#meet = this.#inLine ? (this.model.index.get(right.codePointAt(0)!) ?? 0) : -1;
    this.#tail = this.#inLine ? fitTail(this.model, right) : [];
    this.#midText = this.#inLine && !!bidir;
    if (!this.#midText) return;
    // Typing at the caret leaves the line after it as it was: nothing to encode or compare.
    if (this.#right && right === this.#rightText) return;
    this.#right ??= new Session(bidir!.backward, this.policy, this.readLimit);
    this.#rightText = null;
    await this.#right.readText(Array.from(right).reverse().join(''));
    this.#rightText = right;
  }

  /** Reads to `text` without predicting (the right reader's use). */
  async readText(text: string): Promise<number> {
    this.#text = text;
    return this.#read(encode(this.model, text));
  }

  /** The forward model with the combining head for what the right reader has read (made once per state and weights). */
  #midModel(): Model {
    const from = this.#right!.current;
    if (this.#mid?.from !== from || this.#mid.layers !== this.model.layers) {
      this.#disposeMid();
      const t = logits(this.model.bidir!.backward, from);
      let right: Float32Array;
      try {
        right = t.dataSync() as Float32Array;
      } finally {
        t.dispose();
      }
      this.#mid = { from, layers: this.model.layers, model: midTextModel(this.model, this.model.bidir!, right) };
    }
    return this.#mid.model;
  }

  #disposeMid(): void {
    if (this.#mid) disposeMidText(this.#mid.model);
    this.#mid = null;
  }

  /** Drops the right reader and its head (new weights or backend: the next mid-text call reads the text after the caret again). */
  #dropRight(): void {
    this.#disposeMid();
    this.#right?.dispose();
    this.#right = null;
    this.#rightText = null;
    this.#midText = false;
  }

  /** Whether the model reads the text after the caret (it has the bidirectional part). */
  get readsRight(): boolean {
    return !!this.model.bidir;
  }

  /** Whether the last setText predicted with the text after the caret too. */
  get midText(): boolean {
    return this.#midText;
  }

  /** The text before the caret becomes `target`, keeping the first `common` ids of the old one: what it commits goes to the adaptation's queue. */
  #edited(target: number[], common: number): void {
    const commit = this.#commits?.edit(this.#length, target, target.length, common);
    if (commit) this.adapt!.enqueue(commit, vocabView(this.model.manifest.vocab), this.model.lexicon?.lookup() ?? null);
  }

  /** Another field was typed in: this one's text up to its last word boundary is committed. */
  leave(): void {
    const commit = this.#commits?.leave(this.#ref, this.#length);
    if (commit) this.adapt!.enqueue(commit, vocabView(this.model.manifest.vocab), this.model.lexicon?.lookup() ?? null);
  }

  /** Forgets what this field had pending for the adaptation (it was erased): only text typed from now on is learned. */
  forgetPending(): void {
    this.#commits?.reset(this.#length);
  }

  /**
   * #update, yielding to the worker's other calls every CHUNK steps when the
   * read is long, so other sessions keep answering during a huge paste. If
   * the weights change meanwhile (fine-tuning finished), it starts over.
   */
  async #read(target: number[]): Promise<number> {
    this.#reading = true;
    try {
      let steps = 0;
      for (;;) {
        const r = this.#update(target, CHUNK);
        steps += r.steps;
        if (r.done) return steps;
        await new Promise((resolve) => setTimeout(resolve, 0));
        if (this.#stale) {
          // Every checkpoint was made with the old weights (or on a lost backend).
          this.#stale = false;
          this.#restart();
        }
      }
    } finally {
      this.#reading = false;
    }
  }

  /**
   * Moves toward `target`: at most `budget` steps, then returns done: false
   * with the state so far kept as a checkpoint, to be called again.
   */
  #update(target: number[], budget = Infinity): { steps: number; done: boolean } {
    this.#revision++;
    const ref = this.#ref;
    let p = 0;
    const n = Math.min(ref.length, target.length);
    while (p < n && ref[p] === target[p]) p++;
    // A cut at the cursor (target is a prefix of ref) keeps ref and its
    // checkpoints, so moving the cursor back to the end costs nothing.
    const keepsRef = p === target.length;
    // Otherwise checkpoints after the first difference describe another text.
    if (!keepsRef) this.#ckpts.truncate(p);
    const refEnd = keepsRef ? ref.length : target.length;
    const anchors = [target.length, refEnd];
    let pos = this.#ckpts.floor(target.length);
    if (target.length - pos > this.readLimit) {
      // Too far to read: start from the zero state readLimit characters before the end.
      pos = target.length - this.readLimit;
      this.#ckpts.set(pos, zeroState(this.model));
    }
    let state = this.#ckpts.get(pos)!;
    let steps = 0;
    const spec = this.#takeSpeculation();
    for (; pos < target.length && steps < budget; pos++) {
      let next: LayerState[] | null = null;
      if (spec && spec.from === state) {
        // Stepped ahead while the worker was idle: the state for this character may be ready.
        const j = spec.ids.indexOf(target[pos]!);
        if (j >= 0) {
          next = spec.states[j]!;
          spec.states[j] = null;
          this.#ready = { state: next, logits: spec.logits[j]! };
          this.#hits++;
        } else this.#misses++;
      }
      if (!next) {
        this.#input[0] = target[pos]!;
        // The last step also computes its logits where that is one kernel call: predict() will want them.
        const r = pos + 1 === target.length ? stepWithLogits(this.model, this.#input, state) : null;
        if (r) this.#ready = { state: (next = r.states), logits: r.logits };
        else next = tidy(() => step(this.model, this.#input, state) as unknown as TensorContainer) as unknown as LayerState[];
      }
      if (!this.#ckpts.has(pos)) dispose(stateTensors(state));
      state = next;
      steps++;
      if (this.#ckpts.wanted(pos + 1, anchors) || pos + 1 === target.length) this.#ckpts.set(pos + 1, state);
    }
    this.#steps += steps;
    // Whatever was stepped ahead and not used is for a text we have left.
    if (spec) this.#dropSpeculation(spec);
    if (pos < target.length) {
      // Out of budget: the state reached becomes the current one, so the next call resumes here.
      if (!this.#ckpts.has(pos)) this.#ckpts.set(pos, state);
      if (!keepsRef) this.#ref = target;
      this.#length = pos;
      return { steps, done: false };
    }
    if (!keepsRef) this.#ref = target;
    this.#length = target.length;
    this.#ckpts.thin(anchors);
    return { steps, done: true };
  }

  /** The speculation, handed over to one update (which frees what it does not use). */
  #takeSpeculation(): Speculation | null {
    const spec = this.#speculation;
    this.#speculation = null;
    return spec;
  }

  #dropSpeculation(spec: Speculation | null = this.#takeSpeculation()): void {
    if (!spec) return;
    for (const st of spec.states) if (st) dispose(stateTensors(st));
  }

  /**
   * Steps ahead from the current text for its likeliest next characters (the
   * last predictions' top 3), as one batch, and keeps the states and their
   * logits: when the next setText appends one of them, as it does for most
   * keystrokes, the answer needs no step and no head. Run it after an answer
   * has gone out, while the worker waits for the next keystroke; the states
   * are the same as those a step would make (the same kernels, a batch of 3
   * rows instead of 1). cpu and wasm only: on WebGL reading the logits back
   * synchronously would cost more than it saves.
   */
  speculate(): void {
    this.#dropSpeculation();
    if (this.#reading || this.#likely.length === 0 || getBackend() === 'webgl') return;
    const from = this.current;
    if (!from) return;
    const ids = this.#likely.slice(0, SPECULATE);
    const n = ids.length;
    const out = tidy(() => {
      const wide = from.map((st) => (st.c ? { h: concat(Array(n).fill(st.h), 0), c: concat(Array(n).fill(st.c), 0) } : { h: concat(Array(n).fill(st.h), 0) }));
      const next = step(this.model, Int32Array.from(ids), wide as LayerState[]);
      const z = logits(this.model, next);
      const rows = next.map((st) => ({ h: split(st.h, n, 0) as Tensor2D[], c: st.c ? (split(st.c, n, 0) as Tensor2D[]) : null }));
      return [z, ...rows.flatMap((r) => [...r.h, ...(r.c ?? [])])] as Tensor[];
    });
    const z = out[0]!.dataSync() as Float32Array;
    out[0]!.dispose();
    const V = z.length / n;
    const parts = out.slice(1) as Tensor2D[];
    const per = this.model.cell.hasCellState ? 2 * n : n;
    const states = ids.map((_, j) =>
      from.map((_, l) => {
        const base = l * per;
        return this.model.cell.hasCellState ? { h: parts[base + j]!, c: parts[base + n + j]! } : { h: parts[base + j]! };
      }),
    );
    this.#speculation = { from, ids, states, logits: ids.map((_, j) => z.slice(j * V, (j + 1) * V)) };
  }

  /** Whether a long read is in progress (it yields between chunks). */
  get reading(): boolean {
    return this.#reading;
  }

  /** The text read so far, as vocabulary indices (what a shadow must read). */
  ids(): number[] {
    return this.#ref.slice(0, this.#length);
  }

  /** The text read so far (newlines normalised), for a shadow whose vocabulary differs. */
  text(): string {
    return this.#text;
  }

  /** Changes whenever the text read does (an update, a reset, an adopted shadow). */
  get revision(): number {
    return this.#revision;
  }

  /**
   * A session of its own on `model` (other weights, the same vocabulary),
   * with this one's checkpoint policy and readLimit: it reads this session's
   * text in the background, a few steps at a time (catchUp), so new weights
   * can be swapped in without holding a keystroke up (see adopt).
   */
  shadow(model: Model): Session {
    return new Session(model, this.#ckpts.policy as CheckpointOptions, this.readLimit);
  }

  /** Reads toward `ids`, at most `budget` steps: the steps taken, and whether it is there. */
  catchUp(ids: number[], budget: number): { steps: number; done: boolean } {
    return this.#update(ids, budget);
  }

  /** Takes `shadow`'s states (it has read this session's text with the new weights, now in use): nothing is re-read. */
  adopt(shadow: Session): void {
    this.#dropRight();
    this.model = shadow.model;
    this.#commits?.setWordChars(vocabView(this.model.manifest.vocab).wordChar);
    this.#dropSpeculation();
    this.#ready = null;
    this.#ckpts.clear();
    this.#ckpts = shadow.#ckpts;
    this.#ref = shadow.#ref;
    this.#length = shadow.#length;
    this.#revision++;
  }

  reset(): void {
    this.#inLine = this.#midText = false;
    this.#feedCR = false;
    this.#feedHigh = '';
    this.#text = '';
    this.#edited([], 0);
    this.#update([]);
  }

  /** Read limit of new sessions (characters): a paste of any size costs at most this many steps. */
  static readonly DEFAULT_READ_LIMIT = DEFAULT_READ_LIMIT;

  /**
   * Re-reads the current text after the model's weights changed (fine-tuning,
   * or moved to another backend after a lost WebGL context): every checkpoint
   * is dropped and the text is read again, as a fresh session would.
   */
  refresh(): void {
    if (this.#reading) {
      this.#stale = true; // the read in progress starts over with the new weights
      return;
    }
    const target = this.#ref.slice(0, this.#length);
    this.#restart();
    this.#dropRight();
    this.#update(target);
  }

  /** Drops every state (the zero state too: it may live on a lost WebGL context) and the text. */
  #restart(): void {
    this.#dropSpeculation();
    this.#ready = null;
    this.#ckpts.clear();
    this.#ckpts.set(0, zeroState(this.model));
    this.#ref = [];
    this.#length = 0;
  }

  /** Top-k next characters (the unknown symbol excluded), softmax in float64 on the host. */
  async predict(k: number, temperature: number): Promise<Prediction[]> {
    let z: Float32Array;
    if (!this.#midText && this.#ready?.state === this.current) z = this.#ready.logits;
    else {
      // Mid-text: the combining head over both sides (the logits a step computed are the forward head's).
      const m = this.#midText ? this.#midModel() : this.model;
      const t = tidy(() => logits(m, this.current));
      try {
        z = (await t.data()) as Float32Array;
      } finally {
        t.dispose();
      }
    }
    const net = softmax(z, temperature);
    if (temperature === 1) this.#commits?.predicted(this.#length, net);
    const { order, predictions } = this.#top(this.adapt ? this.adapt.mix(this.#ref, this.#length, net) : net, k);
    this.#likely = order.slice(0, SPECULATE);
    return predictions;
  }

  /** The top k of distribution `p` as predictions, and the indices of at least the top SPECULATE. */
  #top(p: Float64Array, k: number): { order: number[]; predictions: Prediction[] } {
    const order = ranked(p, Math.max(k, SPECULATE));
    return { order, predictions: order.slice(0, k).map((i) => ({ char: String.fromCodePoint(this.model.manifest.vocab[i]!), p: p[i]! })) };
  }

  /**
   * The answers setText(current text + c, { k }) would give for each
   * character c stepped ahead for (see speculate), from the same logits, so
   * the same numbers: the main thread can answer those keystrokes without a
   * round trip. The unknown symbol is left out (the main thread cannot tell
   * which characters map to it). null when nothing is stepped ahead.
   */
  aheadAnswers(k: number): [string, Prediction[]][] | null {
    const spec = this.#speculation;
    // Stepped-ahead logits are the forward head's: mid-text answers are not sent ahead.
    if (!spec || spec.from !== this.current || this.#midText) return null;
    const out: [string, Prediction[]][] = [];
    spec.ids.forEach((id, j) => {
      if (id === 0 || !spec.states[j]) return;
      const net = softmax(spec.logits[j]!);
      let p = net;
      if (this.adapt) {
        const ctx = contextOf(this.#ref, this.#length, [id]);
        p = this.adapt.mix(ctx, ctx.length, net);
      }
      out.push([String.fromCodePoint(this.model.manifest.vocab[id]!), this.#top(p, k).predictions]);
    });
    return out.length ? out : null;
  }

  complete(request: CompleteRequest): Promise<Completion[]> {
    let lexicon: WordList | null = request.lexicon === false ? null : (this.model.lexicon?.lookup() ?? null);
    const adapt = this.adapt;
    // The user's own words are known words too (when completions prefer known words at all).
    if (lexicon && adapt && adapt.words.size > 0) lexicon = unionWords(lexicon, adapt.words);
    const mixing = adapt ? { mixLog: (ids: ArrayLike<number>, end: number, lp: Float64Array) => adapt.mixer.mixLog(ids, end, lp), context: contextOf(this.#ref, this.#length) } : null;
    if (this.#inLine) {
      // In the middle of a line: one word, ending where the text after the caret resumes (with the
      // bidirectional part, predicted from both sides).
      const meet = this.#meet > 0 && !isWordChar(String.fromCodePoint(this.model.manifest.vocab[this.#meet]!)) ? { meet: this.#meet } : {};
      const o = { ...request, stop: 'word' as const, ...meet, ...(lexicon ? { known: lexicon, stem: this.#stem() } : {}), adapt: mixing };
      // Ranked by how well the words after the caret follow each candidate (completeMidLine).
      return completeMidLine(this.model, this.#midText ? this.#midModel() : this.model, this.current, o, this.#tail);
    }
    return beamSearch(this.model, this.current, { ...request, ...(lexicon ? { known: lexicon, stem: this.#stem() } : {}), adapt: mixing });
  }

  /**
   * The likeliest corrections of a word of the text before the caret, from
   * the model's corrector with the language model's state before the word:
   * by default the word just before the caret, or the one that one space or
   * punctuation mark ends ("teh " or "teh,": the word just finished).
   * `range` (code points of the text read) names a word instead; it must be
   * a word (word characters only) of that text.
   */
  async corrections(request: CorrectionsRequest): Promise<CorrectionsAnswer> {
    const net = this.model.corrector;
    if (!net) throw workerError('InvalidArgumentError', 'corrections(): this model has no typo corrector (its model.json has no "corrector" section; training/corrector.py adds one)');
    const vocab = this.model.manifest.vocab;
    const ref = this.#ref;
    const charAt = (i: number) => (ref[i]! === 0 ? '' : String.fromCodePoint(vocab[ref[i]!]!));
    const wordAt = (i: number) => i >= 0 && i < this.#length && isWordChar(charAt(i));
    let start: number;
    let end: number;
    if (request.range) {
      [start, end] = request.range;
      if (end > this.#length) throw workerError('InvalidArgumentError', `corrections({ range }) ends at ${end}, after the caret (${this.#length} code points before it)`);
      for (let i = start; i < end; i++) {
        if (!wordAt(i)) throw workerError('InvalidArgumentError', `corrections({ range }): code point ${i} is not a word character`);
      }
    } else {
      end = this.#length;
      if (!wordAt(end - 1) && wordAt(end - 2)) end--;
      start = end;
      while (wordAt(start - 1)) start--;
      if (start === end) return { word: null, corrections: [] };
    }
    let typed = '';
    for (let i = start; i < end; i++) typed += charAt(i);
    let known: WordList | null = this.model.lexicon?.lookup() ?? null;
    // The user's own words are known words too.
    if (known && this.adapt && this.adapt.words.size > 0) known = unionWords(known, this.adapt.words);
    const word = { start, end, text: typed, known: !!known?.next(typed)?.word };
    const { state, owned } = this.#stateBefore(start);
    try {
      const h = state[state.length - 1]!.h.dataSync().slice() as Float32Array;
      // The decoder's candidates and the known words an edit or two away, rescored with the language model in their context.
      const lexicon = this.model.lexicon;
      const user = this.adapt && this.adapt.words.size > 0 ? this.adapt.words.list() : null;
      const near = (t: string, max: number) => nearWords(lexicon?.trie() ?? null, user, t, max, NEAR_LIMIT);
      const list = candidates(net, h, typed, correctionOptions(this.model.index, known, typed, Math.max(request.k, RESCORED), request.beamWidth), near);
      // With no text before the word, the language model's share counts less (CORRECTOR_LM_WEIGHT_ALONE; at 0
      // it is not read at all), and how common each word is counts instead (countPrior), and a capital the typed word lacks costs.
      const alone = start === 0;
      const texts = list.map((c) => c.text);
      const prior = alone ? countPrior(lexicon, texts) : undefined;
      const lm = alone && CORRECTOR_LM_WEIGHT_ALONE === 0 ? texts.map(() => 0) : wordLogProbs(this.model, state, texts);
      const corrections = rescored(list, lm, typed, alone ? CORRECTOR_LM_WEIGHT_ALONE : CORRECTOR_LM_WEIGHT, undefined, prior, alone ? CORRECTOR_CASE_PENALTY : 0).slice(0, request.k);
      return { word, corrections };
    } finally {
      if (owned) dispose(stateTensors(state));
    }
  }

  /** The state after the first `pos` characters read: a checkpoint (owned: false), or stepped to from the one before (owned: the caller frees it). */
  #stateBefore(pos: number): { state: LayerState[]; owned: boolean } {
    const have = this.#ckpts.get(pos);
    if (have) return { state: have, owned: false };
    let from = this.#ckpts.floor(pos);
    let state = this.#ckpts.get(from)!;
    for (; from < pos; from++) {
      this.#input[0] = this.#ref[from]!;
      const prev = state;
      state = tidy(() => step(this.model, this.#input, prev) as unknown as TensorContainer) as unknown as LayerState[];
      if (!this.#ckpts.has(from)) dispose(stateTensors(prev));
    }
    return { state, owned: true };
  }

  /** The word characters just before the cursor: the part of a word already typed. */
  #stem(): string {
    const vocab = this.model.manifest.vocab;
    let out = '';
    for (let i = this.#length - 1; i >= 0; i--) {
      const ch = this.#ref[i]! === 0 ? '' : String.fromCodePoint(vocab[this.#ref[i]!]!);
      if (!ch || !isWordChar(ch)) break;
      out = ch + out;
    }
    return out;
  }

  state(): StateSnapshot {
    const rows = (t: { dataSync(): ArrayLike<number> }) => Array.from(t.dataSync());
    return {
      h: this.current.map((s) => rows(s.h)),
      c: this.model.cell.hasCellState ? this.current.map((s) => rows(s.c!)) : null,
    };
  }

  stats(): SessionStats {
    const spec = this.#speculation;
    const live = spec ? spec.states.filter((st) => st !== null).length : 0;
    return {
      steps: this.#steps,
      length: this.#length,
      checkpoints: this.#ckpts.size,
      checkpointBytes: this.#ckpts.bytes,
      speculation: { hits: this.#hits, misses: this.#misses, bytes: live * this.#ckpts.bytesEach },
      right: this.#right ? { steps: this.#right.#steps, length: this.#right.#length, midText: this.#midText, checkpoints: this.#right.#ckpts.size, checkpointBytes: this.#right.#ckpts.bytes } : null,
    };
  }

  /** A sampler that starts from the current state and never changes the session. */
  generator(request: GenerateRequest): Generator {
    return new Generator(this.model, this.current, request);
  }

  dispose(): void {
    this.#dropSpeculation();
    this.#dropRight();
    this.#ready = null;
    this.#ckpts.clear();
  }
}

/** Small, fast, seedable PRNG (mulberry32) for reproducible sampling. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Streams sampled characters from a private copy of a state. */
export class Generator {
  #states: LayerState[];
  #emitted = 0;
  readonly #random: () => number;
  readonly #input = new Int32Array(1);

  constructor(
    private readonly model: Model,
    start: LayerState[],
    private readonly request: GenerateRequest,
  ) {
    // Keep our own references: the session may move on (and free its checkpoints) meanwhile.
    this.#states = start.map((s) => (s.c ? { h: clone(s.h), c: clone(s.c) } : { h: clone(s.h) }));
    this.#random = request.seed === null ? Math.random : mulberry32(request.seed);
  }

  async next(n: number): Promise<string[]> {
    const out: string[] = [];
    const vocab = this.model.manifest.vocab;
    while (out.length < n && this.#emitted < this.request.length) {
      const t = tidy(() => logits(this.model, this.#states));
      const z = (await t.data()) as Float32Array;
      t.dispose();
      const p = softmax(z, this.request.temperature);
      p[0] = 0; // never emit the unknown symbol
      const order = Array.from(p.keys()).sort((a, b) => p[b]! - p[a]!).slice(0, this.request.topK);
      let total = 0;
      for (const i of order) total += p[i]!;
      let r = this.#random() * total;
      let pick = order[order.length - 1]!;
      for (const i of order) {
        r -= p[i]!;
        if (r <= 0) {
          pick = i;
          break;
        }
      }
      this.#input[0] = pick;
      const prev = this.#states;
      this.#states = tidy(() => step(this.model, this.#input, prev) as unknown as TensorContainer) as unknown as LayerState[];
      dispose(stateTensors(prev));
      out.push(String.fromCodePoint(vocab[pick]!));
      this.#emitted++;
    }
    return out;
  }

  dispose(): void {
    dispose(stateTensors(this.#states));
    this.#states = [];
  }
}

/** Softmax of logits / temperature, in float64. */
export function softmax(z: ArrayLike<number>, temperature = 1): Float64Array {
  const p = new Float64Array(z.length);
  let max = -Infinity;
  for (let i = 0; i < z.length; i++) max = Math.max(max, z[i]! / temperature);
  let sum = 0;
  for (let i = 0; i < z.length; i++) sum += p[i] = Math.exp(z[i]! / temperature - max);
  for (let i = 0; i < z.length; i++) p[i] = p[i]! / sum;
  return p;
}

/**
 * The `n` likeliest vocabulary indices, likeliest first, the unknown symbol
 * (0) left out; ties keep index order. A few of a hundred (a keystroke's
 * top-5) are picked by insertion, with no sort of the whole vocabulary.
 */
export function ranked(p: ArrayLike<number>, n: number = p.length): number[] {
  if (n * 4 >= p.length) {
    const order: number[] = [];
    for (let i = 1; i < p.length; i++) order.push(i);
    return order.sort((a, b) => p[b]! - p[a]! || a - b).slice(0, n);
  }
  const top: number[] = [];
  for (let i = 1; i < p.length; i++) {
    const v = p[i]!;
    if (top.length === n && v <= p[top[n - 1]!]!) continue;
    let j = top.length < n ? top.length : n - 1;
    while (j > 0 && p[top[j - 1]!]! < v) {
      top[j] = top[j - 1]!;
      j--;
    }
    top[j] = i;
  }
  return top;
}
