// Checks the source layout README's "Layout" section describes (run by `npm test`):
// the worker's own tfjs kernels live in worker/kernels/, the fine-tuning
// worker and its training code in worker/train/, and the worker's top level
// holds only the runtime (backend choice, loading, cache, sessions). Exits 1
// naming each file out of place.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const problems = [];

function* files(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (e.name.endsWith('.ts')) yield relative(root, p).split('\\').join('/');
  }
}

for (const file of files(join(root, 'worker'))) {
  const text = readFileSync(join(root, file), 'utf8');
  // A kernel is a tfjs KernelConfig: an object with kernelName and kernelFunc.
  if (/\bkernelFunc\s*[:(]/.test(text) && !file.startsWith('worker/kernels/')) problems.push(`${file} defines a tfjs kernel: move it under worker/kernels/`);
  if (/\bTRAINER_NAME\s*=/.test(text) && !file.startsWith('worker/train/')) problems.push(`${file} is the fine-tuning worker: move it under worker/train/`);
  if (/^worker\/[^/]+\.ts$/.test(file) && /(kernel|trainer|matmul|fused|slice)/i.test(file)) problems.push(`${file}: kernels belong in worker/kernels/, training in worker/train/`);
}
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const layout = /^## Layout\n([\s\S]*?)\n## /m.exec(readme)?.[1] ?? '';
for (const dir of ['src/widget/', 'worker/kernels/', 'worker/train/', 'worker/cells/', 'worker/model/', 'training/', 'test/', 'examples/', 'docs/']) {
  if (!layout.includes(dir)) problems.push(`README.md's Layout section does not name ${dir}`);
}
if (problems.length) {
  console.error(`layout-check: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('layout-check: kernels in worker/kernels/, training in worker/train/, README Layout names every part.');
