// The widget's suggestion policy (also run by `npm run eval` for keystroke savings).
import { completeOptions, DEFAULT_POLICY, pickSuggestion, resolvePolicy } from '../dist/widget.js';
import { assertEqual } from './helpers.js';

const c = (text, p) => ({ text, p, complete: true });

describe('suggestion policy', () => {
  it('shows nothing below minConfidence, or for no completions', () => {
    const policy = { mode: 'word', minConfidence: 0.2, maxChars: 16 };
    assertEqual(pickSuggestion([], policy), null, 'no completions');
    assertEqual(pickSuggestion([c('ello', 0.19), c('elp', 0.1)], policy), null, 'all below 0.2');
    assertEqual(pickSuggestion([c('', 0.9)], policy), null, 'empty text');
  });

  it('offers the completion that saves the most keystrokes on average', () => {
    const policy = { mode: 'phrase', minConfidence: 0.1, maxChars: 32 };
    // "quick " saves 0.5 * 5 = 2.5, "quick" 0.6 * 4 = 2.4, "quick brown " 0.15 * 11 = 1.65.
    assertEqual(pickSuggestion([c('quick', 0.6), c('quick ', 0.5), c('quick brown ', 0.15)], policy), 'quick ', 'word and space');
    // "quick brown fox " 0.3 * 15 = 4.5 beats "quick " 0.5 * 5.
    assertEqual(pickSuggestion([c('quick', 0.6), c('quick ', 0.5), c('quick brown fox ', 0.3)], policy), 'quick brown fox ', 'phrase');
    // Below minConfidence a long phrase is never offered, however much it would save.
    assertEqual(pickSuggestion([c('a', 0.5), c('abcdefghijklmnop', 0.09)], policy), 'a', 'long but unlikely');
    // Equal savings: the likelier one.
    assertEqual(pickSuggestion([c('ab', 0.4), c('abc', 0.2)], policy), 'ab', 'tie');
    // Code points, not UTF-16 units: "😀😀" saves one keystroke, not three.
    assertEqual(pickSuggestion([c('😀😀', 0.5), c('xy', 0.6)], policy), 'xy', 'emoji counted as characters');
  });

  it('resolves defaults and makes the request the widget sends', () => {
    assertEqual(resolvePolicy({}), DEFAULT_POLICY, 'defaults');
    assertEqual(resolvePolicy({ mode: 'phrase' }).maxChars, 32, 'phrase default length');
    assertEqual(resolvePolicy({ mode: 'phrase', maxChars: 20 }).maxChars, 20, 'given length');
    const o = completeOptions({ mode: 'phrase', minConfidence: 0.3, maxChars: 24 });
    assertEqual(o.stop, 'phrase', 'stop');
    assertEqual(o.maxChars, 24, 'maxChars');
    assertEqual(o.minProbability, 0.3, 'search prunes below minConfidence');
    assertEqual(o.withSpace, true, 'trailing spaces offered');
  });
});
