// The "no jank" measurement of `npm run bench` (phase `jank`): injected into
// the autocomplete demo before its own scripts run (page.addInitScript), so
// neither the demo nor the widget changes. bench/run.mjs types real keys;
// this records, per keystroke:
//
// - t: the keydown event's timeStamp (when the browser received the key,
//   on the performance.now() clock), from a capturing listener on window;
// - echo: when the typed character itself was painted, the browser's own
//   latency, as the baseline the ghost is compared with;
// - ghost: when the widget's answer for this keystroke was painted.
//
// What "painted" means here. The ghost text lives in the widget's overlay
// (the element that `.nextkey-ghost` sits in), which a MutationObserver
// watches. A write to it is in the DOM, not yet on screen: the browser draws
// it in its next rendering update (rAF callbacks, then style, layout and
// paint). So after the write we wait for the next requestAnimationFrame and,
// from inside that callback, post a message to ourselves: that message's task
// runs only once the frame's rendering update (including paint) is done, and
// performance.now() there is when the main thread finished painting the
// frame that contains the ghost. (Rasterising and compositing follow on
// other threads, typically within the same display refresh; page script
// cannot see them.) The echo is timed the same way from the input event.
//
// Which write is the answer. Typing the next character of the suggestion
// makes the widget redraw the rest of it at once, inside the key's own task
// (counted as `consumed`); the model's answer always comes later, in a
// message task from the worker. A bubbling `input` listener on window runs
// after the widget's listener on the field, so writes seen before it are the
// key's own. The answer is the later batch of writes that also rewrites the
// demo's "keystroke → suggestion" line (#latency): the demo's onSuggestion
// callback does that right after the widget draws, in the same task, for
// every answer. (A redraw on scroll is not an answer; a demo without
// #latency falls back to the first write after the key's task.) An answer
// that is no longer current is dropped by the widget and writes nothing, so
// a keystroke overtaken by the next one has no ghost update; neither has an
// answer with nothing likely enough to show when no ghost was up. #latency
// tells these two apart.

