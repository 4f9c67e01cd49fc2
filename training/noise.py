"""Synthetic misspellings: the noise model of typo correction (issue 20).

The corrector's trainer draws its training pairs from here, and the
evaluation set of synthetic errors (``--make-eval``, read by
``tools/typos.ts``) is made by the same code, so both see one error model.
Standard library only.

Kinds of error and their rates
------------------------------
``Noise.corrupt`` applies ``n`` edits to a word, ``n`` drawn from ``EDITS``;
each edit's kind is drawn from ``RATES`` among the kinds that apply to the
word at that point (a word without a double letter cannot lose one, a word
without an apostrophe cannot drop it): the weights of those that apply are
renormalised. ``--make-eval`` uses exactly one edit per word.

=============== ====== ==========================================================
kind            weight what it does (example)
=============== ====== ==========================================================
substitution    0.26   a letter becomes a QWERTY neighbour key (with -> wuth)
omission        0.18   a letter is left out (because -> becuse)
transposition   0.12   two adjacent, different letters swap (the -> teh)
insertion       0.10   a neighbour key of a letter is hit too, just before or
                       after it (fat finger: the -> thre)
undoubling      0.08   a double letter is typed once (occurred -> occured)
doubling        0.06   a letter is typed twice (until -> untill)
phonetic        0.16   a spelling of the same sound (PHONETIC table:
                       receive -> recieve, definitely -> definately,
                       existence -> existance, phone -> fone)
apostrophe      0.04   the apostrophe is left out (don't -> dont)
vowel           0      an inner vowel spelled as another (separate ->
                       seperate); only in SPELLING_RATES (0.14), the
                       corrector's training mix
=============== ====== ==========================================================

Edits per word (``EDITS``): 1 with p 0.85, 2 with p 0.13, 3 with p 0.02.

Positions: the first letter of a word is chosen for substitution, omission,
insertion and doubling with a quarter of the weight of any other letter
(people rarely get a word's first letter wrong).

Keyboard geometry: key centres of a US QWERTY board, rows staggered as on a
real keyboard (number row at 0, Q row offset 1.5 keys, A row 1.75, Z row
2.25, one key = 1 wide, rows 1 apart); two keys are neighbours when their
centres are at most 1.25 apart (left/right in the row, and the two or three
touching keys in the rows above and below: f -> d g r t c v). The shifted
layer has the same geometry, so an uppercase letter's neighbours are the
uppercase letters around it (shift held): ``The`` -> ``Rhe``, never ``rhe``.
In a word only neighbours that are letters are used (``l`` -> ``k o p``, not
``;``): a typo that makes a punctuation mark splits the word, which is a
different problem.

Case is kept: every edit keeps the case pattern of the letters around it.

Real words: given ``real_words`` (a set; ``hunspell_words`` expands a
Hunspell dictionary into one), an edit whose result is a real word (exactly,
or lowercased) is rejected and another is drawn (up to 25 tries per edit,
then the word is given up: ``corrupt`` returns None). So ``it's -> its``,
``we're -> were``, ``form -> from`` are never produced: errors into real
words need the sentence to detect, and are left out of this model on
purpose. Without ``real_words`` nothing is rejected.

CLI: ``python3 training/noise.py --make-eval [--text DIR] [--lexicon model.json]
[--dictionary PATH/index] [--errors 1000] [--correct 2000] [--tune 300]
[--seed 1] --out FILE.jsonl`` (see ``make_eval``), or ``python3
training/noise.py WORD...`` to see a few misspellings of each word.
"""

import argparse
import json
import os
import random
import re
import sys

KINDS = ("substitution", "omission", "transposition", "insertion", "undoubling", "doubling", "phonetic", "apostrophe", "vowel")

RATES = {
    "substitution": 0.26,
    "omission": 0.18,
    "transposition": 0.12,
    "insertion": 0.10,
    "undoubling": 0.08,
    "doubling": 0.06,
    "phonetic": 0.16,
    "apostrophe": 0.04,
}

EDITS = {1: 0.85, 2: 0.13, 3: 0.02}

