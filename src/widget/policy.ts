import type { Completion, CompletionStop } from '../protocol.js';
import type { CompleteOptions } from '../session.js';
import { isWordChar } from '../text.js';

/** When the widget offers a completion. Shared with the keystroke-savings evaluation. */
export interface SuggestionPolicy {
  /** 'word': the rest of the current word; 'phrase': up to three words. */
  mode: CompletionStop;
  /**
   * Offer nothing whose next word is less likely than this: what one keystroke
   * of Tab or of the next-word key would take. In 'word' mode that is the
   * whole suggestion; a phrase may go on with less likely words.
   */
  minConfidence: number;
  /** Longest suggestion in characters. */
  maxChars: number;
}

export const DEFAULT_POLICY: SuggestionPolicy = { mode: 'word', minConfidence: 0.2, maxChars: 16 };

/** Fills in the defaults: maxChars is 16 for words and 32 for phrases unless given. */
export function resolvePolicy(o: Partial<SuggestionPolicy>): SuggestionPolicy {
  const mode = o.mode ?? DEFAULT_POLICY.mode;
  return {
    mode,
    minConfidence: o.minConfidence ?? DEFAULT_POLICY.minConfidence,
    maxChars: o.maxChars ?? (mode === 'phrase' ? 32 : DEFAULT_POLICY.maxChars),
  };
}

/** The completion request the widget makes for a policy (the evaluation makes the same one). */
export function completeOptions(policy: SuggestionPolicy): CompleteOptions {
  const phrase = policy.mode === 'phrase';
  return {
    stop: policy.mode,
    maxChars: policy.maxChars,
    beamWidth: 4,
    phraseWords: 3,
    // Phrase mode lists every word boundary on the way: room for the shorter phrases too.
    k: phrase ? 16 : 8,
    // A phrase is offered when its first word is likely enough, and its later
    // words still count (pickSuggestion): search them down to a quarter of that.
    minProbability: phrase ? policy.minConfidence / 4 : policy.minConfidence,
    withSpace: true,
  };
}

/**
 * How much of `suggestion` (in UTF-16 units) the next-word key accepts: up to
 * the end of its next word, with the non-word characters before that word
 * and the one space after it ("ick brown fox" → "ick ", then "brown ", then
 * "fox"; ", said he" → ", said "), as code editors accept an inline
 * suggestion word by word. All of it when it holds no word ("." or "?!").
 */
export function nextWordLength(suggestion: string): number {
  let i = 0;
  let inWord = false;
  for (const ch of suggestion) {
    const word = isWordChar(ch);
    if (inWord && !word) return ch === ' ' ? i + 1 : i;
    inWord ||= word;
    i += ch.length;
  }
  return suggestion.length;
}

/** Where the next-word key cuts `suggestion`, pressed again and again: UTF-16 lengths, the last one the whole. */
export function wordCuts(suggestion: string): number[] {
  const cuts: number[] = [];
  for (let at = 0; at < suggestion.length; ) {
    at += nextWordLength(suggestion.slice(at));
    cuts.push(at);
  }
  return cuts;
}

const length = (s: string): number => Array.from(s).length;

/**
 * The chance that the text goes on as `completion` does up to each of its
 * {@link wordCuts}, the last being its own probability. For a shorter cut it
 * is the probability of the completion that ends there, when the search
 * listed it (phrase mode lists every word boundary), or else that of the next
 * longer cut (a prefix is at least as likely as what continues it).
 */
function cutChances(completion: Completion, completions: readonly Completion[]): { cuts: number[]; chances: number[] } {
  const text = completion.text;
  const cuts = wordCuts(text);
  const chances = cuts.map(() => completion.p);
  for (let j = cuts.length - 2; j >= 0; j--) {
    const prefix = text.slice(0, cuts[j]);
    const listed = completions.find((c) => c.text === prefix);
    chances[j] = Math.max(chances[j + 1]!, listed ? listed.p : 0);
  }
  return { cuts, chances };
}

/**
 * The keystrokes that showing `completion` saves on average, given the
 * ranked completions it came from. One keystroke (Tab) accepts it whole,
 * which saves its length less one if all of it is right. When it is not,
 * the next-word key still takes its words one keystroke each as far as they
 * are right: a phrase whose first word is right saves that word. This
 * assumes the typist takes the remaining words from this suggestion; the
 * widget suggests again after each word, which can only be a better guess.
 *
 * With cuts c₁ < … < cₘ ({@link wordCuts}; cₘ is the whole, of probability
 * p) and Pⱼ the chance that the text goes on as far as cⱼ (Pₘ = p):
 * p·(|cₘ| − 1) + Σⱼ₌₁…ₘ₋₁ (Pⱼ − Pⱼ₊₁)·(|cⱼ| − j), lengths in characters.
 * A single word (every suggestion in 'word' mode) scores p·(length − 1).
 */
export function expectedSaving(completion: Completion, completions: readonly Completion[]): number {
  const { cuts, chances } = cutChances(completion, completions);
  const text = completion.text;
  let score = completion.p * (length(text) - 1);
  for (let j = 0; j + 1 < cuts.length; j++) score += (chances[j]! - chances[j + 1]!) * (length(text.slice(0, cuts[j])) - (j + 1));
  return score;
}

/**
 * The suggestion to show for ranked completions, or null when none is worth
 * it. A completion qualifies when its next word (what one keystroke takes,
 * {@link nextWordLength}) is at least minConfidence likely and accepting it
 * saves a keystroke (a single character does not: Tab costs what typing it
 * does). Among those, the one with the largest {@link expectedSaving} wins:
 * a likely word comes with its trailing space when the space is likely too,
 * and a phrase whose first word is likely is offered whole, since the
 * next-word key can take that word alone. Ties go to the more probable.
 */
