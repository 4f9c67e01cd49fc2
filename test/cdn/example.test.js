// examples/cdn/index.html as written (only its "CDN" URL pointed at this
// run's CDN origin): one script tag and one <nextkey-textarea> give ghost
// text, and the page's status line shows loading, ready, and what went wrong
// when the CDN or the model cannot be reached.
import { assert } from '../helpers.js';
import { type } from '../widget/commands.js';
import { waitFor } from '../widget/util.js';
import { TEXT, cdnInfo } from './util.js';

async function openExample(query = '') {
  const frame = document.createElement('iframe');
  frame.style.cssText = 'width:760px;height:360px;';
  const loaded = new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
  frame.src = `/__cdn/example.html${query}`;
  document.body.prepend(frame);
  await loaded;
  return { frame, doc: frame.contentDocument, win: frame.contentWindow };
}

describe('examples/cdn/index.html', () => {
  before(cdnInfo);
  afterEach(() => {
    for (const f of document.querySelectorAll('iframe')) f.remove();
  });

  it('shows it is loading, then ready, and autocompletes, loading everything from the CDN origin', async () => {
    const { frame, doc, win } = await openExample();
    assert(win.nextkey, 'the page\'s script tag defined nextkey');
    const status = doc.getElementById('status');
    const first = status.textContent;
    assert(/loading/.test(first) || /ready/.test(first), `a loading line first: ${first}`);
    await waitFor(() => /^ready/.test(status.textContent), `the status line to say ready (it says: ${status.textContent})`);
    const ta = doc.querySelector('textarea');
    frame.focus();
    ta.focus();
    await type(TEXT);
    const ghost = await waitFor(() => {
      const overlay = doc.querySelector('.nextkey-overlay');
      const text = overlay?.querySelector('.nextkey-ghost')?.textContent;
      return overlay && !overlay.hidden && ta.value === TEXT && text ? text : null;
    }, 'ghost text in the example page');
    assert(ghost.length > 0, 'a suggestion');
  });

  it('a model that cannot be fetched: the status line shows the ModelFetchError, in the error style', async () => {
    const { doc } = await openExample('?model=/models/no-such-model/');
    const status = doc.getElementById('status');
    await waitFor(() => status.classList.contains('error'), 'an error on the status line');
    assert(/ModelFetchError/.test(status.textContent) && status.textContent.includes('/models/no-such-model/'), `it names the error and the URL: ${status.textContent}`);
    assert(doc.querySelector('nextkey-textarea').getAttribute('status') === 'error', 'the element says error');
  });

  it('a CDN that cannot be reached: the status line says the script could not load', async () => {
    const { doc } = await openExample('?cdn=down');
    const status = doc.getElementById('status');
    await waitFor(() => status.classList.contains('error'), 'an error on the status line');
    assert(/could not load http:\/\/127\.0\.0\.1:9\/dist\/nextkey\.min\.js/.test(status.textContent), `it names the script: ${status.textContent}`);
  });
});
