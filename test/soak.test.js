// Soak: 10,000 random edits spread over 5 sessions. At intervals every
// session's predictions are checked against a fresh read of its text, and the
// worker's live tensors and bytes must stay within what the sessions'
// checkpoint budgets allow: nothing grows with the number of edits.
import { createPredictor } from '../dist/index.js';
import { GOLDEN, assert, assertClose } from './helpers.js';
import { edit, rng } from './edits.js';

const EDITS = 10_000;
const SESSIONS = 5;
const CHECK_EVERY = 1000;

describe('soak', () => {
  it(`${EDITS} random edits over ${SESSIONS} sessions: exact answers, bounded memory`, async function () {
    this.timeout(10 * 60_000);
    const t0 = performance.now();
    const predictor = await createPredictor({ model: `${GOLDEN}/lstm/`, backend: 'cpu', cache: false });
    const base = await predictor.stats();
    const maxBytes = 64 * 1024;
    const sessions = [];
    for (let i = 0; i < SESSIONS; i++) sessions.push({ s: await predictor.session({ checkpoints: { dense: 16, maxBytes } }), text: '', history: [] });
    const fresh = await predictor.session();
    const r = rng(2024);
    let peak = { numTensors: 0, numBytes: 0 };
    for (let n = 1; n <= EDITS; n++) {
      const t = sessions[Math.floor(r() * SESSIONS)];
      let [next] = edit(r, t.text, t.history);
      if (Array.from(next).length > 400) next = Array.from(next).slice(-200).join(''); // keep texts field-sized
      t.history.push(t.text);
      if (t.history.length > 20) t.history.shift();
      t.text = next;
      await t.s.setText(next, { k: 1 });
      if (n % CHECK_EVERY === 0) {
        const stats = await predictor.stats();
        peak = { numTensors: Math.max(peak.numTensors, stats.numTensors), numBytes: Math.max(peak.numBytes, stats.numBytes) };
        let checkpointBytes = 0;
        for (const x of sessions) {
          const st = await x.s.stats();
          assert(st.checkpointBytes <= maxBytes, `checkpoint bytes ${st.checkpointBytes} within ${maxBytes}`);
          // The states held for the next keystroke (stepping ahead) count with the checkpoints.
          checkpointBytes += st.checkpointBytes + st.speculation.bytes;
          await fresh.reset();
          await fresh.feed(x.text);
          assertClose((await x.s.predict({ k: 39 })).map((p) => p.p), (await fresh.predict({ k: 39 })).map((p) => p.p), 1e-5, `after ${n} edits`);
        }
        // Weights, the fresh session's states and every checkpoint: nothing else may stay alive.
        const freshBytes = (await fresh.stats()).checkpointBytes;
        assert(stats.numBytes <= base.numBytes + checkpointBytes + freshBytes + 4096, `live bytes ${stats.numBytes} after ${n} edits: weights ${base.numBytes} + checkpoints ${checkpointBytes} + ${freshBytes}`);
      }
    }
    for (const x of sessions) await x.s.dispose();
    await fresh.dispose();
    const end = await predictor.stats();
    assert(end.numTensors === base.numTensors, `live tensors back to ${base.numTensors} after dispose, got ${end.numTensors} (peak ${peak.numTensors})`);
    await predictor.dispose();
    console.log(`soak: ${EDITS} edits in ${((performance.now() - t0) / 1000).toFixed(1)} s, peak ${peak.numTensors} tensors / ${peak.numBytes} bytes`);
  });
});
