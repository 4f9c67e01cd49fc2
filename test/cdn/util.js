// Shared pieces of the CDN tests: the second origin started by
// test/cdn/server.mjs (a plugin in web-test-runner.config.mjs), and checks
// that a predictor and a widget loaded from it really predict.
import { assert, assertEqual } from '../helpers.js';
import { waitFor } from '../widget/util.js';

/** { origin, integrity }: the CDN origin (another port, so another origin) and the build's SRI hashes. */
export async function cdnInfo() {
  const info = await (await fetch('/__cdn/info')).json();
  assert(new URL(info.origin).origin !== location.origin, `the CDN origin ${info.origin} differs from the page's ${location.origin}`);
  return info;
}

/** Paths the CDN origin has served so far. */
export async function cdnRequests() {
  return (await fetch('/__cdn/requests')).json();
}

/** Appends `<script src>` to `doc` (crossorigin + integrity when given); resolves on load, rejects on error. */
export function loadScript(src, { integrity, doc = document } = {}) {
  return new Promise((resolve, reject) => {
    const s = doc.createElement('script');
    if (integrity) {
      s.integrity = integrity;
      s.crossOrigin = 'anonymous';
    }
    s.onload = () => resolve(s);
    s.onerror = () => reject(new Error(`script ${src} failed to load`));
    s.src = src;
    doc.head.append(s);
  });
}

/**
 * The text every CDN test predicts for: one the default model completes with
 * confidence well above the widget's default minConfidence (0.2), so a
 * suggestion shows with no options ("ch" at about 0.95).
 */
export const TEXT = 'Thank you very mu';

/**
 * Real predictions from `predictor`: top characters after TEXT and a word
 * completion. Resolves to them for further checks.
 */
export async function assertPredicts(predictor) {
  const session = await predictor.session();
  try {
    const update = await session.setText(TEXT);
    const top = update.predictions;
    assertEqual(top.length, 5, 'five next characters');
    for (const { char, p } of top) assert(typeof char === 'string' && char.length > 0 && p > 0 && p <= 1, `a real prediction: ${JSON.stringify({ char, p })}`);
    assert(top[0].p >= top[4].p, 'ranked by probability');
    const { completions } = await session.complete({ stop: 'word' });
    assert(completions.length > 0 && completions[0].text.length > 0, `a word completion for ${JSON.stringify(TEXT)}: ${JSON.stringify(completions)}`);
    return { top, completions };
  } finally {
    await session.dispose();
  }
}

/**
 * `shown` must begin with one of the default model's likeliest completions
 * of the word in TEXT (computed here on a predictor of `api`, the module or global
 * under test), so the ghost text came from the model.
 */
export async function assertModelCompletion(api, origin, shown) {
  const predictor = await api.createPredictor({ model: `${origin}/models/default/` });
  try {
    const session = await predictor.session();
    await session.setText(TEXT);
    const { completions } = await session.complete({ stop: 'word', maxChars: 16, beamWidth: 4, k: 4 });
    const texts = completions.map((c) => c.text).filter((t) => t.length > 0);
    // The widget may add what follows the word (a space) when that is likely too.
    assert(texts.some((t) => shown.startsWith(t)), `ghost text ${JSON.stringify(shown)} begins with one of the model's completions ${JSON.stringify(texts)}`);
  } finally {
    await predictor.dispose();
  }
}

/** Waits for the widget on `handle` to show a non-empty suggestion; returns the ghost text on screen. */
export async function shownSuggestion(handle, what = 'a suggestion') {
  return waitFor(() => {
    const ghost = handle.overlay.querySelector('.nextkey-ghost');
    return !handle.overlay.hidden && handle.suggestion && ghost.textContent === handle.suggestion ? ghost.textContent : null;
  }, what);
}