# The corrector's training mix (training/corrector.py --noise spelling): RATES
# plus vowel confusions, and more words with two or three errors. Lists of
# real misspellings are full of both (seperate, independant, accomodation,
# acheivment): people spell an unstressed vowel by ear and get a long word
# wrong in more than one place. --make-eval keeps RATES and one edit.
SPELLING_RATES = dict(RATES, vowel=0.14, undoubling=0.12)
SPELLING_EDITS = {1: 0.70, 2: 0.25, 3: 0.05}

VOWELS = "aeiou"

# Weight of the first letter when a position is drawn, relative to any other.
FIRST_LETTER_WEIGHT = 0.25

# US QWERTY: (unshifted row, shifted row, x of the row's first key centre).
ROWS = (
    ("`1234567890-=", "~!@#$%^&*()_+", 0.0),
    ("qwertyuiop[]\\", "QWERTYUIOP{}|", 1.5),
    ("asdfghjkl;'", 'ASDFGHJKL:"', 1.75),
    ("zxcvbnm,./", "ZXCVBNM<>?", 2.25),
)
NEIGHBOUR_DISTANCE = 1.25


def _key_positions():
    pos = {}
    for y, (plain, shifted, x0) in enumerate(ROWS):
        for layer in (plain, shifted):
            for i, ch in enumerate(layer):
                pos[ch] = (x0 + i, y, layer is shifted)
    return pos


KEY_POSITIONS = _key_positions()


def neighbours(ch):
    """The keys around ``ch`` on the same layer (shifted with shifted), nearest first; '' for a key not on the board."""
    if ch not in KEY_POSITIONS:
        return ""
    x, y, shifted = KEY_POSITIONS[ch]
    near = []
    for other, (ox, oy, oshift) in KEY_POSITIONS.items():
        if other == ch or oshift != shifted:
            continue
        d = ((ox - x) ** 2 + (oy - y) ** 2) ** 0.5
        if d <= NEIGHBOUR_DISTANCE + 1e-9:
            near.append((d, oy, ox, other))
    return "".join(o for _, _, _, o in sorted(near))


LETTER_NEIGHBOURS = {ch: "".join(n for n in neighbours(ch) if n.isalpha()) for ch in KEY_POSITIONS if ch.isalpha()}

# Spellings of the same sound: (written, typed instead, where). "any": anywhere
# in the word; "end": a suffix, followed by at most an inflection (s, es, ly, y).
PHONETIC = (
    ("ie", "ei", "any"), ("ei", "ie", "any"),
    ("ph", "f", "any"),
    ("ck", "k", "any"), ("c", "k", "any"), ("k", "c", "any"),
    ("ce", "se", "any"), ("se", "ce", "any"), ("ci", "si", "any"), ("sc", "s", "any"),
    ("tion", "sion", "end"), ("sion", "tion", "end"),
    ("able", "ible", "end"), ("ible", "able", "end"),
    ("ant", "ent", "end"), ("ent", "ant", "end"),
    ("ance", "ence", "end"), ("ence", "ance", "end"),
    ("ary", "ery", "end"), ("ery", "ary", "end"),
    ("ite", "ate", "any"), ("ate", "ite", "end"),
    ("er", "or", "end"), ("or", "er", "end"),
    ("ea", "ee", "any"), ("ee", "ea", "any"),
    ("wh", "w", "any"), ("gh", "", "end"),
    ("ou", "o", "any"), ("y", "ie", "end"),
)
INFLECTIONS = ("", "s", "es", "ly", "y")

APOSTROPHES = "'\u2019"


def _recase(template, text):
    """``text`` in the case pattern of ``template`` (by position; past its end, the case of its last letter)."""
    out = []
    for i, ch in enumerate(text):
        t = template[min(i, len(template) - 1)] if template else ch
        out.append(ch.upper() if t.isupper() else ch.lower())
    return "".join(out)


