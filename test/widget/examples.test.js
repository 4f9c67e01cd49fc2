// The demo pages as a person opens them: the index links every demo, and no
// page asks for anything the server does not have (a favicon included).
import { assert, assertEqual } from '../helpers.js';
import { visit } from './commands.js';
import { waitFor } from './util.js';

const DEMOS = ['autocomplete/', 'cdn/', 'fine-tune/'];

describe('examples/', function () {
  this.timeout(0);

  it('the index links every demo, and each link opens a page', async () => {
    const html = await (await fetch('/examples/index.html')).text();
    const links = [...new DOMParser().parseFromString(html, 'text/html').querySelectorAll('a[href]')].map((a) => a.getAttribute('href'));
    for (const demo of DEMOS) {
      assert(links.includes(demo), `examples/index.html links ${demo} (links: ${links.join(', ')})`);
      assertEqual((await fetch(`/examples/${demo}`)).status, 200, `${demo} is served`);
    }
  });

  for (const path of ['index.html', ...DEMOS]) {
    it(`examples/${path} declares its icon and loads with no failed request`, async () => {
      // Without a declared icon a browser asks for /favicon.ico, which is not there: a 404 in
      // the console of every demo (headless Chromium asks for none, so it is checked here).
      const html = await (await fetch(`/examples/${path}`)).text();
      const doc = new DOMParser().parseFromString(html, 'text/html');
      assert(doc.querySelector('link[rel~="icon"]'), `examples/${path} declares <link rel="icon">`);
      // The CDN demo loads the package from npm start's second port; here, from the test's CDN origin.
      const { status, failed } = await visit(path === 'cdn/' ? '/__cdn/example.html' : `/examples/${path}`);
      assert(!/error|could not/i.test(status), `examples/${path} loaded: ${status}`);
      assertEqual(failed, [], `failed requests of examples/${path} (status: ${status})`);
    });
  }
});

describe('examples/fine-tune/', function () {
  this.timeout(0);

  it('a run the time budget ends says so, not "batch 19 of 63 … 0 s left"', async () => {
    const frame = document.createElement('iframe');
    frame.style.cssText = 'width:900px;height:600px;';
    const loaded = new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
    frame.src = '/examples/fine-tune/';
    document.body.prepend(frame);
    await loaded;
    const doc = frame.contentDocument;
    const $ = (id) => doc.getElementById(id);
    await waitFor(() => !$('train').disabled || /Error/.test($('status').textContent), 'the demo to load its model', 600_000);
    $('sample').click();
    await waitFor(() => $('text').value.length > 0, 'the sample text');
    $('budget').value = '2';
    $('epochs').value = '1000';
    const seen = [];
    const watch = new MutationObserver(() => seen.push($('stats').textContent));
    watch.observe($('stats'), { childList: true, characterData: true, subtree: true });
    $('train').click();
    await waitFor(() => !$('train').disabled && /held-out bits per character|Error/.test($('result').textContent), 'the run to end', 600_000);
    watch.disconnect();
    const stats = $('stats').textContent;
    assert(/^stopped by the 2 s time budget after \d+ batches/.test(stats), `the end of the run is explained: ${JSON.stringify(stats)}`);
    assert(/held-out bits per character \d\.\d+ → \d\.\d+/.test($('result').textContent), `result: ${$('result').textContent}`);
    assert(seen.length > 0 && seen.every((t) => !/\b0 s left/.test(t)), `no "0 s left" while it ran: ${JSON.stringify(seen.slice(-3))}`);
    frame.remove();
  });
});