/** Runs in the demo page (serialised by Playwright: self-contained). */
export function jankProbe() {
  const longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask' });

  /** Calls back with the time the main thread finished the rendering update after now (see above). */
  function afterPaint(done) {
    requestAnimationFrame(() => {
      const { port1, port2 } = new MessageChannel();
      port1.onmessage = () => {
        port1.close();
        done(performance.now());
      };
      port2.postMessage(0);
    });
  }

  let keys = [];
  let current = null;
  let ownTask = false;
  let observer = null;
  let overlay = null;
  let latency = null;
  let t0 = 0;

  function onRecords(records) {
    const k = current;
    if (!k) return;
    const ghost = records.some((r) => overlay.contains(r.target));
    const answer = latency && records.some((r) => latency.contains(r.target));
    if (ownTask) {
      // A redraw with the rest of the suggestion (not the hide that a non-matching key causes).
      if (ghost && !overlay.hidden && overlay.querySelector('.nextkey-ghost')?.textContent) k.consumed = true;
      return;
    }
    // With the demo's answer signal, only the batch of writes that carries it is the answer (the
    // widget draws the ghost and calls onSuggestion in one go); a redraw on scroll is not.
    if (latency && !answer) return;
    if (k.answeredAt !== undefined || k.ghostAt !== undefined) return;
    k.answeredAt = performance.now();
    if (ghost) {
      k.ghostAt = performance.now();
      k.ghostText = overlay.hidden ? null : (overlay.querySelector('.nextkey-ghost')?.textContent ?? null);
      afterPaint((t) => (k.ghostPainted = t));
    }
  }

  addEventListener(
    'keydown',
    (e) => {
      if (!observer) return;
      onRecords(observer.takeRecords()); // the previous key's writes belong to it
      current = { key: e.key, t: e.timeStamp };
      keys.push(current);
      ownTask = true;
    },
    true,
  );
  addEventListener('input', () => {
    if (!observer || !current) return;
    onRecords(observer.takeRecords());
    ownTask = false;
    const k = current;
    afterPaint((t) => (k.echoPainted = t));
  });

  window.__nextkeyJank = {
    /** Starts recording for `field`; `widget`: the widget is attached to it (else only the echo is timed). */
    start(field, widget) {
      latency = null;
      // A stand-in that never changes: no ghost writes to see.
      overlay = document.createElement('div');
      if (widget) {
        // The widget's accessible description is referenced by the field's aria-describedby and sits beside the overlay.
        const ids = (field.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
        const root = ids.map((id) => document.getElementById(id)?.closest('[data-nextkey]')).find(Boolean);
        overlay = root?.querySelector('.nextkey-overlay');
        if (!overlay) throw new Error('no nextkey overlay for the field: is the widget attached?');
        latency = document.getElementById('latency');
      }
      observer = new MutationObserver(onRecords);
      observer.observe(overlay, { subtree: true, childList: true, characterData: true, attributes: true });
      if (latency) observer.observe(latency, { subtree: true, childList: true, characterData: true });
      keys = [];
      t0 = performance.now();
    },
    stop() {
      onRecords(observer.takeRecords());
      observer.disconnect();
      observer = null;
      const t1 = performance.now();
      return { keys, longTasks: longTasks.filter((e) => e.start >= t0 && e.start <= t1), hasAnswerSignal: latency !== null };
    },
  };
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const summary = (xs) => ({ n: xs.length, p50: xs.length ? quantile(xs, 0.5) : NaN, p99: xs.length ? quantile(xs, 0.99) : NaN });

/** Node side: the per-keystroke records reduced to the table's numbers. */
export function summarizeJank({ keys, longTasks, hasAnswerSignal }) {
  const updated = keys.filter((k) => k.ghostPainted !== undefined);
  const none = keys.filter((k) => k.ghostAt === undefined);
  const long = longTasks.filter((e) => e.duration > 50);
  const span = keys.length > 1 ? keys[keys.length - 1].t - keys[0].t : 0;
  return {
    keys: keys.length,
    rate: span > 0 ? ((keys.length - 1) * 1000) / span : 0,
    longTasks: { count: long.length, maxMs: long.length ? Math.max(...long.map((e) => e.duration)) : 0, all: longTasks.length },
    ghostPainted: summary(updated.map((k) => k.ghostPainted - k.t)),
    ghostInDom: summary(updated.map((k) => k.ghostAt - k.t)),
    echoPainted: summary(keys.filter((k) => k.echoPainted !== undefined).map((k) => k.echoPainted - k.t)),
    ghostShown: updated.filter((k) => k.ghostText).length,
    consumed: keys.filter((k) => k.consumed).length,
    noUpdate: {
      total: none.length,
      noAnswer: hasAnswerSignal ? none.filter((k) => k.answeredAt === undefined).length : null,
      nothingToDraw: hasAnswerSignal ? none.filter((k) => k.answeredAt !== undefined).length : null,
    },
    hasAnswerSignal,
  };
}

/**
 * Long tasks as Chromium's own trace sees them (category `toplevel`): every
 * task over 50 ms on the page's main thread, with its wall time and the CPU
 * time the thread actually got. A long task with little CPU time is the main
 * thread waiting for a core (another process ran), not work of the page.
 */
export function traceLongTasks(json) {
  const trace = JSON.parse(json);
  const events = Array.isArray(trace) ? trace : trace.traceEvents;
  const names = new Map();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') names.set(`${e.pid}/${e.tid}`, e.args.name);
  const tasks = new Map();
  for (const e of events) {
    if (e.ph !== 'X' || !e.cat.split(',').includes('toplevel') || names.get(`${e.pid}/${e.tid}`) !== 'CrRendererMain') continue;
    const key = `${e.pid}/${e.tid}`;
    if (!tasks.has(key)) tasks.set(key, []);
    tasks.get(key).push(e);
  }
  // The page's renderer is the busiest one (the demo is the only page open).
  const main = [...tasks.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  const long = main.filter((e) => e.dur > 50_000).sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  // Nested toplevel events (RunTask inside ThreadControllerImpl::RunTask): keep the outermost.
  const outer = [];
  for (const e of long) if (!outer.some((o) => e.ts >= o.ts && e.ts + e.dur <= o.ts + o.dur)) outer.push(e);
  const cpu = outer.map((e) => (e.tdur ?? NaN) / 1000);
  return {
    count: outer.length,
    maxMs: outer.length ? Math.max(...outer.map((e) => e.dur / 1000)) : 0,
    maxCpuMs: cpu.length ? Math.max(...cpu) : 0,
    cpuOver50: cpu.filter((t) => t > 50).length,
  };
}
