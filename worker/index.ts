import * as Comlink from 'comlink';
import { memory } from '@tensorflow/tfjs-core';
import type { BackendReport, LoadRequest, LoadResult, ProgressEvent, WarningCode, WorkerApi } from '../src/protocol.js';
import { selectBackend } from './backend.js';
import { workerError } from './errors.js';
import { fetchManifest, loadWeights } from './loader.js';
import { buildModel, disposeModel, type Model } from './model/model.js';
import { Session, beforeCursor, type Generator } from './session.js';

let model: Model | null = null;
let backend: BackendReport | null = null;
const sessions = new Map<number, Session>();
let nextSession = 1;
const generators = new Map<number, Generator>();
let nextGenerator = 1;

function positiveInt(value: unknown, what: string, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw workerError('InvalidArgumentError', `${what} must be an integer from 1 to ${max}, got ${String(value)}`);
  }
  return value;
}

function loaded(): Model {
  if (!model) throw workerError('DisposedError', 'no model is loaded in this worker (disposed, or load() failed)');
  return model;
}

function session(id: number): Session {
  const s = sessions.get(id);
  if (!s) throw workerError('DisposedError', `session ${id} does not exist or was disposed`);
  return s;
}

const api: WorkerApi = {
  async load(request: LoadRequest, onProgress?: (event: ProgressEvent) => void): Promise<LoadResult> {
    if (model) throw workerError('InvalidArgumentError', 'this worker already holds a model; create another predictor');
    const report = (event: ProgressEvent) => {
      // Progress is advisory: a throwing or slow listener must not break loading.
      void Promise.resolve(onProgress?.(event)).catch(() => {});
    };
    const warnings: { code: WarningCode; message: string }[] = [];
    const warn = (code: WarningCode, message: string) => {
      warnings.push({ code, message });
      report({ status: 'warning', code, message });
    };
    try {
      backend = await selectBackend(request.backend, request.wasmBaseUrl);
      report({ status: 'backend', backend });
      report({ status: 'manifest', url: request.manifestUrl });
      const manifest = await fetchManifest(request.manifestUrl);
      const weights = await loadWeights(manifest, request.manifestUrl, request.cache, report, warn);
      model = buildModel(manifest, weights);
      const info = {
        url: request.manifestUrl,
        cell: manifest.cell,
        embeddingSize: manifest.embeddingSize,
        hiddenSizes: manifest.hiddenSizes,
        vocabSize: manifest.vocab.length,
        parameters: model.parameters,
        weightsBytes: manifest.weights.byteLength,
        sha256: manifest.weights.sha256,
        card: manifest.card,
      };
      report({ status: 'ready', model: info, backend });
      return { model: info, backend, warnings };
    } finally {
      (onProgress as unknown as Comlink.Remote<unknown> | undefined)?.[Comlink.releaseProxy]?.();
    }
  },

  async createSession(checkpoints) {
    const id = nextSession++;
    sessions.set(id, new Session(loaded(), checkpoints));
    return id;
  },

  async setText(id, text, cursor, k) {
    if (typeof text !== 'string') throw workerError('InvalidArgumentError', `setText(text): text must be a string, got ${typeof text}`);
    positiveInt(k, 'k');
    return session(id).setText(cursor === null ? text : beforeCursor(text, cursor), k);
  },

  async complete(id, request) {
    positiveInt(request.maxChars, 'complete({ maxChars })', 200);
    positiveInt(request.beamWidth, 'complete({ beamWidth })', 64);
    positiveInt(request.k, 'complete({ k })', 64);
    positiveInt(request.phraseWords, 'complete({ phraseWords })', 20);
    if (request.stop !== 'word' && request.stop !== 'phrase') {
      throw workerError('InvalidArgumentError', `complete({ stop }) must be 'word' or 'phrase', got ${String(request.stop)}`);
    }
    return session(id).complete(request);
  },

  async sessionStats(id) {
    return session(id).stats();
  },

  async generateStart(id, request) {
    const g = nextGenerator++;
    generators.set(g, session(id).generator(request));
    return g;
  },

  async generateNext(g, n) {
    const gen = generators.get(g);
    if (!gen) throw workerError('DisposedError', `generator ${g} was ended`);
    return gen.next(n);
  },

  async generateEnd(g) {
    generators.get(g)?.dispose();
    generators.delete(g);
  },

  async feed(id, text) {
    if (typeof text !== 'string') throw workerError('InvalidArgumentError', 'feed(text): text must be a string');
    return session(id).feed(text);
  },

  async reset(id) {
    session(id).reset();
  },

  async predict(id, k, temperature) {
    if (!Number.isInteger(k) || k < 1) throw workerError('InvalidArgumentError', `predict: k must be a positive integer, got ${k}`);
    if (!(temperature > 0) || !Number.isFinite(temperature)) {
      throw workerError('InvalidArgumentError', `predict: temperature must be a finite number > 0, got ${temperature}`);
    }
    return session(id).predict(k, temperature);
  },

  async state(id) {
    return session(id).state();
  },

  async disposeSession(id) {
    sessions.get(id)?.dispose();
    sessions.delete(id);
  },

  async stats() {
    const m = memory();
    return { numTensors: m.numTensors, numBytes: m.numBytes, sessions: sessions.size, backend: backend?.name ?? null };
  },

  async dispose() {
    for (const g of generators.values()) g.dispose();
    generators.clear();
    for (const s of sessions.values()) s.dispose();
    sessions.clear();
    if (model) disposeModel(model);
    model = null;
  },
};

Comlink.expose(api);
