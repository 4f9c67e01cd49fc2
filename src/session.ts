import { DisposedError, InvalidArgumentError } from './errors.js';
import { beforeCursor, fromPoint, rightContext, toPoint } from './text.js';
import type {
  AheadAnswers,
  CheckpointOptions,
  Completion,
  CompletionStop,
  Correction,
  FeedResult,
  Prediction,
  SessionStats,
  StateSnapshot,
  WorkerApi,
} from './protocol.js';

/** Options of {@link Predictor.session}. */
export interface SessionOptions {
  /** State checkpoints along the text: dense near the cursor, sparse further back, within a memory budget. */
  checkpoints?: Partial<CheckpointOptions>;
  /**
   * Most characters one update reads. A text that needs more steps than this
   * from its nearest checkpoint (a huge paste, a jump far into a long
   * document) is read from its last `readLimit` characters, starting from the
   * zero state there, exactly as a fresh session reading it would: a paste of
   * any size costs at most this many steps, and long reads yield to other
   * sessions every 64 steps. Beyond this distance, a state may depend a little
   * on the edit history. Default 4096.
   */
  readLimit?: number;
}

/** Options of {@link Session.predict}. */
export interface PredictOptions {
  /** How many candidates to return, most probable first. Default 5. */
  k?: number;
  /** Softmax temperature (> 0). Default 1. */
  temperature?: number;
}

/** Options of {@link Session.setText}. */
export interface SetTextOptions {
  /** Cursor position in UTF-16 units (as `selectionStart`); predict for the text before it. Default: the end. */
  cursor?: number;
  /** Next-character candidates to return. Default 5. */
  k?: number;
}

/** The answer to one {@link Session.setText}. */
export interface TextUpdate {
  /** Sequence number of the setText call this answers (1, 2, 3, … per session). */
  seq: number;
  /** true when a newer setText replaced this one before it ran: no work was done, nothing to show. */
  superseded: boolean;
  /** true when no newer setText had been called by the time this answer arrived. Show only current answers. */
  current: boolean;
  /** Recurrent steps this update cost (append: 1, backspace: 0, paste: the pasted length). */
  steps: number;
  /** Code points read (the text before the cursor). */
  length: number;
  predictions: Prediction[];
  /**
   * true when answered on the main thread from answers the worker sent ahead
   * (it steps ahead for the likeliest next characters while idle, on cpu and
   * wasm): no round trip. The same numbers as the worker's answer.
   */
  ahead: boolean;
}

/** Options of {@link Session.complete}. */
export interface CompleteOptions {
  /** Longest completion in characters. Default 12. */
  maxChars?: number;
  /** Beams searched side by side (one batched step per character). Default 4. */
  beamWidth?: number;
  /** 'word' ends at the end of the current word; 'phrase' after `phraseWords` words or a sentence end. Default 'word'. */
  stop?: CompletionStop;
  /** Words in a phrase completion. Default 3. */
  phraseWords?: number;
  /** Completions to return. Default 3. */
  k?: number;
  /**
   * Leave out completions less likely than this (0 to 1). The search drops a
   * beam as soon as it falls below it, so a high value also answers sooner.
   * Default 0.
   */
  minProbability?: number;
  /**
   * Also list each completion that the model ends with a space, with that
   * space appended ("quick" and "quick "), scored as the word and the space
   * together, so accepting it saves typing the space too. Default false.
   */
  withSpace?: boolean;
  /**
   * Prefer the words of the model's lexicon, when it has one (see
   * docs/model-format.md): probabilities are then renormalised over them.
   * false: the network's own probabilities. Default true.
   */
  lexicon?: boolean;
}

/** Ranked completions for the session's current text. */
export interface CompletionResult {
  /** Sequence number of the setText whose text these complete (0 before any setText). */
  seq: number;
  /** false when a newer setText was called while the search ran. */
  current: boolean;
  completions: Completion[];
}

/** Options of {@link Session.corrections}. */
export interface CorrectionsOptions {
  /** Corrections to return. Default 3. */
  k?: number;
  /** Hypotheses the decoder keeps per character (the known words an edit or two away are scored beside them). Default 4. */
  beamWidth?: number;
  /**
   * The word to correct, as UTF-16 offsets into the text before the caret of
   * the last setText (or everything fed). Default: the word just before the
   * caret, or the one a single space or punctuation mark after it ends.
   */
  range?: { start: number; end: number };
}

