import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { selectBackend } from '../worker/backend.js';
import { validateManifest } from '../worker/model/manifest.js';
import { buildModel, encode, stateTensors } from '../worker/model/model.js';
import { correct, correctionOptions, nearEdits, withNear, NEAR_LIMIT } from '../worker/model/corrector.js';
import { nearWords } from '../worker/model/near.js';
import { wordLogProbs } from '../worker/model/rescore.js';
import { readLanes } from './gapfill.js';
import { dispose } from '@tensorflow/tfjs-core';
export async function main() {
  const dir = 'models/default';
  const manifest = validateManifest(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')));
  const file = readFileSync(join(dir, 'weights.bin'));
  const require = createRequire(import.meta.url);
  await selectBackend('wasm', join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  const model = buildModel(manifest, file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer);
  const net = model.corrector!;
  const known = model.lexicon!.lookup();
  const trie = model.lexicon!.trie();
  const text = readFileSync('../shared/corpus/v2/valid/' + '18f-blog.txt', 'utf8').slice(0, 20000);
  const words = [...text.matchAll(/[A-Za-z']+/g)].map((m) => ({ w: m[0], at: m.index! })).filter((x) => x.at > 50).slice(0, 200);
  const t: Record<string, number[]> = { beam4: [], beam8: [], near: [], score: [], lm: [], nnear: [] };
  for (const [i, { w, at }] of words.entries()) {
    const typed = i % 2 ? w.slice(0, -2) + w.slice(-1) + w.slice(-2, -1) : w;
    const state = readLanes(model, [encode(model, text.slice(Math.max(0, at - 200), at))]);
    const h = state[state.length - 1]!.h.dataSync().slice() as Float32Array;
    let a = performance.now();
    correct(net, h, typed, correctionOptions(model.index, known, typed, 6, 8));
    t.beam8!.push(performance.now() - a);
    a = performance.now();
    const list = correct(net, h, typed, correctionOptions(model.index, known, typed, 6, 4));
    t.beam4!.push(performance.now() - a);
    a = performance.now();
    const near = nearWords(trie, null, typed, nearEdits(typed.length), NEAR_LIMIT);
    t.near!.push(performance.now() - a);
    t.nnear!.push(near.length);
    a = performance.now();
    const all = withNear(net, h, typed, list, near, model.index);
    t.score!.push(performance.now() - a);
    a = performance.now();
    wordLogProbs(model, state, all.map((c) => c.text));
    t.lm!.push(performance.now() - a);
    dispose(stateTensors(state));
  }
  for (const [k, v] of Object.entries(t)) {
    const s = [...v].sort((a, b) => a - b);
    console.log(k.padEnd(6), 'p50', s[s.length >> 1]!.toFixed(2), 'mean', (v.reduce((a, b) => a + b, 0) / v.length).toFixed(2), 'p90', s[Math.floor(s.length * 0.9)]!.toFixed(2));
  }
}
