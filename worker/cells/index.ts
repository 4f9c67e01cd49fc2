import type { CellType } from '../../src/protocol.js';
import { cifg } from './cifg.js';
import { gru } from './gru.js';
import { lstm } from './lstm.js';
import { peephole } from './peephole.js';
import { rnn } from './rnn.js';
import type { Cell } from './types.js';

/** Every cell type of model format v1, by its manifest name. */
export const cells: Record<CellType, Cell<unknown>> = {
  rnn: rnn as Cell<unknown>,
  lstm: lstm as Cell<unknown>,
  gru: gru as Cell<unknown>,
  peephole: peephole as Cell<unknown>,
  cifg: cifg as Cell<unknown>,
};

export type { Cell, LayerState, RawLayer, Unstacked } from './types.js';
