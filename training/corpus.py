"""Training text for train.py: one encoded copy in memory, windows drawn by document.

    corpus = Corpus.load(files, min_count=300)          # or vocab=[...] to reuse one
    sampler = DocSampler(corpus, lanes=128, seq=128, seed=1234, alpha=0.5)
    x, y = sampler.next_batch()                          # uint8/int16 [lanes, seq] each
    state = sampler.state_dict(); sampler.load_state_dict(state)   # resumable (JSON-safe)

Memory: files are read one at a time. The vocabulary pass counts characters
per file; the encoding pass writes each file's indices straight into one
preallocated array (one byte per character for vocabularies up to 256), so
the whole corpus is held once, as indices, never as a Python string or int64
code points.

Documents: a blank line ends a document (the corpus keeps one paragraph per
line and a blank line between documents; a file without blank lines is one
document). Documents longer than `max_segment` characters are cut into
pieces of about that length at line ends, so a novel is many pieces and a
chat message one.

Sampling: each lane reads one piece to its end, then a fresh one, carrying
the recurrent state across (as the SDK does from one text to the next). A
piece is drawn by picking a source, then a character position uniformly in
that source (`source_of`: a file's name without a trailing -N, so
gutenberg-20c-1 and -2 are one source; the classic books of corpus/train are
one source). Sources are
drawn with probability proportional to size**alpha: alpha 1 is proportional
to size (one big source dominates), 0 is uniform; 0.5 lifts small modern
sources (assistant queries, 0.4 MB) without repeating them endlessly. These
are shares of the characters read: a source of short documents (chat) is
picked more often than one of long ones (novels) to get its share.
"""

import os
import re

import numpy as np

NL = ord("\n")


def list_files(specs):
    files = []
    for s in specs:
        if os.path.isdir(s):
            found = sorted(os.path.join(s, f) for f in os.listdir(s) if f.endswith(".txt"))
            if not found:
                raise SystemExit("no .txt files in %s" % s)
            files += found
        elif os.path.isfile(s):
            files.append(s)
        else:
            raise SystemExit("no such file or folder: %s" % s)
    return files


def read_file(path):
    """One UTF-8 file -> str; \\r\\n and lone \\r become \\n, a BOM is dropped, ends with \\n."""
    with open(path, "r", encoding="utf-8", newline="") as f:
        t = f.read()
    t = t.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if t and not t.endswith("\n"):
        t += "\n"
    return t


def code_points(text):
    return np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(np.int64)


def source_of(path):
    """Source name of a training file: its base name without .txt and a trailing -N.

    Files of the classic corpus (a folder named train whose parent is not v2)
    are one source, "classic": 16 books are one genre, not 16.
    """
    parent = os.path.basename(os.path.dirname(os.path.abspath(path)))
    grand = os.path.basename(os.path.dirname(os.path.dirname(os.path.abspath(path))))
    if parent == "train" and grand == "corpus":
        return "classic"
    name = os.path.basename(path)
    if name.endswith(".txt"):
        name = name[:-4]
    return re.sub(r"-\d{1,2}$", "", name)


def index_dtype(vocab_size):
    return np.uint8 if vocab_size <= 256 else (np.int16 if vocab_size <= 32767 else np.int32)


def count_chars(files, sizes=None):
    """{code point: count} over files, reading one file at a time; appends each
    file's length in code points to `sizes` when given."""
    counts = {}
    for path in files:
        cps = code_points(read_file(path))
        if sizes is not None:
            sizes.append(len(cps))
        vals, c = np.unique(cps, return_counts=True)
        for v, n in zip(vals.tolist(), c.tolist()):
            counts[v] = counts.get(v, 0) + n
    return counts


# What a keyboard types: printable ASCII and the newline are always in the vocabulary
# (a code-free corpus has few ^ or ` but people type them).
KEYBOARD = frozenset([10] + list(range(32, 127)))


