// A widget that cannot work says so: status and error on the handle and on
// <nextkey-textarea>, a bubbling nextkey-error event, and console.error with
// what to change. A widget that loads says that too (nextkey-ready).
import { createPredictor, ModelFetchError, WorkerError } from '../../dist/index.js';
import { attach, defineNextkeyElements } from '../../dist/widget.js';
import { assert, assertEqual } from '../helpers.js';
import { MODEL, waitFor } from './util.js';

/** Records console.error calls (and still prints them) until stop(). */
function consoleErrors() {
  const calls = [];
  const original = console.error;
  console.error = (...args) => {
    calls.push(args);
    original.apply(console, args);
  };
  return { calls, stop: () => void (console.error = original) };
}

describe('widget status and errors', () => {
  it('a model that cannot be fetched: status error, ModelFetchError, a nextkey-error event and a console.error that explains the relative URL', async () => {
    const ta = document.body.appendChild(document.createElement('textarea'));
    ta.name = 'message';
    const events = [];
    document.addEventListener('nextkey-error', (e) => events.push(e), { once: true });
    const errors = consoleErrors();
    try {
      const handle = attach(ta, { model: '/models/no-such-model/' });
      assertEqual(handle.status, 'loading', 'status while loading');
      assertEqual(handle.error, null, 'no error yet');
      let rejected = null;
      await handle.ready.catch((e) => (rejected = e));
      assert(rejected instanceof ModelFetchError, `ready rejects with ModelFetchError, got ${rejected}`);
      await waitFor(() => handle.status === 'error', 'status error');
      assert(handle.error instanceof ModelFetchError, 'handle.error is the ModelFetchError');
      assertEqual(events.length, 1, 'one nextkey-error event, bubbled to the document');
      assertEqual(events[0].target, ta, 'fired on the field');
      assertEqual(events[0].detail.error, handle.error, 'the event carries the error');
      assertEqual(events[0].detail.handle, handle, 'and the handle');
      const said = errors.calls.map((args) => String(args[0])).find((m) => m.startsWith('nextkey:'));
      assert(said, 'console.error was called');
      assert(said.includes('<textarea name="message">'), `it names the field: ${said}`);
      assert(said.includes('/models/no-such-model/') && said.includes('relative') && said.includes(document.baseURI), `it says the relative model URL resolved against the page: ${said}`);
      assert(said.includes('leave `model` out'), `it says how to get the shipped model: ${said}`);
      await handle.detach();
      assertEqual(handle.status, 'detached', 'status after detach');
    } finally {
      errors.stop();
      ta.remove();
    }
  });

  it('a worker that cannot start: status error with WorkerError and advice about workerUrl and the CSP', async () => {
    const ta = document.body.appendChild(document.createElement('textarea'));
    const errors = consoleErrors();
    try {
      const predictor = createPredictor({ model: MODEL, workerUrl: '/no-such-worker.js' });
      predictor.catch(() => {});
      const handle = attach(ta, { predictor });
      await handle.ready.catch(() => {});
      await waitFor(() => handle.status === 'error', 'status error');
      assert(handle.error instanceof WorkerError, `WorkerError, got ${handle.error}`);
      const said = errors.calls.map((args) => String(args[0])).find((m) => m.startsWith('nextkey:'));
      assert(said?.includes('workerUrl') && said.includes('Content-Security-Policy'), `advice about the worker: ${said}`);
      await handle.detach();
    } finally {
      errors.stop();
      ta.remove();
    }
  });

  it('a model that loads: status ready and a nextkey-ready event; no console.error', async () => {
    const ta = document.body.appendChild(document.createElement('textarea'));
    const errors = consoleErrors();
    try {
      const ready = new Promise((resolve) => ta.addEventListener('nextkey-ready', resolve, { once: true }));
      const handle = attach(ta, { model: MODEL });
      await handle.ready;
      const event = await ready;
      assertEqual(event.detail.handle, handle, 'the event carries the handle');
      assertEqual(handle.status, 'ready', 'status');
      assertEqual(handle.error, null, 'no error');
      assertEqual(errors.calls.length, 0, 'nothing logged as an error');
      await handle.detach();
    } finally {
      errors.stop();
      ta.remove();
    }
  });

  it('<nextkey-textarea> with a model it cannot fetch: element.status, the status attribute, element.error and the event', async () => {
    defineNextkeyElements();
    const errors = consoleErrors();
    const host = document.createElement('nextkey-textarea');
    host.setAttribute('model', '/models/no-such-model/');
    const failed = new Promise((resolve) => host.addEventListener('nextkey-error', resolve, { once: true }));
    try {
      document.body.append(host);
      assertEqual(host.status, 'loading', 'loading at first');
      assertEqual(host.getAttribute('status'), 'loading', 'the attribute too');
      const event = await failed;
      assert(event.detail.error instanceof ModelFetchError, 'the event bubbled from the field to the element');
      await waitFor(() => host.getAttribute('status') === 'error', 'status="error"');
      assertEqual(host.status, 'error', 'element.status');
      assert(host.error instanceof ModelFetchError, 'element.error');
      assert(errors.calls.some((args) => String(args[0]).includes('relative')), 'console.error explained it');
    } finally {
      host.remove();
      errors.stop();
    }
    assertEqual(host.status, 'detached', 'out of the document');
    assert(!host.hasAttribute('status'), 'the attribute goes with it');
  });
});
