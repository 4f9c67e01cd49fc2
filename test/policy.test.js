// The widget's suggestion policy (also run by `npm run eval` for keystroke savings).
// Golden values worked out by hand from the formulas in src/widget/policy.ts.
import { completeOptions, DEFAULT_POLICY, expectedSaving, nextWordLength, pickSuggestion, resolvePolicy, savedBy } from '../dist/widget.js';
import { assertClose, assertEqual } from './helpers.js';

const c = (text, p) => ({ text, p, complete: true });

describe('suggestion policy', () => {
  it('shows nothing below minConfidence, for no completions, or for one character', () => {
    const policy = { mode: 'word', minConfidence: 0.2, maxChars: 16 };
    assertEqual(pickSuggestion([], policy), null, 'no completions');
    assertEqual(pickSuggestion([c('ello', 0.19), c('elp', 0.1)], policy), null, 'all below 0.2');
    assertEqual(pickSuggestion([c('', 0.9)], policy), null, 'empty text');
    // Tab costs what typing the character does: a one-character ghost saves nothing.
    assertEqual(pickSuggestion([c('s', 0.9)], policy), null, 'one character');
    assertEqual(pickSuggestion([c('s', 0.9), c('s ', 0.5)], policy), 's ', 'one character and a space: saves one keystroke');
  });

  it('offers the completion that saves the most keystrokes on average', () => {
    const policy = { mode: 'phrase', minConfidence: 0.1, maxChars: 32 };
    // "quick " saves 0.5 * 5 = 2.5, "quick" 0.6 * 4 = 2.4; "quick brown " 0.15 * 11 whole
    // plus (0.5 - 0.15) * (6 - 1) for its first word alone = 3.4.
    assertEqual(pickSuggestion([c('quick', 0.6), c('quick ', 0.5), c('quick brown ', 0.15)], policy), 'quick brown ', 'phrase with its first word');
    // A single word: its trailing space when likely enough. "quick " 2.5 beats "quick" 2.4.
    assertEqual(pickSuggestion([c('quick', 0.6), c('quick ', 0.5)], { ...policy, mode: 'word' }), 'quick ', 'word and space');
    // "quick brown fox " 0.3 * 15 + (0.5 - 0.3) * 5 = 5.5 beats "quick " 0.5 * 5.
    assertEqual(pickSuggestion([c('quick', 0.6), c('quick ', 0.5), c('quick brown fox ', 0.3)], policy), 'quick brown fox ', 'phrase');
    // Below minConfidence a word is never offered, however much it would save.
    assertEqual(pickSuggestion([c('ab', 0.5), c('abcdefghijklmnop', 0.09)], policy), 'ab', 'long but unlikely');
    // Equal savings: the likelier one.
    assertEqual(pickSuggestion([c('ab', 0.4), c('abc', 0.2)], policy), 'ab', 'tie');
    // Code points, not UTF-16 units: "😀😀" saves one keystroke, not three.
    assertEqual(pickSuggestion([c('😀😀', 0.5), c('xy', 0.6)], policy), 'xy', 'emoji counted as characters');
  });

  it('a phrase qualifies by its first word, what one keystroke takes', () => {
    const policy = { mode: 'phrase', minConfidence: 0.25, maxChars: 32 };
    // Whole phrase 0.1, first word 0.5: 0.1 * 12 + (0.5 - 0.1) * 3 = 2.4 beats "ick " 0.5 * 3 = 1.5.
    assertEqual(pickSuggestion([c('ick ', 0.5), c('ick brown fox', 0.1)], policy), 'ick brown fox', 'likely first word');
    assertEqual(pickSuggestion([c('ick ', 0.2), c('ick brown fox', 0.1)], policy), null, 'first word below minConfidence');
    // An unlisted first word is at least as likely as the phrase: here only the phrase's own 0.3 is known.
    assertEqual(pickSuggestion([c('ab cd', 0.3)], policy), 'ab cd', 'first word not listed');
    assertEqual(pickSuggestion([c('ab cd', 0.2)], policy), null, 'first word not listed, phrase below');
  });

  it('expected saving counts each word the next-word key can take', () => {
    const all = [c('ick', 0.6), c('ick ', 0.5), c('ick brown', 0.35), c('ick brown ', 0.3), c('ick brown fox', 0.2)];
    // Cuts "ick " (P 0.5), "ick brown " (P 0.3), whole (p 0.2):
    // 0.2 * (13 - 1) + (0.5 - 0.3) * (4 - 1) + (0.3 - 0.2) * (10 - 2) = 2.4 + 0.6 + 0.8.
    assertClose([expectedSaving(all[4], all)], [3.8], 1e-12, 'three words');
    // 0.3 * (10 - 1) + (0.5 - 0.3) * (4 - 1) = 2.7 + 0.6.
    assertClose([expectedSaving(all[3], all)], [3.3], 1e-12, 'two words');
    assertClose([expectedSaving(all[1], all)], [1.5], 1e-12, 'one word and its space: p * (length - 1)');
    assertClose([expectedSaving(all[0], all)], [1.2], 1e-12, 'one word');
    assertEqual(pickSuggestion(all, { mode: 'phrase', minConfidence: 0.2, maxChars: 32 }), 'ick brown fox', 'the largest');
    // A cut less likely than what continues it (not possible for a model, possible in a list): taken as the longer one's.
    assertClose([expectedSaving(c('ab cd', 0.3), [c('ab ', 0.1), c('ab cd', 0.3)])], [0.3 * 4], 1e-12, 'chances never grow');
  });

  it('the next-word key takes the next word, what comes before it and one space after it', () => {
    const cases = [
      ['ick brown fox', 'ick '],
      ['brown fox', 'brown '],
      ['fox', 'fox'],
      [', said he', ', said '],
      ['ick. The', 'ick'],
      ['. The', '. The'],
      ['.', '.'],
      ['?!', '?!'],
      ["don't go", "don't "],
      ['ick  two', 'ick '],
      ['café au lait', 'café '],
      ['😀 hi there', '😀 hi '],
      ['ick\nnext', 'ick'],
    ];
    for (const [s, want] of cases) assertEqual(s.slice(0, nextWordLength(s)), want, JSON.stringify(s));
  });

  it('the simulated typist takes all of a suggestion, or its next word, with one keystroke', () => {
    assertEqual(savedBy('ick brown fox', 'ick brown fox jumps'), { key: 'all', text: 'ick brown fox', chars: 13, keystrokes: 1 }, 'all right: Tab');
    assertEqual(savedBy('ick brown fox', 'ick brown dog'), { key: 'word', text: 'ick ', chars: 4, keystrokes: 1 }, 'first word right: next-word key');
    assertEqual(savedBy('ick brown', 'ick, said'), { key: 'word', text: 'ick', chars: 3, keystrokes: 1 }, 'first word, then a comma: smart punctuation puts it in the space\'s place');
    assertEqual(savedBy('ick ', 'ick. She'), { key: 'all', text: 'ick', chars: 3, keystrokes: 1 }, 'a suggestion ending in a space, then a full stop');
    assertEqual(savedBy('ick ', 'ick- said'), null, 'a dash does not take the space\'s place');
    assertEqual(savedBy('ick ', 'ickle, said'), null, 'the word itself must be right');
    assertEqual(savedBy('ick', 'icky'), { key: 'all', text: 'ick', chars: 3, keystrokes: 1 }, 'a prefix of the word typed is still typing saved');
    assertEqual(savedBy('😀😀', '😀😀!'), { key: 'all', text: '😀😀', chars: 2, keystrokes: 1 }, 'characters are code points');
    assertEqual(savedBy(null, 'x'), null, 'nothing shown');
    assertEqual(savedBy('ack', 'ick'), null, 'wrong');
  });

  it('resolves defaults and makes the request the widget sends', () => {
    assertEqual(resolvePolicy({}), DEFAULT_POLICY, 'defaults');
    assertEqual(resolvePolicy({ mode: 'phrase' }).maxChars, 32, 'phrase default length');
    assertEqual(resolvePolicy({ mode: 'phrase', maxChars: 20 }).maxChars, 20, 'given length');
    const o = completeOptions({ mode: 'phrase', minConfidence: 0.3, maxChars: 24 });
    assertEqual(o.stop, 'phrase', 'stop');
    assertEqual(o.maxChars, 24, 'maxChars');
    assertEqual(o.minProbability, 0.3 / 4, 'phrase search goes on below minConfidence, for the later words');
    assertEqual(o.k, 16, 'room for every word boundary');
    assertEqual(o.withSpace, true, 'trailing spaces offered');
    const w = completeOptions({ mode: 'word', minConfidence: 0.3, maxChars: 16 });
    assertEqual(w.minProbability, 0.3, 'word search prunes at minConfidence');
  });
});
