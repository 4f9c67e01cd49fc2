// Text the vocabulary cannot read: refused when it is most of the text,
// warned about when it is a notable share, and with extendVocab the
// characters the text uses often get entries of their own, which a saved
// model keeps, which load from IndexedDB, and which PyTorch reads as the
// TypeScript runtime does.
import { InvalidArgumentError, createPredictor } from '../dist/index.js';
import { GOLDEN, assert, assertClose, assertEqual, assertRejects, idbRequest, serve, uniqueDb } from './helpers.js';
import { checkReference } from './golden.js';
import { pytorchReference } from './widget/commands.js';

// The golden LSTM's vocabulary has no j, q, x or z.
const MODEL = `${GOLDEN}/lstm/`;
const SMALL = { seqLength: 16, batchSize: 4 };
const probs = (preds) => preds.map((p) => p.p);
const ENGLISH = 'the hot tea is in the red pot. the dog ate the tea, then the cat sat on the mat! ';

describe('fine-tuning on text outside the vocabulary', function () {
  this.timeout(300_000);

  it('a text mostly outside the vocabulary (CJK) is refused with InvalidArgumentError; the weights stay', async () => {
    // adapt: false: these numbers are the network's own, compared with a reference (adaptation is tested in adapt-api.test.js).
    const predictor = await createPredictor({ adapt: false, model: MODEL, backend: 'cpu', cache: false });
    try {
      const s = await predictor.session();
      await s.setText('the tea is h');
      const before = await s.predict({ k: 39 });
      const cjk = Array.from({ length: 3000 }, (_, i) => String.fromCodePoint(0x4e00 + (i % 500))).join('');
      await assertRejects(predictor.fineTune(cjk, SMALL), InvalidArgumentError, /100% of the text's characters are outside the model's vocabulary.*extendVocab: true/, 'CJK');
      await assertRejects(predictor.fineTune('😀🙂😀 '.repeat(500), SMALL), InvalidArgumentError, /outside the model's vocabulary/, 'emoji');
      assertEqual(probs(await s.predict({ k: 39 })), probs(before), 'the previous weights are still in use');
    } finally {
      await predictor.dispose();
    }
  });

  it('a notable share outside the vocabulary trains, with an unknown-chars warning', async () => {
    const predictor = await createPredictor({ adapt: false, model: MODEL, backend: 'cpu', cache: false });
    try {
      const text = (ENGLISH + '😀😀😀😀😀😀😀😀 ').repeat(20);
      const r = await predictor.fineTune(text, { ...SMALL, epochs: 1 });
      assertEqual(r.warnings.map((w) => w.code), ['unknown-chars'], 'warned');
      assert(/outside the model's vocabulary/.test(r.warnings[0].message), r.warnings[0].message);
      assertEqual(r.addedChars, [], 'nothing added without extendVocab');
      const clean = await predictor.fineTune(ENGLISH.repeat(20), { ...SMALL, epochs: 1 });
      assertEqual(clean.warnings, [], 'no warning for text the vocabulary reads');
    } finally {
      await predictor.dispose();
    }
  });

  it('extendVocab: new rows for the characters used often; sessions, save, load and PyTorch agree', async () => {
    const dbName = uniqueDb('vocab');
    const predictor = await createPredictor({ adapt: false, model: MODEL, backend: 'cpu', cache: { dbName } });
    try {
      const open = await predictor.session();
      await open.setText('the jazz qu');
      const V = predictor.model.vocabSize;
      const text = 'the jazz quiz: a jolly zebra quotes xylophones. the lazy fox jumps. '.repeat(60) + ENGLISH.repeat(10);
      const r = await predictor.fineTune(text, { ...SMALL, epochs: 2, extendVocab: true, learningRate: 0.01 });
      for (const ch of ['j', 'q', 'x', 'z']) assert(r.addedChars.includes(ch), `${ch} got an entry: ${JSON.stringify(r.addedChars)}`);
      assertEqual(r.unknownChars, 0, 'nothing reads as unknown any more');
      assertEqual(predictor.model.vocabSize, V + r.addedChars.length, 'predictor.model.vocabSize');
      // A session open during the run now reads its text with the new entries, as a fresh one does.
      const fresh = await predictor.session();
      const want = await fresh.setText('the jazz qu');
      assertClose(probs(await open.predict({ k: 60 })), probs(want.predictions.length ? await fresh.predict({ k: 60 }) : []), 1e-6, 'the open session');
      const next = await fresh.predict({ k: 5 });
      assert(next.some((p) => p.char === 'i'), `the model learned "quiz" after "qu": ${JSON.stringify(next)}`);
      assert((await (await predictor.session()).setText('the ja')).predictions.some((p) => p.char === 'z'), 'it suggests a new character');
      // Saved, listed, loaded: the same answers.
      await predictor.save('vocab');
      const listed = await predictor.listSavedModels();
      assertEqual(listed.map((m) => [m.name, m.vocabSize]), [['vocab', V + r.addedChars.length]], 'listed with its vocabulary');
      const loaded = await createPredictor({ adapt: false, model: 'idb://vocab', backend: 'cpu', cache: { dbName } });
      const again = await loaded.session();
      await again.setText('the jazz qu');
      assertClose(probs(await again.predict({ k: 60 })), probs(await fresh.predict({ k: 60 })), 1e-6, 'the loaded model');
      await loaded.dispose();
      // PyTorch reads the saved file as the runtime does.
      const db = await idbRequest(indexedDB.open(dbName));
      const entry = await idbRequest(db.transaction('models').objectStore('models').get('vocab'));
      const bytes = (await idbRequest(db.transaction('modelBytes').objectStore('modelBytes').get('vocab'))).bytes;
      db.close();
      const dir = `vocab-${Date.now()}`;
      await serve(`${dir}/model.json`, JSON.stringify(entry.manifest));
      await serve(`${dir}/weights.bin`, bytes);
      const reference = await pytorchReference(`/__store/${dir}/`, 'the jazz quiz: a jolly zebra.');
      await serve(`${dir}/reference.json`, JSON.stringify(reference));
      const worst = await checkReference(`/__store/${dir}/`, `/__store/${dir}/reference.json`, 'cpu', 1e-4, 'extended vocabulary');
      assert(worst <= 1e-4, `PyTorch parity: max abs difference ${worst}`);
    } finally {
      await predictor.dispose();
    }
  });
});
