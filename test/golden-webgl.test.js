import { CELLS } from './helpers.js';
import { checkGolden } from './golden.js';

describe('golden: every cell matches PyTorch on webgl', () => {
  for (const cell of CELLS) {
    it(`${cell}: probabilities at every step and final state within 1e-3`, async () => {
      await checkGolden(cell, 'webgl', 1e-3);
    });
  }
});
