import { readFileSync } from 'node:fs';
import { Lexicon } from '../worker/model/beam.js';
import { WordTrie } from '../worker/model/near.js';
export async function main() {
const m = JSON.parse(readFileSync('/work/main/models/default/model.json', 'utf8'));
let t0 = performance.now();
const trie = WordTrie.of(m.lexicon);
console.log(`build ${(performance.now() - t0).toFixed(1)} ms, ${trie.nodes} nodes`);
const lines = readFileSync('/work/shared/typos/wikipedia-common-misspellings.txt', 'utf8').split('\n').filter(Boolean).slice(0, 400);
const words = lines.map((l) => l.split('->')[0]!);
const extra = ['teh', 'the', 'a', 'an', 'of', 'recieve', 'thier', 'wierd', 'becuase', 'goign', 'yuo', 'adn', 'hte', 'carribean'];
for (const max of [1, 2]) {
  t0 = performance.now();
  const counts: number[] = [];
  const times: number[] = [];
  for (const w of [...words, ...extra]) {
    const a = performance.now();
    counts.push(trie.near(w, max).length);
    times.push(performance.now() - a);
  }
  times.sort((a, b) => a - b);
  const cs = [...counts].sort((a, b) => a - b);
  console.log(`max ${max}: ${((performance.now() - t0) / counts.length).toFixed(2)} ms/word p50 ${times[times.length >> 1]!.toFixed(3)} p99 ${times[Math.floor(times.length * 0.99)]!.toFixed(2)}; count p50 ${cs[cs.length >> 1]} p90 ${cs[Math.floor(cs.length * 0.9)]} max ${cs[cs.length - 1]}`);
}
for (const w of extra) console.log(w, trie.near(w, 1).slice(0, 8).map((x) => x.word).join(' '), trie.near(w, 2).length);
}
