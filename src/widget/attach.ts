import { DisposedError, InvalidArgumentError, ModelFetchError, WorkerError, type Predictor, type Session } from '../index.js';
import type { Completion, CompletionStop } from '../protocol.js';
import { editable, sameState, textControl, type Field, type FieldState } from './field.js';
import { GhostView } from './ghost.js';
import { DEFAULT_MIN_CORRECTION, SPACE_TAKERS, completeOptions, fitBefore, nextWordLength, pickSuggestion, resolvePolicy, shouldCorrect, type CorrectionThresholds, type SuggestionPolicy } from './policy.js';
import { isWordChar } from '../text.js';
import { acquirePredictor, releasePredictor } from './shared.js';

/** Options of {@link attach}. */
export interface AutocompleteOptions {
  /**
   * The predictor to complete with (one predictor serves any number of
   * fields; each field gets its own session), or a promise of one. Default: a
   * predictor for `model`, created on first use and shared by every widget
   * given the same `model`; it is disposed when the last of them detaches.
   */
  predictor?: Predictor | Promise<Predictor>;
  /** Model URL of the shared predictor, when no `predictor` is given. Default: the shipped model. */
  model?: string;
  /** 'word' completes the current word; 'phrase' the next few words. Default 'word'. */
  mode?: CompletionStop;
  /**
   * Show nothing whose next word is less likely than this (0–1): in 'word'
   * mode the whole suggestion, in 'phrase' mode its first word (the later
   * words may be less likely). Default 0.2.
   */
  minConfidence?: number;
  /** Longest suggestion in characters. Default 16 for 'word', 32 for 'phrase'. */
  maxChars?: number;
  /**
   * `KeyboardEvent.key` values that accept the suggestion (without modifiers).
   * `'ArrowRight'` accepts only with the caret at the very end of the text;
   * elsewhere it moves the caret as usual. Default `['Tab', 'ArrowRight']`.
   * Escape always dismisses.
   */
  acceptKeys?: readonly string[];
  /**
   * Keys that accept only the suggestion's next word (and the space after
   * it), leaving the rest on screen, as code editors do: `KeyboardEvent.key`
   * values with their modifiers, Playwright style (`'Control+ArrowRight'`;
   * modifiers `Control`, `Alt`, `Meta`, `Shift`), matched exactly. Arrow keys
   * accept only with the caret at the very end of the text, as with
   * `acceptKeys`. Default `['Control+ArrowRight', 'Meta+ArrowRight']`
   * (Ctrl+→ on Windows and Linux, ⌘+→ on macOS); `[]` turns it off.
   */
  acceptWordKeys?: readonly string[];
  /**
   * After an accepted suggestion that ends with a space, typing `,` `.` `;`
   * `:` `!` or `?` puts it in that space's place ("word ," → "word,"), as
   * phone keyboards do; Ctrl+Z brings the space back. Default true.
   */
  smartPunctuation?: boolean;
  /**
   * Suggest with the caret in the middle of a line too, where the next
   * character is a space or punctuation (never inside a word): the
   * suggestion is drawn in a callout just below the caret's line (above it
   * when below would cover the text after the caret), so that text stays in
   * view, and Tab inserts it at the caret. Default true.
   */
  midLine?: boolean;
  /**
   * Draws the suggestion into `ghost`, an element already placed after the
   * caret in the field's font and a muted colour (class `nextkey-ghost`;
   * CSS variables `--nextkey-ghost-color` and `--nextkey-ghost-opacity`
   * restyle it). In the middle of a line `ghost` is inside the callout
   * (class `nextkey-callout`; `--nextkey-callout-background` sets its
   * background, by default the field's). Default: `ghost.textContent = suggestion`.
   */
  render?: (ghost: HTMLElement, suggestion: string) => void;
  /** Called each time the model answers for the current text, with what is now offered. */
  onSuggestion?: (event: SuggestionEvent) => void;
  /**
   * With a model that has the typo corrector (`predictor.model.parts.corrector`):
   * when a word has just been finished (a space or punctuation typed after
   * it) and the corrector thinks it likely mistyped, offer its correction,
   * drawn in a callout beside the caret ("~~teh~~ → the", the changed letters
   * in bold) in place of the suggestion; a key of `correctKeys` accepts it,
   * and Backspace right after an accepted correction brings back what was
   * typed, as phone keyboards do. Nothing is replaced without that key
   * unless `autocorrect` is on. Default true.
   */
  corrections?: boolean;
  /** Replace a likely mistyped word as soon as it is finished, without asking (Backspace right after brings it back). Default false. */
  autocorrect?: boolean;
  /**
   * Offer (or make) a correction only when the corrector gives it at least
   * this probability (0–1), and more than the word as typed (see
   * shouldCorrect): `known` for a typed word the model knows, `unknown` for
   * one it does not; a number sets both. Default `DEFAULT_MIN_CORRECTION`
   * ({ known: 0.7, unknown: 0 }).
   */
  minCorrectionConfidence?: number | Partial<CorrectionThresholds>;
  /** `KeyboardEvent.key` values (no modifiers) that accept an offered correction. Default `['Tab']`. */
  correctKeys?: readonly string[];
  /** Called when a correction is offered, accepted, made by `autocorrect`, or reverted with Backspace. */
  onCorrection?: (event: CorrectionEvent) => void;
}

