import { backend as currentBackend, env, setBackend } from '@tensorflow/tfjs-core';
// The `base` entry points register a backend without registering its hundreds
// of kernels; worker/kernels.ts registers the few we use.
import '@tensorflow/tfjs-backend-cpu/dist/base.js';
import '@tensorflow/tfjs-backend-webgl/dist/base.js';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm/dist/base.js';
import type { BackendName, BackendPreference, BackendReport } from '../src/protocol.js';
import { workerError } from './errors.js';
import { registerKernels } from './kernels.js';

const ORDER: BackendName[] = ['webgl', 'wasm', 'cpu'];

/** Why WebGL should not be used here, or null if it can be. */
function webglProblem(auto: boolean): string | null {
  if (typeof OffscreenCanvas === 'undefined') {
    return 'no OffscreenCanvas in workers in this browser (e.g. Safari before 16.4), so no WebGL off the main thread';
  }
  let gl: WebGL2RenderingContext | WebGLRenderingContext | null = null;
  try {
    const canvas = new OffscreenCanvas(1, 1);
    gl = canvas.getContext('webgl2') ?? canvas.getContext('webgl');
  } catch (error) {
    return `creating a WebGL context in the worker failed: ${(error as Error).message}`;
  }
  if (!gl) return 'no WebGL context in the worker (GPU disabled or blocklisted)';
  try {
    if (auto) {
      const info = gl.getExtension('WEBGL_debug_renderer_info');
      const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
      // Software GL runs every shader on the CPU: an order of magnitude slower
      // than wasm for a small recurrent step, so `auto` passes it by.
      if (/swiftshader|llvmpipe|softpipe|software/i.test(renderer)) {
        return `WebGL is software-rendered here (${renderer}), slower than wasm; ask for backend 'webgl' to use it anyway`;
      }
    }
  } finally {
    gl.getExtension('WEBGL_lose_context')?.loseContext();
  }
  return null;
}

let wasmPathsSet = false;

async function tryBackend(name: BackendName, auto: boolean, wasmBaseUrl: string): Promise<string | null> {
  if (name === 'webgl') {
    const problem = webglProblem(auto);
    if (problem) return problem;
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

/**
 * Picks the backend: the one asked for, or for `auto` the first of webgl,
 * wasm, cpu that works, with the reason each earlier one was skipped.
 */
export async function selectBackend(preference: BackendPreference, wasmBaseUrl: string): Promise<BackendReport> {
  const auto = preference === 'auto';
  const candidates = auto ? ORDER : [preference];
  const skipped: BackendReport['skipped'] = [];
  for (const name of candidates) {
    const problem = await tryBackend(name, auto, wasmBaseUrl);
    if (problem === null) return { name, skipped };
    skipped.push({ name, reason: problem });
  }
  if (!auto) throw workerError('BackendError', `backend '${preference}' cannot run here: ${skipped[0]!.reason}`);
  throw workerError('BackendError', `no backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

/**
 * After the WebGL context was lost: wasm, else cpu. Every tensor made on
 * WebGL is gone; the caller rebuilds the model and the sessions' states.
 */
export async function fallbackBackend(wasmBaseUrl: string, reason: string): Promise<BackendReport> {
  const skipped: BackendReport['skipped'] = [{ name: 'webgl', reason }];
  for (const name of ['wasm', 'cpu'] as const) {
    const problem = await tryBackend(name, true, wasmBaseUrl);
    if (problem === null) return { name, skipped };
    skipped.push({ name, reason: problem });
  }
  throw workerError('BackendError', `the WebGL context was lost and no other backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

/** Whether the WebGL backend in use has lost its context (GPU reset, driver crash, too many contexts). */
export function webglContextLost(): boolean {
  const gl = (currentBackend() as unknown as { gpgpu?: { gl?: WebGLRenderingContext | WebGL2RenderingContext } }).gpgpu?.gl;
  return !!gl && gl.isContextLost();
}
