// Shared body of the golden tests: a fixture model must reproduce, after every
// character of a fixed text, PyTorch's next-character probabilities and, at
// the end, its final h (and c). Fixtures come from training/make_golden.py.
import { createPredictor } from '../dist/index.js';
import { GOLDEN, assert, assertClose, assertEqual, loadJson } from './helpers.js';

export function checkGolden(fixture, backend, tol) {
  return checkReference(`${GOLDEN}/${fixture}/`, `${GOLDEN}/${fixture}/expected.json`, backend, tol, fixture);
}

/**
 * Feeds the reference text one character at a time and compares every
 * next-character distribution (and the final state, when the reference has it).
 * Returns the largest absolute difference seen.
 */
export async function checkReference(modelUrl, expectedUrl, backend, tol, fixture = modelUrl) {
  const expected = await loadJson(expectedUrl);
  // adapt: false: these numbers are the network's own, compared with a reference (adaptation is tested in adapt-api.test.js).
  const predictor = await createPredictor({ adapt: false, model: modelUrl, backend, cache: false });
  try {
    assertEqual(predictor.backend.name, backend, 'backend in use');
    const manifest = await loadJson(`${modelUrl}model.json`);
    const V = manifest.vocab.length;
    const session = await predictor.session();
    const chars = Array.from(expected.text);
    assertEqual(chars.length, expected.probs.length, 'fixture text length');
    let worst = 0;
    for (let t = 0; t < chars.length; t++) {
      const fed = await session.feed(chars[t]);
      assertEqual(fed.steps, 1, `steps for one code point at ${t}`);
      const preds = await session.predict({ k: V });
      // Every vocabulary entry except index 0 (unknown) comes back, most probable first.
      assertEqual(preds.length, V - 1, `candidates at step ${t}`);
      for (let i = 1; i < preds.length; i++) assert(preds[i - 1].p >= preds[i].p, `sorted at step ${t}`);
      const byChar = new Map(preds.map((p) => [p.char, p.p]));
      const got = [];
      const want = [];
      for (let i = 1; i < V; i++) {
        got.push(byChar.get(String.fromCodePoint(manifest.vocab[i])));
        want.push(expected.probs[t][i]);
      }
      worst = Math.max(worst, assertClose(got, want, tol, `${fixture}/${backend}: probabilities after step ${t} (${JSON.stringify(chars[t])})`));
    }
    if (!expected.final) return worst;
    const state = await session.state();
    assertEqual(state.h.length, expected.final.h.length, 'layers in state');
    for (let l = 0; l < state.h.length; l++) {
      worst = Math.max(worst, assertClose(state.h[l], expected.final.h[l], tol, `${fixture}/${backend}: final h of layer ${l}`));
      if (expected.final.c) {
        worst = Math.max(worst, assertClose(state.c[l], expected.final.c[l], tol, `${fixture}/${backend}: final c of layer ${l}`));
      } else {
        assertEqual(state.c, null, `${fixture}: no cell state`);
      }
    }
    await session.dispose();
    return worst;
  } finally {
    await predictor.dispose();
  }
}
