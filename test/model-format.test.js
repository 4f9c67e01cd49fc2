// Broken model files must fail with typed errors whose messages name the
// field at fault. Each case serves a mutated copy of a good fixture over HTTP.
import { createPredictor, IntegrityError, ModelFetchError, ModelFormatError } from '../dist/index.js';
import { GOLDEN, assertEqual, assertRejects, loadJson, serve } from './helpers.js';

let goodManifest;
let goodWeights;
let n = 0;

async function serveModel(manifest, weights = goodWeights) {
  const dir = `broken-${++n}`;
  await serve(`${dir}/model.json`, typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
  await serve(`${dir}/weights.bin`, weights);
  return `/__store/${dir}/`;
}

function mutate(fn) {
  const m = structuredClone(goodManifest);
  fn(m);
  return m;
}

function load(model) {
  return createPredictor({ model, backend: 'cpu', cache: false });
}

describe('model format v1 validation', () => {
  before(async () => {
    goodManifest = await loadJson(`${GOLDEN}/peephole/model.json`);
    goodWeights = new Uint8Array(await (await fetch(`${GOLDEN}/peephole/weights.bin`)).arrayBuffer());
  });

  it('a served copy of the good model loads (control)', async () => {
    const p = await load(await serveModel(goodManifest));
    await p.dispose();
  });

  const cases = [
    ['non-JSON model.json', () => '{"format": "nextkey", oops', ModelFormatError, /not valid JSON/],
    ['unknown cell', () => mutate((m) => (m.cell = 'transformer')), ModelFormatError, /"cell".*"rnn", "lstm", "gru", "peephole", "cifg".*"transformer"/],
    ['wrong format version', () => mutate((m) => (m.version = 2)), ModelFormatError, /"version"/],
    ['wrong format tag', () => mutate((m) => (m.format = 'keras')), ModelFormatError, /"format"/],
    ['hidden size not an integer', () => mutate((m) => (m.hiddenSizes = [32, 'big'])), ModelFormatError, /"hiddenSizes\[1\]".*positive integer/],
    ['vocab[0] not reserved', () => mutate((m) => (m.vocab[0] = 65)), ModelFormatError, /"vocab\[0\]".*unknown/],
    ['duplicate vocab entry', () => mutate((m) => (m.vocab[5] = m.vocab[4])), ModelFormatError, /"vocab\[5\]"/],
    [
      'tensor shape wrong for the cell type',
      () => mutate((m) => (m.tensors.find((t) => t.name === 'layers.0.weight_ih').shape = [96, 16])),
      ModelFormatError,
      /"tensors\[\d+\]\.shape".*\[128, 16\].*layers\.0\.weight_ih.*peephole/,
    ],
    [
      'tensor offset past the end of weights.bin',
      () => mutate((m) => (m.tensors.find((t) => t.name === 'head.bias').offset = m.weights.byteLength)),
      ModelFormatError,
      /"tensors\[\d+\]\.offset".*within weights\.bin/,
    ],
    ['missing tensor', () => mutate((m) => (m.tensors = m.tensors.filter((t) => t.name !== 'layers.1.peep_o'))), ModelFormatError, /layers\.1\.peep_o/],
    ['unknown dtype', () => mutate((m) => (m.tensors[0].dtype = 'bfloat16')), ModelFormatError, /"tensors\[0\]\.dtype"/],
    ['malformed sha256', () => mutate((m) => (m.weights.sha256 = 'abc')), ModelFormatError, /"weights\.sha256"/],
    ['an HTML error page served as model.json', () => '<!doctype html><html><body><h1>Page not found</h1></body></html>', ModelFormatError, /HTML page, not JSON/],
    ['negative hidden size', () => mutate((m) => (m.hiddenSizes = [-32, 32])), ModelFormatError, /"hiddenSizes\[0\]".*positive integer/],
    ['huge weights.byteLength', () => mutate((m) => (m.weights.byteLength = 2 ** 40)), ModelFormatError, /"weights\.byteLength".*1 GiB/],
    ['negative tensor offset', () => mutate((m) => (m.tensors[0].offset = -4)), ModelFormatError, /"tensors\[0\]\.offset"/],
    ['a lexicon that is not a list', () => mutate((m) => (m.lexicon = 'the and of')), ModelFormatError, /"lexicon".*array of at most/],
    ['a lexicon word with a space', () => mutate((m) => (m.lexicon = ['ice cream', 'the'])), ModelFormatError, /"lexicon\[0\]".*no spaces.*"ice cream"/],
    ['a lexicon out of order', () => mutate((m) => (m.lexicon = ['tea', 'tea', 'the'])), ModelFormatError, /"lexicon\[1\]".*sorted by UTF-16 code units, each once/],
    ['lexicon counts without a lexicon', () => mutate((m) => { delete m.lexicon; m.lexiconCounts = '12'; }), ModelFormatError, /"lexiconCounts".*only with a lexicon/],
    ['lexicon counts one short', () => mutate((m) => { m.lexicon = ['tea', 'the']; m.lexiconCounts = '3'; }), ModelFormatError, /"lexiconCounts".*one hexadecimal digit per lexicon word \(2\).*1 characters/],
    ['a lexicon count that is no hexadecimal digit', () => mutate((m) => { m.lexicon = ['tea', 'the']; m.lexiconCounts = '3G'; }), ModelFormatError, /"lexiconCounts\[1\]".*hexadecimal digit.*"the".*"G"/],
    [
      'two tensors over the same bytes',
      () => mutate((m) => (m.tensors.find((t) => t.name === 'head.bias').offset = m.tensors.find((t) => t.name === 'embedding').offset)),
      ModelFormatError,
      /"tensors\[\d+\]\.offset".*may not overlap/,
    ],
    ['a card nested 100,000 deep', () => JSON.stringify(mutate((m) => (m.card = { a: 1 }))).replace('{"a":1}', '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)), ModelFormatError, /"card\.a(\.a)*".*32 deep/],
    ['weights on another origin', () => mutate((m) => (m.weights.path = 'https://elsewhere.example/weights.bin')), ModelFormatError, /"weights\.path".*relative path/],
    ['weights as a data: URL', () => mutate((m) => (m.weights.path = 'data:application/octet-stream;base64,AAAA')), ModelFormatError, /"weights\.path".*relative path/],
    ['weights at //host', () => mutate((m) => (m.weights.path = '//elsewhere.example/weights.bin')), ModelFormatError, /"weights\.path".*relative path/],
  ];
  for (const [what, make, Ctor, pattern] of cases) {
    it(`${what} -> ${Ctor.name}`, async () => {
      const error = await assertRejects(load(await serveModel(make())), Ctor, pattern, what);
      // The stable name survives the worker boundary and minification.
      assertEqual(error.name, new Ctor('').name, 'error.name');
    });
  }

  it('NaN or Infinity in the weights (with a matching SHA-256) -> ModelFormatError naming the tensor', async () => {
    for (const bad of [NaN, Infinity]) {
      const m = structuredClone(goodManifest);
      const t = m.tensors.find((x) => x.name === 'head.bias');
      const bytes = goodWeights.slice();
      new DataView(bytes.buffer).setFloat32(t.offset + 4, bad, true);
      const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      m.weights.sha256 = Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('');
      await assertRejects(load(await serveModel(m, bytes)), ModelFormatError, new RegExp(`"head\\.bias" holds ${bad} at index 1`), String(bad));
    }
  });

  it('weights whose SHA-256 differs from model.json -> IntegrityError', async () => {
    const tampered = goodWeights.slice();
    tampered[100] ^= 0xff;
    const error = await assertRejects(load(await serveModel(goodManifest, tampered)), IntegrityError, /SHA-256/, 'hash mismatch');
    assertEqual(error.name, 'IntegrityError', 'error.name');
  });

  it('weights of the wrong size -> IntegrityError', async () => {
    await assertRejects(load(await serveModel(goodManifest, goodWeights.slice(0, 1000))), IntegrityError, /1000 bytes.*byteLength/, 'short file');
  });

  it('a missing model -> ModelFetchError with the URL and HTTP status', async () => {
    const error = await assertRejects(load('/__store/no-such-model/'), ModelFetchError, /no-such-model\/model\.json.*404/, 'missing model');
    assertEqual(error.name, 'ModelFetchError', 'error.name');
  });
});