class Noise:
    """Seeded misspeller. ``rates``: kind -> weight; ``edits``: n -> p; ``real_words``: results to reject (see the module doc)."""

    def __init__(self, seed=0, rates=None, edits=None, real_words=None):
        self.rng = random.Random(seed)
        self.rates = dict(RATES if rates is None else rates)
        unknown = set(self.rates) - set(KINDS)
        if unknown:
            raise ValueError(f"Noise: unknown kinds {sorted(unknown)}; the kinds are {KINDS}")
        self.edits = dict(EDITS if edits is None else edits)
        self.real_words = real_words

    # -- positions -----------------------------------------------------------

    def _position(self, candidates):
        """One of ``candidates`` (indices into the word), the first letter (index 0) weighing FIRST_LETTER_WEIGHT."""
        weights = [FIRST_LETTER_WEIGHT if i == 0 else 1.0 for i in candidates]
        return self.rng.choices(candidates, weights)[0]

    # -- one edit of each kind (None where it does not apply) ----------------

    def substitution(self, w):
        at = [i for i, c in enumerate(w) if LETTER_NEIGHBOURS.get(c)]
        if not at:
            return None
        i = self._position(at)
        return w[:i] + self.rng.choice(LETTER_NEIGHBOURS[w[i]]) + w[i + 1:]

    def omission(self, w):
        at = [i for i, c in enumerate(w) if c.isalpha()]
        if len(at) < 2:
            return None
        i = self._position(at)
        rest = w[:i] + w[i + 1:]
        # "Apple" -> "Pple": the capital stays at the front (shift was pressed for the first key).
        return rest[0].upper() + rest[1:] if i == 0 and w[0].isupper() else rest

    def transposition(self, w):
        at = [i for i in range(len(w) - 1) if w[i].isalpha() and w[i + 1].isalpha() and w[i].lower() != w[i + 1].lower()]
        if not at:
            return None
        i = self.rng.choice(at)
        return w[:i] + _recase(w[i:i + 2], w[i + 1] + w[i]) + w[i + 2:]

    def insertion(self, w):
        at = [i for i, c in enumerate(w) if LETTER_NEIGHBOURS.get(c)]
        if not at:
            return None
        i = self._position(at)
        extra = self.rng.choice(LETTER_NEIGHBOURS[w[i]])
        return w[:i] + extra + w[i:] if self.rng.random() < 0.5 else w[:i + 1] + extra + w[i + 1:]

    def doubling(self, w):
        at = [i for i, c in enumerate(w) if c.isalpha() and (i + 1 >= len(w) or w[i + 1] != c) and (i == 0 or w[i - 1] != c)]
        if not at:
            return None
        i = self._position(at)
        return w[:i + 1] + w[i] + w[i + 1:]

    def undoubling(self, w):
        at = [i for i in range(len(w) - 1) if w[i].isalpha() and w[i] == w[i + 1]]
        if not at:
            return None
        i = self.rng.choice(at)
        return w[:i] + w[i + 1:]

    def phonetic(self, w):
        low = w.lower()
        options = []
        for src, dst, where in PHONETIC:
            for m in re.finditer(re.escape(src), low):
                if where == "end" and low[m.end():] not in INFLECTIONS:
                    continue
                options.append((m.start(), m.end(), dst))
        if not options:
            return None
        a, b, dst = self.rng.choice(options)
        # A sound at the end of a word ("gh" -> "") may leave nothing to carry the case: take it from before.
        template = w[a:b] if dst else ""
        return w[:a] + _recase(template or w[max(0, a - 1):a], dst) + w[b:]

    def vowel(self, w):
        """An inner vowel spelled as another (separate -> seperate, independent -> independant); never the first letter."""
        at = [i for i in range(1, len(w)) if w[i].lower() in VOWELS]
        if not at:
            return None
        i = self.rng.choice(at)
        other = self.rng.choice([v for v in VOWELS if v != w[i].lower()])
        return w[:i] + _recase(w[i], other) + w[i + 1:]

    def apostrophe(self, w):
        at = [i for i, c in enumerate(w) if c in APOSTROPHES]
        if not at:
            return None
        i = self.rng.choice(at)
        return w[:i] + w[i + 1:]

    # -- words -----------------------------------------------------------------

    def is_real(self, w):
        return self.real_words is not None and (w in self.real_words or w.lower() in self.real_words)

    def edit(self, word, kind=None, tries=25):
        """One edit of ``word``: ``(typed, kind)``, ``kind`` drawn from the rates unless given; None when none applies or every try made a real word."""
        for _ in range(tries):
            if kind is None:
                kinds = [k for k in KINDS if self.rates.get(k, 0) > 0 and getattr(self, k)(word) is not None]
                if not kinds:
                    return None
                k = self.rng.choices(kinds, [self.rates[k] for k in kinds])[0]
            else:
                k = kind
            typed = getattr(self, k)(word)
            if typed is None:
                return None
            if typed != word and not self.is_real(typed):
                return typed, k
        return None

    def corrupt(self, word, edits=None, kind=None):
        """``word`` misspelled: ``(typed, [kinds])`` with ``edits`` edits (drawn from the rates when None), or None (see edit)."""
        n = edits if edits is not None else self.rng.choices(list(self.edits), list(self.edits.values()))[0]
        typed, kinds = word, []
        for _ in range(n):
            r = self.edit(typed, kind)
            if r is None:
                return None
            typed, k = r
            kinds.append(k)
        if typed == word or self.is_real(typed):
            return None
        return typed, kinds


