// node scripts/demo-shots.mjs [--model URL] [--out DIR] [TEXT ...]
//
// What a person sees: serves the repository, opens the autocomplete demo in
// headless Chromium, types each text into its message field with real key
// events, waits for the suggestion and saves a screenshot of the field per text
// (DIR/01.png, …; default test-artifacts/demo). Prints each text with the ghost
// suggestion the demo shows. Needs `npm run build` first. Without TEXTs it types
// a few everyday openings.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from './serve.mjs';

const args = process.argv.slice(2);
const take = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const [, value] = args.splice(i, 2);
  return value;
};
const model = take('model', null);
const out = take('out', 'test-artifacts/demo');
const texts = args.length ? args : [
  'Thank you for your em', 'Please restart the ser', 'Could you please send me the inv',
  'Can we resch', 'Sorry for the late rep', 'I will see you tomo', 'Let me know if you have any ques',
];
mkdirSync(out, { recursive: true });
const server = await startServer({ root: '.', port: 0 });
const url = `http://127.0.0.1:${server.address().port}/examples/autocomplete/${model ? `?model=${encodeURIComponent(model)}` : ''}`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(url);
  await page.waitForFunction(() => /^ready|Error/.test(document.getElementById('status')?.textContent ?? ''), null, { timeout: 180_000 });
  for (const [i, text] of texts.entries()) {
    await page.fill('#body', '');
    await page.focus('#body');
    await page.keyboard.type(text, { delay: 20 });
    // the demo's suggestion readout follows the widget's onSuggestion
    await page.waitForTimeout(400);
    const shown = await page.textContent('#suggestion');
    const file = join(out, `${String(i + 1).padStart(2, '0')}.png`);
    await page.locator('#body').screenshot({ path: file });
    console.log(`${JSON.stringify(text)} → ${shown}   (${file})`);
  }
} finally {
  await browser.close();
  server.close();
}
