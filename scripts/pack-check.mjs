// Checks what `npm publish` would ship (run after `npm run build`, by `npm test`):
// `npm pack --dry-run --json` must list exactly what users need (the bundles,
// their .d.ts types, the wasm binaries, the default model, README, LICENSE,
// docs/) and nothing else (no sources, tests, training code, corpus or source
// maps); every entry point in package.json and every file a bundle loads at
// run time must be in it; the README's links must work on the registry's page
// (absolute, images from the published files). Then the packed tarball is
// installed into an empty project with the network off (`npm install
// --offline`): it must bring exactly one package under 5 MB, and a TypeScript
// file importing every entry point must type-check against it with
// skipLibCheck off. Exits 1 with the reasons otherwise.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
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
  if (!required.includes(f) && !/^dist\/([\w-]+\/)*[\w.-]+\.d\.ts$/.test(f) && !/^docs\/[\w.-]+\.(md|png)$/.test(f)) problems.push(`should not be published: ${f}`);
}
for (const field of ['repository', 'homepage', 'bugs']) if (!pkg[field]) problems.push(`package.json has no ${field}`);
for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
  if (Object.keys(pkg[field] ?? {}).length) problems.push(`package.json ${field}: the bundles include everything they use; installing nextkey must pull nothing else`);
}
if (!/^[\w.-]+( AND [\w.-]+)*$/.test(pkg.license ?? '')) problems.push(`package.json license must be an SPDX expression, got ${pkg.license}`);

// README links: on the registry's page a relative link goes nowhere. Images
// come from the published files through jsDelivr (this version), other links
// go to the repository at this version's tag; both must name a file that exists.
const readme = readFileSync(`${root}/README.md`, 'utf8');
const repo = String(pkg.repository?.url ?? '').replace(/^git\+/, '').replace(/\.git$/, '');
const cdnBase = `https://cdn.jsdelivr.net/npm/${pkg.name}@${pkg.version}/`;
const blobBase = `${repo}/blob/v${pkg.version}/`;
for (const m of readme.matchAll(/(!?)\[[^\]]*\]\(([^)\s]+)\)/g)) {
  const [, bang, href] = m;
  const [path] = href.split('#');
  if (bang) {
    if (!path.startsWith(cdnBase)) problems.push(`README image ${href}: use ${cdnBase}<file> (a published file)`);
    else if (!files.has(path.slice(cdnBase.length))) problems.push(`README image ${href}: ${path.slice(cdnBase.length)} is not published`);
  } else if (path.startsWith(blobBase) || path.startsWith(`${repo}/tree/v${pkg.version}/`)) {
    const local = path.slice(blobBase.length);
    if (!existsSync(`${root}/${local}`)) problems.push(`README link ${href}: ${local} is not in the repository`);
  } else if (!/^https?:\/\//.test(href)) {
    problems.push(`README link ${href} is relative: link ${blobBase}<file> so it works on the registry's page`);
  }
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

// Installed as a user would, into an empty project, offline.
const work = mkdtempSync(join(tmpdir(), 'nextkey-pack-'));
let installed = '';
try {
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  const app = join(work, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', join(work, packed.filename)], {
    cwd: app,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_cache: join(work, 'empty-cache') },
  });
  const packages = [];
  const modules = join(app, 'node_modules');
  for (const e of readdirSync(modules)) {
    if (e.startsWith('.')) continue;
    if (e.startsWith('@')) for (const s of readdirSync(join(modules, e))) packages.push(`${e}/${s}`);
    else packages.push(e);
  }
  const size = (p) => (statSync(p).isDirectory() ? readdirSync(p).reduce((n, e) => n + size(join(p, e)), 0) : statSync(p).size);
  const bytes = size(modules);
  if (packages.length !== 1 || packages[0] !== pkg.name) problems.push(`installing the tarball pulled ${packages.length} packages (${packages.join(', ')}); want only ${pkg.name}`);
  if (bytes >= 5 * 1024 * 1024) problems.push(`installing the tarball takes ${mb(bytes)}; the budget is 5 MB`);
  // The published types must stand alone: no import of a package that is not installed.
  writeFileSync(
    join(app, 'use.ts'),
    `import { createPredictor, ModelFetchError, type Predictor } from '${pkg.name}';
import { attach, defineNextkeyElements, type AutocompleteHandle } from '${pkg.name}/widget';
import '${pkg.name}/element';
const p: Promise<Predictor> = createPredictor({ backend: 'wasm' });
const h: AutocompleteHandle = attach(document.createElement('textarea'), { predictor: p });
export { ModelFetchError, defineNextkeyElements, h };
`,
  );
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'es2022', module: 'esnext', moduleResolution: 'bundler', strict: true, noEmit: true, skipLibCheck: false, lib: ['es2022', 'dom'], types: [] }, files: ['use.ts'] }),
  );
  try {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', app], { cwd: app, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    problems.push(`the installed package's types do not type-check on their own:\n    ${String(e.stdout || e.stderr).trim().split('\n').join('\n    ')}`);
  }
  installed = `; installed offline into an empty project: ${packages.length} package, ${mb(bytes)}, its types check on their own`;
} catch (e) {
  problems.push(`npm pack / npm install --offline of the tarball failed: ${String(e.stderr || e.message).trim()}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

if (problems.length) {
  console.error(`pack-check: ${problems.length} problem(s) in the package ${pack.name}@${pack.version}:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`pack-check: ${pack.filename} holds ${files.size} files, ${mb(pack.size)} packed, ${mb(pack.unpackedSize)} unpacked: bundles, types, wasm, default model, docs, README, LICENSE; nothing else${installed}.`);
