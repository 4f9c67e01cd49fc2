"""Generate the golden fixture of the typo corrector (issue 20) for the TypeScript runtime.

    /usr/bin/python3 training/make_corrector_golden.py --out test/fixtures/corrector

A small random forward model (lstm, vocab 30, embedding 8, hidden [12]) with
a lexicon, and a random corrector (training/corrector.py's Corrector:
embedding 6, encoder 5 per direction, decoder 7, every weight random) are
exported (float32) as <out>/model.json + weights.bin. <out>/expected.json
holds, for a few (left, typed, target) triples, computed in PyTorch in
float64: the language model's top h after `left` (zeros for an empty left),
and the decoder's log-probabilities of every next character at each step of
writing `target` and then a space (teacher forcing). The script asserts the
float32 modules agree with the float64 ones and that the exported folder
reads back (validate_manifest, Corrector.load_format_tensors) to the same numbers.

Deterministic: weights come from numpy RandomState with a fixed seed.
"""

import argparse
import copy
import json
import os
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nextkey_model import CharModel  # noqa: E402
from export import read_model, validate_manifest, write_model  # noqa: E402
from corrector import Corrector, export_corrector  # noqa: E402

VOCAB_CHARS = " etaoinshrdlucmwTE.,!?'\nbgpyf"
VOCAB = [0] + [ord(ch) for ch in VOCAB_CHARS]
V = len(VOCAB)
LEXICON = sorted(["the", "then", "there", "tea", "ten", "it", "is", "in", "on", "one", "hot", "not", "note", "The", "don't", "a", "an", "and"])
SEED = 20
# (left, typed, target): "x" is not in the vocabulary (index 0).
TRIPLES = [
    ("", "teh", "the"),
    ("it is ", "hte", "the"),
    ("a cup of ", "tee", "tea"),
    ("it is ", "nto", "not"),
    ("The ", "x", "a"),
    ("one, two, ", "tehre", "there"),
]
TOL = 1e-5


def ids(text):
    index = {cp: i for i, cp in enumerate(VOCAB) if i}
    return [index.get(ord(ch), 0) for ch in text]


def lm_top(forward, left):
    if not left:
        return torch.zeros(1, forward.hidden_sizes[-1], dtype=next(forward.parameters()).dtype)
    with torch.no_grad():
        out, _ = forward(torch.tensor([ids(left)]), None, features=True)
    return out[:, -1]


def teacher(forward, corr, left, typed, target):
    """h_lm [Hlm], log-probabilities [len(target) + 1, V]."""
    h = lm_top(forward, left)
    x = torch.tensor([ids(typed)])
    space = ids(" ")[0]
    inp = torch.tensor([[space] + ids(target)])
    with torch.no_grad():
        z = corr(h, x, torch.tensor([len(typed)]), inp)[0]
    return h[0], torch.log_softmax(z, dim=1)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="test/fixtures/corrector")
    args = ap.parse_args(argv)
    torch.manual_seed(0)
    rng = np.random.RandomState(SEED)
    forward = CharModel("lstm", V, 8, [12])
    corr = Corrector(V, 12, embedding=6, encoder=5, decoder=7)
    with torch.no_grad():
        for module in (forward, corr):
            for _, p in module.named_parameters():
                p.copy_(torch.from_numpy(rng.uniform(-0.8, 0.8, size=tuple(p.shape))))
    forward.eval()
    corr.eval()
    with tempfile.TemporaryDirectory() as tmp:
        write_model(forward, VOCAB, tmp, "float32", card={"note": "forward model of the corrector golden fixture"})
        with open(os.path.join(tmp, "model.json"), encoding="utf-8") as f:
            m = json.load(f)
        m["lexicon"] = LEXICON
        with open(os.path.join(tmp, "model.json"), "w", encoding="utf-8") as f:
            json.dump(m, f)
        export_corrector(tmp, corr, args.out, "float32", card={"corrector": {"note": "random weights: a golden fixture"}})

    forward_r, vocab, manifest = read_model(args.out)
    assert vocab == VOCAB and manifest["corrector"] == {"embeddingSize": 6, "encoderSize": 5, "decoderSize": 7}
    validate_manifest(manifest)
    with open(os.path.join(args.out, "weights.bin"), "rb") as f:
        blob = f.read()
    tensors = {t["name"]: np.frombuffer(blob, dtype="<f4", count=int(np.prod(t["shape"])), offset=t["offset"]).reshape(t["shape"])
               for t in manifest["tensors"]}
    corr_r = Corrector(V, 12, embedding=6, encoder=5, decoder=7).load_format_tensors(tensors).eval()
    f64, c64 = copy.deepcopy(forward_r).double(), copy.deepcopy(corr_r).double()
    cases = []
    for left, typed, target in TRIPLES:
        h64, lp64 = teacher(f64, c64, left, typed, target)
        _, lp32 = teacher(forward, corr, left, typed, target)
        worst = float((lp64 - lp32.double()).abs().max())
        assert worst < TOL, (left, typed, worst)
        cases.append({"left": left, "typed": typed, "target": target, "hLm": [float(v) for v in h64],
                      "logProbs": [[float(v) for v in row] for row in lp64]})
        print("%-12r %-8r -> %-8r float32 vs float64 %.2e" % (left, typed, target, worst))
    with open(os.path.join(args.out, "expected.json"), "w", encoding="utf-8") as f:
        json.dump({"note": "the corrector's next-character log-probabilities writing target then a space, "
                           "from the language model's top h after left (PyTorch, float64)", "cases": cases}, f, ensure_ascii=False)
        f.write("\n")
    size = sum(os.path.getsize(os.path.join(args.out, n)) for n in os.listdir(args.out))
    print("wrote %s (%d bytes in all)" % (args.out, size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
