// Parity of the shipped default model: the TypeScript runtime in the browser
// must give PyTorch's next-character probabilities (training/parity.py wrote
// the reference from the same model files) on a fixed text.
import { assert, assertEqual, loadJson } from './helpers.js';
import { checkReference } from './golden.js';

const MODEL = '/models/default/';
const REFERENCE = '/test/fixtures/parity/default.json';

describe('default model parity with PyTorch', () => {
  it('the reference was made from the shipped weights', async () => {
    const [manifest, ref] = await Promise.all([loadJson(`${MODEL}model.json`), loadJson(REFERENCE)]);
    assertEqual(ref.sha256, manifest.weights.sha256, 'reference SHA-256 (regenerate with training/parity.py after re-exporting)');
  });

  for (const [backend, tol] of [
    ['wasm', 1e-4],
    ['cpu', 1e-4],
    ['webgl', 1e-3],
  ]) {
    it(`${backend}: every step's probabilities within ${tol}`, async () => {
      const worst = await checkReference(MODEL, REFERENCE, backend, tol, 'default');
      assert(worst <= tol, `max abs difference ${worst}`);
      console.log(`default model parity on ${backend}: max abs difference ${worst.toExponential(2)}`);
    });
  }
});
