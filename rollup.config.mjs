import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import esbuild from 'rollup-plugin-esbuild';

const require = createRequire(import.meta.url);
const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
const wasmFiles = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

/** Ships tfjs' wasm binaries next to the worker, so nothing loads from a remote CDN. */
function copyWasm() {
  return {
    name: 'copy-wasm',
    generateBundle() {
      for (const fileName of wasmFiles) {
        this.emitFile({ type: 'asset', fileName, source: readFileSync(join(wasmDir, fileName)) });
      }
    },
  };
}

const plugins = () => [
  nodeResolve({ browser: true, extensions: ['.ts', '.js', '.mjs'] }),
  // tfjs' emscripten glue requires Node built-ins on a branch browsers never take.
  commonjs({ strictRequires: false, ignore: ['fs', 'path', 'os', 'perf_hooks', 'worker_threads', 'crypto'] }),
  esbuild({ target: 'es2020', tsconfig: 'tsconfig.json' }),
  terser({ ecma: 2020, module: true, format: { comments: false } }),
];

const onwarn = (warning, warn) => {
  // tfjs' own sources use `this` at module level and circular imports; neither is ours to fix.
  if (warning.code === 'THIS_IS_UNDEFINED' || warning.code === 'CIRCULAR_DEPENDENCY') return;
  warn(warning);
};

/**
 * The widget bundles import the core through src/index.ts, and element.js the
 * widget through src/widget/index.ts; at run time those are the bundles beside
 * them (one copy of the Comlink client and of the error classes, so
 * `instanceof` holds across bundles).
 */
const siblings = { [resolve('src/index.ts')]: './index.js', [resolve('src/widget/index.ts')]: './widget.js' };
const bundleOf = (id, importer) => siblings[resolve(importer ? dirname(importer) : '.', id).replace(/\.js$/, '.ts')];
/** Imports of the other bundles stay imports, of the built file beside this one. */
const externalSiblings = (self) => (id, importer) => {
  const bundle = bundleOf(id, importer);
  return !!bundle && bundle !== self;
};
const siblingPaths = (id) => bundleOf(id) ?? id;

export default [
  {
    input: 'src/index.ts',
    output: { file: 'dist/index.js', format: 'es', sourcemap: true },
    plugins: plugins(),
    onwarn,
  },
  {
    // The autocomplete widget: attach() and <nextkey-textarea>.
    input: 'src/widget/index.ts',
    external: externalSiblings('./widget.js'),
    output: { file: 'dist/widget.js', format: 'es', sourcemap: true, paths: siblingPaths },
    plugins: plugins(),
    onwarn,
  },
  {
    // Registers <nextkey-textarea> on import (the only entry with a side effect).
    input: 'src/widget/define.ts',
    external: externalSiblings('./element.js'),
    output: { file: 'dist/element.js', format: 'es', sourcemap: true, paths: siblingPaths },
    plugins: plugins(),
    onwarn,
  },
  {
    input: 'worker/index.ts',
    output: { file: 'dist/worker.js', format: 'es', sourcemap: true, inlineDynamicImports: true },
    plugins: [...plugins(), copyWasm()],
    onwarn,
  },
];
