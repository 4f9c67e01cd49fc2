import { backend as currentBackend, dispose, env, matMul, removeBackend, setBackend, sigmoid, tensor2d, tidy } from '@tensorflow/tfjs-core';
// The `base` entry points register a backend without registering its hundreds
// of kernels; worker/kernels/ registers the few we use.
import '@tensorflow/tfjs-backend-cpu/dist/base.js';
import '@tensorflow/tfjs-backend-webgl/dist/base.js';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm/dist/base.js';
import type { BackendName, BackendPreference, BackendReport } from '../src/protocol.js';
import { workerError } from './errors.js';
import { registerKernels } from './kernels/index.js';

/** The WebGL renderer's name (e.g. "SwiftShader"), or why WebGL cannot be used here. */
function webglRenderer(): { renderer: string } | { problem: string } {
  if (typeof OffscreenCanvas === 'undefined') {
    return { problem: 'no OffscreenCanvas in workers in this browser (e.g. Safari before 16.4), so no WebGL off the main thread' };
  }
  let gl: WebGL2RenderingContext | WebGLRenderingContext | null = null;
  try {
    const canvas = new OffscreenCanvas(1, 1);
    gl = canvas.getContext('webgl2') ?? canvas.getContext('webgl');
  } catch (error) {
    return { problem: `creating a WebGL context in the worker failed: ${(error as Error).message}` };
  }
  if (!gl) return { problem: 'no WebGL context in the worker (GPU disabled or blocklisted)' };
  try {
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    return { renderer: String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER)) };
  } finally {
    gl.getExtension('WEBGL_lose_context')?.loseContext();
  }
}

let wasmPathsSet = false;

async function tryBackend(name: BackendName, wasmBaseUrl: string): Promise<string | null> {
  if (name === 'webgl') {
    const gl = webglRenderer();
    if ('problem' in gl) return gl.problem;
  }
  if (name === 'wasm') {
    if (typeof WebAssembly === 'undefined') return 'WebAssembly is not available';
    if (!wasmPathsSet) {
      // The threaded wasm build starts pthread workers with importScripts(),
      // which a module worker like ours cannot serve: on cross-origin-isolated
      // pages it would fail. One SIMD thread is ample for a batch-1 step.
      env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      setWasmPaths(wasmBaseUrl);
      wasmPathsSet = true;
    }
  }
  registerKernels(name);
  let ok = false;
  try {
    ok = await setBackend(name);
  } catch (error) {
    return `initialisation failed: ${(error as Error).message}`;
  }
  if (!ok) {
    return name === 'wasm'
      ? `initialisation failed (are the tfjs .wasm files served at ${wasmBaseUrl}?)`
      : 'initialisation failed';
  }
  return null;
}

/** A remembered probe: which backend won on this device, and the timings. */
export interface ProbeRecord {
  choice: BackendName;
  ms: Partial<Record<BackendName, number>>;
  at: number;
}

/** Where probe results are kept between page loads (IndexedDB; null: probe every time). */
export interface ProbeStore {
  get(key: string): Promise<ProbeRecord | undefined>;
  set(key: string, record: ProbeRecord): Promise<void>;
}

/** A probe is redone after this long (browser and driver updates change the answer). */
const PROBE_TTL_MS = 30 * 24 * 3600 * 1000;

/**
 * A remembered probe, if it is one this version can trust: the database is
 * the origin's, so another SDK version (or anything else on the origin) may
 * have written something else there. A record that is not a fresh, well-formed
 * choice between the probed backends is ignored, and the probe runs again
 * (and overwrites it).
 */
export function trustedProbe(record: unknown, now = Date.now()): ProbeRecord | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const { choice, ms, at } = record as Record<string, unknown>;
  if (choice !== 'wasm' && choice !== 'webgl') return undefined;
  if (typeof at !== 'number' || !Number.isFinite(at) || at > now || now - at >= PROBE_TTL_MS) return undefined;
  if (typeof ms !== 'object' || ms === null || Array.isArray(ms)) return undefined;
  const entries = Object.entries(ms);
  if (!entries.every(([name, t]) => (name === 'wasm' || name === 'webgl') && typeof t === 'number' && Number.isFinite(t) && t > 0)) return undefined;
  if ((ms as Record<string, unknown>)[choice] === undefined) return undefined;
  return { choice, ms: Object.fromEntries(entries) as ProbeRecord['ms'], at };
}

/**
 * Milliseconds for one step-sized piece of work on the current backend, read
 * back as a keystroke's answer is: a [1, 512]·[512, 1024] product (a 2×256
 * LSTM layer), its gates' sigmoid, and the read. Median of 6 after 3 warm-ups
 * (shader compilation, operator packing).
 */
async function probeStep(): Promise<number> {
  const x = tensor2d(new Float32Array(512).fill(0.01), [1, 512]);
  const w = tensor2d(new Float32Array(512 * 1024).fill(0.001), [512, 1024]);
  const times: number[] = [];
  try {
    for (let i = 0; i < 9; i++) {
      const t0 = performance.now();
      const y = tidy(() => sigmoid(matMul(x, w)));
      await y.data();
      y.dispose();
      if (i >= 3) times.push(performance.now() - t0);
    }
  } finally {
    dispose([x, w]);
  }
  times.sort((a, b) => a - b);
  return (times[2]! + times[3]!) / 2;
}

