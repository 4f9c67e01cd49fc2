// `npm run eval -- --savings N`: the simulated typist that runs the widget's
// own policy (src/widget/policy.ts) in Node, on a small text so it stays quick.
import { assert, assertEqual } from '../helpers.js';
import { runEval } from './commands.js';

const ARGS = ['--model', 'models/default', '--text', 'docs/model-format.md', '--limit', '400', '--savings', '400', '--min-confidence', '0.1,0.2'];

describe('keystroke savings (npm run eval)', function () {
  // Each test runs the evaluator in Node (a few seconds, far more on a loaded machine): no
  // time limit of its own; the runner's limit per test file still ends a hung one.
  this.timeout(0);
  it('prints saved keystrokes, shown and accepted suggestions per mode and threshold', async () => {
    const { code, stdout, stderr } = await runEval(ARGS);
    assertEqual(code, 0, `eval exit code (stderr: ${stderr})`);
    const lines = stdout.split('\n');
    const head = lines.findIndex((l) => l.startsWith('mode '));
    assert(head >= 0, `a savings table in:\n${stdout}`);
    for (const column of ['min conf', 'saved', 'keys/char', 'shown', 'accepted (whole + word)', 'accepted/shown']) {
      assert(lines[head].includes(column), `column ${column} in ${lines[head]}`);
    }
    const rows = lines.slice(head + 1, head + 5).map((l) => l.trim().split(/\s+/));
    assertEqual(rows.map((r) => [r[0], r[1]]), [['word', '0.10'], ['word', '0.20'], ['phrase', '0.10'], ['phrase', '0.20']], 'one row per mode and threshold');
    for (const r of rows) {
      // word 0.10 25.3% 0.747 120 30 (30 + 0) 25.0%
      const [, , saved, , shown, accepted, whole, plus, word, precision] = r;
      assert(/^\d+\.\d%$/.test(saved) && /^\d+\.\d%$/.test(precision), `percentages in ${r.join(' ')}`);
      assertEqual(plus, '+', 'whole + word');
      assertEqual(Number(accepted), Number(whole.slice(1)) + Number(word.slice(0, -1)), `accepted = whole + word in ${r.join(' ')}`);
      assert(Number(accepted) <= Number(shown), `accepted ≤ shown in ${r.join(' ')}`);
    }
  });

  it('--json gives the same numbers, consistent with each other', async () => {
    const { code, stdout, stderr } = await runEval([...ARGS, '--json']);
    assertEqual(code, 0, `eval exit code (stderr: ${stderr})`);
    const { savings } = JSON.parse(stdout);
    assertEqual(savings.map((s) => [s.mode, s.minConfidence]), [['word', 0.1], ['word', 0.2], ['phrase', 0.1], ['phrase', 0.2]], 'rows');
    for (const s of savings) {
      const what = JSON.stringify(s);
      assertEqual(s.chars, 400, `characters typed: ${what}`);
      assertEqual(s.accepted, s.acceptedWhole + s.acceptedWord, `accepted: ${what}`);
      // A word suggestion is one word: the next-word key would take all of it, as Tab does.
      if (s.mode === 'word') assertEqual(s.acceptedWord, 0, `next-word key in word mode: ${what}`);
      assert(s.accepted <= s.shown && s.shown <= s.keystrokes, `accepted ≤ shown ≤ keystrokes: ${what}`);
      assert(s.keystrokes <= s.chars, `never more keystrokes than characters: ${what}`);
      assert(Math.abs(s.savings - (1 - s.keystrokes / s.chars)) < 1e-12, `savings: ${what}`);
      assert(Math.abs(s.precision - s.accepted / s.shown) < 1e-12, `precision: ${what}`);
    }
  });

  it('scores each file on its own: a table per file, their mean, and the same numbers as one file alone', async () => {
    const files = ['docs/model-format.md', 'README.md'];
    const both = await runEval(['--model', 'models/default', '--text', ...files, '--limit', '700', '--json']);
    assertEqual(both.code, 0, `eval exit code (stderr: ${both.stderr})`);
    const r = JSON.parse(both.stdout);
    assertEqual(r.perFile.map((f) => f.file), files, 'one row per file, in order');
    // each file from a zero state, so its score does not depend on the file before it
    const one = await runEval(['--model', 'models/default', '--text', files[1], '--limit', '700', '--json']);
    assertEqual(one.code, 0, `eval of ${files[1]} alone (stderr: ${one.stderr})`);
    const alone = JSON.parse(one.stdout);
    assert(Math.abs(alone.bpc - r.perFile[1].bpc) < 1e-9, `${files[1]}: ${alone.bpc} alone vs ${r.perFile[1].bpc} after another file`);
    assertEqual(alone.characters, r.perFile[1].characters, `${files[1]}: characters`);
    const mean = (r.perFile[0].bpc + r.perFile[1].bpc) / 2;
    assert(Math.abs(r.meanBpc - mean) < 1e-12, `mean bpc ${r.meanBpc} = mean of the files' ${mean}`);
    const chars = r.perFile[0].characters + r.perFile[1].characters;
    const pooled = (r.perFile[0].bpc * r.perFile[0].characters + r.perFile[1].bpc * r.perFile[1].characters) / chars;
    assert(Math.abs(r.bpc - pooled) < 1e-9, `bpc over all characters ${r.bpc} vs ${pooled}`);
    const text = await runEval(['--model', 'models/default', '--text', ...files, '--limit', '700']);
    const row = text.stdout.split('\n').find((l) => l.startsWith('mean over files'));
    assert(row && row.trim().endsWith(r.meanBpc.toFixed(4)), `a "mean over files" row in:\n${text.stdout}`);
  });

  it('--prompt shows the suggestion the widget would show after a text', async () => {
    const prompts = ['Thank you for your em', 'The quick brown fo'];
    const { code, stdout, stderr } = await runEval(['--model', 'models/default', '--prompt', prompts[0], '--prompt', prompts[1], '--min-confidence', '0', '--json']);
    assertEqual(code, 0, `eval exit code (stderr: ${stderr})`);
    const r = JSON.parse(stdout);
    assertEqual(r.prompts.map((x) => x.prompt), prompts, 'one answer per prompt, in order');
    for (const x of r.prompts) {
      // at confidence 0 something is always shown; a word suggestion is one word, a phrase starts with it
      assert(typeof x.word === 'string' && x.word.length > 0, `a word for ${x.prompt}: ${JSON.stringify(x)}`);
      assert(!/\s\S/.test(x.word), `one word: ${JSON.stringify(x.word)}`);
      assert(typeof x.phrase === 'string' && x.phrase.length > 0, `a phrase for ${x.prompt}: ${JSON.stringify(x)}`);
      assert(x.words.length > 0 && x.words.every((c, i) => i === 0 || x.words[i - 1].p >= c.p), `likeliest words, sorted: ${JSON.stringify(x.words)}`);
    }
    const text = await runEval(['--model', 'models/default', '--prompt', prompts[0], '--min-confidence', '0']);
    assert(text.stdout.includes(`word:   ${JSON.stringify(r.prompts[0].word)}`), `the same word in the text output:\n${text.stdout}`);
  });
});
