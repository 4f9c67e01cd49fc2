// Answers sent ahead: while idle, the worker steps ahead for the likeliest
// next characters and sends what setText would answer for each; the main
// thread answers those keystrokes at once. They must be the very numbers the
// worker holds for the new text, and anything that changes the session's
// state (feed, reset, a paste, fine-tuning) must stop stale ones being used.
import { createPredictor } from '../dist/index.js';
import { GOLDEN, assert, assertEqual, steppedAhead } from './helpers.js';

const TEXT = 'It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife.';

/** The worker's own predictions for the session's current text (no answer sent ahead is involved). */
const workerSide = (session, k) => session.predict({ k });

function same(got, want, what) {
  assertEqual(got.map((p) => p.char), want.map((p) => p.char), `${what}: characters`);
  got.forEach((p, i) => assert(Object.is(p.p, want[i].p), `${what}: p of ${JSON.stringify(p.char)} ${p.p} ≠ ${want[i].p}`));
}

describe('answers sent ahead', () => {
  for (const backend of ['wasm', 'cpu']) {
    it(`${backend}: typing at a human pace is mostly answered on the main thread, with the worker's exact numbers`, async () => {
      // adapt: false: these numbers are the network's own, compared with a reference (adaptation is tested in adapt-api.test.js).
      const predictor = await createPredictor({ adapt: false, model: '/models/default/', backend, cache: false });
      const fresh = await createPredictor({ adapt: false, model: '/models/default/', backend, cache: false });
      try {
        const s = await predictor.session();
        const f = await fresh.session();
        let ahead = 0;
        for (let n = 1; n <= TEXT.length; n++) {
          const text = TEXT.slice(0, n);
          const u = await s.setText(text, { k: 5 });
          assertEqual(u.length, n, 'length');
          assert(u.current && !u.superseded, 'current');
          if (u.ahead) {
            ahead++;
            assertEqual(u.steps, 1, 'one step');
            // The worker has read the character by now (calls run in order): its answer is the same.
            same(u.predictions, await workerSide(s, 5), `after ${JSON.stringify(text)}`);
          }
          // And a session that never stepped ahead agrees (batched speculation vs single steps).
          const want = (await f.setText(text, { k: 5 })).predictions;
          assertEqual(u.predictions.map((p) => p.char), want.map((p) => p.char), `ranking after ${JSON.stringify(text)}`);
          u.predictions.forEach((p, i) => assert(Math.abs(p.p - want[i].p) < 1e-6, `p after ${JSON.stringify(text)}`));
          await steppedAhead(s); // a pause, as between keystrokes
        }
        // The default model's top 3 hold the next character of this text most of the time.
        assert(ahead > TEXT.length / 2, `${ahead} of ${TEXT.length} keystrokes answered ahead`);
        const st = await s.stats();
        assert(st.speculation.hits >= ahead, `the worker used its stepped-ahead state for each: ${st.speculation.hits} hits`);
      } finally {
        await predictor.dispose();
        await fresh.dispose();
      }
    });
  }

  it('back-to-back calls, more predictions than were sent, a paste, a cursor move, feed and reset all go to the worker', async () => {
    const predictor = await createPredictor({ adapt: false, model: '/models/default/', backend: 'wasm', cache: false });
    try {
      const s = await predictor.session();
      const typeAfterPause = async (text, options) => {
        await steppedAhead(s);
        return s.setText(text, options);
      };
      const first = await typeAfterPause('Th');
      assert(first.ahead === false, 'the first setText of a session');
      let u = await typeAfterPause('Th' + first.predictions[0].char);
      assert(u.ahead, `${JSON.stringify(first.predictions[0].char)} after "Th" is answered ahead (the likeliest next character): ${JSON.stringify(first.predictions)}`);
      // No pause: the worker has not stepped ahead yet.
      u = await s.setText('The ');
      assert(!u.ahead, 'back to back');
      u = await typeAfterPause('The q', { k: 12 });
      assert(!u.ahead, 'k above the k sent ahead');
      u = await typeAfterPause('The quick brown');
      assert(!u.ahead, 'a paste');
      u = await typeAfterPause('The quick brown fox', { cursor: 9 });
      assert(!u.ahead && u.length === 9, 'a cursor move');
      await steppedAhead(s);
      await s.feed(' ');
      const top = (await s.predict({ k: 1 }))[0].char;
      u = await typeAfterPause('The quick' + top);
      assert(!u.ahead, 'after feed: the answers sent ahead were for the text before it');
      assertEqual(u.length, 10, 'length');
      const want = await (async () => {
        const t = await predictor.session();
        const r = await t.setText('The quick' + top);
        await t.dispose();
        return r.predictions;
      })();
      same(u.predictions, want, 'after feed');
      await steppedAhead(s);
      await s.reset();
      u = await typeAfterPause('T');
      assert(!u.ahead, 'after reset');
    } finally {
      await predictor.dispose();
    }
  });

  it('after fine-tuning, no answer sent ahead with the old weights is used', async () => {
    const predictor = await createPredictor({ adapt: false, model: `${GOLDEN}/lstm/`, backend: 'wasm', cache: false });
    try {
      const s = await predictor.session();
      const text = 'the hat is';
      await s.setText(text.slice(0, -1));
      await steppedAhead(s);
      await predictor.fineTune('the hat is red. the cat is fed. '.repeat(40), { epochs: 1, seqLength: 16, batchSize: 8, learningRate: 0.05 });
      const u = await s.setText(text);
      const t = await predictor.session();
      const want = (await t.setText(text)).predictions;
      same(u.predictions, want, 'predictions with the tuned weights');
    } finally {
      await predictor.dispose();
    }
  });
});
