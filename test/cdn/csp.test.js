// nextkey from a CDN on a page under a strict Content-Security-Policy, sent
// as a header by test/cdn/server.mjs (strictPolicy: the directives the README
// lists, no 'unsafe-eval', no 'unsafe-inline', default-src 'none'). Each page
// runs in an iframe on the runner's origin; any violation fails the test: the
// page's securitypolicyviolation events and the reports the browser posts
// (report-uri) for the page and for the worker, which inherits the policy.
import { assert, assertEqual } from '../helpers.js';
import { type } from '../widget/commands.js';
import { pause, waitFor } from '../widget/util.js';
import { TEXT, assertPredicts, cdnInfo, shownSuggestion } from './util.js';

let pages = 0;

/** Opens /__cdn/page.html (variant: 'script' | 'esm' | 'no-wasm-eval') in an iframe. */
async function openPage(variant) {
  const id = `${variant}-${++pages}-${Date.now()}`;
  const frame = document.createElement('iframe');
  frame.style.cssText = 'width:640px;height:160px;border:1px solid #ccc;';
  const loaded = new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
  frame.src = `/__cdn/page.html?id=${encodeURIComponent(id)}&variant=${variant}`;
  document.body.prepend(frame);
  await loaded;
  const win = frame.contentWindow;
  assert(Array.isArray(win.violations), 'the page helper ran (it is allowed by script-src \'self\')');
  return {
    frame,
    win,
    doc: frame.contentDocument,
    /** Violation reports the server received for this page (its worker's included). */
    reports: async () => (await fetch(`/__cdn/csp-reports?id=${encodeURIComponent(id)}`)).json(),
  };
}

/** No violation, seen in the page or reported for it. Reports are posted asynchronously: wait a moment first. */
async function assertNoViolations(page) {
  await pause(1000);
  assertEqual(page.win.violations, [], 'CSP violations in the page');
  assertEqual(await page.reports(), [], 'CSP violations reported for the page and its worker');
}

/** Predictions on the wasm backend (compiling wasm is what 'wasm-unsafe-eval' allows), then the widget with real keys. */
async function predictAndType(page, api) {
  const predictor = await api.createPredictor({ backend: 'wasm' });
  try {
    assertEqual(predictor.backend.name, 'wasm', 'backend');
    await assertPredicts(predictor);
  } finally {
    await predictor.dispose();
  }
  const ta = page.doc.querySelector('textarea');
  const handle = api.attach(ta);
  try {
    await handle.ready;
    page.frame.focus();
    ta.focus();
    await type(TEXT);
    await waitFor(() => ta.value === TEXT, 'the typed text in the iframe\'s textarea');
    const shown = await shownSuggestion(handle, `ghost text after typing ${JSON.stringify(TEXT)}`);
    assert(shown.length > 0, 'a suggestion');
  } finally {
    await handle.detach();
  }
}

describe('from a CDN under a strict Content-Security-Policy', () => {
  before(async () => {
    await cdnInfo();
  });
  afterEach(() => {
    for (const f of document.querySelectorAll('iframe')) f.remove();
  });

  it('dist/nextkey.min.js by script tag: predicts and autocompletes with no violation', async () => {
    const page = await openPage('script');
    assert(page.win.nextkey, 'the script from the CDN ran (script-src allows its origin)');
    await predictAndType(page, page.win.nextkey);
    await assertNoViolations(page);
  });

  it('dist/index.js and dist/widget.js by import(): predict and autocomplete with no violation', async () => {
    const page = await openPage('esm');
    const { origin } = await cdnInfo();
    const core = await page.win.importModule(`${origin}/dist/index.js`);
    const widget = await page.win.importModule(`${origin}/dist/widget.js`);
    await predictAndType(page, { createPredictor: core.createPredictor, attach: widget.attach });
    await assertNoViolations(page);
  });

  it('control: the policy is enforced and violations are caught, in the page and in the worker', async () => {
    const page = await openPage('no-wasm-eval');
    // In the page: eval is refused and the listener sees it.
    let refused = false;
    try {
      page.win.eval('1');
    } catch (e) {
      refused = e.name === 'EvalError';
    }
    assert(refused, 'eval() throws EvalError under the policy');
    await waitFor(() => page.win.violations.some((v) => v.blocked === 'eval'), 'the page\'s securitypolicyviolation event for eval');
    // In the worker: without 'wasm-unsafe-eval' the wasm backend cannot compile, and the worker's violation is reported.
    let error;
    try {
      await (await page.win.nextkey.createPredictor({ backend: 'wasm' })).dispose();
    } catch (e) {
      error = e;
    }
    assertEqual(error?.name, 'BackendError', `backend 'wasm' fails without 'wasm-unsafe-eval' (${error?.message})`);
    const reports = await waitFor(async () => {
      const r = await page.reports();
      return r.some((x) => x['blocked-uri'] === 'wasm-eval') ? r : null;
    }, 'a report of the worker\'s blocked wasm compilation');
    console.log(`control: ${JSON.stringify(reports.map((r) => [r['violated-directive'], r['blocked-uri']]))}`);
  });
});
