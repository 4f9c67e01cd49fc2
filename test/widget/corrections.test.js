// Typo corrections in the widget (issue 20), on the default model (it ships
// the corrector), with trusted key events on a <textarea>, an <input> and a
// contenteditable: when a word is finished with a space or punctuation and
// the corrector thinks it mistyped, the correction is offered in a callout
// ("~~teh~~ → the"); nothing changes in the field until a key accepts it;
// Backspace right after an accepted correction brings back what was typed;
// autocorrect replaces at once; an IME composition is never touched.
import { attach, shouldCorrect } from '../../dist/widget.js';
import { assert, assertEqual } from '../helpers.js';
import { ime, press, screenshot, type } from './commands.js';
import { FONT, pause, plain, textBefore, waitFor, widgetSuite } from './util.js';

describe('widget: typo corrections', function () {
  this.timeout(300_000);
  const suite = widgetSuite();
  let events;
  const attachTo = async (el, options = {}) => {
    events = [];
    const attached = await suite.attachTo(el, { onCorrection: (e) => events.push(e), ...options });
    el.focus();
    return attached;
  };

  /** What a fresh session's corrector says of the word `text` has just finished, and whether the widget's rule offers it. */
  async function expected(text) {
    const s = await suite.predictor.session();
    await s.setText(text);
    const r = await s.corrections({ k: 3 });
    await s.dispose();
    return { ...r, offer: !!r.word && shouldCorrect(r.corrections, r.word) };
  }

  const callout = (handle) => handle.overlay.querySelector('.nextkey-callout');
  const shownText = (handle) => (handle.overlay.hidden || callout(handle).style.display === 'none' ? '' : callout(handle).textContent);

  /** Types `text` (ending with a space), waits for the offer, and checks what is drawn and that the field is as typed. */
  async function offered(el, handle, text, value, typed, fix) {
    const want = await expected(text);
    assert(want.offer && want.corrections[0].text === fix, `the corrector corrects ${typed} to ${fix} after ${JSON.stringify(text)}: ${JSON.stringify(want.corrections)}`);
    await type(text);
    await waitFor(() => handle.correction, `the correction of ${typed}`);
    assertEqual(handle.correction, { typed, text: fix, p: want.corrections[0].p }, 'the correction offered');
    assertEqual(plain(value()), text, 'nothing replaced without the user');
    // Drawn so the change shows: the typed word struck through, an arrow, the correction with the changed letters in bold.
    assertEqual(shownText(handle), `${typed} → ${fix}Tab`, 'the callout, with the key that accepts it');
    assertEqual(callout(handle).querySelector('.nextkey-typed').style.textDecorationLine || callout(handle).querySelector('.nextkey-typed').style.textDecoration, 'line-through', 'typed word struck through');
    const changed = callout(handle).querySelector('.nextkey-changed');
    assert(changed.textContent.length > 0 && fix.includes(changed.textContent) && changed.style.fontWeight === 'bold', `changed letters in bold: ${changed.textContent}`);
    const c = callout(handle).getBoundingClientRect();
    const f = el.getBoundingClientRect();
    assert(c.width > 0 && c.height > 0 && c.top >= f.top - c.height - 8 && c.top <= f.bottom + 8, 'the callout is beside the field');
    assertEqual(events.at(-1), { action: 'offered', typed, correction: fix, p: want.corrections[0].p }, 'onCorrection: offered');
    assert(document.getElementById(el.getAttribute('aria-describedby').split(' ').at(-1)).textContent.startsWith(`Correction: ${fix} for ${typed}.`), 'described for assistive technology');
  }

  it('<textarea>: offered after the space, Tab accepts, Backspace right after brings back what was typed, and it is not offered again', async () => {
    const box = suite.stage(`<textarea style='${FONT}width:460px;height:120px'></textarea>`);
    const ta = box.querySelector('textarea');
    const { handle, rec } = await attachTo(ta);
    await offered(ta, handle, 'I saw teh ', () => ta.value, 'teh', 'the');
    await screenshot('correction-textarea', '.stage');
    await press('Tab');
    assertEqual(ta.value, 'I saw the ', 'Tab put the correction in place, the space kept');
    assertEqual(textBefore(ta), 'I saw the ', 'caret after it');
    assertEqual(handle.correction, null, 'nothing offered now');
    assertEqual(events.at(-1).action, 'accepted', 'onCorrection: accepted');
    await press('Backspace');
    assertEqual(ta.value, 'I saw teh ', 'Backspace right after brought back what was typed');
    assertEqual(events.at(-1).action, 'reverted', 'onCorrection: reverted');
    // A second Backspace is a Backspace again.
    await press('Backspace');
    assertEqual(ta.value, 'I saw teh', 'an ordinary Backspace');
    await type(' ');
    await rec.answered('the suggestion for the text, not a correction');
    assertEqual(handle.correction, null, 'a word taken back is not offered again');
    await type('and teh ');
    await rec.answered('the answer after "and teh "');
    assertEqual(handle.correction, null, 'not offered again in this field');
  });

  it('<input type=text>: typing on or Escape leaves the word as typed; the offer lasts only until the next edit', async () => {
    const box = suite.stage(`<input type="text" style='${FONT}width:520px'>`);
    const input = box.querySelector('input');
    const { handle, rec } = await attachTo(input);
    await offered(input, handle, 'I saw teh ', () => input.value, 'teh', 'the');
    await type('c');
    assertEqual(input.value, 'I saw teh c', 'typed on: the word stays as typed');
    assertEqual(handle.correction, null, 'the offer is gone');
    await press('Backspace');
    await rec.answered('an answer after Backspace');
    assertEqual(handle.correction, null, 'not offered for a caret moved back after the space');
    await press('Control+a');
    await type('We went teh ');
    await waitFor(() => handle.correction, 'the offer');
    await press('Escape');
    assertEqual(handle.correction, null, 'Escape dismissed it');
    assertEqual(input.value, 'We went teh ', 'the word as typed');
    assertEqual(handle.acceptCorrection(), false, 'acceptCorrection() with nothing offered');
  });

  it('a long misspelling the decoder\'s beams lose is offered from the known words an edit away ("aquainted" → "acquainted")', async () => {
    const box = suite.stage(`<textarea style='${FONT}width:460px;height:120px'></textarea>`);
    const ta = box.querySelector('textarea');
    const { handle } = await attachTo(ta);
    await offered(ta, handle, 'We are aquainted ', () => ta.value, 'aquainted', 'acquainted');
    await screenshot('correction-near-word', '.stage');
    await press('Tab');
    assertEqual(ta.value, 'We are acquainted ', 'accepted');
  });

  it('a name typed in lower case is offered with its capital ("carribean" → "Caribbean")', async () => {
    const box = suite.stage(`<textarea style='${FONT}width:460px;height:120px'></textarea>`);
    const ta = box.querySelector('textarea');
    const { handle } = await attachTo(ta);
    await offered(ta, handle, 'We sailed across the carribean ', () => ta.value, 'carribean', 'Caribbean');
    await screenshot('correction-name', '.stage');
    await press('Tab');
    assertEqual(ta.value, 'We sailed across the Caribbean ', 'accepted');
  });

  it('contenteditable: offered, accepted with Tab and taken back with Backspace', async () => {
    const box = suite.stage(`<div contenteditable style='${FONT}padding:8px;width:460px;min-height:80px'></div>`);
    const div = box.querySelector('div');
    const { handle } = await attachTo(div);
    await offered(div, handle, 'I saw teh ', () => div.textContent, 'teh', 'the');
    await screenshot('correction-contenteditable', '.stage');
    await press('Tab');
    assertEqual(plain(div.textContent), 'I saw the ', 'accepted');
    await press('Backspace');
    assertEqual(plain(div.textContent), 'I saw teh ', 'taken back');
  });

  it('autocorrect: true replaces the word as soon as it is finished; Backspace right after brings it back', async () => {
    const box = suite.stage(`<textarea style='${FONT}width:460px;height:120px'></textarea>`);
    const ta = box.querySelector('textarea');
    const { handle } = await attachTo(ta, { autocorrect: true });
    const want = await expected('I saw teh ');
    assert(want.offer, 'the corrector corrects it');
    await type('I saw teh ');
    await waitFor(() => ta.value === 'I saw the ', 'the word replaced');
    assertEqual(events.map((e) => e.action), ['autocorrected'], 'onCorrection: autocorrected');
    assertEqual(handle.correction, null, 'nothing left to offer');
    await press('Backspace');
    assertEqual(ta.value, 'I saw teh ', 'Backspace brought back what was typed');
    await type('x');
    assertEqual(ta.value, 'I saw teh x', 'and typing goes on from there');
  });

  it('a word composed with an IME is never touched, even with autocorrect', async () => {
    const box = suite.stage(`<textarea style='${FONT}width:460px;height:120px'></textarea>`);
    const ta = box.querySelector('textarea');
    const { handle, rec } = await attachTo(ta, { autocorrect: true });
    await type('I saw ');
    await ime([{ compose: 't' }, { compose: 'te' }, { compose: 'teh' }, { commit: 'teh ' }]);
    assertEqual(ta.value, 'I saw teh ', 'the composed text as committed');
    await rec.answered('an answer after the composition');
    await pause();
    assertEqual(ta.value, 'I saw teh ', 'not replaced');
    assertEqual(events, [], 'no correction offered or made');
    assertEqual(handle.correction, null, 'nothing offered');
  });

  it('corrections: false turns it off; bad options are refused with the option named', async () => {
    const box = suite.stage(`<textarea style='${FONT}width:460px;height:120px'></textarea><textarea></textarea>`);
    const [ta, other] = box.querySelectorAll('textarea');
    const { handle, rec } = await attachTo(ta, { corrections: false });
    await type('I saw teh ');
    await rec.answered('the suggestion after "teh "');
    assertEqual(handle.correction, null, 'no correction offered');
    assertEqual(events, [], 'no events');
    for (const [options, pattern] of [
      [{ autocorrect: 'yes' }, /attach\(\{ autocorrect \}\) must be true or false/],
      [{ minCorrectionConfidence: 2 }, /attach\(\{ minCorrectionConfidence \}\) must be a number from 0 to 1/],
      [{ minCorrectionConfidence: { known: 0.5, unknwn: 0.2 } }, /attach\(\{ minCorrectionConfidence \}\) must be a number from 0 to 1 or \{ known, unknown \}/],
      [{ correctKeys: 'Tab' }, /attach\(\{ correctKeys \}\) must be an array/],
      [{ onCorrection: 1 }, /attach\(\{ onCorrection \}\) must be a function/],
    ]) {
      let error = null;
      try {
        attach(other, { predictor: suite.predictor, ...options });
      } catch (e) {
        error = e;
      }
      assert(error && error.name === 'InvalidArgumentError' && pattern.test(error.message), `${JSON.stringify(options)}: ${error?.message}`);
    }
  });

  it('a word written as an acronym, identifier or with a digit is not corrected unasked; a slip of the shift key is', async () => {
    const box = suite.stage(`<textarea style='${FONT}width:460px;height:120px'></textarea>`);
    const ta = box.querySelector('textarea');
    const { handle, rec } = await attachTo(ta);
    let text = 'Please read the';
    await type(text);
    const changed = [];
    for (const word of ['FOIA', 'ISSO', 'HTLM', 'kubeProxy', 'nodeSelectr', 'mp3s']) {
      text += ` ${word} `;
      // What the model says of the word (it may well want another) ...
      const want = await expected(text);
      assertEqual(want.word.text, word, `${word}: the word just finished`);
      if (want.corrections.length && want.corrections[0].text !== word) changed.push(word);
      // ... and the widget leaves it as typed.
      await type(` ${word} `);
      await rec.answered(`the suggestion after "${word} "`);
      assertEqual(handle.correction, null, `${word}: nothing offered`);
      assertEqual(plain(ta.value), text, `${word}: the field as typed`);
      await type('and');
      text += 'and';
    }
    assert(changed.length >= 2, `the model itself would change some of them: ${changed}`);
    // Pure policy: the same candidates, offered for a word in ordinary case.
    const list = [{ text: 'the', p: 0.9 }];
    assert(shouldCorrect(list, { text: 'teh', known: false }), 'teh: offered');
    assert(shouldCorrect([{ text: 'The', p: 0.9 }], { text: 'THe', known: false }), 'THe (shift held a key too long): offered');
    for (const w of ['TEH', 'tEh', 'teh2', 'iPhone', 'FOIA']) assert(!shouldCorrect(list, { text: w, known: false }), `${w}: not offered`);
  });
});
