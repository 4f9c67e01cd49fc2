import { CELLS } from './helpers.js';
import { checkGolden } from './golden.js';

describe('golden: every cell matches PyTorch on cpu', () => {
  for (const cell of CELLS) {
    it(`${cell}: probabilities at every step and final state within 1e-5`, async () => {
      await checkGolden(cell, 'cpu', 1e-5);
    });
  }
});

describe('golden: quantised weights decode exactly', () => {
  // Expected values were computed by PyTorch from the dequantised weights, so
  // these check the float16 and int8 decoders, not the quantisation error.
  for (const fixture of ['lstm-f16', 'lstm-i8']) {
    it(`${fixture} matches PyTorch within 1e-5`, async () => {
      await checkGolden(fixture, 'cpu', 1e-5);
    });
  }
});