export function pickSuggestion(completions: readonly Completion[], policy: SuggestionPolicy): string | null {
  let pick: Completion | null = null;
  let score = 0;
  for (const c of completions) {
    if (c.text === '' || length(c.text) < 2) continue;
    if (!(cutChances(c, completions).chances[0]! >= policy.minConfidence)) continue;
    const s = expectedSaving(c, completions);
    if (s > score || (s === score && pick !== null && c.p > pick.p)) {
      pick = c;
      score = s;
    }
  }
  return pick ? pick.text : null;
}

/** What a typist does with a suggestion on screen (see {@link savedBy}). */
export interface Acceptance {
  /** 'all': Tab took the whole suggestion; 'word': the next-word key took its next word. */
  key: 'all' | 'word';
  /** The text accepted. */
  text: string;
  /** Characters (code points) the typist did not type. */
  chars: number;
  /** Keystrokes spent accepting them. */
  keystrokes: number;
}

/**
 * `suggestion` fitted to the text after the caret (`after`): where that
 * starts with a space or closing punctuation (the caret in the middle of a
 * line), the suggestion's closing space would double it or come before the
 * punctuation, so it is dropped ("tomo|, then": "rrow ", shown as "rrow").
 * null when that leaves less than two characters (Tab would save nothing).
 */
export function fitBefore(suggestion: string | null, after: string): string | null {
  if (suggestion === null || !/^([^\S\n]|[,.;:!?)\]}])/.test(after)) return suggestion;
  const fitted = suggestion.replace(/[^\S\n]+$/, '');
  return length(fitted) < 2 ? null : fitted;
}

/** Punctuation that, typed right after an accepted suggestion's closing space, takes that space's place. */
export const SPACE_TAKERS = /^[,.;:!?]$/;

/**
 * How much of `rest` accepting `accepted` covers: all of it when `rest`
 * starts with it; all but a closing space when `rest` has punctuation there
 * (the widget's smart punctuation puts it in the space's place when it is
 * typed); else nothing.
 */
function covered(accepted: string, rest: string): string | null {
  if (rest.startsWith(accepted)) return accepted;
  const bare = accepted.slice(0, -1);
  return accepted.endsWith(' ') && rest.startsWith(bare) && SPACE_TAKERS.test(rest.charAt(bare.length)) ? bare : null;
}

/**
 * What a typist who means to type `rest` does with `suggestion` on screen:
 * one keystroke (Tab) accepts it when all of it is right; otherwise one
 * keystroke of the next-word key accepts its next word ({@link nextWordLength})
 * when that is right. null when neither is (the typist types on). A closing
 * space where `rest` has punctuation counts as right, less that space: the
 * typist types the punctuation next, and the widget replaces the space with
 * it. The widget then suggests again for the new text, so taking a phrase
 * word by word costs one keystroke per word.
 */
export function savedBy(suggestion: string | null, rest: string): Acceptance | null {
  if (!suggestion) return null;
  const all = covered(suggestion, rest);
  if (all) return { key: 'all', text: all, chars: length(all), keystrokes: 1 };
  const word = covered(suggestion.slice(0, nextWordLength(suggestion)), rest);
  if (word) return { key: 'word', text: word, chars: length(word), keystrokes: 1 };
  return null;
}

/** One candidate of a correction (as Session.corrections gives them, best first). */
interface Candidate {
  text: string;
  p: number;
}

/**
 * How likely a correction must be to be offered: for a typed word the model
 * knows (its lexicon, or words learned from the user) and for one it does
 * not (more likely a slip of the fingers, so less is asked).
 */
export interface CorrectionThresholds {
  known: number;
  unknown: number;
}

/**
 * The widget's default minCorrectionConfidence, chosen with `npm run
 * eval:typos -- --seed 2 --correct 4000` (a draw apart from the measured one;
 * its operating points: 0.5 for known words gave 0.6% false alarms, 0.7 gave
 * 0.3% for 0.3 points of synthetic errors fixed; unknown words: 0 to 0.3
 * alike), see docs/typos.md.
 */
export const DEFAULT_MIN_CORRECTION: CorrectionThresholds = { known: 0.7, unknown: 0 };

/**
 * Whether a typed word is written as an acronym, identifier or product name
 * is: two or more capitals and no lowercase letter (FOIA, ISSO), a capital
 * after a lowercase letter (nodeSelectorTerms, iPhone), or a digit (k8s,
 * mp3). People type those on purpose; a spelling checker leaves them alone.
 */
export function writtenAsName(word: string): boolean {
  if (/\p{N}/u.test(word)) return true;
  if (/\p{Ll}\p{Lu}/u.test(word)) return true;
  const upper = word.match(/\p{Lu}/gu)?.length ?? 0;
  return upper >= 2 && !/\p{Ll}/u.test(word);
}

/**
 * Whether the widget offers (or, with autocorrect, makes) the first of
 * `corrections` for the typed `word`: it must be another word, at least
 * `min` likely (`min.known` or `min.unknown` as the word is known or not; a
 * number: both), and likelier than the word as typed; a word written as an
 * acronym or identifier (see writtenAsName) is never corrected unasked.
 * Shared with the evaluation.
 */
export function shouldCorrect(corrections: readonly Candidate[], word: { text: string; known: boolean }, min: number | CorrectionThresholds = DEFAULT_MIN_CORRECTION): boolean {
  if (writtenAsName(word.text)) return false;
  const best = corrections[0];
  const least = typeof min === 'number' ? min : word.known ? min.known : min.unknown;
  const own = corrections.find((c) => c.text === word.text)?.p ?? 0;
  return !!best && best.text !== word.text && best.p >= least && best.p > own;
}
