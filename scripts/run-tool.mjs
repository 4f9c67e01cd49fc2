// Runs a TypeScript tool from tools/ in Node: bundles it (and the worker
// runtime it imports) with esbuild into node_modules/.cache, then calls main().
import { mkdirSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-tool.mjs tools/NAME.ts [args...]');
  process.exit(2);
}
const outDir = resolve('node_modules/.cache/nextkey-tools');
mkdirSync(outDir, { recursive: true });
const outfile = resolve(outDir, basename(entry).replace(/\.ts$/, '.mjs'));
await build({
  entryPoints: [entry],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile,
  logLevel: 'warning',
  // tfjs' emscripten glue is CommonJS and expects require/__dirname.
  banner: {
    js: "import { createRequire as __nkRequire } from 'module'; import { fileURLToPath as __nkPath } from 'url'; import { dirname as __nkDir } from 'path'; const require = __nkRequire(import.meta.url); const __filename = __nkPath(import.meta.url); const __dirname = __nkDir(__filename);",
  },
});
const tool = await import(pathToFileURL(outfile).href);
try {
  await tool.main(args);
} catch (error) {
  console.error(`${basename(entry, '.ts')}: ${error.message}`);
  process.exit(1);
}
