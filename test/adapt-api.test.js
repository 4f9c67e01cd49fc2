// Adaptation through the public API, on the shipped model in the real worker:
// a word typed once is offered the next time, in any session of the
// predictor; only committed text teaches; { persist } keeps it in IndexedDB
// and forget() erases it there and in memory; its memory is bounded.
import { createPredictor, InvalidArgumentError } from '../dist/index.js';
import { completeOptions, pickSuggestion } from '../dist/widget.js';
import { assert, assertEqual, assertRejects, uniqueDb } from './helpers.js';

const MODEL = '/models/default/';
/** The widget's default policy (word mode, min confidence 0.2): what a person would be shown. */
const POLICY = { mode: 'word', minConfidence: 0.2, maxChars: 16 };

/** Types `text` into a session one key at a time after `from` (setText per keystroke, as the widget does). */
async function typeKeys(session, text, from = '') {
  for (let i = from.length + 1; i <= text.length; i++) await session.setText(text.slice(0, i));
}

/** The suggestion the widget would show after `text`, on a fresh session of `predictor`. */
async function suggestion(predictor, text) {
  const s = await predictor.session();
  await s.setText(text);
  const r = await s.complete(completeOptions(POLICY));
  await s.dispose();
  // The widget may offer the word with the space after it ("onkwo "): the word is what counts here.
  return pickSuggestion(r.completions, POLICY)?.trimEnd() ?? null;
}

