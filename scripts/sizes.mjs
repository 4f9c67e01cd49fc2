// Sizes of what ships, against their budgets, and Subresource Integrity hashes
// of the files pages load with a tag. `node scripts/sizes.mjs` (run by `npm run
// build`) prints both and flags a file over its budget; with `--strict` it
// then exits 1. Other scripts (bench) import bundleSizes() and integrityHashes().
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const KB = 1024;
const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/**
 * What is measured, and its gzip budget in bytes (null: measured, no budget).
 * A folder counts as the sum of its files, each gzipped on its own, as served.
 */
const BUDGETS = [
  // 6 KB: watching the worker's life from its creation, call timeouts, bounded restarts and typed rejections (issue 17) took it from 5.0 to 5.5 KB.
  // 6.5 KB: session.corrections() (issue 20) took it to 6.3 KB.
  { file: 'dist/index.js', budget: 6.5 * KB },
  // 8.5 KB: suggestions mid-line, drawn in a callout beside the caret's line (issue 19), took it from 7.1 to 8.1 KB.
  // 9.5 KB: corrections offered in a callout, accepted with a key, taken back with Backspace, and autocorrect (issue 20) took it to 9.2 KB.
  { file: 'dist/widget.js', budget: 9.5 * KB },
  { file: 'dist/element.js', budget: 1 * KB },
  // 13 KB: the widget's status, error event and console advice (issue 16) took it from 11.6 to 12.2 KB.
  // 13.5 KB: createPredictor({ adapt }) and predictor.forget() (issue 18) took it from 12.8 to 13.0 KB.
  // 14.5 KB: the widget's mid-line suggestions and callout (issue 19) took it from 13.0 to 14.1 KB.
  // 16 KB: session.corrections() and the widget's corrections (issue 20) took it to 15.5 KB.
  { file: 'dist/nextkey.min.js', budget: 16 * KB },
  // 124 KB: adaptation to the user's text (worker/adapt/, issue 18) took it to 120.9 KB.
  // 126 KB: the combining head's hidden layer (issue 19) took it to 124.2 KB.
  // 128 KB: the typo corrector (issue 20) took it to 126.8 KB.
  // 130 KB: mid-line completions ranked by the text after the caret (fitRight, issue 19) took it to 128.4 KB.
  // 131 KB: the corrector's near words and its lexicon's counts for a word alone (issue 20) took it from 129.8 to 130.4 KB.
  { file: 'dist/worker.js', budget: 131 * KB },
  { file: 'dist/tfjs-backend-wasm-simd.wasm', budget: null },
  // 2 MiB + 64 KiB: the typo corrector (issue 20; int8, about 150 KB gzipped), with the bidirectional
  // part moved to int8 (113 KB less, gap filling unchanged: models/default/README.md), took it to 2,063 KB;
  // the lexicon's count classes (lexiconCounts, issue 20: 37 KB) to 2,101 KB.
  { file: 'models/default/', parts: ['model.json', 'weights.bin'], budget: 2 * KB * KB + 64 * KB },
];

/** Files a page loads with a <script> tag, so worth an integrity attribute. */
const TAGGED = ['dist/nextkey.min.js', 'dist/index.js', 'dist/widget.js', 'dist/element.js'];

const gzipBytes = (buf) => gzipSync(buf, { level: 9 }).length;

/**
 * One row per shipped file (or the default model's folder): raw bytes, gzip
 * bytes (level 9, the file exactly as shipped) and the gzip budget in bytes
 * (null where there is none). Run after a build; throws if a file is missing.
 */
export function bundleSizes({ root = ROOT } = {}) {
  return BUDGETS.map(({ file, parts, budget }) => {
    const bufs = (parts ?? ['']).map((p) => readFileSync(join(root, file, p)));
    return {
      file,
      raw: bufs.reduce((n, b) => n + b.length, 0),
      gzip: bufs.reduce((n, b) => n + gzipBytes(b), 0),
      budget,
    };
  });
}

/** The value for an `integrity` attribute: sha384 of the file's bytes, base64. */
export function integrityOf(path) {
  return `sha384-${createHash('sha384').update(readFileSync(path)).digest('base64')}`;
}

/** `{ file, integrity }` for each file loaded with a script tag (see TAGGED). */
export function integrityHashes({ root = ROOT } = {}) {
  return TAGGED.map((file) => ({ file, integrity: integrityOf(join(root, file)) }));
}

const kb = (n) => `${(n / KB).toFixed(1)} KB`;

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rows = bundleSizes();
  console.log(`\n${'file'.padEnd(34)} ${'raw'.padStart(10)} ${'gzip'.padStart(10)} ${'budget'.padStart(10)}`);
  const over = [];
  for (const { file, raw, gzip, budget } of rows) {
    const verdict = budget === null ? '' : gzip <= budget ? '  ok' : '  OVER BUDGET';
    if (budget !== null && gzip > budget) over.push(file);
    console.log(`${file.padEnd(34)} ${kb(raw).padStart(10)} ${kb(gzip).padStart(10)} ${(budget === null ? '-' : kb(budget)).padStart(10)}${verdict}`);
  }
  console.log('\nSubresource Integrity (integrity="…" crossorigin="anonymous"):');
  for (const { file, integrity } of integrityHashes()) console.log(`${file.padEnd(22)} ${integrity}`);
  if (over.length) {
    console.error(`\nover the gzip budget: ${over.join(', ')} (budgets in scripts/sizes.mjs)`);
    if (process.argv.includes('--strict')) process.exitCode = 1;
  }
}
