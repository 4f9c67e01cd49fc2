"""Reference next-character probabilities of an exported model, from PyTorch.

    /usr/bin/python3 training/parity.py --model models/default --out test/fixtures/parity/default.json

Reads the model folder back with export.read_model (so what is checked is the
file the browser loads), feeds a fixed text one character at a time and
writes, after every character, the full next-character distribution. The
browser test (test/parity.test.js) runs the same file through the TypeScript
runtime and compares.
"""

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import read_model  # noqa: E402

DEFAULT_TEXT = (
    "It was a bright cold day in April, and the clocks were striking thirteen. "
    "\"Well,\" said she, \u201cI don't know\u2026 perhaps tomorrow?\u201d \u00c9mile paid \u00a312.50 \u2014 or so.\n"
)


def reference(model_dir, text):
    model, vocab, manifest = read_model(model_dir)
    model.eval()
    index = {cp: i for i, cp in enumerate(vocab) if i > 0}
    ids = [index.get(ord(ch), 0) for ch in text.replace("\r\n", "\n")]
    with torch.no_grad():
        x = torch.tensor([ids], dtype=torch.long)
        logits, _ = model(x)
        probs = torch.softmax(logits.double()[0], dim=-1)
    return {
        "model": os.path.basename(os.path.normpath(model_dir)),
        "sha256": manifest["weights"]["sha256"],
        "text": text,
        "indices": ids,
        "probs": [[float("%.9g" % p) for p in row] for row in probs.tolist()],
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="exported model folder (model.json + weights.bin)")
    ap.add_argument("--out", required=True, help="JSON file to write")
    ap.add_argument("--text", default=DEFAULT_TEXT, help="text to feed (default: a fixed mixed-punctuation sentence)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    ref = reference(args.model, args.text)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")
    print("wrote %s: %d steps x %d probabilities" % (args.out, len(ref["probs"]), len(ref["probs"][0])))


if __name__ == "__main__":
    main()
