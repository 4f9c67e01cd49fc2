import { tanh } from '@tensorflow/tfjs-core';
import { stackedCell } from './stacked.js';

/** Elman RNN (PyTorch nn.RNN, tanh): h' = tanh(W_ih x + b_ih + W_hh h + b_hh). */
export const rnn = stackedCell({
  name: 'rnn',
  gates: 1,
  hasCellState: false,
  fromPre: (_, pre) => ({ h: tanh(pre) }),
});
