// Prints raw and gzip sizes of the built bundles (run after `rollup -c`).
import { readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const files = ['dist/index.js', 'dist/widget.js', 'dist/worker.js', 'dist/tfjs-backend-wasm-simd.wasm'];
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log('\nbundle                                  raw        gzip');
for (const f of files) {
  const raw = readFileSync(f);
  console.log(`${f.padEnd(38)} ${kb(statSync(f).size).padStart(10)} ${kb(gzipSync(raw, { level: 9 }).length).padStart(10)}`);
}
