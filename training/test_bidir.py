"""Tests of the bidirectional part (training/bidir.py): export, validation, reload, and its objective's gaps.

    /usr/bin/python3 -m unittest discover -s training -p 'test_bidir.py' -v

Small: models of a few thousand parameters in a temporary folder.
"""

import json
import os
import sys
import tempfile
import unittest

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from nextkey_model import CharModel  # noqa: E402
from export import FormatError, read_model, validate_manifest, write_model  # noqa: E402
from bidir import BidirPart, backward_states, export_bidir, features, gap_ends, is_word_cp  # noqa: E402

VOCAB = [0] + [ord(c) for c in " abcdefgh.,\n'"]
V = len(VOCAB)


def load_part(out_dir, forward, config, mlp=0):
    """The part as stored in out_dir, read back into a fresh BidirPart."""
    with open(os.path.join(out_dir, "model.json"), encoding="utf-8") as f:
        m = json.load(f)
    with open(os.path.join(out_dir, m["weights"]["path"]), "rb") as f:
        blob = f.read()
    tensors = {t["name"]: torch.from_numpy(np.frombuffer(blob, "<f4", int(np.prod(t["shape"])), t["offset"]).reshape(t["shape"]).copy())
               for t in m["tensors"] if t["name"].startswith(("backward.", "combine."))}
    return BidirPart(forward, *config, mlp=mlp).load_format_tensors(tensors), m


def combined(forward, part, left, right):
    with torch.no_grad():
        hf, _ = features(forward, left)
        hb = backward_states(part, right)[:, 0]
        return part.head(torch.cat([hf[:, -1], hb], dim=1))


