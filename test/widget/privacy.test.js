// Typed text never leaves the device: every request the browser makes (page
// and worker, any origin) is recorded while a user types into the widget,
// accepts completions, asks for completions and fine-tunes on their text.
// Only GETs of the model and of the runtime's own files are allowed.
import { createPredictor } from '../../dist/index.js';
import { assert, assertEqual } from '../helpers.js';
import { press, recordRequests, recordedRequests, type } from './commands.js';
import { MODEL, focusedTextarea } from './util.js';

const SECRET = 'Zorblax';

describe('privacy', () => {
  it('loading fetches only model and runtime files; typing, completion and saving make no request; fine-tuning fetches only runtime files', async () => {
    await recordRequests();
    const predictor = await createPredictor({ model: MODEL, cache: false });
    const loading = await recordedRequests();
    // The recorder sees the worker's own fetches (the weights), so it is not blind to them later.
    assert(loading.some((r) => r.url.endsWith('/models/default/weights.bin')), `weights fetch recorded: ${JSON.stringify(loading.map((r) => r.url))}`);
    for (const r of loading) {
      assertEqual(new URL(r.url).origin, location.origin, `same origin: ${r.url}`);
      assertEqual(r.method, 'GET', `GET only: ${r.url}`);
      assert(/\/(models\/default\/|dist\/)/.test(new URL(r.url).pathname), `only model and runtime files: ${r.url}`);
    }

    await recordRequests();
    const { box, ta, rec, handle } = await focusedTextarea(predictor);
    await type(`My password is ${SECRET} and I live at 12 Elm Stre`);
    await rec.answered();
    await press('Tab');
    const s = await predictor.session();
    await s.setText(`Dear ${SECRET}, thank yo`);
    await s.complete({ stop: 'phrase', maxChars: 24 });
    assertEqual((await recordedRequests()).map((r) => `${r.method} ${r.url}`), [], 'no request while typing, accepting and completing');
    // Adaptation learned the typed text (on by default), in memory only: nothing of it in any storage.
    assert((await predictor.stats()).adapt.learnedChars > 0, 'adaptation learned from the typing');
    assertEqual(await storedWith(SECRET), [], 'no IndexedDB record holds the typed text');

    await recordRequests();
    await predictor.fineTune(`${SECRET} writes letters. `.repeat(40), { timeBudgetMs: 1500, validationSplit: 0 });
    // Fine-tuning runs in a worker of its own, which loads the runtime (the
    // worker bundle, the wasm binary) as the first one did: those GETs, no more.
    const tuning = await recordedRequests();
    for (const r of tuning) {
      assertEqual(`${r.method} ${new URL(r.url).origin}`, `GET ${location.origin}`, `fine-tuning: a same-origin GET: ${r.url}`);
      assert(/^\/dist\/[\w.-]+\.(js|wasm)$/.test(new URL(r.url).pathname) && !new URL(r.url).search, `fine-tuning: only runtime files: ${r.url}`);
      assert(!r.url.includes(SECRET) && r.postData === null, 'the text is in no URL and no body');
    }

    await recordRequests();
    await s.setText(`Dear ${SECRET}, thank you`);
    await predictor.save(`privacy-${Date.now()}`);
    assertEqual((await recordedRequests()).map((r) => `${r.method} ${r.url}`), [], 'no request while typing with the tuned model and saving it');

    await handle.detach();
    box.remove();
    await predictor.dispose();
  });

  it('adapt: { persist }: what is learned goes to IndexedDB under its name only, never over the network; forget() erases it', async () => {
    const dbName = `privacy-adapt-${Date.now()}`;
    // What earlier tests stored on purpose (a model saved after fine-tuning on the secret) is not this test's.
    const earlier = new Set(await storedWith(SECRET));
    const stored = async () => (await storedWith(SECRET)).filter((where) => !earlier.has(where));
    await recordRequests();
    const predictor = await createPredictor({ model: MODEL, cache: { dbName }, adapt: { persist: 'mine' } });
    const s = await predictor.session();
    const text = `Please forward this to ${SECRET} tomorrow. Thanks`;
    for (let i = 1; i <= text.length; i++) await s.setText(text.slice(0, i));
    await predictor.dispose(); // stores what it learned
    for (const r of await recordedRequests()) {
      assert(/\/(models\/default\/|dist\/)/.test(new URL(r.url).pathname) && r.method === 'GET' && !r.url.includes(SECRET), `only model and runtime GETs: ${r.method} ${r.url}`);
    }
    assertEqual(await stored(), [`${dbName}/adapt/mine`], 'the one record that holds it: the adaptation asked for');
    const again = await createPredictor({ model: MODEL, cache: { dbName }, adapt: { persist: 'mine' } });
    await again.forget();
    await again.dispose();
    assertEqual(await stored(), [], 'forget() erased it');
  });
});

/** Where the string `needle` is stored: "db/store/key" of every IndexedDB record (any database of this origin) whose values contain it. */
async function storedWith(needle) {
  const req = (r) => new Promise((resolve, reject) => ((r.onsuccess = () => resolve(r.result)), (r.onerror = () => reject(r.error))));
  const found = [];
  const holds = (v) => {
    if (typeof v === 'string') return v.includes(needle);
    if (Array.isArray(v)) return v.some(holds);
    if (v && typeof v === 'object' && !ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer)) return Object.values(v).some(holds);
    // Bytes (weights, the hashed context table): the needle as UTF-8 or UTF-16 text.
    const bytes = v instanceof ArrayBuffer ? new Uint8Array(v) : ArrayBuffer.isView(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : null;
    if (!bytes) return false;
    const latin = Array.from(bytes, (b) => String.fromCharCode(b)).join('');
    return latin.includes(needle) || latin.includes([...needle].join('\0'));
  };
  for (const { name } of await indexedDB.databases()) {
    const db = await req(indexedDB.open(name));
    try {
      for (const store of db.objectStoreNames) {
        const tx = db.transaction(store);
        const [keys, values] = await Promise.all([req(tx.objectStore(store).getAllKeys()), req(tx.objectStore(store).getAll())]);
        values.forEach((v, i) => holds(v) && found.push(`${name}/${store}/${keys[i]}`));
      }
    } finally {
      db.close();
    }
  }
  return found;
}
