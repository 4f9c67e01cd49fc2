// Runs in Chromium started with --disable-gpu --disable-software-rasterizer:
// no WebGL at all, as on a machine with a blocklisted GPU.
import { BackendError, createPredictor } from '../../dist/index.js';
import { GOLDEN, assert, assertEqual } from '../helpers.js';

const MODEL = `${GOLDEN}/gru/`;

describe('backend fallback without WebGL', () => {
  it("'auto' skips webgl with a reason and runs on wasm", async () => {
    const p = await createPredictor({ model: MODEL, cache: false });
    try {
      assertEqual(p.backend.name, 'wasm', 'backend');
      assertEqual(p.backend.skipped.map((s) => s.name), ['webgl'], 'skipped');
      assert(/WebGL/i.test(p.backend.skipped[0].reason), p.backend.skipped[0].reason);
      const s = await p.session();
      await s.feed('the tea');
      assertEqual((await s.predict({ k: 3 })).length, 3, 'predicts');
    } finally {
      await p.dispose();
    }
  });

  it("'auto' falls through to cpu when the wasm binaries cannot be loaded, and says why", async () => {
    const p = await createPredictor({ model: MODEL, cache: false, wasmBaseUrl: '/no-such-folder/' });
    try {
      assertEqual(p.backend.name, 'cpu', 'backend');
      assertEqual(p.backend.skipped.map((s) => s.name), ['webgl', 'wasm'], 'skipped');
      assert(/no-such-folder/.test(p.backend.skipped[1].reason), p.backend.skipped[1].reason);
    } finally {
      await p.dispose();
    }
  });

  it("an explicit 'webgl' request fails with BackendError naming the reason", async () => {
    let error;
    try {
      await createPredictor({ model: MODEL, backend: 'webgl', cache: false });
    } catch (e) {
      error = e;
    }
    assert(error instanceof BackendError, `got ${error?.name}: ${error?.message}`);
    assert(/webgl/i.test(error.message), error.message);
  });
});