/** What {@link AutocompleteOptions.onCorrection} receives. */
export interface CorrectionEvent {
  action: 'offered' | 'accepted' | 'autocorrected' | 'reverted';
  /** The word as typed. */
  typed: string;
  /** The correction. */
  correction: string;
  /** Its probability under the corrector. */
  p: number;
}

/** What {@link AutocompleteOptions.onSuggestion} receives. */
export interface SuggestionEvent {
  /** The suggestion offered now, or null when none is likely enough (or it cannot be drawn). */
  suggestion: string | null;
  /** The text before the caret that it continues. */
  text: string;
  /** The ranked completions it was picked from. */
  completions: readonly Completion[];
  /** Milliseconds from the edit (or caret move, or focus) to the suggestion being in the page. */
  latencyMs: number;
}

/**
 * Where a widget stands: `'loading'` until its predictor has loaded and its
 * session is open, then `'ready'`; `'error'` when loading failed or the
 * predictor stopped working for good (see {@link AutocompleteHandle.error});
 * `'detached'` after {@link AutocompleteHandle.detach}.
 */
export type AutocompleteStatus = 'loading' | 'ready' | 'error' | 'detached';

/**
 * The `detail` of the `nextkey-error` event a field fires (it bubbles, and
 * crosses shadow roots) when its widget fails: the field then has no
 * autocomplete, and `console.error` has said what to change.
 */
export interface AutocompleteErrorDetail {
  error: Error;
  /** The widget's handle. */
  handle: AutocompleteHandle;
}

/** A field with the widget attached. */
export interface AutocompleteHandle {
  /** The field. */
  readonly element: HTMLElement;
  /**
   * Resolves once the field's session is open; rejects when the predictor
   * fails to load. The field fires `nextkey-ready` then, or `nextkey-error`
   * ({@link AutocompleteErrorDetail}).
   */
  readonly ready: Promise<void>;
  /** Where the widget stands now. */
  readonly status: AutocompleteStatus;
  /** Why the widget is off (`status` is `'error'`), or null. */
  readonly error: Error | null;
  /** The suggestion on screen now, or null. */
  readonly suggestion: string | null;
  /** The overlay that draws the ghost text (aria-hidden, pointer-events: none), for styling and tests. */
  readonly overlay: HTMLElement;
  /** Inserts the suggestion on screen as a native, undoable edit. false when there was none. */
  accept(): boolean;
  /**
   * Inserts the suggestion's next word, with the characters before it and
   * the space after it ("ick " of "ick brown fox"), as a native, undoable
   * edit; the rest stays on screen until the model answers for the new text.
   * false when there was no suggestion.
   */
  acceptWord(): boolean;
  /** The correction offered now (for the word just finished), or null. */
  readonly correction: { typed: string; text: string; p: number } | null;
  /** Replaces the word with the correction offered, as one native, undoable edit. false when there was none. */
  acceptCorrection(): boolean;
  /** Hides the suggestion (or the correction offered) until the text or caret changes. */
  dismiss(): void;
  /** Removes everything the widget added (listeners, overlay, aria-describedby) and closes the session. */
  detach(): Promise<void>;
}

const attached = new WeakMap<HTMLElement, AutocompleteHandle>();
let ids = 0;

function fieldOf(el: unknown): { field: Field; mirror: boolean } {
  if (el instanceof HTMLTextAreaElement) return { field: textControl(el), mirror: true };
  if (el instanceof HTMLInputElement) {
    if (el.type === 'text' || el.type === 'search') return { field: textControl(el), mirror: true };
    throw new InvalidArgumentError(`attach(element): <input type=${el.type}> is not supported; use type=text or type=search`);
  }
  if (el instanceof HTMLElement && (el.isContentEditable || ['', 'true', 'plaintext-only'].includes(el.getAttribute('contenteditable') ?? 'false'))) {
    return { field: editable(el), mirror: false };
  }
  throw new InvalidArgumentError('attach(element): element must be a <textarea>, an <input type=text|search> or a contenteditable element');
}

