// The demo pages as a person opens them: the index links every demo, and no
// page asks for anything the server does not have (a favicon included).
import { assert, assertEqual } from '../helpers.js';
import { command } from './commands.js';

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
      const { status, failed } = await command('nk-visit', { path: `/examples/${path}` });
      assertEqual(failed, [], `failed requests of examples/${path} (status: ${status})`);
    });
  }
});
