import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { selectBackend } from '../worker/backend.js';
import { validateManifest } from '../worker/model/manifest.js';
import { buildModel, encode, stateTensors } from '../worker/model/model.js';
import { correct, correctionOptions, candidates } from '../worker/model/corrector.js';
import { nearWords } from '../worker/model/near.js';
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
  const text = readFileSync('../shared/corpus/v2/valid/digitalgov.txt', 'utf8').slice(0, 20000);
  const words = [...text.matchAll(/[A-Za-z']+/g)].map((m) => ({ w: m[0], at: m.index! })).filter((x) => x.at > 50).slice(0, 300);
  const items = words.map(({ w, at }, i) => {
    const typed = i % 2 && w.length >= 4 ? w[0] + w[2] + w[1] + w.slice(3) : w;
    const state = readLanes(model, [encode(model, text.slice(Math.max(0, at - 200), at))]);
    const h = state[state.length - 1]!.h.dataSync().slice() as Float32Array;
    dispose(stateTensors(state));
    return { typed, h };
  });
  const variants: [string, number, number, number, number][] = [['beam8 only', 8, 0, 0, 99], ['beam4 only', 4, 0, 0, 99], ['b4 L8', 4, 8, 3, 7], ['b4 L4', 4, 4, 3, 7]];
  for (const [name, beam, limit, one, two] of variants) {
    const t: number[] = [];
    const tn: number[] = [];
    for (const { typed, h } of items) {
      const a = performance.now();
      const b = performance.now();
      if (limit) candidates(net, h, typed, correctionOptions(model.index, known, typed, 6, beam), (t, max) => nearWords(trie, null, t, max, limit));
      else correct(net, h, typed, correctionOptions(model.index, known, typed, 6, beam));
      tn.push(performance.now() - b);
      t.push(performance.now() - a);
    }
    const s = [...t].sort((a, b) => a - b);
    const sn = [...tn].sort((a, b) => a - b);
    console.log(name.padEnd(16), 'total p50', s[s.length >> 1]!.toFixed(2), 'mean', (t.reduce((a, b) => a + b) / t.length).toFixed(2), '| near p50', sn[sn.length >> 1]!.toFixed(2), 'mean', (tn.reduce((a, b) => a + b) / tn.length).toFixed(2));
  }
}
