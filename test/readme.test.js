// README.md's snippets, run as written (test/cdn/server.mjs takes them out
// of README.md by their <!-- snippet: … --> markers), so the README cannot
// drift from what works: the script tag on a page under the README's own
// Content-Security-Policy (plus default-src 'none'), with nextkey on a second
// origin as a CDN serves it and the README's integrity hash checked by the
// browser; the npm snippets as modules whose 'nextkey' import resolves to that
// origin; the self-hosting server's CORS header.
import { assert, assertEqual } from './helpers.js';
import { type } from './widget/commands.js';
import { pause, waitFor } from './widget/util.js';
import { TEXT, cdnInfo } from './cdn/util.js';

async function openFrame(src) {
  const frame = document.createElement('iframe');
  frame.style.cssText = 'width:640px;height:180px;border:1px solid #ccc;';
  const loaded = new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
  frame.src = src;
  document.body.prepend(frame);
  await loaded;
  return { frame, win: frame.contentWindow, doc: frame.contentDocument };
}

/** Types TEXT into the frame's textarea with real keys; resolves to the ghost text the widget draws. */
async function typeAndSeeGhost({ frame, doc }) {
  const ta = doc.querySelector('textarea');
  frame.focus();
  ta.focus();
  await type(TEXT);
  return waitFor(() => {
    const overlay = doc.querySelector('.nextkey-overlay');
    const text = overlay?.querySelector('.nextkey-ghost')?.textContent;
    return overlay && !overlay.hidden && ta.value === TEXT && text ? text : null;
  }, `ghost text after typing ${JSON.stringify(TEXT)}`);
}

describe('README.md snippets, as written', () => {
  let info;
  before(async () => {
    info = await cdnInfo();
  });
  afterEach(() => {
    for (const f of document.querySelectorAll('iframe')) f.remove();
  });

  it('the script-tag snippet autocompletes under the README\'s CSP, from a second origin, with the README\'s integrity hash', async () => {
    const id = `readme-${Date.now()}`;
    const page = await openFrame(`/__cdn/readme/script-tag.html?id=${id}`);
    assert(
      page.win.nextkey,
      `the script did not run: blocked by the policy, or README.md's integrity is not this build's (${info.integrity['dist/nextkey.min.js']})`,
    );
    const host = page.doc.querySelector('nextkey-textarea');
    await waitFor(() => host.status !== 'loading', 'the widget to load');
    assertEqual(host.status, 'ready', `status (error: ${host.error})`);
    const ghost = await typeAndSeeGhost(page);
    assert(ghost.length > 0, 'a suggestion');
    await pause(1000); // reports are posted asynchronously
    // The test server injects its own client script into every HTML page it serves; the README's
    // policy rightly blocks it. That report is the runner's, not nextkey's: every other one fails.
    const reports = (await (await fetch(`/__cdn/csp-reports?id=${id}`)).json()).filter((r) => !String(r['blocked-uri']).endsWith('/__web-dev-server__web-socket.js'));
    assertEqual(reports, [], 'CSP violations reported for the page and its worker');
  });

  it('the npm widget snippet, as a module importing nextkey/widget, autocompletes', async () => {
    const page = await openFrame('/__cdn/readme/module.html?name=npm-widget');
    const result = await page.win.snippet;
    assert(result.ok, `the snippet threw: ${result.error}`);
    await waitFor(() => page.doc.querySelector('.nextkey-overlay'), 'the widget\'s overlay');
    const ghost = await typeAndSeeGhost(page);
    assert(ghost.length > 0, 'a suggestion');
  });

  it('the predictor snippet runs to its end and logs real predictions, completions and sampled text', async () => {
    const page = await openFrame('/__cdn/readme/module.html?name=predictor');
    const result = await page.win.snippet;
    assert(result.ok, `the snippet threw: ${result.error}`);
    const logs = page.win.logs;
    assert(logs.some((args) => args[0] === 'ready'), 'onProgress reported ready');
    const backend = logs.find((args) => args.length === 1 && args[0] && typeof args[0].name === 'string')?.[0];
    assert(['wasm', 'webgl', 'cpu'].includes(backend?.name), `predictor.backend was logged: ${JSON.stringify(backend)}`);
    const predictions = logs.find((args) => Array.isArray(args[0]) && args[0][0]?.char !== undefined)?.[0];
    assertEqual(predictions?.length, 5, 'five next characters logged');
    const last = logs[logs.length - 1];
    assert(Array.isArray(last[0]) && last[0].length > 0 && typeof last[0][0].text === 'string', 'completions logged');
    assertEqual([...last[1]].length, 40, '40 sampled characters');
  });

  it('the self-hosting server sends Access-Control-Allow-Origin', async () => {
    const res = await (await fetch('/__cdn/readme/cors')).json();
    assertEqual(res.status, 200, 'status');
    assertEqual(res.body, 'ok', 'body');
    assertEqual(res.headers['access-control-allow-origin'], '*', 'the CORS header');
  });
});
