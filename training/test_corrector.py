"""Tests of the typo corrector's trainer (training/corrector.py): export, validation, reload, batches.

    /usr/bin/python3 -m unittest discover -s training -p 'test_corrector.py' -v

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
from corrector import Corrector, Examples, export_corrector, make_batch  # noqa: E402
from noise import Noise  # noqa: E402

VOCAB = [0] + [ord(c) for c in " abcdehinorst'"]
V = len(VOCAB)


class CorrectorTest(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(4)
        self.tmp = tempfile.TemporaryDirectory()
        self.forward = CharModel("lstm", V, 5, [9]).eval()
        self.fdir = os.path.join(self.tmp.name, "forward")
        write_model(self.forward, VOCAB, self.fdir, "float32")

    def tearDown(self):
        self.tmp.cleanup()

    def test_export_validate_reload_round_trip(self):
        corr = Corrector(V, 9, embedding=4, encoder=3, decoder=6).eval()
        out = os.path.join(self.tmp.name, "corrected")
        m = export_corrector(self.fdir, corr, out, "float32")
        with open(os.path.join(out, "model.json"), encoding="utf-8") as f:
            on_disk = json.load(f)
        validate_manifest(on_disk)
        self.assertEqual(on_disk["corrector"], {"embeddingSize": 4, "encoderSize": 3, "decoderSize": 6})
        self.assertEqual(m["weights"], on_disk["weights"])
        shapes = {t["name"]: t["shape"] for t in on_disk["tensors"]}
        self.assertEqual(shapes["corrector.decoder.init.weight"], [6, 9 + 2 * 3])
        self.assertEqual(shapes["corrector.out.weight"], [V, 6 + 2 * 3])
        self.assertEqual(shapes["corrector.encoder.backward.weight_hh"], [9, 3])
        # The forward model reads back unchanged, and the corrector gives the same numbers.
        forward2, vocab, _ = read_model(out)
        self.assertEqual(vocab, VOCAB)
        for name, t in self.forward.named_format_tensors().items():
            self.assertTrue(torch.equal(t, forward2.named_format_tensors()[name]), name)
        with open(os.path.join(out, "weights.bin"), "rb") as f:
            blob = f.read()
        tensors = {t["name"]: np.frombuffer(blob, "<f4", int(np.prod(t["shape"])), t["offset"]).reshape(t["shape"])
                   for t in on_disk["tensors"] if t["name"].startswith("corrector.")}
        corr2 = Corrector(V, 9, embedding=4, encoder=3, decoder=6).load_format_tensors(tensors).eval()
        h, x, lengths, inp, _ = make_batch(torch.randn(2, 9), ["abe", "tehr"], ["a", "there"], lambda w: [VOCAB.index(ord(c)) for c in w], 1)
        with torch.no_grad():
            self.assertTrue(torch.equal(corr(h, x, lengths, inp), corr2(h, x, lengths, inp)))
        # Exporting again replaces the part (one set of corrector tensors), and a broken section is refused.
        again = export_corrector(out, corr2, os.path.join(self.tmp.name, "again"), "float16")
        self.assertEqual(sum(t["name"].startswith("corrector.") for t in again["tensors"]), len(corr.specs()))
        bad = json.loads(json.dumps(on_disk))
        bad["corrector"]["decoderSize"] = 0
        with self.assertRaisesRegex(FormatError, "corrector.decoderSize"):
            validate_manifest(bad)
        bad = json.loads(json.dumps(on_disk))
        del bad["corrector"]
        with self.assertRaisesRegex(FormatError, "corrector"):
            validate_manifest(bad)

    def test_padding_does_not_change_a_word(self):
        corr = Corrector(V, 9, embedding=4, encoder=3, decoder=6).eval()
        ids = lambda w: [VOCAB.index(ord(c)) for c in w]  # noqa: E731
        alone = make_batch(torch.zeros(1, 9), ["ist"], ["its"], ids, 1)
        padded = make_batch(torch.zeros(2, 9), ["ist", "abcdehinor"], ["its", "chain"], ids, 1)
        with torch.no_grad():
            a = corr(*alone[:4])[0, :4]
            b = corr(*padded[:4])[0, :4]
        self.assertTrue(torch.allclose(a, b, atol=1e-6), "a short word in a batch of longer ones")

    def test_examples_misspell_good_words_and_copy_the_rest(self):
        words = ["there", "teh", "the", "it's"] * 50
        H = torch.randn(len(words), 9).half()
        good = lambda w: w != "teh"  # noqa: E731
        ex = Examples(H, words, VOCAB, Noise(3), clean=0.0, no_context=0.5, seed=2, good=good)
        h, x, lengths, inp, tgt = ex.batch(200)
        self.assertEqual(h.shape, (200, 9))
        self.assertTrue(bool((lengths >= 1).all()), "no empty typed word")
        self.assertGreater(int((h.abs().sum(1) == 0).sum()), 50, "some examples have no context")
        for b in range(200):
            typed = "".join(chr(VOCAB[i]) for i in x[b, :lengths[b]].tolist())
            want = "".join(chr(VOCAB[i]) for i in tgt[b].tolist() if i != -100)[:-1]
            if want == "teh":
                self.assertEqual(typed, "teh", "a word that is not good is only copied")
            self.assertEqual(int(inp[b, 0]), 1, "the decoder starts from a space")


if __name__ == "__main__":
    unittest.main()
