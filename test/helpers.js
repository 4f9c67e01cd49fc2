// Small assertion helpers for browser tests (no dependency needed).

export function assert(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

export function assertEqual(actual, expected, message) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${message}: expected ${e}, got ${a}`);
}

/** Max |a[i] - b[i]| must be ≤ tol. Returns the max difference. */
export function assertClose(actual, expected, tol, message) {
  assert(actual.length === expected.length, `${message}: length ${actual.length} != ${expected.length}`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  if (!(worst <= tol)) throw new Error(`${message}: max abs diff ${worst} at [${at}] (got ${actual[at]}, want ${expected[at]}) > ${tol}`);
  return worst;
}

/** Awaits a promise that must reject with an error of class `Ctor` whose message matches `pattern`. */
export async function assertRejects(promise, Ctor, pattern, message) {
  let error;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  assert(error !== undefined, `${message}: expected a rejection with ${Ctor.name}, but it resolved`);
  assert(error instanceof Ctor, `${message}: expected ${Ctor.name}, got ${error?.name}: ${error?.message}`);
  if (pattern) assert(pattern.test(error.message), `${message}: message ${JSON.stringify(error.message)} does not match ${pattern}`);
  return error;
}

/** How many GET requests the test server has seen for `path`. */
export async function requestCount(path) {
  const r = await fetch(`/__count?path=${encodeURIComponent(path)}`);
  return (await r.json()).count;
}

/** Serves `body` at /__store/<path> (real HTTP, from the test server's memory). Returns the URL path. */
export async function serve(path, body) {
  const url = `/__store/${path}`;
  const r = await fetch(url, { method: 'PUT', body });
  assert(r.status === 204, `storing ${url} failed: ${r.status}`);
  return url;
}

export const GOLDEN = '/test/fixtures/golden';
export const CELLS = ['rnn', 'lstm', 'gru', 'peephole', 'cifg'];

export async function loadJson(url) {
  const r = await fetch(url);
  assert(r.ok, `fetching ${url}: HTTP ${r.status}`);
  return r.json();
}

/** A unique IndexedDB name so tests never share cache state. */
export function uniqueDb(label) {
  return `nextkey-test-${label}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

/** An IDBRequest as a promise. */
export function idbRequest(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/**
 * Resolves once a session has stepped ahead after its last setText (the
 * worker does it after a few idle milliseconds, on cpu and wasm), or after
 * 500 ms: for tests that count live tensors, whose count it changes.
 */
export async function steppedAhead(session) {
  const until = performance.now() + 500;
  while (performance.now() < until) {
    if ((await session.stats()).speculation.bytes > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * A model of a unit bundle `m` (test/units/) stepped by hand, one character
 * at a time, for references: read(ids, states) → the state after them (from
 * the zero state by default; the given states are freed), logSoftmax(states)
 * → the next character's log-probabilities, plain JavaScript.
 */
export function byHand(m, model) {
  const read = (ids, states = m.zeroState(model)) => {
    for (const id of ids) {
      const prev = states;
      states = m.tf.tidy(() => m.step(model, Int32Array.of(id), prev));
      m.tf.dispose(m.stateTensors(prev));
    }
    return states;
  };
  const logSoftmax = (states) => {
    const t = m.tf.tidy(() => m.logits(model, states));
    const z = Array.from(t.dataSync());
    t.dispose();
    const max = Math.max(...z);
    const lz = max + Math.log(z.reduce((a, v) => a + Math.exp(v - max), 0));
    return z.map((v) => v - lz);
  };
  return { read, logSoftmax };
}