function checkOptions(o: AutocompleteOptions): SuggestionPolicy {
  const policy = resolvePolicy({ mode: o.mode, minConfidence: o.minConfidence, maxChars: o.maxChars });
  if (policy.mode !== 'word' && policy.mode !== 'phrase') throw new InvalidArgumentError(`attach({ mode }) must be 'word' or 'phrase', got ${String(policy.mode)}`);
  if (!(policy.minConfidence >= 0 && policy.minConfidence <= 1)) throw new InvalidArgumentError(`attach({ minConfidence }) must be a number from 0 to 1, got ${policy.minConfidence}`);
  if (!Number.isInteger(policy.maxChars) || policy.maxChars < 1) throw new InvalidArgumentError(`attach({ maxChars }) must be a positive integer, got ${policy.maxChars}`);
  if (o.acceptKeys !== undefined && !(Array.isArray(o.acceptKeys) && o.acceptKeys.every((k) => typeof k === 'string'))) {
    throw new InvalidArgumentError('attach({ acceptKeys }) must be an array of KeyboardEvent.key strings');
  }
  if (o.acceptWordKeys !== undefined && !(Array.isArray(o.acceptWordKeys) && o.acceptWordKeys.every((k) => typeof k === 'string' && parseKey(k)))) {
    throw new InvalidArgumentError(
      `attach({ acceptWordKeys }) must be an array of keys such as 'Control+ArrowRight' (modifiers Control, Alt, Meta, Shift), got ${JSON.stringify(o.acceptWordKeys)}`,
    );
  }
  if (o.correctKeys !== undefined && !(Array.isArray(o.correctKeys) && o.correctKeys.every((k) => typeof k === 'string'))) {
    throw new InvalidArgumentError('attach({ correctKeys }) must be an array of KeyboardEvent.key strings');
  }
  const m = o.minCorrectionConfidence;
  const unit = (x: unknown) => typeof x === 'number' && x >= 0 && x <= 1;
  const ok = m === undefined || unit(m) || (typeof m === 'object' && m !== null && Object.entries(m).every(([k, v]) => (k === 'known' || k === 'unknown') && unit(v)));
  if (!ok) throw new InvalidArgumentError(`attach({ minCorrectionConfidence }) must be a number from 0 to 1 or { known, unknown } of such numbers, got ${JSON.stringify(m)}`);
  for (const name of ['smartPunctuation', 'midLine', 'corrections', 'autocorrect'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'boolean') throw new InvalidArgumentError(`attach({ ${name} }) must be true or false, got ${JSON.stringify(o[name])}`);
  }
  for (const name of ['render', 'onSuggestion', 'onCorrection'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'function') throw new InvalidArgumentError(`attach({ ${name} }) must be a function`);
  }
  return policy;
}

/** A key with its modifiers, parsed from 'Control+ArrowRight'. */
interface KeyChord {
  key: string;
  ctrl: boolean;
  alt: boolean;
  meta: boolean;
  shift: boolean;
}

/** 'Control+ArrowRight', 'Alt+w', 'Control++': modifiers (Control, Alt, Meta, Shift), then one `KeyboardEvent.key`. */
function parseKey(spec: string): KeyChord | null {
  const m = /^((?:(?:Control|Alt|Meta|Shift)\+)*)(.+)$/.exec(spec);
  if (!m || (m[2] !== '+' && m[2]!.includes('+'))) return null;
  const has = (mod: string) => m[1]!.split('+').includes(mod);
  return { key: m[2]!, ctrl: has('Control'), alt: has('Alt'), meta: has('Meta'), shift: has('Shift') };
}

const matches = (c: KeyChord, e: KeyboardEvent): boolean =>
  e.key === c.key && e.ctrlKey === c.ctrl && e.altKey === c.alt && e.metaKey === c.meta && e.shiftKey === c.shift;

/** How a key is read out in the suggestion's description ('Control+ArrowRight' → 'Control+Right Arrow'). */
const spoken = (spec: string): string => spec.replace(/Arrow(Right|Left|Up|Down)$/, '$1 Arrow');

