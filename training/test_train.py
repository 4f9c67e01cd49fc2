"""Tests of the trainer's data path, warm start and DistributedDataParallel run.

    /usr/bin/python3 -m unittest discover -s training -p 'test_*.py' -v

Small: a made-up corpus of a few sources in a temporary folder, models of a
few thousand parameters, a few steps.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from corpus import Corpus, DocSampler, count_chars, source_of, vocab_from_counts  # noqa: E402
from nextkey_model import CharModel  # noqa: E402
import train  # noqa: E402

PY = sys.executable


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def make_corpus(root):
    """Three sources of different sizes; documents separated by blank lines."""
    rng = np.random.default_rng(7)
    words = {"chat": "hi hello thanks sure okay meeting tomorrow yes no maybe".split(),
             "docs": "the kubernetes controller reconciles pods nodes and services".split(),
             "book": "she said that he would come to the house in the evening".split()}
    sizes = {"chat": 40, "docs": 120, "book": 400}
    os.makedirs(os.path.join(root, "train"), exist_ok=True)
    os.makedirs(os.path.join(root, "valid"), exist_ok=True)
    for name, n in sizes.items():
        for part, folder, docs in (("", "train", n), ("", "valid", 6)):
            out = []
            for _ in range(docs):
                lines = [" ".join(rng.choice(words[name], size=rng.integers(3, 12))) + "."
                         for _ in range(rng.integers(1, 4))]
                out.append("\n".join(lines) + "\n\n")
            with open(os.path.join(root, folder, name + ".txt"), "w") as f:
                f.write("".join(out))
    # one source in two files (name-1, name-2), as gutenberg-20c-1 and -2
    for i in (1, 2):
        with open(os.path.join(root, "train", "book-%d.txt" % (i + 1)), "w") as f:
            f.write("It was a dark night. She said so.\n\nThe end came soon.\n\n" * 20)
    return root


class CorpusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="nextkey-corpus-")
        make_corpus(cls.tmp)
        cls.files = sorted(os.path.join(cls.tmp, "train", f)
                           for f in os.listdir(os.path.join(cls.tmp, "train")))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_sources_and_vocabulary(self):
        self.assertEqual(source_of("/x/v2/train/gutenberg-20c-1.txt"), "gutenberg-20c")
        self.assertEqual(source_of("/x/v2/train/presidential-speeches-1900-1989.txt"),
                         "presidential-speeches-1900-1989")
        self.assertEqual(source_of("/x/corpus/train/emma.txt"), "classic")
        c = Corpus.load(self.files, min_count=10**9)
        self.assertEqual(sorted(c.sources), ["book", "chat", "docs"])
        # nothing reaches the count, yet every keyboard character that occurs is in
        text = "".join(read(f) for f in self.files)
        self.assertEqual(set(c.vocab[1:]), set(map(ord, text)))
        counts = count_chars(self.files)
        v = vocab_from_counts({**counts, 0x2192: 5}, 5, keyboard=False)
        self.assertIn(0x2192, v)
        self.assertNotIn(ord("."), vocab_from_counts(counts, 10**9, keyboard=False))
        # one copy of the text, one byte a character, decoded back exactly
        self.assertEqual(c.data.dtype, np.uint8)
        self.assertEqual("".join(chr(c.vocab[i]) for i in c.data), text)

    def test_pieces_are_documents(self):
        c = Corpus.load(self.files, min_count=1, max_segment=60)
        nl = c.vocab.index(10)
        for a, b in c.seg:
            self.assertLessEqual(b - a, 60 + 200)  # cut at the next line end past 60
            self.assertEqual(c.data[b - 1], nl)    # a piece ends at a line end
        whole = Corpus.load(self.files, min_count=1, max_segment=10**9)
        docs = sum(read(f).count("\n\n") for f in self.files)
        self.assertEqual(len(whole.seg), docs)

    def test_windows_are_continuous_and_drawn_by_source(self):
        c = Corpus.load(self.files, min_count=1)
        s = DocSampler(c, lanes=8, seq=16, seed=3, alpha=0.0)
        prev = None
        for _ in range(400):
            x, y = s.next_batch()
            np.testing.assert_array_equal(x[:, 1:], y[:, :-1])
            if prev is not None:  # the last target of a window is the next one's first input
                np.testing.assert_array_equal(prev[:, -1], x[:, 0])
            prev = y
        # alpha 0: sources drawn uniformly, whatever their size
        rng_draws = np.bincount([c.seg_source[self._piece(c, s, j)] for j in range(8)],
                                minlength=3)
        self.assertEqual(rng_draws.sum(), 8)
        p = c.weights(0.0)
        np.testing.assert_allclose(p, np.full(3, 1 / 3))
        p1 = c.weights(1.0)
        np.testing.assert_allclose(p1, c.source_chars / c.source_chars.sum())

    def _piece(self, c, s, j):
        return int(np.flatnonzero((c.seg[:, 0] <= s.pos[j]) & (s.pos[j] < c.seg[:, 1]))[0])

    def test_alpha_sets_how_often_each_source_is_read(self):
        c = Corpus.load(self.files, min_count=1)
        s = DocSampler(c, lanes=32, seq=32, seed=5, alpha=0.5)
        seen = np.zeros(len(c.sources))
        src_of_pos = np.zeros(len(c.data), dtype=np.int64)
        for (a, b), k in zip(c.seg, c.seg_source):
            src_of_pos[a:b] = k
        for _ in range(300):
            s.next_batch()
            np.add.at(seen, src_of_pos[s.pos], 1)
        share = seen / seen.sum()
        np.testing.assert_allclose(share, c.weights(0.5), atol=0.05)

    def test_source_weights_multiply_shares(self):
        c = Corpus.load(self.files, min_count=1)
        w = c.source_chars.astype(float)
        w[c.sources.index("chat")] *= 3
        np.testing.assert_allclose(c.weights(1.0, {"chat": 3}), w / w.sum())
        with self.assertRaises(SystemExit) as e:
            c.weights(1.0, {"novels": 2})
        self.assertIn("no source 'novels'", str(e.exception))

    def test_lane_subsets_and_resume(self):
        c = Corpus.load(self.files, min_count=1)
        full = DocSampler(c, lanes=6, seq=20, seed=11)
        lo = DocSampler(c, lanes=6, seq=20, seed=11, lane_range=(0, 3))
        hi = DocSampler(c, lanes=6, seq=20, seed=11, lane_range=(3, 6))
        for i in range(50):
            x, _ = full.next_batch()
            np.testing.assert_array_equal(x, np.concatenate([lo.next_batch()[0],
                                                             hi.next_batch()[0]]))
            if i == 20:
                saved = json.loads(json.dumps(full.state_dict()))
        again = DocSampler(c, lanes=6, seq=20, seed=99)
        again.load_state_dict(saved)
        ref = DocSampler(c, lanes=6, seq=20, seed=11)
        for _ in range(21):
            ref.next_batch()
        for _ in range(10):
            np.testing.assert_array_equal(again.next_batch()[0], ref.next_batch()[0])


class WarmStartTest(unittest.TestCase):
    def test_new_characters_keep_the_old_predictions(self):
        torch.manual_seed(0)
        old_vocab = [0] + [ord(ch) for ch in "abc de"]
        new_vocab = [0] + [ord(ch) for ch in "ab@c d#e"]
        old = CharModel("lstm", len(old_vocab), 8, [16])
        tmp = tempfile.mkdtemp(prefix="nextkey-init-")
        try:
            path = os.path.join(tmp, "old.pt")
            torch.save(train.model_checkpoint({"cell": "lstm", "embedding": 8, "hidden": [16]},
                                              old_vocab, old, {}), path)
            new = CharModel("lstm", len(new_vocab), 8, [16])
            train.init_from(new, new_vocab, {"cell": "lstm", "embedding": 8, "hidden": [16]},
                            path)
        finally:
            shutil.rmtree(tmp)
        text = "abc dab"
        with torch.no_grad():
            po = torch.softmax(old(torch.tensor([[old_vocab.index(ord(ch)) for ch in text]]))[0],
                               -1)[0]
            pn = torch.softmax(new(torch.tensor([[new_vocab.index(ord(ch)) for ch in text]]))[0],
                               -1)[0]
        for i, cp in enumerate(old_vocab):
            if i:  # every known character: the same probability as before
                torch.testing.assert_close(pn[:, new_vocab.index(cp)], po[:, i])
        # the old unknown mass is split between unknown and the two new characters
        torch.testing.assert_close(pn[:, [0, new_vocab.index(64), new_vocab.index(35)]].sum(1),
                                   po[:, 0])


STEP = re.compile(r"^(?:\[default\d+\]:)?step (\d+) .*\| train ([0-9.]+) ")


def torchrun(procs):
    """torchrun for `procs` local processes. Debian's torch 1.13 on Python 3.11
    cannot parse its own --redirects/--tee defaults (3.11 no longer iterates a
    Flag's zero member), so both are given, for every rank, as "stdout"."""
    ranks = ",".join("%d:1" % i for i in range(procs))
    return [PY, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(procs),
            "--redirects", ranks, "--tee", ranks]


class DistributedTest(unittest.TestCase):
    """2 processes under torchrun (gloo) against 1 process, same global batch."""

    def run_trainer(self, out, corpus, procs):
        args = ["training/train.py", "--train", os.path.join(corpus, "train"),
                "--valid", os.path.join(corpus, "valid"), "--out", out, "--force",
                "--cell", "lstm", "--embedding", "8", "--hidden", "24", "24", "--min-count", "1",
                "--batch", "8", "--seq", "16", "--steps", "6", "--lr", "1e-2", "--warmup", "0",
                "--schedule", "constant", "--eval-every", "3", "--log-every", "1",
                "--threads", "1", "--device", "cpu"]
        if procs > 1:
            cmd = torchrun(procs) + args
        else:
            cmd = [PY] + args
        env = dict(os.environ, OMP_NUM_THREADS="1")
        r = subprocess.run(cmd, cwd=os.path.dirname(HERE), env=env, capture_output=True,
                           text=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        losses = {}
        for line in r.stdout.splitlines():
            m = STEP.match(line)
            if m:
                losses[int(m.group(1))] = float(m.group(2))
        return losses, train.load_checkpoint(os.path.join(out, "last.pt"))

    def test_two_processes_match_one(self):
        tmp = tempfile.mkdtemp(prefix="nextkey-ddp-")
        try:
            corpus = make_corpus(os.path.join(tmp, "corpus"))
            one, ck1 = self.run_trainer(os.path.join(tmp, "one"), corpus, 1)
            two, ck2 = self.run_trainer(os.path.join(tmp, "two"), corpus, 2)
        finally:
            shutil.rmtree(tmp)
        self.assertEqual(sorted(one), [1, 2, 3, 4, 5, 6])
        self.assertEqual(sorted(two), sorted(one))
        for k in one:
            self.assertAlmostEqual(one[k], two[k], delta=2e-4, msg="step %d" % k)
        self.assertGreater(one[1] - one[6], 0.1)  # it learned something
        self.assertEqual(ck2["world"], 2)
        for name, t in ck1["state_dict"].items():
            torch.testing.assert_close(ck2["state_dict"][name], t, atol=2e-5, rtol=1e-4,
                                       msg=name)
        # the carried state of every lane comes back whole, in lane order
        for l1, l2 in zip(ck1["hidden_state"], ck2["hidden_state"]):
            for a, b in zip(l1, l2):
                torch.testing.assert_close(b, a, atol=2e-5, rtol=1e-4)


if __name__ == "__main__":
    unittest.main()
