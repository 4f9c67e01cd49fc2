// The offline-training round trip (scripts/roundtrip.sh, run by `npm test`
// before the browser tests): a model trained for a few steps by
// training/train.py and exported by training/export.py loads in the browser
// and predicts what PyTorch predicts.
import { createPredictor } from '../dist/index.js';
import { assert, assertEqual, loadJson } from './helpers.js';
import { checkReference } from './golden.js';

const DIR = '/test-artifacts/roundtrip';

describe('train -> export -> browser round trip', () => {
  for (const backend of ['cpu', 'wasm']) {
    it(`the freshly trained model matches PyTorch within 1e-4 on ${backend}`, async () => {
      const worst = await checkReference(`${DIR}/model/`, `${DIR}/expected.json`, backend, 1e-4, 'roundtrip');
      assert(worst <= 1e-4, `max abs difference ${worst}`);
    });
  }

  it('its manifest carries the vocabulary and card the trainer wrote, and it predicts', async () => {
    const manifest = await loadJson(`${DIR}/model/model.json`);
    assertEqual(manifest.cell, 'lstm', 'cell');
    assertEqual(manifest.hiddenSizes, [24, 24], 'hidden sizes');
    assert(manifest.vocab.length > 30, `vocab ${manifest.vocab.length}`);
    // adapt: false: these numbers are the network's own, compared with a reference (adaptation is tested in adapt-api.test.js).
    const p = await createPredictor({ adapt: false, model: `${DIR}/model/`, backend: 'wasm', cache: false });
    try {
      const s = await p.session();
      const u = await s.setText('the model');
      assertEqual(u.predictions.length, 5, 'predictions');
      assert(Math.abs(u.predictions.reduce((a, x) => a + x.p, 0)) <= 1, 'probabilities');
    } finally {
      await p.dispose();
    }
  });
});