/**
 * Adds ghost-text autocompletion to a `<textarea>`, an `<input type=text|search>`
 * or a contenteditable element: the most likely completion of the current word
 * (or phrase) is drawn after the caret in a muted colour (mid-line, in a
 * callout beside the caret's line; see `midLine`); Tab (or → at the end
 * of the text) accepts it, Ctrl+→ (⌘+→) accepts its next word, Esc dismisses
 * it, typing its next character consumes it. The element itself is left
 * alone apart from an `aria-describedby` that names the suggestion; {@link AutocompleteHandle.detach}
 * restores it exactly. Throws {@link InvalidArgumentError} for an unsupported
 * element, an element already attached, or a bad option.
 */
export function attach(element: HTMLElement, options: AutocompleteOptions = {}): AutocompleteHandle {
  const { field, mirror } = fieldOf(element);
  const policy = checkOptions(options);
  if (attached.has(element)) throw new InvalidArgumentError('attach(element): the widget is already attached to this element; detach() it first');
  const handle = new Autocomplete(element, field, mirror, policy, options);
  attached.set(element, handle);
  return handle;
}

class Autocomplete implements AutocompleteHandle {
  readonly ready: Promise<void>;
  readonly #field: Field;
  readonly #view: GhostView;
  readonly #policy: SuggestionPolicy;
  readonly #options: AutocompleteOptions;
  readonly #acceptKeys: readonly string[];
  readonly #acceptWordKeys: readonly string[];
  readonly #smartPunctuation: boolean;
  /** The field just after accepting a suggestion that ends with a space (see smartPunctuation). */
  #spaced: FieldState | null = null;
  readonly #wordChords: readonly KeyChord[];
  readonly #render: (ghost: HTMLElement, suggestion: string) => void;
  readonly #abort = new AbortController();
  readonly #resize: ResizeObserver;
  readonly #mutations: MutationObserver | null = null;
  readonly #mirror: boolean;
  readonly #describedBy: string | null;
  readonly #ourDescribedBy: string;
  readonly #session: Promise<Session>;
  readonly #release: () => void;
  /** Bumped by every edit, caret move, blur, dismiss: an answer is shown only if none happened since its request. */
  #token = 0;
  #last: FieldState | null = null;
  #shown: { state: FieldState; text: string } | null = null;
  #composing = false;
  #detached = false;
  #warned = false;
  #watching = false;
  #status: AutocompleteStatus = 'loading';
  #error: Error | null = null;
  /** The model has the typo corrector (known once the predictor has loaded). */
  #corrector = false;
  readonly #correctKeys: readonly string[];
  /** The correction on screen, for the word just finished (the callout shows it instead of a suggestion). */
  #offer: (CorrectionOffer & { state: FieldState }) | null = null;
  /** Right after a correction was made: Backspace brings back what was typed. */
  #revert: (CorrectionOffer & { state: FieldState }) | null = null;
  /** Words whose correction the user took back with Backspace: not offered again in this field. */
  readonly #kept = new Set<string>();

