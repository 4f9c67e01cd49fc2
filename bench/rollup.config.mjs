// Bundles the benchmark's baseline workers (tfjs-layers with stock backends):
// per-keystroke inference baselines, and the model.fit fine-tuning baseline.
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import esbuild from 'rollup-plugin-esbuild';

const worker = (name) => ({
  input: `bench/${name}.ts`,
  output: { file: `bench/dist/${name}.js`, format: 'es', inlineDynamicImports: true },
  plugins: [
    nodeResolve({ browser: true, extensions: ['.ts', '.js', '.mjs'] }),
    commonjs({ strictRequires: false, ignore: ['fs', 'path', 'os', 'perf_hooks', 'worker_threads', 'crypto'] }),
    esbuild({ target: 'es2020', tsconfig: 'tsconfig.json' }),
  ],
  onwarn(warning, warn) {
    if (warning.code === 'THIS_IS_UNDEFINED' || warning.code === 'CIRCULAR_DEPENDENCY' || warning.code === 'EVAL') return;
    warn(warning);
  },
});

export default [worker('baselines-worker'), worker('fit-worker')];
