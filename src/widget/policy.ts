import type { Completion, CompletionStop } from '../protocol.js';
import type { CompleteOptions } from '../session.js';

/** When the widget offers a completion. Shared with the keystroke-savings evaluation. */
export interface SuggestionPolicy {
  /** 'word': the rest of the current word; 'phrase': up to three words, as many as are likely enough. */
  mode: CompletionStop;
  /** Offer nothing below this probability. */
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
  return {
    stop: policy.mode,
    maxChars: policy.maxChars,
    beamWidth: 4,
    phraseWords: 3,
    // Phrase mode lists every word boundary on the way: room for the shorter phrases too.
    k: 8,
    minProbability: policy.minConfidence,
    withSpace: true,
  };
}

/**
 * The suggestion to show for ranked completions (most probable first), or
 * null when none is at least minConfidence likely. Among those that are, the
 * one that saves the most keystrokes on average wins: probability times the
 * keystrokes it saves (its length less the one that accepts it). So a likely
 * word comes with its trailing space when the space is likely too, and a
 * phrase is offered when it is likely enough to be worth more than its
 * first word. Ties go to the more probable.
 */
export function pickSuggestion(completions: readonly Completion[], policy: SuggestionPolicy): string | null {
  let pick: Completion | null = null;
  let score = -1;
  for (const c of completions) {
    if (c.text === '' || !(c.p >= policy.minConfidence)) continue;
    const s = c.p * (Array.from(c.text).length - 1);
    if (s > score || (s === score && pick !== null && c.p > pick.p)) {
      pick = c;
      score = s;
    }
  }
  return pick ? pick.text : null;
}

/** How many keystrokes accepting `suggestion` saves when the user meant to type `rest`: its length, or 0 if it does not match. */
export function savedBy(suggestion: string | null, rest: string): number {
  if (!suggestion || !rest.startsWith(suggestion)) return 0;
  return Array.from(suggestion).length;
}
