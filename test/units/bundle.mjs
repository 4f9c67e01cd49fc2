// A web-test-runner plugin for unit tests of the worker's own modules, which
// no public bundle exposes: GET /__units/<name>.js answers with test/units/<name>.entry.ts
// bundled (with tfjs) by esbuild, as the worker bundle is. One entry per test
// file, so the modules it re-exports share one tfjs engine.
import { build } from 'esbuild';

export function unitBundles() {
  return {
    name: 'unit-bundles',
    async serve(context) {
      const m = context.path.match(/^\/__units\/([\w-]+)\.js$/);
      if (!m) return undefined;
      const out = await build({
        entryPoints: [`test/units/${m[1]}.entry.ts`],
        bundle: true,
        write: false,
        format: 'esm',
        platform: 'browser',
        target: 'es2020',
        logLevel: 'silent',
        // tfjs' emscripten glue requires Node built-ins on a branch browsers never take.
        external: ['fs', 'path', 'os', 'perf_hooks', 'worker_threads', 'crypto'],
      });
      return { body: out.outputFiles[0].text, type: 'js' };
    },
  };
}