# -- Hunspell dictionary as a word set ------------------------------------------


def hunspell_words(path):
    """Every word form of a Hunspell dictionary (``path``.dic with ``path``.aff): stems with their prefixes and suffixes (cross products too), lowercased.

    Enough of the affix format for en_US (single-character flags, PFX/SFX with
    strip, add and condition); compounding rules (ordinals like 21st) are not
    expanded.
    """
    rules = {}
    with open(path + ".aff", encoding="utf-8") as f:
        lines = [ln.split("#")[0].split() for ln in f]
    i = 0
    while i < len(lines):
        ln = lines[i]
        if len(ln) == 4 and ln[0] in ("PFX", "SFX") and ln[2] in ("Y", "N"):
            kind, flag, cross, count = ln[0], ln[1], ln[2] == "Y", int(ln[3])
            entries = []
            for r in lines[i + 1:i + 1 + count]:
                strip = "" if r[2] == "0" else r[2]
                add = "" if r[3] == "0" else r[3].split("/")[0]
                cond = r[4] if len(r) > 4 else "."
                pattern = re.compile(cond + "$" if kind == "SFX" else "^" + cond)
                entries.append((strip, add, pattern))
            rules[flag] = (kind, cross, entries)
            i += count + 1
        else:
            i += 1

    def apply(word, flag):
        kind, _, entries = rules[flag]
        for strip, add, pattern in entries:
            if kind == "SFX" and pattern.search(word) and word.endswith(strip):
                yield word[:len(word) - len(strip)] + add
            elif kind == "PFX" and pattern.search(word) and word.startswith(strip):
                yield add + word[len(strip):]

    words = set()
    with open(path + ".dic", encoding="utf-8") as f:
        next(f)
        for line in f:
            stem, _, flags = line.strip().partition("/")
            if not stem:
                continue
            words.add(stem)
            flags = [fl for fl in flags if fl in rules]
            suffixed = [stem]
            for fl in flags:
                if rules[fl][0] == "SFX":
                    for form in apply(stem, fl):
                        words.add(form)
                        if rules[fl][1]:
                            suffixed.append(form)
            for fl in flags:
                if rules[fl][0] == "PFX":
                    for base in suffixed if rules[fl][1] else [stem]:
                        words.update(apply(base, fl))
    return {w.lower() for w in words}


# -- the evaluation set -----------------------------------------------------------

WORD = re.compile(r"(?:[^\W_]|['\u2019])+")
TARGET = re.compile(r"[A-Za-z]+(?:['\u2019][A-Za-z]+)*")
CONTEXT = 256


def text_files(paths):
    """The .txt files named by ``paths``: a file as it is, a folder's .txt files in name order (as tools/files.ts)."""
    out = []
    for p in paths:
        if os.path.isdir(p):
            out += [os.path.join(p, f) for f in sorted(os.listdir(p)) if f.endswith(".txt")]
        else:
            out.append(p)
    return out