def vocab_from_counts(counts, min_count, keyboard=True):
    """[0] + code points seen >= min_count times (and, with `keyboard`, every printable
    ASCII character and the newline that occurs at all), by frequency (desc) then code point."""
    keep = [(-n, v) for v, n in counts.items()
            if v != 0 and (n >= min_count or (keyboard and v in KEYBOARD))]
    return [0] + [v for _, v in sorted(keep)]


def encode(cps, vocab, out=None):
    """Code points -> vocab indices (unknown 0) in the smallest integer dtype (or into `out`)."""
    top = int(max(int(cps.max()) if len(cps) else 0, max(vocab)))
    lut = np.zeros(top + 1, dtype=np.int32)
    lut[np.asarray(vocab[1:], dtype=np.int64)] = np.arange(1, len(vocab), dtype=np.int32)
    if out is None:
        return lut[cps].astype(index_dtype(len(vocab)))
    out[:] = lut[cps]
    return out


def segments(data, lo, hi, max_segment, nl_index):
    """[start, end) pieces of data[lo:hi]: documents end after a blank line; long ones
    are cut at the first line end past every max_segment characters."""
    part = data[lo:hi]
    nl = np.flatnonzero(part == nl_index)
    # a document ends at the second newline of "\n\n"
    ends = nl[1:][np.diff(nl) == 1] + 1
    bounds = [0] + ends.tolist()
    if bounds[-1] != len(part):
        bounds.append(len(part))
    out = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        while b - a > max_segment:
            # the first newline at or after a + max_segment, else a hard cut
            j = np.searchsorted(nl, a + max_segment)
            cut = int(nl[j]) + 1 if j < len(nl) and nl[j] + 1 < b else a + max_segment
            out.append((lo + a, lo + cut))
            a = cut
        if b - a >= 2:
            out.append((lo + a, lo + b))
    return out


class Corpus:
    """The encoded training text (one array), its pieces and their sources."""

    def __init__(self, data, vocab, files, file_spans, max_segment):
        self.data, self.vocab, self.files = data, list(vocab), list(files)
        self.file_spans = file_spans
        seg, src = [], []
        self.sources = []
        nl_index = self.vocab.index(NL) if NL in self.vocab else -1
        for path, (lo, hi) in zip(files, file_spans):
            name = source_of(path)
            if name not in self.sources:
                self.sources.append(name)
            s = segments(data, lo, hi, max_segment, nl_index)
            seg += s
            src += [self.sources.index(name)] * len(s)
        self.seg = np.asarray(seg, dtype=np.int64).reshape(-1, 2)
        self.seg_source = np.asarray(src, dtype=np.int64)
        # per source: its pieces and their cumulative lengths (for char-uniform draws)
        self.by_source, self.cum = [], []
        for k in range(len(self.sources)):
            idx = np.flatnonzero(self.seg_source == k)
            self.by_source.append(idx)
            self.cum.append(np.cumsum(self.seg[idx, 1] - self.seg[idx, 0]))
        self.source_chars = np.array([c[-1] if len(c) else 0 for c in self.cum], dtype=np.int64)
        # a piece drawn by character position is length-biased: its expected length is
        # sum(L^2) / sum(L); what a lane reads from a source is draws x that length
        self.piece_chars = np.array(
            [float(np.sum((self.seg[i, 1] - self.seg[i, 0]).astype(np.float64) ** 2)) / n
             if n else 1.0 for i, n in zip(self.by_source, self.source_chars)])

    @classmethod
    def load(cls, files, min_count=20, vocab=None, max_segment=16384):
        sizes = []  # lengths first, so the array is allocated once
        if vocab is None:
            vocab = vocab_from_counts(count_chars(files, sizes), min_count)
        else:
            sizes = [len(read_file(path)) for path in files]
        data = np.empty(sum(sizes), dtype=index_dtype(len(vocab)))
        spans, at = [], 0
        for path, n in zip(files, sizes):
            encode(code_points(read_file(path)), vocab, out=data[at:at + n])
            spans.append((at, at + n))
            at += n
        return cls(data, vocab, files, spans, max_segment)

    def weights(self, alpha, boost=None):
        """Share of the characters read from each source: size**alpha, times boost[name]."""
        w = self.source_chars.astype(np.float64) ** alpha
        w[self.source_chars == 0] = 0
        for name, b in (boost or {}).items():
            if name not in self.sources:
                raise SystemExit("--source-weight: no source %r (sources: %s)"
                                 % (name, ", ".join(self.sources)))
            w[self.sources.index(name)] *= b
        return w / w.sum()

    def describe(self, alpha, boost=None):
        w = self.weights(alpha, boost)
        total = self.source_chars.sum()
        return ", ".join("%s %.1f MB %.1f%%->%.1f%%" % (s, n / 1e6, 100 * n / total, 100 * p)
                         for s, n, p in zip(self.sources, self.source_chars, w))


