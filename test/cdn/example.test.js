// examples/cdn/index.html as written (only its "CDN" URL pointed at this
// run's CDN origin): one script tag and one attach() call give ghost text.
import { assert } from '../helpers.js';
import { type } from '../widget/commands.js';
import { waitFor } from '../widget/util.js';
import { TEXT, cdnInfo } from './util.js';

describe('examples/cdn/index.html', () => {
  it('autocompletes in its textarea, loading everything from the CDN origin', async () => {
    await cdnInfo();
    const frame = document.createElement('iframe');
    frame.style.cssText = 'width:640px;height:200px;';
    const loaded = new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
    frame.src = '/__cdn/example.html';
    document.body.prepend(frame);
    await loaded;
    const doc = frame.contentDocument;
    assert(frame.contentWindow.nextkey, 'the page\'s script tag defined nextkey');
    const ta = doc.querySelector('textarea');
    // The page's attach() call left its overlay in the page; wait for its predictor before typing.
    await waitFor(() => doc.querySelector('.nextkey-overlay'), 'the widget\'s overlay');
    frame.focus();
    ta.focus();
    await type(TEXT);
    const ghost = await waitFor(() => {
      const overlay = doc.querySelector('.nextkey-overlay');
      const text = overlay.querySelector('.nextkey-ghost')?.textContent;
      return !overlay.hidden && ta.value === TEXT && text ? text : null;
    }, 'ghost text in the example page');
    assert(ghost.length > 0, 'a suggestion');
    frame.remove();
  });
});