/** The names of the records in the `adapt` store of IndexedDB database `db` ([] when the store or database is missing). */
async function storedAdaptations(db) {
  if (!(await indexedDB.databases()).some((d) => d.name === db)) return [];
  const conn = await new Promise((resolve, reject) => {
    const r = indexedDB.open(db);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  try {
    if (!conn.objectStoreNames.contains('adapt')) return [];
    return await new Promise((resolve, reject) => {
      const r = conn.transaction('adapt').objectStore('adapt').getAllKeys();
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  } finally {
    conn.close();
  }
}

const LETTER = 'Dear team, Okonkwo will review the draft tomorrow. Thanks';

describe('adaptation (createPredictor({ adapt }))', () => {
  it('a name typed once in one field is offered after its first two letters in another; with adapt: false it is not', async () => {
    const dbName = uniqueDb();
    const on = await createPredictor({ model: MODEL, cache: { dbName } });
    const off = await createPredictor({ model: MODEL, cache: { dbName }, adapt: false });
    try {
      for (const p of [on, off]) {
        const field = await p.session();
        await typeKeys(field, LETTER);
      }
      assertEqual(await suggestion(on, 'Please ask Ok'), 'onkwo', 'after "Ok", with adaptation');
      assertEqual(await suggestion(on, 'Please ask Oko'), 'nkwo', 'after "Oko"');
      const never = await suggestion(off, 'Please ask Ok');
      assert(never !== 'onkwo', `the model alone does not know the name: ${never}`);
      const stats = await on.stats();
      assert(stats.adapt.words >= 1 && stats.adapt.learnedChars >= 'Dear team, Okonkwo will review the draft tomorrow. '.length, `learned: ${JSON.stringify(stats.adapt)}`);
      assertEqual(stats.adapt.persist, null, 'memory only');
      assertEqual((await off.stats()).adapt, null, 'off');
      assertEqual(await storedAdaptations(dbName), [], 'nothing in storage unless persist was asked for');
    } finally {
      await on.dispose();
      await off.dispose();
    }
  });

  it('a word learned from the user is offered as the correction of a misspelling of it, one the model alone cannot offer', async () => {
    const on = await createPredictor({ model: MODEL, cache: false });
    const off = await createPredictor({ model: MODEL, cache: false, adapt: false });
    try {
      await typeKeys(await on.session(), LETTER);
      let stats = await on.stats();
      for (let i = 0; i < 100 && stats.adapt.words < 1; i++) {
        await new Promise((r) => setTimeout(r, 20));
        stats = await on.stats();
      }
      assert(stats.adapt.words >= 1, `learned: ${JSON.stringify(stats.adapt)}`);
      const corrections = async (p) => {
        const s = await p.session();
        await s.setText('Please ask Okonkow ');
        const r = await s.corrections({ k: 3 });
        await s.dispose();
        return r;
      };
      const mine = await corrections(on);
      assertEqual(mine.word.text, 'Okonkow', 'the word just finished');
      assertEqual(mine.corrections[0]?.text, 'Okonkwo', `the user's word first: ${JSON.stringify(mine.corrections)}`);
      const theirs = await corrections(off);
      assert(!theirs.corrections.some((c) => c.text === 'Okonkwo'), `the model alone does not know it: ${JSON.stringify(theirs.corrections)}`);
    } finally {
      await on.dispose();
      await off.dispose();
    }
  });

  it('learns committed text only: a word deleted before it was finished and a paste undone teach nothing', async () => {
    const p = await createPredictor({ model: MODEL, cache: false });
    try {
      const s = await p.session();
      // "Vantriss" typed and deleted letter by letter before it was finished.
      await typeKeys(s, 'We met Vantris');
      for (let n = 'We met Vantris'.length - 1; n >= 'We met '.length; n--) await s.setText('We met Vantris'.slice(0, n));
      await typeKeys(s, 'We met them. ', 'We met ');
      // A paste, undone at the next edit.
      await s.setText('We met them. Quorbeth Lindqvale signed. ');
      await s.setText('We met them. ');
      await typeKeys(s, 'We met them. It went well. ', 'We met them. ');
      await s.setText('We met them. It went well. And');
      const v = await suggestion(p, 'Ask Van');
      assert(v !== 'triss' && !String(v).startsWith('tris'), `the deleted word: ${v}`);
      const q = await suggestion(p, 'Ask Quor');
      assert(!String(q).startsWith('beth'), `the undone paste: ${q}`);
      assertEqual((await p.stats()).adapt.words, 0, 'no new word kept');
      // The same paste kept (typed after) is learned.
      await s.setText('We met them. It went well. Quorbeth Lindqvale signed. ');
      await s.setText('We met them. It went well. Quorbeth Lindqvale signed. A');
      assertEqual(await suggestion(p, 'Ask Quor'), 'beth', 'a paste the user kept');
    } finally {
      await p.dispose();
    }
  });

  it('{ persist } keeps it in IndexedDB across predictors; forget() erases it there and in memory', async () => {
    const dbName = uniqueDb();
    const name = 'notes';
    const first = await createPredictor({ model: MODEL, cache: { dbName }, adapt: { persist: name } });
    const s = await first.session();
    await typeKeys(s, LETTER);
    await first.dispose(); // writes what it learned last
    assertEqual(await storedAdaptations(dbName), [name], 'stored under its name');

    const second = await createPredictor({ model: MODEL, cache: { dbName }, adapt: { persist: name } });
    try {
      const stats = await second.stats();
      assertEqual(stats.adapt.persist, name, 'persist');
      assert(stats.adapt.savedAt > 0 && stats.adapt.words >= 1, `read back: ${JSON.stringify(stats.adapt)}`);
      assertEqual(await suggestion(second, 'Please ask Ok'), 'onkwo', 'a later visit remembers the name');
      await second.forget();
      assertEqual(await storedAdaptations(dbName), [], 'erased from storage');
      const after = await second.stats();
      assertEqual([after.adapt.words, after.adapt.contexts, after.adapt.learnedChars], [0, 0, 0], 'erased from memory');
      assert((await suggestion(second, 'Please ask Ok')) !== 'onkwo', 'and no longer offered');
    } finally {
      await second.dispose();
    }
    assertEqual(await storedAdaptations(dbName), [], 'a predictor that learned nothing since forget() writes nothing back');
  });

  it('memory stays within budgetBytes; bad options are refused with the option named', async () => {
    const budget = 128 * 1024;
    const p = await createPredictor({ model: MODEL, cache: false, adapt: { budgetBytes: budget } });
    try {
      const s = await p.session();
      // A long text with many distinct contexts, committed as it goes.
      const words = Array.from({ length: 600 }, (_, i) => `w${(i * 7919) % 100003}q${i % 97}`).join(' ');
      await s.setText(`${words} `);
      await s.setText(`${words} x`);
      // A large commit is learned a chunk per call and the rest in idle time: wait for it (bounded).
      let stats = await p.stats();
      for (let i = 0; i < 100 && stats.adapt.learnedChars < words.length; i++) {
        await new Promise((r) => setTimeout(r, 20));
        stats = await p.stats();
      }
      assert(stats.adapt.learnedChars > 5000, `learned ${stats.adapt.learnedChars}`);
      assert(stats.adapt.bytes <= budget + 4096, `within the budget: ${stats.adapt.bytes} of ${budget}`);
      assertEqual(stats.adapt.budgetBytes, budget, 'budget');
    } finally {
      await p.dispose();
    }
    await assertRejects(createPredictor({ model: MODEL, cache: false, adapt: { budgetBytes: 1000 } }), InvalidArgumentError, /adapt\.budgetBytes/, 'too small');
    await assertRejects(createPredictor({ model: MODEL, cache: false, adapt: { persist: 'no spaces allowed' } }), InvalidArgumentError, /adapt\.persist/, 'bad name');
    await assertRejects(createPredictor({ model: MODEL, cache: false, adapt: 'yes' }), InvalidArgumentError, /options\.adapt/, 'bad value');
  });

  it('fine-tuned weights and adaptation compose: the name is still offered after fineTune', async () => {
    const p = await createPredictor({ model: MODEL, cache: false });
    try {
      const s = await p.session();
      await typeKeys(s, LETTER);
      await p.fineTune('The quarterly report is due on Friday. Please send comments by noon. '.repeat(30), { timeBudgetMs: 1500, validationSplit: 0 });
      assertEqual(await suggestion(p, 'Please ask Ok'), 'onkwo', 'with the tuned weights');
    } finally {
      await p.dispose();
    }
  });
});
