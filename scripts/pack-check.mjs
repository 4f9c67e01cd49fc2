// Checks what `npm publish` would ship (run after `npm run build`, by `npm test`):
// `npm pack --dry-run --json` must list exactly what users need (the bundles,
// their .d.ts types, the wasm binaries, the default model, README, LICENSE) and
// nothing else (no sources, tests, training code, corpus or source maps); every
// entry point in package.json and every file a bundle loads at run time must
// be in it. Exits 1 with the reasons otherwise.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8'));

const [pack] = JSON.parse(
  execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
);
const files = new Set(pack.files.map((f) => f.path));
const problems = [];

// Exactly these, plus the declaration files under dist/ (checked below).
const required = [
  'package.json',
  'README.md',
  'LICENSE',
  'dist/index.js',
  'dist/tuning.js', // fineTune()'s chunk, imported by index.js on first use
  'dist/generate.js', // session.generate()'s chunk
  'dist/cross-origin.js', // starting the worker from another origin (a CDN)'s chunk
  'dist/widget.js',
  'dist/element.js',
  'dist/worker.js',
  'dist/nextkey.min.js',
  'dist/tfjs-backend-wasm.wasm',
  'dist/tfjs-backend-wasm-simd.wasm',
  'dist/index.d.ts',
  'dist/widget/index.d.ts',
  'dist/widget/define.d.ts',
  'dist/global.d.ts',
  'models/default/model.json',
  'models/default/weights.bin',
  'models/default/README.md',
];
for (const f of required) if (!files.has(f)) problems.push(`missing: ${f}`);
for (const f of files) {
  if (!required.includes(f) && !/^dist\/([\w-]+\/)*[\w.-]+\.d\.ts$/.test(f)) problems.push(`should not be published: ${f}`);
}

// Every entry point package.json names.
const targets = [pkg.main, pkg.module, pkg.types, pkg.unpkg, pkg.jsdelivr];
const walk = (v) => (typeof v === 'string' ? targets.push(v) : Object.values(v ?? {}).forEach(walk));
walk(pkg.exports);
for (const t of targets) {
  if (t === undefined || t.includes('*')) continue;
  if (!files.has(posix.normalize(t))) problems.push(`package.json points at ${t}, which is not published`);
}
if (!pkg.exports?.['.'] || Object.keys(pkg.exports['.'])[0] !== 'types') problems.push('exports["."]: the "types" condition must come first');
for (const field of ['unpkg', 'jsdelivr']) if (pkg[field] !== './dist/nextkey.min.js') problems.push(`package.json ${field} must be ./dist/nextkey.min.js`);

/** Relative URLs a file refers to, resolved against the file's folder. */
function references(file, patterns) {
  const text = readFileSync(`${root}/${file}`, 'utf8');
  const out = [];
  for (const re of patterns) for (const m of text.matchAll(re)) out.push({ spec: m[1], path: posix.normalize(posix.join(posix.dirname(file), m[1])) });
  return out;
}
// Files a bundle imports or loads at run time (new URL('./worker.js', import.meta.url), '../models/default/').
for (const bundle of ['dist/index.js', 'dist/widget.js', 'dist/element.js', 'dist/nextkey.min.js']) {
  for (const { spec, path } of references(bundle, [/from\s*["'](\.{1,2}\/[^"']+)["']/g, /new URL\(\s*["'](\.{1,2}\/[^"']*)["']/g])) {
    const found = path.endsWith('/') || spec === './' ? [...files].some((f) => f.startsWith(path.replace(/\/?$/, '/'))) : files.has(path);
    if (!found) problems.push(`${bundle} refers to ${spec} (${path}), which is not published`);
  }
}
// Declarations a published declaration imports.
for (const dts of [...files].filter((f) => f.endsWith('.d.ts'))) {
  for (const { spec, path } of references(dts, [/(?:from|import\()\s*["'](\.{1,2}\/[^"']+)["']/g])) {
    if (!files.has(path.replace(/\.js$/, '.d.ts'))) problems.push(`${dts} imports ${spec}, whose declarations are not published`);
  }
}

const mb = (n) => `${(n / 1024 / 1024).toFixed(2)} MB`;
if (problems.length) {
  console.error(`pack-check: ${problems.length} problem(s) in the package ${pack.name}@${pack.version}:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`pack-check: ${pack.filename} holds ${files.size} files, ${mb(pack.size)} packed, ${mb(pack.unpackedSize)} unpacked: bundles, types, wasm, default model, README, LICENSE; nothing else.`);
