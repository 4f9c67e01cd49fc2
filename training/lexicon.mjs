// node training/lexicon.mjs --model models/default --text DIR_OR_FILE... [--min-count 1]
//
// Writes a model's lexicon: every word form (run of word characters, as
// src/text.ts isWordChar reads them) of its training text seen at least
// --min-count times, sorted by UTF-16 code units, into model.json's "lexicon". Beam
// search prefers completions that spell these words (worker/model/beam.ts).
// Beside it, "lexiconCounts": each word's count class, floor(log2(count))
// capped at 15, one hexadecimal digit per word (the typo corrector's prior
// for a word alone, worker/model/corrector.ts countPrior).
// The weights and their SHA-256 are untouched.
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const model = opt('model');
const minCount = Number(opt('min-count', 1));
const texts = [];
for (let i = args.indexOf('--text') + 1; i > 0 && i < args.length && !args[i].startsWith('--'); i++) texts.push(args[i]);
if (!model || texts.length === 0 || !(minCount >= 1)) {
  console.error('usage: node training/lexicon.mjs --model DIR --text DIR_OR_FILE... [--min-count 1]');
  process.exit(2);
}
const files = texts.flatMap((p) => (statSync(p).isDirectory() ? readdirSync(p).filter((f) => f.endsWith('.txt')).sort().map((f) => join(p, f)) : [p]));
const counts = new Map();
for (const f of files) {
  for (const m of readFileSync(f, 'utf8').matchAll(/[\p{L}\p{N}\p{M}'’]+/gu)) {
    if (m[0].length <= 64) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
  }
}
// Sorted by UTF-16 code units, as the format wants (the runtime searches it by halves).
const words = [...counts].filter(([, n]) => n >= minCount).map(([w]) => w).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
const path = join(model, 'model.json');
// model.json keeps one top-level key per line: the lexicon goes on its own line before the card.
const lines = readFileSync(path, 'utf8').split('\n').filter((l) => !l.startsWith('  "lexicon":') && !l.startsWith('  "lexiconCounts":'));
const card = lines.findIndex((l) => l.startsWith('  "card":'));
if (card < 0) throw new Error(`${path}: no "card" line to put the lexicon before`);
const classes = words.map((w) => Math.min(15, Math.floor(Math.log2(counts.get(w)))).toString(16)).join('');
lines.splice(card, 0, `  "lexicon": ${JSON.stringify(words)},`, `  "lexiconCounts": ${JSON.stringify(classes)},`);
const text = lines.join('\n');
JSON.parse(text); // still JSON
writeFileSync(path, text);
console.log(`${path}: lexicon of ${words.length} words (seen ≥ ${minCount}× in ${files.length} files)`);
