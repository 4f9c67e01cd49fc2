// The ES modules imported from another origin, as from a CDN
// (`import { attach } from 'https://cdn…/dist/widget.js'`): the worker bundle,
// the wasm files and the default model must be found beside the modules
// (import.meta.url), on the CDN, with no options.
import { assert, assertEqual, requestCount } from '../helpers.js';
import { press, type } from '../widget/commands.js';
import { TEXT, assertModelCompletion, assertPredicts, cdnInfo, cdnRequests, shownSuggestion } from './util.js';

describe('ES modules from another origin (dist/index.js, dist/widget.js)', () => {
  let cdn;
  let core;
  let widget;

  before(async () => {
    cdn = await cdnInfo();
    core = await import(`${cdn.origin}/dist/index.js`);
    widget = await import(`${cdn.origin}/dist/widget.js`);
  });

  it('createPredictor() with no options loads the worker, wasm and default model from the module\'s origin, and predicts', async () => {
    const pageModelFetches = await requestCount('/models/default/model.json');
    const predictor = await core.createPredictor();
    try {
      assertEqual(predictor.model.url, `${cdn.origin}/models/default/model.json`, 'model URL');
      const { top } = await assertPredicts(predictor);
      const served = await cdnRequests();
      assert(served.includes('/dist/worker.js'), 'the CDN served the worker bundle');
      assert(served.includes('/models/default/model.json'), 'the CDN served the default model');
      if (predictor.backend.name === 'wasm') assert(served.some((p) => /^\/dist\/tfjs-backend-wasm.*\.wasm$/.test(p)), 'the CDN served the wasm binary');
      assertEqual(await requestCount('/models/default/model.json'), pageModelFetches, 'nothing fetched from the page\'s own origin');
      console.log(`ESM: backend ${predictor.backend.name}, after ${JSON.stringify(TEXT)}: ${top.map((t) => `${JSON.stringify(t.char)} ${t.p.toFixed(2)}`).join(', ')}`);
    } finally {
      await predictor.dispose();
    }
  });

  it('fineTune() from another origin: the worker starts its training worker from the same Blob URL, and the tuned weights are used', async () => {
    const predictor = await core.createPredictor({ backend: 'cpu' });
    try {
      const s = await predictor.session();
      const probe = 'Open the mistr';
      const before = (await s.setText(probe)).predictions;
      const r = await predictor.fineTune('Open the mistrunner. '.repeat(60), { epochs: 1, seqLength: 32, batchSize: 4, validationSplit: 0 });
      const after = (await s.setText(probe)).predictions;
      assert(r.steps >= 1 && r.bpcAfter < r.bpcBefore, `trained: ${JSON.stringify(r)}`);
      assertEqual(after[0].char, 'u', `after tuning, "${probe}" continues with "u" (before: ${JSON.stringify(before[0])})`);
    } finally {
      await predictor.dispose();
    }
  });

  it('attach(textarea) from the CDN\'s widget.js, with no options, shows ghost text while typing with real keys', async () => {
    const ta = document.createElement('textarea');
    ta.style.cssText = 'font:18px monospace;width:420px;height:80px;';
    document.body.prepend(ta);
    const handle = widget.attach(ta);
    try {
      await handle.ready;
      ta.focus();
      await type(TEXT);
      const shown = await shownSuggestion(handle, `ghost text after typing ${JSON.stringify(TEXT)}`);
      await assertModelCompletion(core, cdn.origin, shown);
      await press('Tab');
      assertEqual(ta.value, TEXT + shown, 'Tab accepted it');
    } finally {
      await handle.detach();
      ta.remove();
    }
  });

  it('widget.js shares the core module beside it: one set of error classes', async () => {
    let error;
    try {
      widget.attach(document.createElement('select'));
    } catch (e) {
      error = e;
    }
    assert(error instanceof core.InvalidArgumentError, `attach(<select>) throws the CDN core's InvalidArgumentError (got ${error?.name})`);
  });
});
