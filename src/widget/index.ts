// The autocomplete widget: its own entry (dist/widget.js), so the core
// stays small for pages that only want predictions.
export { attach } from './attach.js';
export type { AutocompleteErrorDetail, AutocompleteHandle, AutocompleteOptions, AutocompleteStatus, CorrectionEvent, SuggestionEvent } from './attach.js';
export { defineNextkeyElements } from './element.js';
export type { NextkeyTextareaElement } from './element.js';
export { DEFAULT_MIN_CORRECTION, DEFAULT_POLICY, completeOptions, expectedSaving, nextWordLength, pickSuggestion, resolvePolicy, savedBy, shouldCorrect } from './policy.js';
export type { Acceptance, CorrectionThresholds, SuggestionPolicy } from './policy.js';
