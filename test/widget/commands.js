// Browser side of test/widget/commands.mjs: sends a command to the test
// runner over its web socket, as @web/test-runner-commands does (the runner's
// own protocol; no dependency needed).
const sessionId = new URL(location.href).searchParams.get('wtr-session-id');

/** Runs server command `name` (see commands.mjs) with `payload`; resolves to its result. */
export async function command(name, payload = {}) {
  if (!sessionId) throw new Error('server commands need a page run by web-test-runner');
  const { sendMessageWaitForResponse } = await import('/__web-dev-server__web-socket.js');
  const response = await sendMessageWaitForResponse({ type: 'wtr-command', sessionId, command: name, payload });
  if (!response.executed) throw new Error(`unknown server command ${name}: is widgetCommands() in the plugins of web-test-runner.config.mjs?`);
  return response.result;
}

/** Trusted key presses, one per character. */
export const type = (text, delay = 0) => command('nk-type', { text, delay });
/** One trusted key press (Playwright key syntax), `times` times. */
export const press = (key, times = 1) => command('nk-press', { key, times });
/** An IME session through the DevTools protocol: steps of { compose } and { commit }. */
export const ime = (steps) => command('nk-ime', { steps });
/** A trusted paste of `text` through the system clipboard. */
export const paste = (text) => command('nk-paste', { text });
/** Saves test-artifacts/widget/<name>.png of the page, or of the element matching `selector`. */
export const screenshot = (name, selector) => command('nk-screenshot', { name, selector });
/** Starts recording every request of the browser context (page and workers). */
export const recordRequests = () => command('nk-requests', { action: 'start' });
/** Stops recording; resolves to the requests seen, as { url, method, postData }. */
export const recordedRequests = () => command('nk-requests', { action: 'stop' });
/**
 * Runs `npm run eval -- ...args` in Node on the test server; resolves to { code, stdout, stderr }.
 * Started, then polled: however long it takes, no single command waits past the runner's limit.
 */
export async function runEval(args) {
  return poll(await command('nk-eval-start', { args }));
}

/**
 * Opens `path` in a new top-level page, waits for its #status to say ready (or
 * an error) and the network to go quiet: { status, failed: [{ url, status }] }.
 */
export async function visit(path) {
  return poll(await command('nk-visit-start', { path }));
}

/** PyTorch's reference probabilities for the model folder at `model` fed `text` (training/parity.py), as its JSON. */
export async function pytorchReference(model, text) {
  const r = await poll(await command('nk-parity-start', { model, text }));
  if (r.error) throw new Error(r.error);
  return r;
}

/** Waits for a job the server runs without a time limit (the runner answers a command within 20 s; a poll within 5). */
async function poll({ id }) {
  for (;;) {
    const r = await command('nk-poll', { id });
    if (r.done) return r.result;
  }
}