  constructor(
    readonly element: HTMLElement,
    field: Field,
    mirror: boolean,
    policy: SuggestionPolicy,
    options: AutocompleteOptions,
  ) {
    this.#field = field;
    this.#mirror = mirror;
    this.#policy = policy;
    this.#options = options;
    this.#acceptKeys = options.acceptKeys ?? ['Tab', 'ArrowRight'];
    this.#acceptWordKeys = options.acceptWordKeys ?? ['Control+ArrowRight', 'Meta+ArrowRight'];
    this.#smartPunctuation = options.smartPunctuation ?? true;
    this.#wordChords = this.#acceptWordKeys.map((k) => parseKey(k)!);
    this.#correctKeys = options.correctKeys ?? ['Tab'];
    this.#render = options.render ?? ((ghost, suggestion) => void (ghost.textContent = suggestion));
    let id: string;
    do id = `nextkey-suggestion-${++ids}`;
    while (document.getElementById(id));
    this.#view = new GhostView(element, mirror, id);

    this.#describedBy = element.getAttribute('aria-describedby');
    this.#ourDescribedBy = this.#describedBy ? `${this.#describedBy} ${id}` : id;
    element.setAttribute('aria-describedby', this.#ourDescribedBy);

    let predictor: Promise<Predictor>;
    if (options.predictor) {
      predictor = Promise.resolve(options.predictor);
      this.#release = () => {};
    } else {
      predictor = acquirePredictor(options.model);
      this.#release = () => releasePredictor(options.model);
    }
    this.#session = predictor.then((p) => {
      this.#corrector = !!p.model?.parts?.corrector;
      return p.session();
    });
    this.ready = this.#session.then(() => {});
    this.ready.then(
      () => {
        if (this.#detached) return;
        this.#status = 'ready';
        this.element.dispatchEvent(new CustomEvent('nextkey-ready', { bubbles: true, composed: true, detail: { handle: this } }));
      },
      (error: unknown) => this.#fail(error),
    );

    const on = <K extends keyof HTMLElementEventMap>(type: K, fn: (e: HTMLElementEventMap[K]) => void): void =>
      element.addEventListener(type, fn, { signal: this.#abort.signal });
    on('input', (e) => {
      if (!(e as InputEvent).isComposing && !this.#composing) this.#changed(e.timeStamp);
    });
    on('keydown', (e) => this.#keydown(e));
    on('beforeinput', (e) => {
      // Punctuation typed right after an accepted suggestion's closing space takes its place.
      const spaced = this.#spaced;
      this.#spaced = null;
      if (spaced && e.inputType === 'insertText' && e.data && SPACE_TAKERS.test(e.data) && sameState(this.#field.read(), spaced)) {
        e.preventDefault();
        this.#field.replaceLast(e.data);
      }
    });
    on('compositionstart', () => {
      this.#composing = true;
      this.#cancel();
    });
    on('compositionend', (e) => {
      this.#composing = false;
      this.#changed(e.timeStamp);
    });
    on('focus', (e) => {
      this.#last = null;
      this.#changed(e.timeStamp);
    });
    on('blur', () => {
      this.#last = null;
      this.#cancel();
    });
    const opts = { signal: this.#abort.signal, passive: true, capture: true };
    document.addEventListener('selectionchange', () => this.#focused() && !this.#composing && this.#changed(performance.now()), opts);
    // Scrolling the field, an ancestor or the page; resizing either: redraw in place.
    document.addEventListener('scroll', () => this.#redraw(), opts);
    window.addEventListener('resize', () => this.#redraw(), opts);
    this.#resize = new ResizeObserver(() => this.#redraw());
    this.#resize.observe(element);
    // Script edits fire no input event: a contenteditable reports them as mutations;
    // a text control's value is checked each frame while a ghost is up (see #watch).
    if (!mirror) {
      this.#mutations = new MutationObserver(() => this.#focused() && !this.#composing && this.#changed(performance.now()));
      this.#mutations.observe(element, { childList: true, characterData: true, subtree: true });
    }
    if (this.#focused()) this.#changed(performance.now());
  }

  get suggestion(): string | null {
    return this.#shown?.text ?? null;
  }

  get correction(): { typed: string; text: string; p: number } | null {
    const o = this.#offer;
    return o && { typed: o.typed, text: o.fix, p: o.p };
  }

  get status(): AutocompleteStatus {
    return this.#status;
  }

  get error(): Error | null {
    return this.#error;
  }

  /** The widget is off for good: say so on the handle, with an event, and in the console with what to change. */
  #fail(cause: unknown): void {
    if (this.#detached || this.#status === 'error') return;
    const error = cause instanceof Error ? cause : new Error(String(cause));
    this.#hide();
    this.#status = 'error';
    this.#error = error;
    console.error(`nextkey: autocomplete is off for ${describe(this.element)}: ${error.message}${advice(error, this.#options)}`, error);
    this.element.dispatchEvent(new CustomEvent<AutocompleteErrorDetail>('nextkey-error', { bubbles: true, composed: true, detail: { error, handle: this } }));
  }

  get overlay(): HTMLElement {
    return this.#view.overlay;
  }

  #focused(): boolean {
    return this.element.matches(':focus');
  }

  /** The text or caret may have changed (input, caret move, focus, end of an IME composition). */
  #changed(t0: number): void {
    if (this.#detached || this.#status === 'error') return;
    const state = this.#field.read();
    if (sameState(state, this.#last)) return;
    const before = this.#last;
    this.#last = state;
    this.#token++;
    if (this.#revert && !sameState(state, this.#revert.state)) this.#revert = null;
    if (this.#offer) this.#hide();
    if (!state || !this.#eligible(state)) return this.#hide();
    // One space or punctuation mark typed right after a word: the word is finished (a correction may be due).
    const finished = !!before && state.after === before.after && state.before.length === before.before.length + 1 && state.before.startsWith(before.before) && endsWord(state.before);
    // Typing the suggestion's next characters consumes them at once, in this
    // same task, so the rest stays on screen without a frame of flicker.
    const shown = this.#shown;
    if (shown && before && sameState(shown.state, before) && state.after === before.after && state.before.startsWith(before.before)) {
      const typed = state.before.slice(before.before.length);
      if (typed && shown.text.startsWith(typed) && shown.text.length > typed.length) this.#show(state, shown.text.slice(typed.length));
      else this.#hide();
    } else {
      this.#hide();
    }
    void this.#predict(state, this.#token, t0, finished);
  }

  /**
   * A suggestion fits only at a caret, in a non-empty field, outside IME
   * composition, at the end of a line or (midLine) before a character that
   * is no word character: never inside a word, whose rest it would split.
   */
  #eligible(s: FieldState): boolean {
    const next = s.after === '' ? '\n' : String.fromCodePoint(s.after.codePointAt(0)!);
    const fits = next === '\n' || (this.#options.midLine !== false && !isWordChar(next));
    return s.caret && s.before !== '' && !this.#composing && this.#focused() && fits;
  }

  async #predict(state: FieldState, token: number, t0: number, finished = false): Promise<void> {
    let session: Session;
    try {
      session = await this.#session;
    } catch {
      return; // a predictor that failed to load: `ready` rejected and said why
    }
    try {
      if (token !== this.#token) return;
      const update = await session.setText(state.before + state.after, { cursor: state.before.length, k: 1 });
      if (!update.current || token !== this.#token) return;
      if (finished && this.#corrector && this.#options.corrections !== false && (await this.#correct(session, state, token))) return;
      if (token !== this.#token) return;
      const p = this.#policy;
      const result = await session.complete(completeOptions(p));
      // Shown only if nothing changed since the request: never an answer for an old text.
      if (!result.current || token !== this.#token || !sameState(this.#field.read(), state)) return;
      const suggestion = fitBefore(pickSuggestion(result.completions, p), state.after);
      const shown = suggestion !== null && this.#show(state, suggestion);
      if (!shown) this.#hide();
      this.#options.onSuggestion?.({
        suggestion: shown ? suggestion : null,
        text: state.before,
        completions: result.completions,
        latencyMs: performance.now() - t0,
      });
    } catch (error) {
      if (this.#detached || error instanceof DisposedError) return;
      this.#hide();
      // A worker that died is replaced (the call was retryable): the next keystroke works again.
      // One that cannot be brought back, or any other failure, leaves the field without autocomplete.
      if (error instanceof WorkerError && error.retryable) {
        if (!this.#warned) console.warn('nextkey: a prediction was lost while the worker restarted:', error);
        this.#warned = true;
      } else {
        this.#fail(error);
      }
    }
  }

  /**
   * Asks the corrector about the word `state` has just finished; offers its
   * correction (or, with autocorrect, makes it) when it is likely enough.
   * true when it did, so no suggestion is shown for this text.
   */
  async #correct(session: Session, state: FieldState, token: number): Promise<boolean> {
    const r = await session.corrections({ k: 3 });
    if (!r.current || token !== this.#token || !r.word || !sameState(this.#field.read(), state)) return false;
    const sep = state.before.slice(r.word.end);
    const typed = r.word.text;
    const best = r.corrections[0]!;
    const m = this.#options.minCorrectionConfidence;
    const min = typeof m === 'object' ? { ...DEFAULT_MIN_CORRECTION, ...m } : m;
    if (sep.length !== 1 || !shouldCorrect(r.corrections, r.word, min) || this.#kept.has(typed)) return false;
    const offer = { typed, fix: best.text, sep, p: best.p };
    if (this.#options.autocorrect) {
      this.#replace(offer, 'autocorrected');
      return true;
    }
    if (!this.#view.show(state, best.text, (ghost) => renderCorrection(ghost, typed, best.text, this.#correctKeys[0]), true)) return false;
    this.#shown = null;
    this.#offer = { ...offer, state };
    this.#watch();
    const keys = this.#correctKeys.length ? `${spoken(this.#correctKeys[0]!)} to correct, ` : '';
    this.#view.description.textContent = `Correction: ${best.text} for ${typed}. ${keys}Escape to dismiss.`;
    this.#options.onCorrection?.({ action: 'offered', typed, correction: best.text, p: best.p });
    return true;
  }

  /** Puts `o.fix` in place of the word before the caret (and its separator), as one native edit; Backspace right after takes it back. */
  #replace(o: CorrectionOffer, action: 'accepted' | 'autocorrected'): void {
    if (!this.#focused()) this.element.focus();
    this.#hide();
    this.#field.replaceBefore(o.typed.length + o.sep.length, o.fix + o.sep);
    const state = this.#field.read();
    this.#revert = state && { ...o, state };
    this.#options.onCorrection?.({ action, typed: o.typed, correction: o.fix, p: o.p });
  }

  acceptCorrection(): boolean {
    const o = this.#offer;
    if (!o || this.#detached || !sameState(this.#field.read(), o.state)) return false;
    this.#replace(o, 'accepted');
    return true;
  }

  #show(state: FieldState, text: string): boolean {
    if (!this.#view.show(state, text, this.#render)) {
      this.#hide();
      return false;
    }
    this.#shown = { state, text };
    this.#watch();
    const keys = this.#acceptKeys.includes('Tab') ? 'Tab to accept, ' : '';
    // Arrow keys take nothing with text after the caret (see #keydown): name a key that works here.
    const wordKey = this.#acceptWordKeys.find((_, i) => state.after === '' || this.#wordChords[i]!.key !== 'ArrowRight');
    const word = wordKey && nextWordLength(text) < text.length ? `${spoken(wordKey)} for its next word, ` : '';
    this.#view.description.textContent = `Suggestion: ${text}. ${keys}${word}Escape to dismiss.`;
    return true;
  }

  #hide(): void {
    if (!this.#shown && !this.#offer) return;
    this.#shown = null;
    this.#offer = null;
    this.#view.hide();
    this.#view.description.textContent = '';
  }

  /** Drops the suggestion and any answer on its way. */
  #cancel(): void {
    this.#token++;
    this.#hide();
  }

  /** While a ghost is up on a text control, catches `el.value = …` from script (no input event) at the next frame. */
  #watch(): void {
    if (!this.#mirror || this.#watching) return;
    this.#watching = true;
    const tick = (): void => {
      const shown = this.#shown ?? this.#offer;
      if (!shown || this.#detached) {
        this.#watching = false;
        return;
      }
      if (!this.#focused()) this.#cancel();
      else if (!sameState(this.#field.read(), shown.state)) this.#changed(performance.now());
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }

  #redraw(): void {
    const shown = this.#shown;
    if (shown && !this.#view.show(shown.state, shown.text, this.#render)) this.#hide();
    const o = this.#offer;
    if (o && !this.#view.show(o.state, o.fix, (ghost) => renderCorrection(ghost, o.typed, o.fix, this.#correctKeys[0]), true)) this.#hide();
  }

  #keydown(e: KeyboardEvent): void {
    // keyCode 229: a key the IME is handling (Safari sends it after compositionend too).
    if (this.#composing || e.isComposing || e.keyCode === 229) return;
    const plain = !(e.ctrlKey || e.altKey || e.metaKey || e.shiftKey);
    const revert = this.#revert;
    if (revert && plain && e.key === 'Backspace' && sameState(this.#field.read(), revert.state)) {
      // Right after a correction, Backspace brings back what was typed (and the word is left alone from now on).
      e.preventDefault();
      this.#revert = null;
      this.#kept.add(revert.typed);
      this.#field.replaceBefore(revert.fix.length + revert.sep.length, revert.typed + revert.sep);
      this.#options.onCorrection?.({ action: 'reverted', typed: revert.typed, correction: revert.fix, p: revert.p });
      return;
    }
    if (this.#offer) {
      if (!plain) return;
      if (e.key === 'Escape') {
        e.preventDefault();
        this.dismiss();
      } else if (this.#correctKeys.includes(e.key)) {
        e.preventDefault();
        this.acceptCorrection();
      }
      return;
    }
    if (!this.#shown) return;
    // Arrow keys move the caret as usual unless it is at the very end of the text.
    const usable = e.key !== 'ArrowRight' || this.#shown.state.after === '';
    if (usable && this.#wordChords.some((c) => matches(c, e))) {
      e.preventDefault();
      this.acceptWord();
      return;
    }
    if (e.ctrlKey || e.altKey || e.metaKey || e.shiftKey) return;
    if (e.key === 'Escape') {
      e.preventDefault();
      this.dismiss();
    } else if (this.#acceptKeys.includes(e.key) && usable) {
      e.preventDefault();
      this.accept();
    }
  }

  accept(): boolean {
    return this.#insert((text) => text);
  }

  acceptWord(): boolean {
    return this.#insert((text) => text.slice(0, nextWordLength(text)));
  }

  #insert(part: (suggestion: string) => string): boolean {
    const shown = this.#shown;
    if (!shown || this.#detached || !sameState(this.#field.read(), shown.state)) return false;
    if (!this.#focused()) this.element.focus();
    // Fires `input` at once: #changed() sees that much of the suggestion typed
    // and consumes it, so the rest (if any) stays on screen without a flicker.
    const text = part(shown.text);
    this.#field.insert(text);
    this.#spaced = this.#smartPunctuation && text.endsWith(' ') ? this.#field.read() : null;
    return true;
  }

  dismiss(): void {
    this.#cancel();
  }

  async detach(): Promise<void> {
    if (this.#detached) return;
    this.#detached = true;
    this.#token++;
    this.#abort.abort();
    this.#resize.disconnect();
    this.#mutations?.disconnect();
    this.#view.remove();
    const el = this.element;
    const now = el.getAttribute('aria-describedby');
    if (now === this.#ourDescribedBy) {
      if (this.#describedBy === null) el.removeAttribute('aria-describedby');
      else el.setAttribute('aria-describedby', this.#describedBy);
    } else if (now !== null) {
      // The page changed it meanwhile: take out only our id.
      const id = this.#view.description.id;
      const rest = now.split(/\s+/).filter((t) => t && t !== id);
      if (rest.length) el.setAttribute('aria-describedby', rest.join(' '));
      else el.removeAttribute('aria-describedby');
    }
    attached.delete(el);
    this.#status = 'detached';
    try {
      const session = await this.#session;
      await session.dispose();
    } catch {
      // A predictor that never loaded, or was disposed by its owner: nothing to close.
    } finally {
      this.#release();
    }
  }
}

/** A correction offered for the word just finished: the word as typed, its correction and probability, the character that finished it. */
interface CorrectionOffer {
  typed: string;
  fix: string;
  sep: string;
  p: number;
}

/** Whether `text` ends with one character that is not a word character (a space, punctuation, a newline) right after a word character. */
function endsWord(text: string): boolean {
  const chars = Array.from(text.slice(-3));
  const last = chars[chars.length - 1];
  const prev = chars[chars.length - 2];
  return !!last && !!prev && !isWordChar(last) && isWordChar(prev);
}

/**
 * Draws a correction so the change shows: the word as typed, struck through
 * and faint, an arrow, then the correction with the letters that differ in
 * bold, and the key that accepts it ("~~teh~~ → t**he** Tab").
 */
function renderCorrection(ghost: HTMLElement, typed: string, fix: string, key: string | undefined): void {
  ghost.textContent = '';
  ghost.style.opacity = '1';
  let a = 0;
  while (a < typed.length && a < fix.length && typed[a] === fix[a]) a++;
  let b = 0;
  while (b < typed.length - a && b < fix.length - a && typed[typed.length - 1 - b] === fix[fix.length - 1 - b]) b++;
  const span = (text: string, style: string, cls: string): HTMLElement => {
    const el = document.createElement('span');
    el.style.cssText = 'all:unset;' + style;
    el.className = cls;
    el.textContent = text;
    return el;
  };
  ghost.append(
    span(typed, 'text-decoration:line-through;opacity:.55;', 'nextkey-typed'),
    span(' → ', 'opacity:.55;', 'nextkey-arrow'),
    span(fix.slice(0, a), '', 'nextkey-fix'),
    span(fix.slice(a, fix.length - b), 'font-weight:bold;', 'nextkey-changed'),
    span(fix.slice(fix.length - b), '', 'nextkey-fix'),
  );
  // The key that takes it, small and faint after it.
  if (key) ghost.append(span(spoken(key), 'opacity:.5;font-size:.75em;margin-left:.6em;', 'nextkey-key'));
}

/** '<textarea name="message">' and the like, for console messages. */
function describe(el: HTMLElement): string {
  const tag = el.tagName.toLowerCase();
  const id = el.id ? ` id="${el.id}"` : '';
  const name = el.getAttribute('name') ? ` name="${el.getAttribute('name')}"` : '';
  return `<${tag}${id}${name}>`;
}

/** What to change, for the failures a developer can fix. */
function advice(error: Error, options: AutocompleteOptions): string {
  const model = options.model;
  if (error instanceof ModelFetchError) {
    return model !== undefined && !/^[a-z][a-z\d+.-]*:/i.test(model)
      ? `. "${model}" is relative: it resolves against the page (${document.baseURI}), not the script. Give an absolute URL, or leave \`model\` out for the model shipped beside the script.`
      : '. Check that the URL serves model.json and weights.bin (with CORS headers, from another origin).';
  }
  return error instanceof WorkerError
    ? ". Check that dist/worker.js is served beside the script (or pass workerUrl) and that the page's Content-Security-Policy allows it (see the README)."
    : '';
}
