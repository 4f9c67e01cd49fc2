// The widget on <input>, contenteditable, a scrolled textarea, two fields at
// once and <nextkey-textarea>, with trusted key events on the default model.
import { defineNextkeyElements } from '../../dist/widget.js';
import { assert, assertEqual } from '../helpers.js';
import { ime, press, screenshot, type } from './commands.js';
import { MODEL, assertGhostWhereTextLands, expectedSuggestion, ghostElement, ghostText, waitFor, widgetSuite } from './util.js';

const FONT = 'font:20px/1.4 "DejaVu Sans",sans-serif;caret-color:transparent;outline:none;color:#111;background:#fff;';

describe('widget on other fields', () => {
  const suite = widgetSuite();
  const { attachTo } = suite;


  it('<input type=text>: ghost in line with the text, Tab accepts, Ctrl+Z undoes the accept', async () => {
    const box = suite.stage(`<input type="text" style='${FONT}padding:6px 8px;border:1px solid #888;width:420px;height:44px;box-sizing:border-box'>`);
    const input = box.querySelector('input');
    const { handle, rec } = await attachTo(input);
    input.focus();
    await type('Shall I compare thee to a summ');
    await rec.answered();
    const want = await expectedSuggestion(suite.predictor, input.value);
    assert(want, 'a suggestion');
    assertEqual(ghostText(handle), want, 'ghost');
    await screenshot('input-ghost', '.stage');
    await assertGhostWhereTextLands(handle, press);
    assertEqual(input.value, `Shall I compare thee to a summ${want}`, 'accepted');
    await press('Control+z');
    assertEqual(input.value, 'Shall I compare thee to a summ', 'undo');
  });

  it('<input type=search> is served too', async () => {
    const box = suite.stage(`<input type="search" style='${FONT}width:420px'>`);
    const input = box.querySelector('input');
    const { handle, rec } = await attachTo(input);
    input.focus();
    await type('How to make bre');
    await rec.answered();
    assertEqual(ghostText(handle) || null, await expectedSuggestion(suite.predictor, 'How to make bre'), 'ghost');
  });

  it('contenteditable: ghost at the caret in the text\'s font, Tab accepts, Ctrl+Z undoes, caret before a word shows none', async () => {
    const box = suite.stage(`<div contenteditable style='${FONT}padding:8px 10px;border:2px solid #888;width:460px;min-height:80px'></div>`);
    const div = box.querySelector('div');
    const { handle, rec } = await attachTo(div);
    div.focus();
    await type('All the world\'s a sta');
    await rec.answered();
    const want = await expectedSuggestion(suite.predictor, 'All the world\'s a sta');
    assert(want, 'a suggestion');
    assertEqual(ghostText(handle), want, 'ghost');
    const g = getComputedStyle(ghostElement(handle));
    assertEqual([g.fontFamily, g.fontSize], [getComputedStyle(div).fontFamily, getComputedStyle(div).fontSize], 'ghost font');
    await screenshot('contenteditable-ghost', '.stage');
    await assertGhostWhereTextLands(handle, press);
    // A trailing space lands as a no-break space, as typing one would in a contenteditable.
    assertEqual(div.textContent.replace(/\u00a0/g, ' '), `All the world's a sta${want}`, 'accepted');
    await press('Control+z');
    assertEqual(div.textContent, 'All the world\'s a sta', 'undo removes just the accepted text');
    await rec.answered('an answer after undo');
    await press('ArrowLeft', 3);
    await waitFor(() => ghostText(handle) === '', 'no ghost with the caret before a word (midtext.test.js: before a space)');
    assertEqual(div.innerHTML, 'All the world\'s a sta', 'the widget never wrote into the element');
  });

  it('contenteditable: suggestions on a second line read the line break; IME composes as without the widget', async () => {
    const box = suite.stage(`<div contenteditable style='${FONT}padding:8px;border:1px solid #888;width:460px;min-height:80px'></div><div contenteditable style='${FONT}'></div>`);
    const [div, plain] = box.querySelectorAll('div');
    const { handle, rec } = await attachTo(div);
    div.focus();
    await type('Dear Sir,');
    await press('Enter');
    await type('I am writi');
    const event = await waitFor(() => rec.events.find((e) => e.text === 'Dear Sir,\nI am writi'), 'an answer for line 2, read with its line break');
    const want = await expectedSuggestion(suite.predictor, 'Dear Sir,\nI am writi');
    assert(want, 'a suggestion');
    assertEqual(ghostText(handle), want, 'ghost for the two-line text');
    assertEqual(event.suggestion, want, 'event');
    const ghost = ghostElement(handle).getBoundingClientRect();
    const line2 = div.lastChild.getBoundingClientRect?.() ?? div.getBoundingClientRect();
    assert(ghost.top >= line2.top - 1 && ghost.bottom <= line2.bottom + 1, 'ghost on line 2');

    const logOf = (el) => {
      const log = [];
      for (const t of ['compositionstart', 'compositionupdate', 'compositionend', 'beforeinput', 'input']) {
        el.addEventListener(t, (e) => log.push([t, e.data ?? null, e.inputType ?? null, e.defaultPrevented, el.innerHTML]));
      }
      return log;
    };
    const compose = async (el) => {
      el.focus();
      await type('Hi ');
      await ime([{ compose: 'に' }, { compose: 'にほ' }, { compose: 'にほん' }]);
      if (el === div) assertEqual(ghostText(handle), '', 'no ghost while composing');
      await ime([{ commit: '日本' }]);
    };
    div.textContent = '';
    const plainLog = logOf(plain);
    const widgetLog = logOf(div);
    await compose(plain);
    await compose(div);
    assertEqual(div.innerHTML, 'Hi 日本', 'composed');
    assertEqual(widgetLog, plainLog, 'same composition events and DOM as without the widget');
  });

  it('a scrolled textarea: the ghost follows the scroll position', async () => {
    const box = suite.stage(`<textarea style='${FONT}padding:6px;border:1px solid #888;width:360px;height:90px'></textarea>`);
    const ta = box.querySelector('textarea');
    const { handle, rec } = await attachTo(ta);
    ta.focus();
    await type('one\ntwo\nthree\nfour\nfive\nsix\nThe quick brown fo');
    await rec.answered();
    assert(ta.scrollTop > 0, 'the textarea scrolled');
    const want = await expectedSuggestion(suite.predictor, ta.value);
    assert(want, 'a suggestion');
    assertEqual(ghostText(handle), want, 'ghost');
    await screenshot('textarea-scrolled', '.stage');
    await assertGhostWhereTextLands(handle, press);
  });

  it('two fields on one predictor: each has its own session and its own ghost', async () => {
    const box = suite.stage(`<textarea style='${FONT}width:420px;height:60px'></textarea><input style='${FONT}width:420px'>`);
    const [ta, input] = [box.querySelector('textarea'), box.querySelector('input')];
    const a = await attachTo(ta);
    const b = await attachTo(input);
    ta.focus();
    await type('The quick brown fo');
    await a.rec.answered();
    input.focus();
    assertEqual(ghostText(a.handle), '', 'a field without focus shows no ghost');
    await type('Once upon a ti');
    await b.rec.answered();
    assertEqual(ghostText(b.handle) || null, await expectedSuggestion(suite.predictor, 'Once upon a ti'), 'field 2 ghost');
    ta.focus();
    await a.rec.answered('field 1 to answer again on focus');
    assertEqual(ghostText(a.handle) || null, await expectedSuggestion(suite.predictor, 'The quick brown fo'), 'field 1 ghost: its session kept its own text');
    assertEqual(ghostText(b.handle), '', 'field 2 ghost gone with focus');
    await screenshot('two-fields', '.stage');
  });

  it('<nextkey-textarea>: dist/element.js registers it; fields with one model share a predictor; removal detaches', async () => {
    await import('../../dist/element.js');
    const Ctor = customElements.get('nextkey-textarea');
    assert(Ctor, 'registered by importing dist/element.js');
    assertEqual(defineNextkeyElements(), Ctor, 'defineNextkeyElements() returns the registered class');
    // Count the workers started: fields given the same model must share one.
    const RealWorker = window.Worker;
    let workers = 0;
    window.Worker = class extends RealWorker {
      constructor(...args) {
        super(...args);
        workers++;
      }
    };
    const box = suite.stage(`
      <nextkey-textarea model="${MODEL}" min-confidence="0" placeholder="Write here" name="a"></nextkey-textarea>
      <nextkey-textarea model="${MODEL}" min-confidence="0"><input type="text" name="b" style='${FONT}'></nextkey-textarea>`);
    const [first, second] = box.querySelectorAll('nextkey-textarea');
    const ta = first.querySelector('textarea');
    assert(ta, 'made a textarea');
    assertEqual([ta.name, ta.placeholder], ['a', 'Write here'], 'forwarded attributes');
    assertEqual(second.handle.element, second.querySelector('input'), 'uses the field inside');
    try {
      await first.handle.ready;
      await second.handle.ready;
    } finally {
      window.Worker = RealWorker;
    }
    assertEqual(workers, 1, 'one worker (one predictor) for both fields');
    ta.focus();
    await type('It is a truth universally ackn');
    await waitFor(() => ghostText(first.handle), 'a ghost in <nextkey-textarea>');
    assertEqual(ghostText(first.handle), await expectedSuggestion(suite.predictor, ta.value), 'ghost');
    await screenshot('element-ghost', '.stage');
    const overlay = first.handle.overlay;
    first.remove();
    assert(!overlay.isConnected, 'overlay removed with the element');
    assertEqual(first.handle, null, 'detached');
    assert(!ta.hasAttribute('aria-describedby'), 'field restored');
  });
});
