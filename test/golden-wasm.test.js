import { CELLS } from './helpers.js';
import { checkGolden } from './golden.js';

describe('golden: every cell matches PyTorch on wasm', () => {
  for (const cell of CELLS) {
    it(`${cell}: probabilities at every step and final state within 1e-5`, async () => {
      await checkGolden(cell, 'wasm', 1e-5);
    });
  }
});
