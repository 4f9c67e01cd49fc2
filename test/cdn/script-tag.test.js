// dist/nextkey.min.js from another origin, as from a CDN: one classic
// <script> tag (with its SRI hash), then the global `nextkey` and no other
// configuration. The worker (started from a Blob URL), the wasm files and the
// default model must all be found beside the script, on the CDN.
import { DEFAULT_POLICY } from '../../dist/widget.js';
import { assert, assertEqual, requestCount } from '../helpers.js';
import { press, type } from '../widget/commands.js';
import { TEXT, assertModelCompletion, assertPredicts, cdnInfo, cdnRequests, loadScript, shownSuggestion } from './util.js';

describe('script tag from another origin (dist/nextkey.min.js)', () => {
  let cdn;

  before(async () => {
    cdn = await cdnInfo();
    // The hash the build printed: the browser refuses the script if it differs.
    await loadScript(`${cdn.origin}/dist/nextkey.min.js`, { integrity: cdn.integrity['dist/nextkey.min.js'] });
  });

  it('defines the global `nextkey` with the predictor API, the widget and <nextkey-textarea>', () => {
    const g = window.nextkey;
    assert(g && typeof g === 'object', 'window.nextkey');
    for (const name of ['createPredictor', 'attach', 'defineNextkeyElements', 'pickSuggestion']) assertEqual(typeof g[name], 'function', `nextkey.${name}`);
    for (const name of ['NextkeyError', 'ModelFormatError', 'ModelFetchError', 'IntegrityError', 'BackendError', 'InvalidArgumentError', 'DisposedError', 'TrainingError', 'StorageError', 'WorkerError']) {
      assert(g[name]?.prototype instanceof Error, `nextkey.${name} is an error class`);
    }
    assertEqual(g.DEFAULT_POLICY, DEFAULT_POLICY, 'nextkey.DEFAULT_POLICY');
    assert(customElements.get('nextkey-textarea'), 'loading the script registered <nextkey-textarea>');
  });

  it('createPredictor() with no options loads the worker, wasm and default model from the script\'s origin, and predicts', async () => {
    const pageModelFetches = await requestCount('/models/default/model.json');
    const predictor = await nextkey.createPredictor();
    try {
      // The URL the model was read from: ../models/default/ beside dist/nextkey.min.js, on the CDN.
      assertEqual(predictor.model.url, `${cdn.origin}/models/default/model.json`, 'model URL');
      const { top } = await assertPredicts(predictor);
      const served = await cdnRequests();
      assert(served.includes('/dist/worker.js'), `the CDN served the worker bundle (${served.join(', ')})`);
      assert(served.includes('/models/default/model.json'), 'the CDN served the default model');
      if (predictor.backend.name === 'wasm') assert(served.some((p) => /^\/dist\/tfjs-backend-wasm.*\.wasm$/.test(p)), 'the CDN served the wasm binary');
      assertEqual(await requestCount('/models/default/model.json'), pageModelFetches, 'nothing fetched from the page\'s own origin');
      console.log(`script tag: backend ${predictor.backend.name}, after ${JSON.stringify(TEXT)}: ${top.map((t) => `${JSON.stringify(t.char)} ${t.p.toFixed(2)}`).join(', ')}`);
    } finally {
      await predictor.dispose();
    }
  });

  it('nextkey.attach(textarea) with no options shows the model\'s completion as ghost text while typing with real keys', async () => {
    const ta = document.createElement('textarea');
    ta.style.cssText = 'font:18px monospace;width:420px;height:80px;';
    document.body.prepend(ta);
    const handle = nextkey.attach(ta);
    try {
      await handle.ready;
      ta.focus();
      await type(TEXT);
      const shown = await shownSuggestion(handle, `ghost text after typing ${JSON.stringify(TEXT)}`);
      await assertModelCompletion(nextkey, cdn.origin, shown);
      await press('Tab');
      assertEqual(ta.value, TEXT + shown, 'Tab accepted it');
    } finally {
      await handle.detach();
      ta.remove();
    }
  });
});