def make_eval(files, lexicon, real_words, errors, correct, tune, seed):
    """Records of the synthetic set, in file then text order.

    From each file, the same share of each part (``ceil(n / files)``, the
    last file may give fewer): words written with ASCII letters and
    apostrophes only, at least 2 letters, in ``lexicon`` (the model's words),
    drawn uniformly without repeats (``random.Random(seed)``, positions shuffled
    per file). The first drawn get one error each (``Noise(seed)``, one edit,
    rejecting results in ``real_words``; a word no edit fits is passed over):
    ``errors`` of them are the test part (``split: "test"``) and ``tune`` the
    held-out slice a baseline tunes on (``split: "tune"``); the next drawn are
    kept as typed: ``correct`` for the test part, ``tune`` for the slice
    (``kind: "none"``). ``left``: up to CONTEXT characters before the word.
    """
    rng = random.Random(seed)
    noise = Noise(seed, real_words=real_words)
    per = lambda n: -(-n // len(files))  # noqa: E731
    out = []
    for file in files:
        with open(file, encoding="utf-8") as f:
            text = f.read().replace("\r\n", "\n").replace("\r", "\n")
        spots = [m for m in WORD.finditer(text) if TARGET.fullmatch(m.group()) and sum(c.isalpha() for c in m.group()) >= 2 and m.group() in lexicon]
        rng.shuffle(spots)
        want = {"err-test": per(errors), "err-tune": per(tune), "ok-test": per(correct), "ok-tune": per(tune)}
        picked = []
        it = iter(spots)
        for part in ("err-test", "err-tune", "ok-test", "ok-tune"):
            n = 0
            while n < want[part]:
                m = next(it, None)
                if m is None:
                    break
                word = m.group()
                if part.startswith("err"):
                    r = noise.corrupt(word, edits=1)
                    if r is None:
                        continue
                    typed, kinds = r[0], r[1][0]
                else:
                    typed, kinds = word, "none"
                picked.append((m.start(), {"file": os.path.basename(file), "split": part[-4:], "left": text[max(0, m.start() - CONTEXT):m.start()],
                                           "typed": typed, "intended": word, "kind": kinds}))
                n += 1
        out += [r for _, r in sorted(picked, key=lambda x: x[0])]
    # The last files may give fewer than their share; cut each part to its size.
    sizes = {("test", True): errors, ("tune", True): tune, ("test", False): correct, ("tune", False): tune}
    kept, seen = [], {}
    for r in out:
        key = (r["split"], r["kind"] != "none")
        seen[key] = seen.get(key, 0) + 1
        if seen[key] <= sizes[key]:
            kept.append(r)
    return kept


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("words", nargs="*", help="words to misspell (a demonstration)")
    p.add_argument("--make-eval", action="store_true", help="write the synthetic evaluation set")
    p.add_argument("--text", nargs="+", default=[os.path.join(root, "..", "shared", "corpus", "v2", "valid")])
    p.add_argument("--lexicon", default=os.path.join(root, "models", "default", "model.json"), help="model.json whose lexicon the words are drawn from")
    p.add_argument("--dictionary", default=os.path.join(root, "node_modules", "dictionary-en", "index"), help="Hunspell dictionary (path without .dic/.aff): its words are real words")
    p.add_argument("--errors", type=int, default=1000)
    p.add_argument("--correct", type=int, default=2000)
    p.add_argument("--tune", type=int, default=300)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--count", type=int, default=5, help="misspellings shown per word (demonstration)")
    p.add_argument("--out", help="JSONL file to write (--make-eval)")
    a = p.parse_args(argv)
    real = hunspell_words(a.dictionary) if os.path.exists(a.dictionary + ".dic") else None
    if not a.make_eval:
        noise = Noise(a.seed, real_words=real)
        for w in a.words:
            print(w, "->", ", ".join(f"{t} ({'+'.join(k)})" for t, k in filter(None, (noise.corrupt(w) for _ in range(a.count)))))
        return 0
    if real is None:
        print(f"noise.py: no Hunspell dictionary at {a.dictionary}.dic: run npm ci (dictionary-en) or give --dictionary", file=sys.stderr)
        return 2
    if not a.out:
        print("noise.py: --make-eval needs --out FILE.jsonl", file=sys.stderr)
        return 2
    with open(a.lexicon, encoding="utf-8") as f:
        lexicon = set(json.load(f).get("lexicon") or [])
    if not lexicon:
        print(f"noise.py: {a.lexicon} has no lexicon", file=sys.stderr)
        return 2
    records = make_eval(text_files(a.text), lexicon, real, a.errors, a.correct, a.tune, a.seed)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"noise.py: {len(records)} records -> {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
