#!/usr/bin/env python3
"""Dynamic evaluation of a nextkey model (Krause et al. 2017), to compare with the
count-based adaptation of worker/adapt (issue 18): each file is read from its start
in segments; each segment is scored, then the weights take one gradient step on it
(plain SGD, clipped), so what the file said so far shapes what comes next.

    /usr/bin/python3 training/dyneval.py --model models/default --text ../shared/corpus/v2/valid \\
        --limit 60000 --seg 64 --lr 3e-3 [--threads 1] [--decay 0]

Prints bits per character per file without and with the steps (the same scoring
otherwise: stateful, from a zero state at the file's start). Only torch, numpy and
the standard library.
"""
import argparse
import copy
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import read_model  # noqa: E402
from corpus import code_points, encode, list_files, read_file  # noqa: E402


def score(model, ids, seg, lr, decay, clip=1.0):
    """-log2 p summed over ids[1:], reading in segments; lr 0: no adaptation."""
    model = copy.deepcopy(model)
    base = [p.detach().clone() for p in model.parameters()]
    state = None
    bits = 0.0
    x = torch.as_tensor(ids, dtype=torch.long).unsqueeze(0)
    for a in range(0, len(ids) - 1, seg):
        b = min(a + seg, len(ids) - 1)
        inp, tgt = x[:, a:b], x[:, a + 1:b + 1]
        with torch.set_grad_enabled(lr > 0):
            logits, new_state = model(inp, state)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1), reduction="sum")
        bits += loss.item() / math.log(2)
        if lr > 0:
            model.zero_grad()
            (loss / (b - a)).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            with torch.no_grad():
                for p, p0 in zip(model.parameters(), base):
                    p -= lr * p.grad
                    if decay:
                        p -= decay * (p - p0)
        state = model.detach_state(new_state)
    return bits


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--text", nargs="+", required=True)
    ap.add_argument("--limit", type=int, default=60000)
    ap.add_argument("--seg", type=int, default=64)
    ap.add_argument("--lr", type=float, nargs="+", default=[3e-3])
    ap.add_argument("--decay", type=float, default=0.0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    model, vocab, _ = read_model(args.model)
    model.eval()
    files = list_files(args.text)
    print("file | chars | off | " + " | ".join("lr %g" % lr for lr in args.lr))
    sums = [0.0] * (1 + len(args.lr))
    for path in files:
        ids = encode(code_points(read_file(path)), vocab)[:args.limit]
        n = len(ids) - 1
        row = [score(model, ids, args.seg, 0, 0) / n] + [score(model, ids, args.seg, lr, args.decay) / n for lr in args.lr]
        sums = [s + r for s, r in zip(sums, row)]
        print("%s | %d | %s" % (os.path.basename(path), n, " | ".join("%.3f" % r for r in row)), flush=True)
    print("mean | | %s" % " | ".join("%.3f" % (s / len(files)) for s in sums))


if __name__ == "__main__":
    main()
