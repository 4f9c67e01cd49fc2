"""Tests of the noise model (training/noise.py): determinism, every kind of error, case, real words.

    /usr/bin/python3 -m unittest discover -s training -p 'test_noise.py' -v
"""

import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from noise import KINDS, Noise, hunspell_words, make_eval, neighbours  # noqa: E402

WORDS = ["the", "receive", "definitely", "occurred", "existence", "don't", "phone", "Apple", "THERE", "Because", "possible", "which"]


class NoiseTest(unittest.TestCase):
    def test_seeded(self):
        a, b = Noise(7), Noise(7)
        self.assertEqual([a.corrupt(w) for w in WORDS * 5], [b.corrupt(w) for w in WORDS * 5])
        self.assertNotEqual([Noise(8).corrupt(w) for w in WORDS * 5], [Noise(7).corrupt(w) for w in WORDS * 5])

    def test_keyboard(self):
        self.assertEqual(set(neighbours("f")), set("dgrtcv"))
        self.assertEqual(set(neighbours("F")), set("DGRTCV"))
        self.assertIn("1", neighbours("q"))
        self.assertEqual(neighbours("é"), "")

    def test_every_kind(self):
        noise = Noise(1)
        seen = {}
        for _ in range(40):
            for w in WORDS:
                for k in KINDS:
                    r = noise.edit(w, k)
                    if r is not None:
                        seen.setdefault(k, []).append((w, r[0]))
        self.assertEqual(set(seen), set(KINDS))
        for k, pairs in seen.items():
            for w, typed in pairs:
                self.assertNotEqual(w, typed, k)
        self.assertIn(("don't", "dont"), seen["apostrophe"])
        self.assertIn(("occurred", "occured"), seen["undoubling"])
        self.assertTrue({("receive", "recieve"), ("definitely", "definately")} & set(seen["phonetic"]))
        for w, typed in seen["substitution"]:
            self.assertEqual(len(w), len(typed))
            i = next(i for i in range(len(w)) if w[i] != typed[i])
            self.assertIn(typed[i], neighbours(w[i]))
        for w, typed in seen["transposition"]:
            self.assertEqual(sorted(w.lower()), sorted(typed.lower()))
        for w, typed in seen["omission"] + seen["undoubling"] + seen["apostrophe"]:
            self.assertEqual(len(typed), len(w) - 1)
        for w, typed in seen["insertion"] + seen["doubling"]:
            self.assertEqual(len(typed), len(w) + 1)
        for w, typed in seen["vowel"]:
            diff = [i for i in range(len(w)) if w[i] != typed[i]]
            self.assertEqual(len(diff), 1, (w, typed))
            self.assertGreater(diff[0], 0, "never the first letter")
            self.assertIn(w[diff[0]].lower(), "aeiou")
            self.assertIn(typed[diff[0]].lower(), "aeiou")

    def test_spelling_mix(self):
        """The corrector's training mix: vowel confusions appear, the evaluation's mix has none."""
        from noise import SPELLING_EDITS, SPELLING_RATES
        kinds = lambda noise: [k for _ in range(30) for w in WORDS for r in [noise.corrupt(w)] if r for k in r[1]]
        spelling = kinds(Noise(4, rates=SPELLING_RATES, edits=SPELLING_EDITS))
        default = kinds(Noise(4))
        self.assertIn("vowel", spelling)
        self.assertNotIn("vowel", default)
        self.assertAlmostEqual(sum(SPELLING_EDITS.values()), 1.0)

    def test_output_differs_and_case_kept(self):
        noise = Noise(3)
        for _ in range(50):
            for w in WORDS:
                r = noise.corrupt(w)
                if r is None:
                    continue
                typed = r[0]
                self.assertNotEqual(typed, w)
                if w.isupper():
                    self.assertTrue(typed.replace("'", "").isupper(), (w, typed))
                elif w.islower():
                    self.assertTrue(typed.islower(), (w, typed))
                elif w[0].isupper() and w[1:].islower():
                    self.assertTrue(typed[0].isupper() and not typed[1:].isupper(), (w, typed))

    def test_real_words_rejected(self):
        real = {"its", "were", "well", "ill", "from", "form", "the", "then", "than"}
        noise = Noise(5, real_words=real)
        for _ in range(200):
            for w in ["it's", "we're", "form", "then"]:
                r = noise.corrupt(w)
                if r is not None:
                    self.assertNotIn(r[0].lower(), real)
        self.assertIsNone(Noise(5, real_words=real).edit("it's", "apostrophe"))

    def test_rates_checked(self):
        with self.assertRaises(ValueError):
            Noise(0, rates={"swap": 1.0})
        only = Noise(2, rates={"omission": 1.0})
        for _ in range(20):
            self.assertEqual(only.corrupt("keyboard", edits=1)[1], ["omission"])


class EvalSetTest(unittest.TestCase):
    def test_make_eval(self):
        with tempfile.TemporaryDirectory() as d:
            for name, text in (("a.txt", "The quick brown fox jumps over the lazy dog and runs away.\n" * 20), ("b.txt", "We're going to receive the parcel tomorrow, I believe.\n" * 20)):
                with open(os.path.join(d, name), "w") as f:
                    f.write(text)
            with open(os.path.join(d, "x.aff"), "w") as f:
                f.write("SFX S Y 1\nSFX S   0     s          .\n")
            with open(os.path.join(d, "x.dic"), "w") as f:
                f.write("2\nthe\ndog/S\n")
            real = hunspell_words(os.path.join(d, "x"))
            self.assertEqual(real, {"the", "dog", "dogs"})
            lexicon = set("The quick brown fox jumps over the lazy dog and runs away We're going to receive parcel tomorrow believe".split())
            files = [os.path.join(d, "a.txt"), os.path.join(d, "b.txt")]
            recs = make_eval(files, lexicon, real, 10, 12, 4, 1)
            self.assertEqual(recs, make_eval(files, lexicon, real, 10, 12, 4, 1))
            errors = [r for r in recs if r["kind"] != "none"]
            self.assertEqual(sum(r["split"] == "test" for r in errors), 10)
            self.assertEqual(sum(r["split"] == "test" and r["kind"] == "none" for r in recs), 12)
            self.assertEqual({r["file"] for r in recs}, {"a.txt", "b.txt"})
            for r in recs:
                self.assertIn(r["intended"], lexicon)
                self.assertLessEqual(len(r["left"]), 256)
                self.assertEqual(r["typed"] != r["intended"], r["kind"] != "none")
                self.assertNotIn(r["typed"].lower(), real if r["kind"] != "none" else set())


if __name__ == "__main__":
    unittest.main()
