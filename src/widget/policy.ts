import type { Completion, CompletionStop } from '../protocol.js';

/** When the widget offers a completion. Shared with the keystroke-savings evaluation. */
export interface SuggestionPolicy {
  /** 'word': the rest of the current word; 'phrase': the next few words. */
  mode: CompletionStop;
  /** Offer nothing below this probability. */
  minConfidence: number;
  /** Longest suggestion in characters. */
  maxChars: number;
}

export const DEFAULT_POLICY: SuggestionPolicy = { mode: 'word', minConfidence: 0.2, maxChars: 16 };

/** The suggestion to show for ranked completions (most probable first), or null when none is likely enough. */
export function pickSuggestion(completions: readonly Completion[], policy: SuggestionPolicy): string | null {
  const best = completions[0];
  if (!best || best.text === '') return null;
  if (best.p >= policy.minConfidence) return best.text;
  return null;
}

/** How many keystrokes accepting `suggestion` saves when the user meant to type `rest`: its length, or 0 if it does not match. */
export function savedBy(suggestion: string | null, rest: string): number {
  if (!suggestion || !rest.startsWith(suggestion)) return 0;
  return Array.from(suggestion).length;
}