const fmt = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(1)} ms`);

/**
 * Picks the backend. Asked for one, that one or a BackendError. For `auto`:
 * every backend of webgl and wasm that starts is timed on a step-sized probe
 * (probeStep) and the fastest wins, so neither a GPU nor its absence is
 * assumed to be faster (for one character at a time, wasm often beats a GPU,
 * and software-rendered WebGL always loses); cpu only when neither starts.
 * The winner is remembered per browser (user agent) in `store` for 30 days, so
 * the probe runs once per device, not per page load. The report lists the
 * losers with their timings.
 */
export async function selectBackend(preference: BackendPreference, wasmBaseUrl: string, store: ProbeStore | null = null): Promise<BackendReport> {
  if (preference !== 'auto') {
    const problem = await tryBackend(preference, wasmBaseUrl);
    if (problem === null) return { name: preference, skipped: [] };
    throw workerError('BackendError', `backend '${preference}' cannot run here: ${problem}`);
  }
  const skipped: BackendReport['skipped'] = [];
  // Keyed by browser (a new version may change the answer; so does the 30-day expiry).
  const key = typeof navigator !== 'undefined' ? navigator.userAgent : 'unknown';
  const record = store ? store.get(key).catch(() => undefined) : Promise.resolve(undefined);
  // wasm wins on most devices for one character at a time: start it while the record is read.
  const wasm = tryBackend('wasm', wasmBaseUrl);
  const remembered = trustedProbe(await record);
  if (remembered) {
    const problem = remembered.choice === 'wasm' ? await wasm : (await wasm, await tryBackend(remembered.choice, wasmBaseUrl));
    if (problem === null) {
      // tryBackend made it the current backend (it ran last).
      for (const [name, ms] of Object.entries(remembered.ms) as [BackendName, number][]) {
        if (name !== remembered.choice) skipped.push({ name, reason: `slower here (probe remembered from ${new Date(remembered.at).toISOString().slice(0, 10)}: ${fmt(ms)} vs ${fmt(remembered.ms[remembered.choice]!)} per step)` });
      }
      return { name: remembered.choice, skipped };
    }
  }
  const ms: Partial<Record<BackendName, number>> = {};
  const problems: Partial<Record<BackendName, string>> = {};
  const wasmProblem = await wasm;
  if (wasmProblem === null) {
    await setBackend('wasm'); // current again if a remembered webgl failed meanwhile
    ms.wasm = await probeStep();
  } else problems.wasm = wasmProblem;
  const gl = webglRenderer();
  const glProblem = 'problem' in gl ? gl.problem : await tryBackend('webgl', wasmBaseUrl);
  if (glProblem === null) ms.webgl = await probeStep();
  else problems.webgl = glProblem;
  for (const name of ['webgl', 'wasm'] as const) if (problems[name]) skipped.push({ name, reason: problems[name]! });
  const timed = Object.entries(ms) as [BackendName, number][];
  if (timed.length === 0) {
    const problem = await tryBackend('cpu', wasmBaseUrl);
    if (problem === null) return { name: 'cpu', skipped };
    skipped.push({ name: 'cpu', reason: problem });
    throw workerError('BackendError', `no backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
  }
  timed.sort((a, b) => a[1] - b[1]);
  const [choice, best] = timed[0]!;
  for (const [name, t] of timed.slice(1)) {
    skipped.push({ name, reason: `slower here${'renderer' in gl && name === 'webgl' ? ` (${gl.renderer})` : ''}: ${fmt(t)} vs ${fmt(best)} per step on the startup probe` });
    // Free the loser's WebGL context; after a lost context the fallback goes to wasm by name.
    if (name === 'webgl') removeBackend(name);
  }
  await setBackend(choice);
  await store?.set(key, { choice, ms, at: Date.now() }).catch(() => {});
  return { name: choice, skipped };
}

/**
 * After the WebGL context was lost: wasm, else cpu. Every tensor made on
 * WebGL is gone; the caller rebuilds the model and the sessions' states.
 */
export async function fallbackBackend(wasmBaseUrl: string, reason: string): Promise<BackendReport> {
  const skipped: BackendReport['skipped'] = [{ name: 'webgl', reason }];
  for (const name of ['wasm', 'cpu'] as const) {
    const problem = await tryBackend(name, wasmBaseUrl);
    if (problem === null) return { name, skipped };
    skipped.push({ name, reason: problem });
  }
  throw workerError('BackendError', `the WebGL context was lost and no other backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

/** The canvas of the WebGL backend in use (its context's events fire there), or null. */
export function webglCanvas(): EventTarget | null {
  const gl = (currentBackend() as unknown as { gpgpu?: { gl?: { canvas?: unknown } } }).gpgpu?.gl;
  const canvas = gl?.canvas;
  return canvas && typeof (canvas as EventTarget).addEventListener === 'function' ? (canvas as EventTarget) : null;
}

/** Whether the WebGL backend in use has lost its context (GPU reset, driver crash, too many contexts). */
export function webglContextLost(): boolean {
  const gl = (currentBackend() as unknown as { gpgpu?: { gl?: WebGLRenderingContext | WebGL2RenderingContext } }).gpgpu?.gl;
  return !!gl && gl.isContextLost();
}