class BidirTest(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(3)
        self.tmp = tempfile.TemporaryDirectory()
        self.forward = CharModel("gru", V, 6, [10, 9]).eval()
        self.fdir = os.path.join(self.tmp.name, "forward")
        write_model(self.forward, VOCAB, self.fdir, "float32")

    def tearDown(self):
        self.tmp.cleanup()

    def test_export_validate_reload_round_trip(self):
        config = ("cifg", 5, [7])
        part = BidirPart(self.forward, *config).eval()
        with torch.no_grad():
            part.combine.weight.uniform_(-1, 1)  # the backward columns too
        out = os.path.join(self.tmp.name, "bidir")
        m = export_bidir(self.fdir, part, out, "float32")
        with open(os.path.join(out, "model.json"), encoding="utf-8") as f:
            on_disk = json.load(f)
        validate_manifest(on_disk)
        self.assertEqual(on_disk["backward"], {"cell": "cifg", "embeddingSize": 5, "hiddenSizes": [7]})
        self.assertEqual(m["weights"], on_disk["weights"])
        shapes = {t["name"]: t["shape"] for t in on_disk["tensors"]}
        self.assertEqual(shapes["combine.weight"], [V, 9 + 7])
        self.assertEqual(shapes["backward.layers.0.weight_ih"], [3 * 7, 5])
        self.assertNotIn("backward.head.weight", shapes)
        # The forward model reads back unchanged, and so does the part.
        forward2, vocab, _ = read_model(out)
        self.assertEqual(vocab, VOCAB)
        for name, t in self.forward.named_format_tensors().items():
            self.assertTrue(torch.equal(t, forward2.named_format_tensors()[name]), name)
        part2, _ = load_part(out, forward2, config)
        part2.eval()
        left = torch.tensor([[1, 2, 3, 1, 4]])
        for right in ([], [5, 6, 1, 2], [0, 13, 1]):
            r = torch.tensor([right], dtype=torch.long)
            self.assertTrue(torch.equal(combined(self.forward, part, left, r), combined(forward2, part2, left, r)), right)
        # A broken section is refused, naming the field.
        bad = json.loads(json.dumps(on_disk))
        bad["backward"]["cell"] = "transformer"
        with self.assertRaisesRegex(FormatError, "backward.cell"):
            validate_manifest(bad)
        bad = json.loads(json.dumps(on_disk))
        next(t for t in bad["tensors"] if t["name"] == "combine.weight")["shape"] = [V, 9]
        with self.assertRaisesRegex(FormatError, r"shape.*combine\.weight"):
            validate_manifest(bad)
        bad = json.loads(json.dumps(on_disk))
        del bad["backward"]
        with self.assertRaisesRegex(FormatError, "no backward section"):
            validate_manifest(bad)

    def test_head_with_a_hidden_layer_round_trips_and_starts_as_the_linear_one(self):
        config = ("lstm", 4, [6])
        part = BidirPart(self.forward, *config, mlp=3).eval()
        left = torch.tensor([[1, 2, 3, 1, 4]])
        r = torch.tensor([[5, 6, 1, 2]])
        with torch.no_grad():
            linear = part.combine(torch.cat([features(self.forward, left)[0][:, -1], backward_states(part, r)[:, 0]], dim=1))
        self.assertTrue(torch.equal(combined(self.forward, part, left, r), linear), "out starts at zero")
        with torch.no_grad():
            part.out.weight.uniform_(-1, 1)
            part.combine.weight.uniform_(-1, 1)
        out = os.path.join(self.tmp.name, "mlp")
        export_bidir(self.fdir, part, out, "float32")
        forward2, _, _ = read_model(out)
        part2, on_disk = load_part(out, forward2, config, mlp=3)
        self.assertEqual(on_disk["backward"]["combineHidden"], 3)
        shapes = {t["name"]: t["shape"] for t in on_disk["tensors"]}
        self.assertEqual((shapes["combine.hidden.weight"], shapes["combine.hidden.bias"], shapes["combine.out.weight"]), ([3, 9 + 6], [3], [V, 3]))
        got = combined(forward2, part2.eval(), left, r)
        self.assertTrue(torch.equal(combined(self.forward, part, left, r), got))
        self.assertFalse(torch.allclose(got, linear), "the hidden layer adds to the logits")
        bad = json.loads(json.dumps(on_disk))
        bad["backward"]["combineHidden"] = 0
        with self.assertRaisesRegex(FormatError, "backward.combineHidden"):
            validate_manifest(bad)
        del bad["backward"]["combineHidden"]
        with self.assertRaisesRegex(FormatError, r"combine\.hidden"):
            validate_manifest(bad)

    def test_export_with_a_forward_trained_alongside_writes_its_weights(self):
        part = BidirPart(self.forward, "lstm", 4, [5]).eval()
        tuned = CharModel("gru", V, 6, [10, 9]).eval()  # other weights, the same shapes
        out = os.path.join(self.tmp.name, "tuned")
        export_bidir(self.fdir, part, out, "float32", forward=tuned)
        back, _, _ = read_model(out)
        for name, t in tuned.named_format_tensors().items():
            self.assertTrue(torch.equal(t, back.named_format_tensors()[name]), name)
        # Without it, the forward bytes are the original file's, as they were.
        kept = os.path.join(self.tmp.name, "kept")
        export_bidir(self.fdir, part, kept, "float32")
        with open(os.path.join(self.fdir, "weights.bin"), "rb") as f:
            original = f.read()
        with open(os.path.join(kept, "weights.bin"), "rb") as f:
            self.assertEqual(f.read()[:len(original)], original)

    def test_fresh_part_predicts_as_the_forward_model(self):
        part = BidirPart(self.forward, "lstm", 4, [6, 5]).eval()
        self.assertEqual(float(part.combine.weight[:, 9:].abs().max()), 0.0)
        left = torch.tensor([[3, 1, 2, 7, 1, 4, 4]])
        with torch.no_grad():
            want = self.forward(left)[0][:, -1]
        for right in ([], [2, 1, 8, 9, 11], [13, 13]):
            got = combined(self.forward, part, left, torch.tensor([right], dtype=torch.long))
            self.assertTrue(torch.equal(got, want), right)

    def test_gap_ends_lie_between_t_and_the_end(self):
        rng = np.random.default_rng(5)
        word = np.array([is_word_cp(cp) for cp in VOCAB], dtype=bool)
        self.assertFalse(word[0])
        self.assertTrue(word[VOCAB.index(ord("a"))] and word[VOCAB.index(ord("'"))])
        self.assertFalse(word[VOCAB.index(ord(" "))] or word[VOCAB.index(ord("."))])
        x = rng.integers(0, V, size=(16, 40))
        for max_gap in (1, 3, 24):
            j = gap_ends(x, word, rng, max_gap)
            self.assertEqual(j.shape, x.shape)
            t = np.arange(x.shape[1])[None, :]
            self.assertTrue(np.all(j >= t) and np.all(j <= x.shape[1]), max_gap)
        # The rest-of-the-word share alone: j is the end of the word run, t itself for a non-word character.
        j = gap_ends(x, word, rng, 3, shares=(1.0, 0.0, 0.0))
        for b in range(x.shape[0]):
            for p in range(x.shape[1]):
                e = p
                while e < x.shape[1] and word[x[b, e]]:
                    e += 1
                self.assertEqual(j[b, p], e, (b, p))


if __name__ == "__main__":
    unittest.main()
