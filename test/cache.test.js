// The IndexedDB weight cache, against the real IndexedDB of the browser. The
// test server counts requests, so "no network fetch" is observed, not assumed.
import { executeServerCommand } from '/node_modules/@web/test-runner-commands/browser/commands.mjs';
import { createPredictor } from '../dist/index.js';
import { GOLDEN, assert, assertEqual, idbRequest, requestCount, uniqueDb } from './helpers.js';

const MODEL = `${GOLDEN}/cifg/`;
const WEIGHTS = `${GOLDEN}/cifg/weights.bin`;

async function load(dbName, events = []) {
  const p = await createPredictor({ model: MODEL, backend: 'cpu', cache: { dbName }, onProgress: (e) => events.push(e) });
  const s = await p.session();
  await s.feed('the tea is hot');
  const preds = await s.predict({ k: 5 });
  await p.dispose();
  await new Promise((r) => setTimeout(r, 20)); // let progress messages land
  return { p, preds, events };
}

describe('IndexedDB weight cache', () => {
  it('a second predictor for the same model fetches no weights', async () => {
    const db = uniqueDb('hit');
    const before = await requestCount(WEIGHTS);
    const first = await load(db);
    assertEqual(await requestCount(WEIGHTS), before + 1, 'first load fetches the weights once');
    assert(first.events.some((e) => e.status === 'cache-store'), 'stored in the cache');
    const second = await load(db);
    assertEqual(await requestCount(WEIGHTS), before + 1, 'second load fetched nothing');
    const hit = second.events.find((e) => e.status === 'cache-hit');
    assertEqual(hit?.key, `v1:${first.p.model.sha256}`, 'cache key is format version + SHA-256');
    assert(!second.events.some((e) => e.status === 'fetch'), 'no fetch progress on a hit');
    assertEqual(second.preds, first.preds, 'same predictions from cached weights');
  });

  it('a corrupted entry is detected by its hash, refetched and replaced', async () => {
    const db = uniqueDb('corrupt');
    const good = await load(db);
    // Flip bytes of the stored weights directly in IndexedDB (same origin as the worker).
    const conn = await idbRequest(indexedDB.open(db));
    const store = conn.transaction('weights', 'readwrite').objectStore('weights');
    const key = `v1:${good.p.model.sha256}`;
    const entry = await idbRequest(store.get(key));
    const bytes = new Uint8Array(entry.bytes);
    for (let i = 0; i < 64; i++) bytes[i] ^= 0x5a;
    entry.bytes = bytes.buffer;
    await idbRequest(conn.transaction('weights', 'readwrite').objectStore('weights').put(entry));
    conn.close();

    const before = await requestCount(WEIGHTS);
    const again = await load(db);
    assertEqual(await requestCount(WEIGHTS), before + 1, 'refetched');
    assert(again.p.warnings.some((w) => w.code === 'cache-corrupt'), `warning: ${JSON.stringify(again.p.warnings)}`);
    assertEqual(again.preds, good.preds, 'predictions from the refetched weights');
    const third = await load(db);
    assertEqual(await requestCount(WEIGHTS), before + 1, 'the repaired entry is a hit again');
    assert(third.events.some((e) => e.status === 'cache-hit'), 'hit after repair');
  });

  it('when IndexedDB cannot be opened the model loads uncached with a warning', async () => {
    // A real IndexedDB failure: the database exists at a higher version than
    // the worker asks for, so its open() fails with a VersionError.
    const db = uniqueDb('unavailable');
    const conn = await idbRequest(indexedDB.open(db, 99));
    conn.close();
    const before = await requestCount(WEIGHTS);
    const a = await load(db);
    const b = await load(db);
    assertEqual(await requestCount(WEIGHTS), before + 2, 'fetched each time, uncached');
    const w = a.p.warnings.find((x) => x.code === 'cache-unavailable');
    assert(w && /VersionError/.test(w.message), `warning: ${JSON.stringify(a.p.warnings)}`);
    assertEqual(b.preds, a.preds, 'the model works');
  });

  it('cache: false never touches IndexedDB', async () => {
    const before = await requestCount(WEIGHTS);
    const p = await createPredictor({ model: MODEL, backend: 'cpu', cache: false });
    await p.dispose();
    const p2 = await createPredictor({ model: MODEL, backend: 'cpu', cache: false });
    await p2.dispose();
    assertEqual(await requestCount(WEIGHTS), before + 2, 'fetched twice');
    assertEqual(p2.warnings, [], 'no warnings');
  });

  it('an upgrade blocked by another tab\'s open connection: loads uncached with a warning instead of hanging', async () => {
    const db = uniqueDb('blocked');
    // Another "tab" holds version 1 open and ignores versionchange, so the worker's upgrade is blocked.
    const other = await idbRequest(indexedDB.open(db, 1));
    try {
      const a = await load(db);
      const w = a.p.warnings.find((x) => x.code === 'cache-unavailable');
      assert(w, `warning: ${JSON.stringify(a.p.warnings)}`);
      assert(a.preds.length === 5, 'the model works');
    } finally {
      other.close();
    }
  });

  it('over quota: the weights are not cached, the model works, and a warning names the quota error', async () => {
    const db = uniqueDb('quota');
    await executeServerCommand('set-storage-quota', { quota: 1, clearIndexedDB: true });
    let a;
    try {
      a = await load(db);
    } finally {
      await executeServerCommand('set-storage-quota', { quota: null });
    }
    const w = a.p.warnings.find((x) => x.code === 'cache-write-failed' || x.code === 'cache-unavailable');
    assert(w && /Quota/i.test(w.message), `warning: ${JSON.stringify(a.p.warnings)}`);
    assertEqual(a.preds.length, 5, 'the model works');
  });

  it('two predictors loading the same model at once leave one sound entry', async () => {
    const db = uniqueDb('race');
    const before = await requestCount(WEIGHTS);
    const [x, y] = await Promise.all([load(db), load(db)]);
    assertEqual(y.preds, x.preds, 'both work');
    assert((await requestCount(WEIGHTS)) <= before + 2, 'at most one fetch each');
    const z = await load(db);
    assert(z.events.some((e) => e.status === 'cache-hit'), 'then a hit');
    assert(!z.p.warnings.length, `no warnings: ${JSON.stringify(z.p.warnings)}`);
    assertEqual(z.preds, x.preds, 'same predictions from the cache');
  });
});
