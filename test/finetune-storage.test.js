// Saved models in IndexedDB: save, list, delete, names, storage failures
// (a real QuotaExceededError, provoked through the DevTools protocol), the
// schema upgrade from version 1, and the base model's cache entry untouched.
import { executeServerCommand } from '/node_modules/@web/test-runner-commands/browser/commands.mjs';
import { createPredictor, InvalidArgumentError, ModelFetchError, StorageError } from '../dist/index.js';
import { GOLDEN, assert, assertEqual, assertRejects, uniqueDb } from './helpers.js';

const MODEL = `${GOLDEN}/cifg/`;
const TEXT = 'the tea is hot. the hat is red. the dog ate the tea. '.repeat(30);
const TUNE = { epochs: 1, seqLength: 16, batchSize: 4, learningRate: 0.01 };

function idb(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function predictions(predictor, text = 'the hat') {
  const s = await predictor.session();
  await s.feed(text);
  const p = await s.predict({ k: 39 });
  await s.dispose();
  return p;
}

describe('saved models', () => {
  it('save, list, load, delete', async () => {
    const dbName = uniqueDb('saved');
    const p = await createPredictor({ model: MODEL, backend: 'cpu', cache: { dbName } });
    try {
      assertEqual(await p.listSavedModels(), [], 'nothing saved yet');
      await p.fineTune(TEXT, TUNE);
      const a = await p.save('shop-notes_v1.2');
      const b = await p.save('alpha');
      const list = await p.listSavedModels();
      assertEqual(list.map((m) => m.name), ['alpha', 'shop-notes_v1.2'], 'listed by name');
      assertEqual(list[1], a, 'list entry equals what save() returned');
      assert(a.savedAt <= b.savedAt && a.weightsBytes > 0 && a.url === 'idb://shop-notes_v1.2', `info ${JSON.stringify({ ...a, card: '…' })}`);
      const again = await p.save('alpha');
      assertEqual((await p.listSavedModels()).length, 2, 'saving under an existing name replaces it');
      assertEqual(again.sha256, b.sha256, 'same weights, same hash');

      const loaded = await createPredictor({ model: 'idb://alpha', backend: 'cpu', cache: { dbName } });
      assertEqual(await predictions(loaded), await predictions(p), 'loads with the tuned predictions');
      await loaded.dispose();

      assertEqual(await p.deleteSavedModel('alpha'), true, 'deleted');
      assertEqual(await p.deleteSavedModel('alpha'), false, 'already gone');
      assertEqual((await p.listSavedModels()).map((m) => m.name), ['shop-notes_v1.2'], 'list after delete');
      await assertRejects(createPredictor({ model: 'idb://alpha', backend: 'cpu', cache: { dbName } }), ModelFetchError, /no saved model named "alpha".*shop-notes_v1\.2/, 'loading a deleted model');
    } finally {
      await p.dispose();
    }
  });

  it('names are validated', async () => {
    const p = await createPredictor({ model: MODEL, backend: 'cpu', cache: { dbName: uniqueDb('names') } });
    try {
      for (const bad of ['', 'has space', '../up', 'x'.repeat(65), 'ünï', 7]) {
        await assertRejects(p.save(bad), InvalidArgumentError, /name must be/, `save(${JSON.stringify(bad)})`);
        await assertRejects(p.deleteSavedModel(bad), InvalidArgumentError, /name must be/, `delete(${JSON.stringify(bad)})`);
      }
      await assertRejects(createPredictor({ model: 'idb://a/b', backend: 'cpu' }), InvalidArgumentError, /name must be/, 'idb:// url');
    } finally {
      await p.dispose();
    }
  });

  it('a quota error on save is a StorageError that says so; the model keeps working and saves once there is room', async () => {
    const dbName = uniqueDb('quota');
    const p = await createPredictor({ model: MODEL, backend: 'cpu', cache: { dbName } });
    try {
      await p.fineTune(TEXT, TUNE);
      const tuned = await predictions(p);
      // Chromium caches an origin's free quota for a while; dropping the origin's IndexedDB data makes it look again.
      await executeServerCommand('set-storage-quota', { quota: 1, clearIndexedDB: true });
      try {
        await assertRejects(p.save('too-big'), StorageError, /QuotaExceededError.*deleteSavedModel.*keeps working/, 'save over quota');
      } finally {
        await executeServerCommand('set-storage-quota', { quota: null });
      }
      assertEqual(await predictions(p), tuned, 'the tuned model in memory still answers');
      assertEqual(await p.listSavedModels(), [], 'nothing half-stored');
      await p.save('fits');
      assertEqual((await p.listSavedModels()).map((m) => m.name), ['fits'], 'saved once the quota allows');
    } finally {
      await p.dispose();
    }
  });

  it('when IndexedDB cannot be opened, save is a StorageError and the model keeps working', async () => {
    // A real failure: the database exists at a higher version than the worker asks for (VersionError).
    const dbName = uniqueDb('blocked');
    (await idb(indexedDB.open(dbName, 99))).close();
    const p = await createPredictor({ model: MODEL, backend: 'cpu', cache: { dbName } });
    try {
      const before = await predictions(p);
      await assertRejects(p.save('x'), StorageError, /VersionError/, 'save');
      await assertRejects(p.listSavedModels(), StorageError, /unavailable/, 'list');
      assertEqual(await predictions(p), before, 'still predicting');
    } finally {
      await p.dispose();
    }
  });

  it('a version-1 cache database is upgraded in place: cached weights kept, saved models added', async () => {
    const dbName = uniqueDb('upgrade');
    const first = await createPredictor({ model: MODEL, backend: 'cpu', cache: { dbName } });
    const sha = first.model.sha256;
    await first.dispose();
    // Turn it back into what a version-1 runtime wrote: only the weights store.
    const events = [];
    const db2 = await idb(indexedDB.open(dbName));
    const entry = await idb(db2.transaction('weights').objectStore('weights').get(`v1:${sha}`));
    db2.close();
    await idb(indexedDB.deleteDatabase(dbName));
    const open1 = indexedDB.open(dbName, 1);
    open1.onupgradeneeded = () => open1.result.createObjectStore('weights', { keyPath: 'key' }).put(entry);
    (await idb(open1)).close();

    const p = await createPredictor({ model: MODEL, backend: 'cpu', cache: { dbName }, onProgress: (e) => events.push(e.status) });
    try {
      assert(events.includes('cache-hit'), `the version-1 entry is still a cache hit: ${events}`);
      await p.save('after-upgrade');
      assertEqual((await p.listSavedModels()).map((m) => m.name), ['after-upgrade'], 'saved-model stores created');
    } finally {
      await p.dispose();
    }
  });

  it("fine-tuning and saving never touch the base model's cache entry", async () => {
    const dbName = uniqueDb('base');
    const p = await createPredictor({ model: MODEL, backend: 'cpu', cache: { dbName } });
    const key = `v1:${p.model.sha256}`;
    const read = async () => {
      const db = await idb(indexedDB.open(dbName));
      const all = await idb(db.transaction('weights').objectStore('weights').getAll());
      db.close();
      return all;
    };
    const [entry] = await read();
    await p.fineTune(TEXT, TUNE);
    await p.save('tuned');
    await p.dispose();
    const after = await read();
    assertEqual(after.length, 1, 'still one cached weights file');
    assertEqual(after[0].key, key, 'the base model');
    assertEqual(Array.from(new Uint8Array(after[0].bytes)), Array.from(new Uint8Array(entry.bytes)), 'byte for byte');
    const q = await createPredictor({ model: MODEL, backend: 'cpu', cache: { dbName } });
    assertEqual(q.model.sha256, p.model.sha256, 'the base model loads as before');
    await q.dispose();
  });
});
