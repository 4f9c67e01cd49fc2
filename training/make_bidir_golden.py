"""Generate the golden fixture of the bidirectional part (issue 19) for the TypeScript runtime.

    /usr/bin/python3 training/make_bidir_golden.py --out test/fixtures/bidir
    /usr/bin/python3 training/make_bidir_golden.py --mlp 5 --out test/fixtures/bidir-mlp

A small random forward model (lstm, vocab 22, embedding 8, hidden [12]) and a
random bidirectional part (training/bidir.py's BidirPart: a peephole backward
stack, embedding 6, hidden [8, 8], and the combining head, every weight
random, the backward columns too) are exported with export_bidir (float32) as
<out>/model.json + weights.bin. <out>/expected.json holds, for a few (left,
right) pairs, the combined next-character logits at the caret computed in
PyTorch in float64: the forward model over the left text from a zero state,
the backward stack over the right text reversed from a zero state (zeros when
the right text is empty), then combine.weight @ [h_f ; h_b] + combine.bias
(with --mlp M, plus combine.out.weight @ tanh(combine.hidden.weight @
[h_f ; h_b] + combine.hidden.bias), M hidden units, every weight random);
and the forward model's own logits (its head) after the left text. The script
asserts the float32 modules agree with the float64 ones, and that the
exported folder reads back (validate_manifest, BidirPart.load_format_tensors)
to the same numbers.

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
from export import read_model, write_model  # noqa: E402
from bidir import BidirPart, backward_states, export_bidir, features  # noqa: E402

VOCAB_CHARS = " etaoinshrdlucTE.,!?\n"
VOCAB = [0] + [ord(ch) for ch in VOCAB_CHARS]
V = len(VOCAB)
FORWARD = ("lstm", 8, [12])
BACKWARD = ("peephole", 6, [8, 8])
SEED = 191
# (left, right): the caret between them. "x" and "é" are not in the vocabulary (index 0).
PAIRS = [
    ("the tea is ", "hot, so it is!"),
    ("it is the en", "d. the end"),
    ("no, it is not", ""),
    ("what a d", "ay!\nit is a"),
    ("Tx", "é set"),
    ("the heat\n", "Ea"),
]
TOL = 1e-5


def encode(text):
    index = {cp: i for i, cp in enumerate(VOCAB) if i}
    return [index.get(ord(ch), 0) for ch in text]


def randomise(module, rng, bounds):
    """Every parameter uniform in ±bound (by the parameter's name's last part; 0.5 otherwise)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            b = bounds.get(name.split(".")[-1], bounds.get(name, 0.5))
            p.copy_(torch.from_numpy(rng.uniform(-b, b, size=tuple(p.shape))))


def combined(forward, part, left, right):
    """Combined logits [V] at the caret, forward-only logits [V]."""
    with torch.no_grad():
        hf, _ = features(forward, torch.tensor([encode(left)]))
        hf = hf[:, -1]
        hb = backward_states(part, torch.tensor([encode(right)], dtype=torch.long))[:, 0]
        z = part.head(torch.cat([hf, hb], dim=1))[0]
        return z, forward.head(hf)[0]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="test/fixtures/bidir")
    ap.add_argument("--mlp", type=int, default=0, help="hidden units of the combining head")
    args = ap.parse_args(argv)
    torch.manual_seed(0)
    rng = np.random.RandomState(SEED)
    forward = CharModel(FORWARD[0], V, FORWARD[1], FORWARD[2])
    randomise(forward, rng, {"weight": 1.0, "peep_i": 0.2})
    with torch.no_grad():
        forward.embedding.weight.copy_(torch.from_numpy(rng.uniform(-1, 1, size=(V, FORWARD[1]))))
        forward.head.weight.copy_(torch.from_numpy(rng.uniform(-2, 2, size=(V, FORWARD[2][-1]))))
    part = BidirPart(forward, *BACKWARD, mlp=args.mlp)
    randomise(part, rng, {"peep_i": 0.2, "peep_f": 0.2, "peep_o": 0.2})
    with torch.no_grad():
        part.backward.embedding.weight.copy_(torch.from_numpy(rng.uniform(-1, 1, size=(V, BACKWARD[1]))))
        part.combine.weight.copy_(torch.from_numpy(rng.uniform(-2, 2, size=tuple(part.combine.weight.shape))))
    forward.eval()
    part.eval()

    with tempfile.TemporaryDirectory() as tmp:
        write_model(forward, VOCAB, tmp, "float32", card={"note": "forward model of the bidirectional golden fixture"})
        export_bidir(tmp, part, args.out, "float32", card={"bidirectional": {"note": "random weights: a golden fixture"}})

    # Read back as a user of the file would, then compute in float64 and float32.
    forward_r, vocab, manifest = read_model(args.out)
    assert vocab == VOCAB and manifest["backward"]["cell"] == BACKWARD[0]
    assert manifest["backward"].get("combineHidden", 0) == args.mlp
    part_r = BidirPart(forward_r, *BACKWARD, mlp=args.mlp)
    tensors = {}
    with open(os.path.join(args.out, "weights.bin"), "rb") as f:
        blob = f.read()
    for t in manifest["tensors"]:
        a = np.frombuffer(blob, dtype="<f4", count=int(np.prod(t["shape"])), offset=t["offset"]).reshape(t["shape"])
        tensors[t["name"]] = torch.from_numpy(a.copy())
    part_r.load_format_tensors(tensors)
    part_r.eval()
    f64, p64 = copy.deepcopy(forward_r).double(), copy.deepcopy(part_r).double()
    cases = []
    for left, right in PAIRS:
        z64, zf64 = combined(f64, p64, left, right)
        z32, _ = combined(forward, part, left, right)
        worst = float((z64 - z32.double()).abs().max())
        assert worst < TOL, (left, right, worst)
        cases.append({"left": left, "right": right, "logits": [float(x) for x in z64], "forwardLogits": [float(x) for x in zf64]})
        print("%-16r | %-18r float32 vs float64 %.2e" % (left, right, worst))
    with open(os.path.join(args.out, "expected.json"), "w", encoding="utf-8") as f:
        json.dump({"note": "combined next-character logits at the caret between left and right (PyTorch, float64); "
                           "forwardLogits: the forward model's own head after left", "cases": cases}, f, ensure_ascii=False)
        f.write("\n")
    size = sum(os.path.getsize(os.path.join(args.out, n)) for n in os.listdir(args.out))
    print("wrote %s (%d bytes in all)" % (args.out, size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
