// Bundles the benchmark's baseline worker (tfjs-layers with stock backends).
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import esbuild from 'rollup-plugin-esbuild';

export default {
  input: 'bench/baselines-worker.ts',
  output: { file: 'bench/dist/baselines-worker.js', format: 'es', inlineDynamicImports: true },
  plugins: [
    nodeResolve({ browser: true, extensions: ['.ts', '.js', '.mjs'] }),
    commonjs({ strictRequires: false, ignore: ['fs', 'path', 'os', 'perf_hooks', 'worker_threads', 'crypto'] }),
    esbuild({ target: 'es2020', tsconfig: 'tsconfig.json' }),
  ],
  onwarn(warning, warn) {
    if (warning.code === 'THIS_IS_UNDEFINED' || warning.code === 'CIRCULAR_DEPENDENCY' || warning.code === 'EVAL') return;
    warn(warning);
  },
};
