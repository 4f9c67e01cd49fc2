// Completions and the model's lexicon (worker/model/beam.ts): a character
// that takes a known word off the lexicon keeps 2% of its probability and
// each step is renormalised, so completions spell known words unless the
// model is very sure; a stem the lexicon does not know is left to the model.
// The worker's own Session on the default model, in the page (wasm).
import { assert, assertClose, assertEqual, loadJson } from './helpers.js';

const DIR = '/models/default/';
const TEXT = 'She poured the water and we sat down. I drank a cup of ';

describe('completions with a lexicon', () => {
  let m;
  let model;
  before(async () => {
    m = await import('/__units/lexicon.js');
    await m.selectBackend('wasm', '/dist/');
    const manifest = m.validateManifest(await loadJson(`${DIR}model.json`));
    const weights = await (await fetch(`${DIR}${manifest.weights.path}`)).arrayBuffer();
    model = m.buildModel(manifest, weights);
  });

  /** Word completions after `text`, with `words` as the lexicon (null: none). */
  async function complete(text, words) {
    model.lexicon = words ? new m.ModelLexicon(m.sortedWords(words)) : null;
    const s = new m.Session(model, m.DEFAULT_POLICY);
    try {
      await s.setText(text, 1);
      return await s.complete({ maxChars: 8, beamWidth: 4, stop: 'word', phraseWords: 3, k: 8, minP: 0, withSpace: false, lexicon: true });
    } finally {
      s.dispose();
    }
  }

  it('completions spell the lexicon\'s words, renormalised; without it the model alone answers', async () => {
    const words = ['the', 'tea', 'tent'];
    const spelled = (c) => words.includes(`t${c.text}`);
    const free = await complete(`${TEXT}t`, null);
    const lex = await complete(`${TEXT}t`, words);
    console.log(`after "…a cup of t": model alone ${JSON.stringify(free.map((c) => [c.text, +c.p.toFixed(3)]))}; lexicon [${words}] ${JSON.stringify(lex.map((c) => [c.text, +c.p.toFixed(3)]))}`);
    assert(free.some((c) => !spelled(c) && c.p > 0.03), 'the model alone offers other words too');
    for (const c of lex) assert(spelled(c) || c.p < 0.05, `only known words are likely: "t${c.text}" ${c.p}`);
    const known = lex.filter(spelled).reduce((a, c) => a + c.p, 0);
    assert(known > 0.8, `known words hold the probability: ${known}`);
    const tea = (r) => r.find((c) => c.text === 'ea')?.p ?? 0;
    assert(tea(lex) > 10 * tea(free), `renormalised: "tea" ${tea(free)} alone, ${tea(lex)} with the lexicon`);
  });

  it('a stem the lexicon does not know: the model alone', async () => {
    const free = await complete(`${TEXT}tx`, null);
    const lex = await complete(`${TEXT}tx`, ['tea', 'tent']);
    assertEqual(lex.map((c) => c.text), free.map((c) => c.text), 'same completions');
    assertClose(lex.map((c) => c.p), free.map((c) => c.p), 1e-9, 'same probabilities');
  });

  it('count classes: the manifest\'s lexiconCounts looked up by word; a learned word takes the lowest class; none without counts', async () => {
    const json = await loadJson(`${DIR}model.json`);
    const manifest = m.validateManifest(json);
    assertEqual(manifest.lexiconCounts.length, manifest.lexicon.length, 'one class per word');
    const lex = new m.ModelLexicon(manifest.lexicon, 1_000_000, manifest.lexiconCounts);
    assert(lex.counted, 'counted');
    // Against the stored digits, found by a plain scan.
    for (const w of ['the', 'government', 'goverment', 'Caribbean', 'zebra', 'Zqwertyx']) {
      const i = json.lexicon.indexOf(w);
      assertEqual(lex.countClass(w), i < 0 ? null : parseInt(json.lexiconCounts[i], 16), `class of ${w}`);
    }
    assert(lex.countClass('the') === 15, `"the" is seen over 32,768 times: class ${lex.countClass('the')}`);
    assert(lex.countClass('government') >= lex.countClass('goverment') + 8, `"government" is hundreds of times commoner than "goverment": ${lex.countClass('government')}, ${lex.countClass('goverment')}`);
    const least = Math.min(...Array.from(json.lexiconCounts, (d) => parseInt(d, 16)));
    lex.apply(m.ModelLexicon.plan(lex.list(), [], ['Zqwertyx', 'Zqwertyx'], 1_000_000));
    assertEqual(lex.countClass('Zqwertyx'), null, 'a learned word has no class of its own');
    const words = lex.list();
    const counts = lex.countsOf(words);
    assertEqual(counts.length, words.length, 'countsOf: one digit per word');
    assertEqual(counts[words.indexOf('Zqwertyx')], least.toString(16), 'the learned word: the lowest class');
    assertEqual(counts[words.indexOf('the')], json.lexiconCounts[json.lexicon.indexOf('the')], '"the" keeps its class');
    const at = words.indexOf('Zqwertyx');
    assert(counts.slice(0, at) + counts.slice(at + 1) === json.lexiconCounts, 'every other word keeps its class, in order');
    const bare = new m.ModelLexicon(['a', 'b'], 10);
    assertEqual([bare.counted, bare.countClass('a'), bare.countsOf(['a', 'b'])], [false, null, undefined], 'a lexicon without counts');
  });

  it('words of a text, as fine-tuning adds them: runs of word characters', () => {
    assertEqual(m.wordsOf("Tidewell's 3 boats—and café, don't!"), ["Tidewell's", '3', 'boats', 'and', 'café', "don't"], 'words');
  });
});
