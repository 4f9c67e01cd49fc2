import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import esbuild from 'rollup-plugin-esbuild';

const require = createRequire(import.meta.url);
const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
// Not the threaded build: worker/backend.ts turns multithreading off (its
// pthread workers need importScripts, which our module worker lacks).
const wasmFiles = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'];

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

/**
 * Main-thread bundles target ES2022 so `#private` class members stay native
 * (lowered to WeakMaps they cost 0.4 KB gzip of dist/index.js): Chrome 84,
 * Firefox 90, Safari 15, all older than the module workers nextkey needs
 * (Firefox 114, Safari 15) but Chrome 80-83. The worker stays at ES2020.
 */
const plugins = ({ target = 'es2022', module = true } = {}) => [
  nodeResolve({ browser: true, extensions: ['.ts', '.js', '.mjs'] }),
  // tfjs' emscripten glue requires Node built-ins on a branch browsers never take.
  commonjs({ strictRequires: false, ignore: ['fs', 'path', 'os', 'perf_hooks', 'worker_threads', 'crypto'] }),
  esbuild({ target, tsconfig: 'tsconfig.json' }),
  terser({ ecma: 2020, module, compress: { passes: 2 }, format: { comments: false } }),
];

/**
 * The script-tag build has no `import.meta`. Its stand-in is the URL of the
 * <script> element that loaded it, read while the script first runs
 * (`document.currentScript` is null in any later callback), so the worker,
 * the wasm files and the default model are found beside the script wherever
 * it is served from, as the ES modules find them beside themselves.
 */
function scriptUrlAsImportMeta() {
  return {
    name: 'script-url-as-import-meta',
    resolveImportMeta(property, { format }) {
      if (format !== 'iife') return null;
      if (property === 'url') return 'nextkeyScriptUrl';
      throw new Error(`import.meta.${property} has no stand-in in the script-tag build`);
    },
  };
}
const scriptUrlIntro = `var nextkeyScriptUrl = (function (s) {
  return s && s.src ? s.src : typeof document !== 'undefined' ? document.baseURI : self.location.href;
})(typeof document !== 'undefined' ? document.currentScript : null);`;

/**
 * Source maps are written beside the bundles for local debugging but not
 * referenced from them ('hidden') and not published (package.json `files`):
 * a bundle pointing at a map that is not there makes DevTools warn on every
 * page that uses it.
 */
const sourcemap = 'hidden';

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
    // The core; fine-tuning's main-thread half is a chunk of its own
    // (dist/tuning.js), imported on the first fineTune() call.
    input: 'src/index.ts',
    // The chunk imports Comlink and the error classes from the entry itself
    // (extra exports) rather than from a third file the entry would re-export.
    preserveEntrySignatures: 'allow-extension',
    output: { dir: 'dist', entryFileNames: 'index.js', chunkFileNames: '[name].js', format: 'es', sourcemap },
    plugins: plugins(),
    onwarn,
  },
  {
    // The autocomplete widget: attach() and <nextkey-textarea>.
    input: 'src/widget/index.ts',
    external: externalSiblings('./widget.js'),
    output: { file: 'dist/widget.js', format: 'es', sourcemap, paths: siblingPaths },
    plugins: plugins(),
    onwarn,
  },
  {
    // Registers <nextkey-textarea> on import (the only entry with a side effect).
    input: 'src/widget/define.ts',
    external: externalSiblings('./element.js'),
    output: { file: 'dist/element.js', format: 'es', sourcemap, paths: siblingPaths },
    plugins: plugins(),
    onwarn,
  },
  {
    input: 'worker/index.ts',
    output: { file: 'dist/worker.js', format: 'es', sourcemap, inlineDynamicImports: true },
    plugins: [...plugins({ target: 'es2020' }), copyWasm()],
    onwarn,
  },
  {
    // <script src=".../dist/nextkey.min.js">: the global `nextkey` (core and
    // widget in one file, no imports), and <nextkey-textarea> registered.
    input: 'src/global.ts',
    output: { file: 'dist/nextkey.min.js', format: 'iife', name: 'nextkey', sourcemap, intro: scriptUrlIntro, inlineDynamicImports: true },
    plugins: [scriptUrlAsImportMeta(), ...plugins({ module: false })],
    onwarn,
  },
];
