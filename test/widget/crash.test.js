// The widget keeps working when its predictor's worker dies and is replaced.
import { createPredictor } from '../../dist/index.js';
import { assert, assertEqual } from '../helpers.js';
import { press, type } from './commands.js';
import { MODEL, expectedSuggestion, focusedTextarea, ghostText, waitFor } from './util.js';

describe('widget across a worker restart', () => {
  it('after the worker dies mid-typing, the next keystrokes get ghost text again and Tab accepts it', async () => {
    const restarts = [];
    const predictor = await createPredictor({ model: MODEL, workerUrl: '/test/fixtures/crash/worker.js', wasmBaseUrl: '/dist/', onRestart: (e) => restarts.push(e) });
    const { box, ta, rec, handle } = await focusedTextarea(predictor);
    await type('The quick brown');
    await rec.answered();
    assert(ghostText(handle) !== '', 'a suggestion before the crash');

    new BroadcastChannel('nextkey-crash-test').postMessage('close');
    await waitFor(() => restarts.length === 1, 'the restart');
    await type(' fo');
    await rec.answered('an answer from the new worker');
    const want = await expectedSuggestion(predictor, 'The quick brown fo');
    assert(want, 'the model suggests something');
    assertEqual(ghostText(handle), want, 'ghost after the restart');
    await press('Tab');
    assertEqual(ta.value, `The quick brown fo${want}`, 'accepted');
    await handle.detach();
    box.remove();
    await predictor.dispose();
  });
});
