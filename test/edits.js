// Random edit scripts shared by the session tests (seeded, the same every run).

export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const WORDS = ['the', 'tea', 'is', 'hot', 'what', 'a', 'day', 'no', "isn't", 'END', 'ok', '2023', 'é', '😀', '한'];

export function randomText(r, words) {
  const out = [];
  for (let i = 0; i < words; i++) out.push(WORDS[Math.floor(r() * WORDS.length)]);
  return out.join(r() < 0.2 ? ', ' : ' ');
}

/** Code points of a string, for lengths and prefixes as the model counts them. */
export const cps = (s) => Array.from(s);

export function lcp(a, b) {
  const x = cps(a);
  const y = cps(b);
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return i;
}

/** One random edit of `text`; returns [newText, kind]. Positions are code-point based. */
export function edit(r, text, history) {
  const c = cps(text);
  const at = Math.floor(r() * (c.length + 1));
  const kind = ['type', 'type', 'backspace', 'insert', 'delete', 'replace', 'paste', 'undo'][Math.floor(r() * 8)];
  switch (kind) {
    case 'type':
      return [text + 'the tea is'[Math.floor(r() * 10)], kind];
    case 'backspace':
      return [c.slice(0, -1).join(''), kind];
    case 'insert':
      return [[...c.slice(0, at), cps('etaoin ,😀')[Math.floor(r() * 9)], ...c.slice(at)].join(''), kind];
    case 'delete': {
      const n = 1 + Math.floor(r() * 5);
      return [[...c.slice(0, at), ...c.slice(at + n)].join(''), kind];
    }
    case 'replace': {
      const n = 1 + Math.floor(r() * 4);
      return [[...c.slice(0, at), ...cps(randomText(r, 1)), ...c.slice(at + n)].join(''), kind];
    }
    case 'paste':
      return [[...c.slice(0, at), ...cps(' ' + randomText(r, 3)), ...c.slice(at)].join(''), kind];
    case 'undo':
      return [history.length ? history[Math.floor(r() * history.length)] : '', kind];
  }
}