/** Corrections of one word of the session's text. */
export interface CorrectionsResult {
  /** Sequence number of the setText whose text this is (0 before any setText). */
  seq: number;
  /** false when a newer setText was called while it ran. */
  current: boolean;
  /**
   * The word looked at (UTF-16 offsets into the text before the caret; known:
   * whether the model knows it, in its lexicon or learned from the user), or
   * null when there is none.
   */
  word: { start: number; end: number; text: string; known: boolean } | null;
  /**
   * The likeliest intended words, best first, each with its probability under
   * the corrector; the typed word itself is among them when it is likely right.
   */
  corrections: Correction[];
}

/** Options of {@link Session.generate}. */
export interface GenerateOptions {
  /** Characters to generate. Default 100. */
  length?: number;
  /** Sampling temperature (> 0). Default 1. */
  temperature?: number;
  /** Sample only among the k most probable characters. Default: all. */
  topK?: number;
  /** Seed for reproducible output. Default: random. */
  seed?: number;
  /** Aborts the stream; the iterator then ends with the signal's reason. */
  signal?: AbortSignal;
}

/** A stateful reader of one text field: carries h (and C) across calls. */
export interface Session {
  /**
   * Moves to a new text (typing, backspace, paste, cursor moves) at the least
   * cost: the worker restores the newest checkpoint inside the common prefix
   * and reads only the rest. Calls made faster than they can run are coalesced.
   */
  setText(text: string, options?: SetTextOptions): Promise<TextUpdate>;
  /** Appends text, one recurrent step per code point. */
  feed(text: string): Promise<FeedResult>;
  /** Back to the empty text. */
  reset(): Promise<void>;
  /** Next-character candidates after the current text, most probable first. */
  predict(options?: PredictOptions): Promise<Prediction[]>;
  /** Ranked completions of the current word (or the next few words), by beam search. */
  complete(options?: CompleteOptions): Promise<CompletionResult>;
  /**
   * Likely corrections of a word before the caret (a model with the typo
   * corrector, `predictor.model.parts.corrector`): "teh " → "the".
   */
  corrections(options?: CorrectionsOptions): Promise<CorrectionsResult>;
  /** Streams sampled characters after the current text; the session's state is left as it was. */
  generate(options?: GenerateOptions): AsyncIterableIterator<string>;
  /** A copy of the recurrent state per layer. */
  state(): Promise<StateSnapshot>;
  /** Steps taken, text length, checkpoint count and memory. */
  stats(): Promise<SessionStats>;
  /** Frees the session's state in the worker. */
  dispose(): Promise<void>;
}

function aString(text: unknown, call: string): void {
  if (typeof text !== 'string') throw new InvalidArgumentError(`${call}(text): text must be a string, got ${typeof text}`);
}

/** Runs a call on the predictor's live worker, with typed errors. */
/**
 * A call on the predictor's worker. Every WorkerApi method already returns a
 * promise, so the API the Comlink proxy gives is WorkerApi itself; naming it
 * so keeps comlink out of the published declarations.
 */
export type Run = <T>(f: (api: WorkerApi) => Promise<T>) => Promise<T>;

interface Job {
  run: () => Promise<unknown>;
  resolve: (value: never) => void;
  reject: (error: unknown) => void;
  /** For setText jobs: the answer to give, without running, once a newer setText replaced it. */
  supersede?: () => void;
  superseded?: boolean;
}

export class WorkerSession implements Session {
  #disposed = false;
  #seq = 0;
  /** Sequence number of the text the worker holds now. */
  #appliedSeq = 0;
  readonly #queue: Job[] = [];
  #running = false;

  /** The text the worker's session holds (before the cursor), kept to restore it in a new worker. */
  #text = '';
  /** The text (before the cursor) of the newest setText call. */
  #asked = '';
  /** Answers the worker sent ahead after the newest setText (see offer). */
  #ahead: AheadAnswers | null = null;
  /** The setText whose answers sent ahead are wanted: the newest, unless a feed or reset came after it (0). */
  #expect = 0;

  constructor(
    private readonly run: Run,
    private id: number,
    private readonly checkpoints: Partial<CheckpointOptions> | undefined,
    private readonly readLimit: number,
    private readonly onDispose: () => void,
    private readonly predictorDisposed: () => boolean,
  ) {}