class DocSampler:
    """`lanes` streams of pieces; next_batch() -> (x, y) [lanes, seq], y = x shifted by one.

    Every lane has its own random generator (seed, lane), so any subset of lanes
    (one DistributedDataParallel rank's) is drawn the same as in the full batch.
    """

    def __init__(self, corpus, lanes, seq, seed, alpha=0.5, lane_range=None, boost=None):
        self.c, self.seq, self.alpha = corpus, seq, alpha
        self.p = corpus.weights(alpha, boost)
        # sources are picked with q ~ p / (expected piece length), so that the share
        # of characters read from each source is p
        q = self.p / corpus.piece_chars
        self.q = q / q.sum()
        lo, hi = lane_range or (0, lanes)
        self.lane_ids = list(range(lo, hi))
        self.rngs = [np.random.default_rng([seed, i]) for i in self.lane_ids]
        self.pos = np.zeros(len(self.lane_ids), dtype=np.int64)
        self.end = np.zeros(len(self.lane_ids), dtype=np.int64)
        for j in range(len(self.lane_ids)):
            self._draw(j)

    def _draw(self, j):
        rng = self.rngs[j]
        k = int(rng.choice(len(self.q), p=self.q))
        at = int(rng.integers(0, self.c.source_chars[k]))
        i = self.c.by_source[k][int(np.searchsorted(self.c.cum[k], at, side="right"))]
        self.pos[j], self.end[j] = self.c.seg[i]

    def next_batch(self):
        T, d = self.seq, self.c.data
        out = np.empty((len(self.lane_ids), T + 1), dtype=d.dtype)
        for j in range(len(self.lane_ids)):
            p, e = int(self.pos[j]), int(self.end[j])
            if e - p >= T + 1:
                out[j] = d[p:p + T + 1]
                self.pos[j] = p + T
                continue
            # the window runs past this piece: go on with fresh pieces; the window's
            # last character is the next window's first, wherever it lies
            filled = 0
            while True:
                n = min(e - p, T + 1 - filled)
                out[j, filled:filled + n] = d[p:p + n]
                filled += n
                if filled == T + 1:
                    self.pos[j] = p + n - 1
                    break
                self._draw(j)
                p, e = int(self.pos[j]), int(self.end[j])
        return out[:, :T], out[:, 1:]

    def state_dict(self):
        return {"lane_ids": self.lane_ids, "pos": self.pos.tolist(), "end": self.end.tolist(),
                "rngs": [r.bit_generator.state for r in self.rngs], "alpha": self.alpha}

    def load_state_dict(self, s):
        if list(s["lane_ids"]) != self.lane_ids:
            raise ValueError("sampler state is for lanes %s..%s, this one has %s..%s"
                             % (s["lane_ids"][0], s["lane_ids"][-1], self.lane_ids[0],
                                self.lane_ids[-1]))
        self.pos = np.asarray(s["pos"], dtype=np.int64)
        self.end = np.asarray(s["end"], dtype=np.int64)
        for r, st in zip(self.rngs, s["rngs"]):
            r.bit_generator.state = st
