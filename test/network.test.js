// Model downloads over a bad network, against a real test server: HTTP errors,
// flaky 503s (retried with backoff), stalled downloads (timed out, retried,
// nothing cached) and loads aborted with an AbortSignal.
import { ModelFetchError, createPredictor } from '../dist/index.js';
import { GOLDEN, assert, assertEqual, assertRejects, idbRequest, requestCount, serve, uniqueDb } from './helpers.js';

/** A copy of a golden model under /__store/<name>/. */
async function stored(name) {
  for (const file of ['model.json', 'weights.bin']) {
    await serve(`${name}/${file}`, await (await fetch(`${GOLDEN}/gru/${file}`)).arrayBuffer());
  }
}

describe('network failures', () => {
  it('HTTP 503 twice, then success: retried with backoff, the model loads', async () => {
    const name = `net-flaky-${Date.now()}`;
    await stored(name);
    const base = `/__flaky/2/${name}/`;
    const p = await createPredictor({ model: base, backend: 'cpu', cache: false });
    const s = await p.session();
    assert((await s.setText('the tea')).predictions.length > 0, 'predicts');
    assertEqual(await requestCount(`${base}model.json`), 3, 'model.json: two 503s and the answer');
    assertEqual(await requestCount(`${base}weights.bin`), 3, 'weights.bin: two 503s and the answer');
    await p.dispose();
  });

  it('HTTP 503 with retries: 0 fails at once with ModelFetchError naming the URL and status', async () => {
    const name = `net-noretry-${Date.now()}`;
    await stored(name);
    const base = `/__flaky/5/${name}/`;
    await assertRejects(createPredictor({ model: base, backend: 'cpu', cache: false, retries: 0 }), ModelFetchError, new RegExp(`${base}model\\.json: HTTP 503`), '503');
    assertEqual(await requestCount(`${base}model.json`), 1, 'one attempt');
  });

  it('HTTP 404 is not retried', async () => {
    const base = `/__store/net-missing-${Date.now()}/`;
    await assertRejects(createPredictor({ model: base, backend: 'cpu', cache: false }), ModelFetchError, /model\.json: HTTP 404/, '404');
    assertEqual(await requestCount(`${base}model.json`), 1, 'one attempt');
  });

  it('a stalled download times out, is retried, fails with ModelFetchError, and leaves nothing in the cache', async () => {
    const name = `net-stall-${Date.now()}`;
    await stored(name);
    const base = `/__stall/${name}/`;
    const dbName = uniqueDb('stall');
    const error = await assertRejects(
      createPredictor({ model: base, backend: 'cpu', cache: { dbName }, timeoutMs: 400, retries: 1 }),
      ModelFetchError,
      /weights\.bin: stalled: no data for 400 ms after \d+ bytes \(2 attempts\)/,
      'stall',
    );
    assert(error.message.includes(`${base}weights.bin`), 'names the URL');
    assertEqual(await requestCount(`${base}weights.bin`), 2, 'one retry');
    const db = await idbRequest(indexedDB.open(dbName));
    const names = [...db.objectStoreNames];
    const entries = names.includes('weights') ? await idbRequest(db.transaction('weights').objectStore('weights').count()) : 0;
    db.close();
    assertEqual(entries, 0, 'no half-written cache entry');
  });

  it('an AbortSignal cancels a load in progress with its reason', async () => {
    const name = `net-abort-${Date.now()}`;
    await stored(name);
    const controller = new AbortController();
    const loading = createPredictor({ model: `/__stall/${name}/`, backend: 'cpu', cache: false, signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    let error;
    try {
      await loading;
    } catch (e) {
      error = e;
    }
    assertEqual(error?.name, 'AbortError', 'rejects with the signal reason');
    const already = AbortSignal.abort();
    let early;
    try {
      await createPredictor({ model: `/__store/${name}/`, signal: already });
    } catch (e) {
      early = e;
    }
    assertEqual(early?.name, 'AbortError', 'an aborted signal rejects before starting');
  });
});