  /** Recreates this session in a new worker (after the old one died) and reads its text again. */
  async reattach(call: Run): Promise<void> {
    this.dropAhead();
    if (this.#disposed) return;
    this.id = await call((api) => api.createSession(this.checkpoints, this.readLimit));
    if (this.#text) await call((api) => api.setText(this.id, this.#text, null, 1));
  }

  /** Keeps answers the worker sent ahead, if they follow the newest setText of this session. */
  offer(ahead: AheadAnswers): void {
    if (ahead.session === this.id && ahead.seq === this.#expect) this.#ahead = ahead;
  }

  /** Forgets answers sent ahead, and any still on their way (the text or the weights changed). */
  dropAhead(): void {
    this.#ahead = null;
    this.#expect = 0;
  }

  #check(): void {
    if (this.#disposed) throw new DisposedError('this session was disposed; open a new one with predictor.session()');
    if (this.predictorDisposed()) throw new DisposedError('the predictor of this session was disposed');
  }

  /** A rejected promise when the session or its predictor is disposed: methods never throw synchronously. */
  #dead(): Promise<never> | null {
    try {
      this.#check();
      return null;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Runs session calls one at a time, in call order. */
  #enqueue<T>(run: () => Promise<T>, supersede?: (resolve: (v: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const job: Job = { run, resolve: resolve as (v: never) => void, reject };
      if (supersede) job.supersede = () => supersede(resolve);
      this.#queue.push(job);
      void this.#pump();
    });
  }

  async #pump(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    while (this.#queue.length) {
      const job = this.#queue.shift()!;
      if (job.superseded) {
        // Answered in call order, after every earlier call, with no work done.
        job.supersede!();
        continue;
      }
      try {
        job.resolve((await job.run()) as never);
      } catch (error) {
        job.reject(error);
      }
    }
    this.#running = false;
  }

  setText(text: string, options: SetTextOptions = {}): Promise<TextUpdate> {
    const dead = this.#dead();
    if (dead) return dead;
    const k = options.k ?? 5;
    const cursor = options.cursor ?? null;
    try {
      aString(text, 'setText');
      if (!(Number.isInteger(k) && k >= 1)) throw new InvalidArgumentError(`setText({ k }) must be a positive integer, got ${k}`);
      if (cursor !== null && !(Number.isInteger(cursor) && cursor >= 0)) throw new InvalidArgumentError(`setText({ cursor }) must be an integer ≥ 0, got ${cursor}`);
    } catch (error) {
      return Promise.reject(error);
    }
    const before = cursor === null ? text : beforeCursor(text, cursor);
    const base = this.#asked;
    const ahead = this.#ahead;
    this.#asked = before;
    this.#ahead = null;
    const seq = ++this.#seq;
    this.#expect = seq;
    const send = () => this.run((api) => api.setText(this.id, text, cursor, k, seq));
    // One character typed after a text the worker sent answers ahead for, with
    // nothing else in flight: answered now, in call order; the worker still
    // reads the character (its state for it is ready).
    const typed = before.startsWith(base) && !base.endsWith('\r') ? before.slice(base.length) : '';
    // Answers sent ahead hold for a caret with nothing after it on its line (or any, without the bidirectional part).
    const hit = ahead && (ahead.anyRight || rightContext(text.slice(before.length)) === '') && !this.#running && !this.#queue.length && k === ahead.k ? ahead.entries.find(([c]) => c === typed)?.[1] : undefined;
    if (hit) {
      this.#text = before;
      this.#appliedSeq = seq;
      // Sent in a task of its own, so the caller has the answer before the
      // message is even built; calls made meanwhile wait behind it. A worker
      // lost meanwhile is restarted with #text.
      this.#enqueue(() => new Promise((sent) => setTimeout(sent)).then(send)).catch(() => {});
      return Promise.resolve({ seq, superseded: false, current: true, steps: 1, length: ahead!.length + 1, predictions: hit, ahead: true });
    }
    // A setText still waiting behind the running call is pointless now: it will answer as superseded.
    const last = this.#queue[this.#queue.length - 1];
    if (last?.supersede) last.superseded = true;
    return this.#enqueue<TextUpdate>(
      async () => {
        const r = await send();
        this.#text = before;
        this.#appliedSeq = seq;
        return { seq, superseded: false, current: seq === this.#seq, ahead: false, ...r };
      },
      (resolve) => resolve({ seq, superseded: true, current: false, steps: 0, length: 0, predictions: [], ahead: false }),
    );
  }

  feed(text: string): Promise<FeedResult> {
    const dead = this.#dead();
    if (dead) return dead;
    try {
      aString(text, 'feed');
    } catch (error) {
      return Promise.reject(error);
    }
    this.dropAhead();
    return this.#enqueue(async () => {
      const r = await this.run((api) => api.feed(this.id, text));
      this.#text += text;
      return r;
    });
  }

  reset(): Promise<void> {
    const dead = this.#dead();
    if (dead) return dead;
    this.dropAhead();
    return this.#enqueue(async () => {
      await this.run((api) => api.reset(this.id));
      this.#text = '';
    });
  }

  predict(options: PredictOptions = {}): Promise<Prediction[]> {
    const dead = this.#dead();
    if (dead) return dead;
    // The worker checks k and temperature.
    const k = options.k ?? 5;
    const temperature = options.temperature ?? 1;
    return this.#enqueue(() => this.run((api) => api.predict(this.id, k, temperature)));
  }

  complete(options: CompleteOptions = {}): Promise<CompletionResult> {
    const dead = this.#dead();
    if (dead) return dead;
    // The worker fills in the defaults and checks every option.
    const { maxChars, beamWidth, stop, phraseWords, k, minProbability: minP, withSpace, lexicon } = options;
    const request = { maxChars, beamWidth, stop, phraseWords, k, minP, withSpace, lexicon };
    return this.#enqueue(async () => {
      const seq = this.#appliedSeq;
      const completions = await this.run((api) => api.complete(this.id, request));
      return { seq, current: seq === this.#seq, completions };
    });
  }

  corrections(options: CorrectionsOptions = {}): Promise<CorrectionsResult> {
    const dead = this.#dead();
    if (dead) return dead;
    const { k, beamWidth, range } = options;
    if (range !== undefined && !(range !== null && typeof range === 'object' && Number.isInteger(range.start) && Number.isInteger(range.end) && range.start >= 0 && range.start < range.end)) {
      return Promise.reject(new InvalidArgumentError(`corrections({ range }) must be { start, end }, integers with 0 <= start < end, got ${JSON.stringify(range)}`));
    }
    return this.#enqueue(async () => {
      const seq = this.#appliedSeq;
      const text = this.#text;
      if (range && range.end > text.length) throw new InvalidArgumentError(`corrections({ range }) ends at ${range.end}, after the caret (${text.length} UTF-16 units before it)`);
      // The worker counts code points of the text with its newlines normalised.
      const points: [number, number] | null = range ? [toPoint(text, range.start), toPoint(text, range.end)] : null;
      const r = await this.run((api) => api.corrections(this.id, { k, beamWidth, range: points }));
      const word = r.word && { start: fromPoint(text, r.word.start), end: fromPoint(text, r.word.end), text: '', known: r.word.known };
      if (word) word.text = text.slice(word.start, word.end);
      return { seq, current: seq === this.#seq, word, corrections: r.corrections };
    });
  }

  async *generate(options: GenerateOptions = {}): AsyncIterableIterator<string> {
    this.#check();
    options.signal?.throwIfAborted();
    // Streaming generation is a chunk of its own (dist/generate.js), loaded on first use.
    const { generate } = await import('./generate.js');
    yield* generate(this.run, (f) => this.#enqueue(f), this.id, options, this.predictorDisposed);
  }

  state(): Promise<StateSnapshot> {
    const dead = this.#dead();
    if (dead) return dead;
    return this.#enqueue(() => this.run((api) => api.state(this.id)));
  }

  stats(): Promise<SessionStats> {
    const dead = this.#dead();
    if (dead) return dead;
    return this.#enqueue(() => this.run((api) => api.sessionStats(this.id)));
  }

  async dispose(): Promise<void> {
    if (this.#disposed || this.predictorDisposed()) return;
    this.#disposed = true;
    this.onDispose();
    await this.#enqueue(() => this.run((api) => api.disposeSession(this.id)));
  }
}
