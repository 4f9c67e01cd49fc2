// Server commands for the widget's end-to-end tests: real input through the
// Playwright page that runs the test file (trusted key events, the DevTools
// protocol's IME, the system clipboard) and screenshots.
//
// Browser side: `import { command } from './commands.js'` (test/widget/commands.js).
// Every command name starts with `nk-` so it cannot clash with other plugins.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ARTIFACTS = 'test-artifacts/widget';

/** One DevTools protocol session per page, made on first use. */
const cdpSessions = new WeakMap();
async function cdp(page) {
  let s = cdpSessions.get(page);
  if (!s) {
    s = await page.context().newCDPSession(page);
    cdpSessions.set(page, s);
  }
  return s;
}

/** Request logs of 'nk-requests', per page. */
const recorders = new WeakMap();

const handlers = {
  /** { text, delay? }: types text with one trusted key press per character. */
  async 'nk-type'(page, { text, delay = 0 }) {
    await page.keyboard.type(text, { delay });
  },
  /** { key }: one key press, Playwright syntax ('Tab', 'Escape', 'Control+z', 'Shift+ArrowLeft'). */
  async 'nk-press'(page, { key, times = 1 }) {
    for (let i = 0; i < times; i++) await page.keyboard.press(key);
  },
  /**
   * { steps }: an IME session through the DevTools protocol, as a Korean,
   * Japanese or Chinese input method drives the page. Each step is either
   * { compose: 'text' } (Input.imeSetComposition: start or update the marked
   * text, caret at its end) or { commit: 'text' } (Input.insertText: end the
   * composition, inserting the final text).
   */
  async 'nk-ime'(page, { steps }) {
    const s = await cdp(page);
    for (const step of steps) {
      if ('compose' in step) {
        const n = step.compose.length;
        await s.send('Input.imeSetComposition', { text: step.compose, selectionStart: n, selectionEnd: n });
      } else {
        await s.send('Input.insertText', { text: step.commit });
      }
    }
  },
  /** { text }: puts text on the system clipboard and pastes it with Ctrl+V (a trusted paste event). */
  async 'nk-paste'(page, { text }) {
    const origin = new URL(page.url()).origin;
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    await page.evaluate((t) => navigator.clipboard.writeText(t), text);
    await page.keyboard.press('Control+V');
  },
  /** { name, selector? }: saves a PNG of the page (or of one element) to test-artifacts/widget/<name>.png. */
  async 'nk-screenshot'(page, { name, selector }) {
    if (!/^[\w.-]+$/.test(name)) throw new Error(`screenshot name must be [A-Za-z0-9_.-]+, got ${name}`);
    await mkdir(ARTIFACTS, { recursive: true });
    const path = join(ARTIFACTS, `${name}.png`);
    if (selector) await page.locator(selector).screenshot({ path });
    else await page.screenshot({ path });
    return path;
  },
  /**
   * { action: 'start' | 'stop' }: records every request the browser context
   * makes (the page, its workers, any origin) from 'start' until 'stop', which
   * returns them as { url, method, postData }.
   */
  async 'nk-requests'(page, { action }) {
    const context = page.context();
    const old = recorders.get(page);
    if (old) context.off('request', old.listener);
    recorders.delete(page);
    if (action === 'start') {
      const log = [];
      const listener = (request) => log.push({ url: request.url(), method: request.method(), postData: request.postData() ?? null });
      context.on('request', listener);
      recorders.set(page, { log, listener });
      return true;
    }
    return old ? old.log : [];
  },
  /**
   * { args }: runs `npm run eval -- ...args` (tools/eval.ts in Node: the keystroke-savings
   * simulation of the widget's policy) in the repository; returns { code, stdout, stderr }.
   */
  async 'nk-eval-start'(page, { args }) {
    if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw new Error('nk-eval: args must be an array of strings');
    // No time limit here: on a loaded machine one evaluation can take far longer than the
    // runner waits for a command's answer (20 s), so the browser polls (nk-poll).
    return startJob(new Promise((resolve) => {
      execFile(process.execPath, ['scripts/run-tool.mjs', 'tools/eval.ts', ...args], { maxBuffer: 1 << 24 }, (error, stdout, stderr) =>
        resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr }),
      );
    }));
  },
  /**
   * { model, text }: PyTorch's next-character probabilities for `model` (a
   * model folder URL on the test server) fed `text`: fetches its model.json
   * and weights.bin into a temporary folder and runs training/parity.py on it
   * (Debian's /usr/bin/python3 with python3-torch). A job (see nk-poll); its
   * result is the reference JSON, or { error }.
   */
  async 'nk-parity-start'(page, { model, text }) {
    const base = new URL(model, page.url());
    return startJob((async () => {
      const dir = await mkdtemp(join(tmpdir(), 'nextkey-parity-'));
      try {
        for (const file of ['model.json', 'weights.bin']) {
          const res = await fetch(new URL(file, base));
          if (!res.ok) return { error: `nk-parity: ${file}: HTTP ${res.status}` };
          await writeFile(join(dir, file), Buffer.from(await res.arrayBuffer()));
        }
        const out = join(dir, 'reference.json');
        const run = await new Promise((resolve) =>
          execFile('/usr/bin/python3', ['training/parity.py', '--model', dir, '--out', out, '--text', text], { maxBuffer: 1 << 24 }, (error, stdout, stderr) => resolve({ error, stdout, stderr })),
        );
        if (run.error) return { error: `nk-parity: training/parity.py failed: ${run.stderr || run.error.message}` };
        return JSON.parse(await readFile(out, 'utf8'));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    })());
  },
  /** { id }: { done: true, result } once that job (nk-eval-start, nk-visit-start, nk-parity-start) ended, else { done: false } after at most 5 s. */
  async 'nk-poll'(page, { id }) {
    const job = jobs.get(id);
    if (!job) throw new Error(`nk-poll: no job ${id}`);
    const result = await Promise.race([job, new Promise((r) => setTimeout(() => r(null), 5000))]);
    if (result === null) return { done: false };
    jobs.delete(id);
    if (result.error) throw new Error(result.error);
    return { done: true, result };
  },
  /**
   * { path }: opens `path` of the test server in a new top-level page (as a person
   * opening the demo would), waits until its #status says ready (or shows an
   * error) and the network is quiet; the job's result is { status, failed: [{ url,
   * status }] }: every response of 400 or more, favicon included, which only a
   * top-level page asks for. No time limit (loading a model on a loaded machine
   * may take long): the browser polls (nk-poll).
   */
  async 'nk-visit-start'(page, { path }) {
    const url = new URL(path, page.url()).href;
    return startJob((async () => {
      const visit = await page.context().newPage();
      const failed = [];
      visit.on('response', (r) => r.status() >= 400 && failed.push({ url: r.url(), status: r.status() }));
      try {
        await visit.goto(url, { timeout: 0 });
        await visit.waitForFunction(() => {
          const s = document.getElementById('status');
          return !s || s.classList.contains('error') || /^ready|error|failed/i.test(s.textContent);
        }, null, { timeout: 0 });
        await visit.waitForLoadState('networkidle', { timeout: 0 });
        const status = await visit.evaluate(() => document.getElementById('status')?.textContent ?? '');
        return { status, failed };
      } catch (error) {
        return { error: `nk-visit ${path}: ${error.message}` };
      } finally {
        await visit.close();
      }
    })());
  },
  /** { x, y, width, height }: a PNG of that viewport rectangle (CSS pixels), as base64, for pixel checks. */
  async 'nk-pixels'(page, clip) {
    return (await page.screenshot({ clip })).toString('base64');
  },
};

/** Jobs that may outlast the runner's 20 s wait for a command (nk-eval-start, nk-visit-start), by id; see nk-poll. */
const jobs = new Map();
let nextJob = 0;
function startJob(promise) {
  const id = nextJob++;
  jobs.set(id, promise);
  return { id };
}

/** The web-test-runner plugin: register it in `plugins` of web-test-runner.config.mjs. */
export function widgetCommands() {
  return {
    name: 'nextkey-widget-commands',
    async executeCommand({ command, payload, session }) {
      const handler = handlers[command];
      if (!handler) return undefined; // not ours: let other plugins answer
      if (session.browser.type !== 'playwright') {
        throw new Error(`${command} needs the Playwright launcher, got ${session.browser.type}`);
      }
      const page = session.browser.getPage(session.id);
      return (await handler(page, payload ?? {})) ?? true;
    },
  };
}
