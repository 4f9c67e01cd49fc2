#!/usr/bin/env python3
"""Train the bidirectional part of a nextkey model: a backward stack and a combining head.

    /usr/bin/python3 training/bidir.py --model models/default \\
        --train ../shared/corpus/train ../shared/corpus/v2/train --valid ../shared/corpus/v2/valid \\
        --hidden 128 --minutes 60 --threads 1 --out training/runs/bidir
    /usr/bin/python3 training/bidir.py --out training/runs/bidir --resume [--minutes 30]
    /usr/bin/python3 training/bidir.py --export training/runs/bidir/best.pt --model models/default \\
        --out-model models/default-bidir [--dtype float16]

The forward model (--model, a format v1 folder) reads the text before the
caret; the backward stack reads the text after it, from its end towards the
caret (a character model of its own: embedding and recurrent layers, in the
same cell formats). The combining head gives the next character at the caret
from both: logits = combine.weight @ [h_forward ; h_backward] + combine.bias,
h the top layer's output (zeros for the backward side when nothing follows
the caret). It starts as the forward head (the backward columns zero), so
before any training it predicts exactly as the forward model does. With
--mlp M the head gains a hidden layer, added to those logits:
  + combine.out.weight @ tanh(combine.hidden.weight @ [h_f ; h_b] + combine.hidden.bias)
(out starts at zero). A linear head only adds the backward side's logits to
the forward side's, the same bias at every letter of the word being typed;
the hidden layer lets what follows the caret and what was typed act
together ("st" before " to buy milk" is "store", before " on the left"
"street"). --init CKPT starts from another run's part (the tensors whose
names and shapes match).

Objective (fill-in, the case of a caret in the middle of the text): windows
of PREFIX + LEN characters; the forward model reads all of it (the prefix
gives its state a past); for each position t of the last LEN characters, the
right context begins at j(t) >= t and runs to the window's end, and the head
predicts x[t] from the forward state before t and the backward state at j:
  - the rest of the word: j = the end of the word run x[t] is in (a
    non-word x[t] gives j = t: the insertion is over, and what follows the
    caret comes next: the head learns to end a word where the text resumes);
  - a gap of random length: j = t + d, d uniform in 1..--max-gap;
  - nothing after the caret: j = the window's end.
Alongside, the backward stack's own head (not exported) predicts the
character before each position (the backward next-character loss), and,
unless --freeze-forward (the default), the forward model's next-character
loss trains it too. With --freeze-forward the forward weights are exported
unchanged, so a model gains the part without changing its other answers.

RUN_DIR gets log.jsonl, best.pt (best validation fill-in bpc) and last.pt
(resumable). Only torch, numpy and the standard library; PyTorch 1.13 or 2.x.
"""

import os
import sys


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# train.py, imported first, passes --threads to OpenMP/OpenBLAS before torch loads.
import train  # noqa: E402,F401

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402
import unicodedata  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from nextkey_model import BACKWARD_PREFIX, CharModel, bidir_tensor_specs  # noqa: E402
from export import (DTYPES, encode_tensor, read_model,  # noqa: E402
                    tensor_byte_length, validate_manifest, write_files)
from corpus import Corpus, DocSampler, code_points, encode, list_files, read_file  # noqa: E402

def is_word_cp(cp):
    """Mirrors src/text.ts isWordChar: letters, digits, marks and apostrophes."""
    if cp == 0:
        return False
    ch = chr(cp)
    return ch in "'\u2019" or unicodedata.category(ch)[0] in "LNM"


class BidirPart(nn.Module):
    """The backward stack (a CharModel whose head is the training-only backward loss) and the combining head."""

    def __init__(self, forward, cell, embedding_size, hidden_sizes, mlp=0):
        super().__init__()
        V = forward.vocab_size
        self.forward_hidden = forward.hidden_sizes[-1]
        self.mlp = mlp
        both = self.forward_hidden + hidden_sizes[-1]
        self.backward = CharModel(cell, V, embedding_size, hidden_sizes)
        self.combine = nn.Linear(both, V)
        with torch.no_grad():
            self.combine.weight.zero_()
            self.combine.weight[:, :self.forward_hidden] = forward.head.weight
            self.combine.bias.copy_(forward.head.bias)
        if mlp:
            self.hidden = nn.Linear(both, mlp)
            self.out = nn.Linear(mlp, V, bias=False)
            with torch.no_grad():
                self.out.weight.zero_()

    def head(self, both):
        """Logits from [h_f ; h_b] (..., Hf + Hb)."""
        z = self.combine(both)
        if self.mlp:
            z = z + self.out(torch.tanh(self.hidden(both)))
        return z

    def specs(self):
        b = self.backward
        return bidir_tensor_specs(b.vocab_size, self.forward_hidden, b.cell, b.embedding_size, b.hidden_sizes, self.mlp)

    def named_format_tensors(self):
        out = {}
        for n, t in self.backward.named_format_tensors().items():
            if not n.startswith("head."):
                out[BACKWARD_PREFIX + n] = t
        out["combine.weight"] = self.combine.weight.detach().float().cpu().clone()
        out["combine.bias"] = self.combine.bias.detach().float().cpu().clone()
        if self.mlp:
            out["combine.hidden.weight"] = self.hidden.weight.detach().float().cpu().clone()
            out["combine.hidden.bias"] = self.hidden.bias.detach().float().cpu().clone()
            out["combine.out.weight"] = self.out.weight.detach().float().cpu().clone()
        return out

    def load_format_tensors(self, tensors):
        own = {n[len(BACKWARD_PREFIX):]: t for n, t in tensors.items() if n.startswith(BACKWARD_PREFIX)}
        # The backward head is not in the file: keep this module's (untrained) one.
        own["head.weight"] = self.backward.head.weight.detach()
        own["head.bias"] = self.backward.head.bias.detach()
        self.backward.load_format_tensors(own)
        with torch.no_grad():
            self.combine.weight.copy_(torch.as_tensor(tensors["combine.weight"]))
            self.combine.bias.copy_(torch.as_tensor(tensors["combine.bias"]))
            if self.mlp:
                self.hidden.weight.copy_(torch.as_tensor(tensors["combine.hidden.weight"]))
                self.hidden.bias.copy_(torch.as_tensor(tensors["combine.hidden.bias"]))
                self.out.weight.copy_(torch.as_tensor(tensors["combine.out.weight"]))
        return self


def features(model, idx, state=None):
    """The top layer's outputs [B, T, H] of a CharModel over idx [B, T], and its new state."""
    return model(idx, state, features=True)


def backward_states(part, right):
    """right [B, L]: the text after the caret. Returns [B, L + 1, Hb]: at j, the backward
    top output after reading right[:, L-1] .. right[:, j] (right to left); at L, zeros."""
    B, L = right.shape
    out, _ = features(part.backward, torch.flip(right, [1]))
    out = torch.flip(out, [1])
    return torch.cat([out, out.new_zeros(B, 1, out.shape[2])], dim=1)


def gap_ends(x, word, rng, max_gap, shares=(0.4, 0.4, 0.2)):
    """For each position t of x [B, L]: where its right context begins, j(t) in [t, L]."""
    B, L = x.shape
    isw = word[x]
    # end of the word run: for a word character, the first non-word position after it; else t
    end = np.empty((B, L), dtype=np.int64)
    nxt = np.full(B, L, dtype=np.int64)
    for t in range(L - 1, -1, -1):
        nxt = np.where(isw[:, t], nxt, t)
        end[:, t] = nxt
    t = np.broadcast_to(np.arange(L), (B, L))
    rand = np.minimum(t + rng.integers(1, max_gap + 1, size=(B, L)), L)
    kind = rng.choice(3, size=(B, L), p=list(shares))
    return np.where(kind == 0, end, np.where(kind == 1, rand, L))


def fill_in_loss(forward, part, full, prefix, j, reduce=True, forward_grad=False):
    """Cross-entropy of the combining head on full[:, prefix:] given j [B, L] (indices into the
    region, right context region[j:]); also the backward and forward next-character losses."""
    region = full[:, prefix:]
    B, L = region.shape
    with torch.set_grad_enabled(forward_grad and torch.is_grad_enabled()):
        hf, _ = features(forward, full[:, :-1])
    hf = hf[:, prefix - 1:]  # state before each region position
    fwd_loss = None
    if forward_grad:
        fwd_loss = F.cross_entropy(forward.head(hf).reshape(B * L, -1), region.reshape(-1))
    hb_all = backward_states(part, region)
    idx = torch.as_tensor(j, dtype=torch.long).unsqueeze(-1).expand(B, L, hb_all.shape[2])
    hb = torch.gather(hb_all, 1, idx)
    logits = part.head(torch.cat([hf, hb], dim=2))
    ce = F.cross_entropy(logits.reshape(B * L, -1), region.reshape(-1), reduction="none").reshape(B, L)
    # backward next-character: from the state at j + 1 (having read region[j+1:]), region[j]
    back_logits = part.backward.head(hb_all[:, 1:L])
    back = F.cross_entropy(back_logits.reshape(B * (L - 1), -1), region[:, :L - 1].reshape(-1))
    return (ce.mean() if reduce else ce), back, fwd_loss, logits


# ----- validation ---------------------------------------------------------------------

def valid_windows(files, vocab, prefix, length, per_file, seed=7):
    """Fixed windows from each validation file: {name: LongTensor [n, prefix + length]}."""
    rng = np.random.default_rng(seed)
    out = {}
    for path in files:
        data = encode(code_points(read_file(path)), vocab)
        n = len(data) - (prefix + length)
        if n <= 0:
            continue
        starts = rng.choice(n, size=min(per_file, n), replace=False)
        out[os.path.basename(path).rsplit(".", 1)[0]] = torch.from_numpy(
            np.stack([data[s:s + prefix + length] for s in starts]).astype(np.int64))
    return out


@torch.no_grad()
def evaluate(forward, part, windows, prefix, word):
    """Per file: bpc of the rest of a word with the text after it (fill-in) and without (forward only),
    over the word positions of each window (j = the end of the word)."""
    forward.eval()
    part.eval()
    rows = {}
    for name, w in windows.items():
        region = w[:, prefix:].numpy()
        isw = word[region]
        L = region.shape[1]
        end = np.empty_like(region)
        nxt = np.full(region.shape[0], L)
        for t in range(L - 1, -1, -1):
            nxt = np.where(isw[:, t], nxt, t)
            end[:, t] = nxt
        ce, _, _, _ = fill_in_loss(forward, part, w, prefix, end, reduce=False)
        hf, _ = features(forward, w[:, :-1])
        fl = F.cross_entropy(forward.head(hf[:, prefix - 1:]).reshape(-1, forward.vocab_size),
                             w[:, prefix:].reshape(-1), reduction="none").reshape(ce.shape)
        mask = torch.from_numpy(isw)
        n = int(mask.sum())
        rows[name] = {"chars": n, "bidir": float(ce[mask].sum()) / n / math.log(2),
                      "forward": float(fl[mask].sum()) / n / math.log(2)}
    part.train()
    mean = {k: sum(r[k] for r in rows.values()) / len(rows) for k in ("bidir", "forward")}
    return mean, rows


# ----- export -------------------------------------------------------------------------

def export_bidir(model_dir, part, out_dir, dtype="float16", card=None, forward=None):
    """Writes model_dir's model with the bidirectional part added, to out_dir (model.json, weights.bin).
    With `forward` (a CharModel trained alongside, --train-forward), its weights replace the
    forward tensors, each in the dtype it had; else those are copied as they are."""
    with open(os.path.join(model_dir, "model.json"), encoding="utf-8") as f:
        m = json.load(f)
    validate_manifest(m)
    with open(os.path.join(model_dir, m["weights"]["path"]), "rb") as f:
        old = f.read()
    blob = bytearray()
    entries = []
    new_forward = forward.named_format_tensors() if forward is not None else None
    for t in m["tensors"]:
        if t["name"].startswith((BACKWARD_PREFIX, "combine.")):
            continue
        data = encode_tensor(new_forward[t["name"]].numpy(), t["dtype"]) if new_forward else old[t["offset"]:t["offset"] + t["byteLength"]]
        blob += b"\0" * (-len(blob) % 4)
        entries.append({**t, "offset": len(blob), "byteLength": len(data)})
        blob += data
    tensors = part.named_format_tensors()
    for name, shape in part.specs():
        a = tensors[name].numpy()
        assert tuple(a.shape) == tuple(shape), name
        data = encode_tensor(a, dtype)
        assert len(data) == tensor_byte_length(shape, dtype)
        blob += b"\0" * (-len(blob) % 4)
        entries.append({"name": name, "shape": [int(s) for s in shape], "dtype": dtype, "offset": len(blob), "byteLength": len(data)})
        blob += data
    blob = bytes(blob)
    b = part.backward
    out = {}
    for k, v in m.items():
        if k == "tensors":
            out["backward"] = {"cell": b.cell, "embeddingSize": b.embedding_size, "hiddenSizes": list(b.hidden_sizes)}
            if part.mlp:
                out["backward"]["combineHidden"] = part.mlp
            out[k] = entries
        elif k == "weights":
            out[k] = {"path": "weights.bin", "byteLength": len(blob), "sha256": hashlib.sha256(blob).hexdigest()}
        elif k == "backward":
            continue
        else:
            out[k] = v
    if card:
        out["card"] = {**out.get("card", {}), **card}
    validate_manifest(out)
    write_files(out_dir, out, blob)
    return out


# ----- training -----------------------------------------------------------------------

def atomic_save(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    a = ap.add_argument
    a("--model", help="the forward model: a format v1 folder (models/default)")
    a("--train", nargs="+", default=[])
    a("--valid", nargs="+", default=[])
    a("--out", help="run directory (training) or --export's source run")
    a("--resume", action="store_true")
    a("--export", metavar="CKPT", help="export CKPT's part with --model's forward into --out-model")
    a("--out-model")
    a("--dtype", default="float16", choices=DTYPES)
    a("--cell", default="lstm")
    a("--embedding", type=int, default=32)
    a("--hidden", type=int, nargs="+", default=[128])
    a("--mlp", type=int, default=0, help="hidden units of the combining head (0: linear)")
    a("--init", metavar="CKPT", help="start the part from CKPT's (matching names and shapes)")
    a("--batch", type=int, default=64)
    a("--prefix", type=int, default=64, help="characters the forward model reads before the region")
    a("--len", type=int, default=192, help="region: the characters predicted, and the right context")
    a("--max-gap", type=int, default=24)
    a("--lr", type=float, default=3e-3)
    a("--back-weight", type=float, default=0.3, help="weight of the backward next-character loss")
    a("--train-forward", action="store_true", help="train the forward model too (with its next-character loss)")
    a("--minutes", type=float, default=60)
    a("--eval-every", type=float, default=10, help="minutes between validations")
    a("--valid-windows", type=int, default=48, help="windows per validation file")
    a("--threads", type=int, default=0)
    a("--seed", type=int, default=1)
    a("--device", default="cpu")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.export:
        ck = torch.load(args.export, map_location="cpu")
        forward, vocab, _ = read_model(args.model)
        cfg = ck["config"]
        part = BidirPart(forward, cfg["cell"], cfg["embedding"], cfg["hidden"], cfg.get("mlp", 0))
        part.load_state_dict(ck["part"])
        if ck.get("forward"):
            forward.load_state_dict(ck["forward"])  # trained alongside (--train-forward)
        card = {"bidirectional": json.loads(ck.get("card", "{}"))}
        m = export_bidir(args.model, part, args.out_model, args.dtype, card, forward if ck.get("forward") else None)
        print("wrote %s: %d tensors, weights %d bytes" % (args.out_model, len(m["tensors"]), m["weights"]["byteLength"]))
        return 0
    if not args.out:
        raise SystemExit("--out RUN_DIR is required")
    os.makedirs(args.out, exist_ok=True)
    last = os.path.join(args.out, "last.pt")
    ck = None
    if args.resume:
        ck = torch.load(last, map_location="cpu")
        saved = ck["args"]
        for k in ("model", "train", "valid", "cell", "embedding", "hidden", "batch", "prefix", "len", "max_gap", "lr",
                  "back_weight", "train_forward", "seed", "mlp"):
            setattr(args, k, saved.get(k, 0))
    forward, vocab, manifest = read_model(args.model)
    word = np.array([is_word_cp(cp) for cp in vocab], dtype=bool)
    part = BidirPart(forward, args.cell, args.embedding, args.hidden, args.mlp)
    if args.init and not ck:
        own = part.state_dict()
        theirs = torch.load(args.init, map_location="cpu")["part"]
        same = {k: v for k, v in theirs.items() if k in own and own[k].shape == v.shape}
        own.update(same)
        part.load_state_dict(own)
        print("--init: %d of %d tensors from %s" % (len(same), len(own), args.init), flush=True)
    if not args.train_forward:
        for p in forward.parameters():
            p.requires_grad_(False)
    params = list(part.parameters()) + (list(forward.parameters()) if args.train_forward else [])
    opt = torch.optim.Adam(params, lr=args.lr)
    corpus = Corpus.load(list_files(args.train), vocab=vocab)
    sampler = DocSampler(corpus, args.batch, args.prefix + args.len, args.seed)
    rng = np.random.default_rng(args.seed)
    windows = valid_windows(list_files(args.valid), vocab, args.prefix, args.len, args.valid_windows)
    step, elapsed, best = 0, 0.0, float("inf")
    if ck:
        part.load_state_dict(ck["part"])
        if args.train_forward:
            forward.load_state_dict(ck["forward"])
        opt.load_state_dict(ck["opt"])
        sampler.load_state_dict(ck["sampler"])
        rng.bit_generator.state = ck["rng"]
        step, elapsed, best = ck["step"], ck["elapsed"], ck["best"]
    budget = elapsed + args.minutes * 60
    total = ck["total"] if ck else budget
    stop = {"now": False}

    def on_signal(signum, frame):
        if stop["now"]:
            raise SystemExit(1)
        stop["now"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    log = open(os.path.join(args.out, "log.jsonl"), "a")
    config = {"cell": args.cell, "embedding": args.embedding, "hidden": args.hidden, "mlp": args.mlp}

    def save(path, metrics=None):
        atomic_save({"args": vars(args), "config": config, "part": part.state_dict(),
                     "forward": forward.state_dict() if args.train_forward else None,
                     "opt": opt.state_dict(), "sampler": sampler.state_dict(), "rng": rng.bit_generator.state,
                     "step": step, "elapsed": elapsed, "best": best, "total": total,
                     "card": json.dumps({"metrics": metrics, "step": step, "minutes": round(elapsed / 60, 1),
                                         "train": [os.path.basename(p) for p in args.train]})}, path)

    def validate():
        nonlocal best
        mean, rows = evaluate(forward, part, windows, args.prefix, word)
        rec = {"step": step, "minutes": round(elapsed / 60, 2), "valid": mean, "files": rows}
        log.write(json.dumps(rec) + "\n")
        log.flush()
        print("step %d %.1f min: rest-of-word bpc forward %.3f, with the text after %.3f"
              % (step, elapsed / 60, mean["forward"], mean["bidir"]), flush=True)
        if mean["bidir"] < best:
            best = mean["bidir"]
            save(os.path.join(args.out, "best.pt"), mean)
        save(last, mean)

    if not ck:
        validate()
    next_eval = elapsed + args.eval_every * 60
    t_last = time.time()
    part.train()
    while elapsed < budget and not stop["now"]:
        x, y = sampler.next_batch()
        full = torch.from_numpy(np.concatenate([x, y[:, -1:]], axis=1).astype(np.int64))
        j = gap_ends(full[:, args.prefix:].numpy(), word, rng, args.max_gap)
        lr = args.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, elapsed / total)))
        for g in opt.param_groups:
            g["lr"] = lr
        ce, back, fwd, _ = fill_in_loss(forward, part, full, args.prefix, j, forward_grad=args.train_forward)
        loss = ce + args.back_weight * back + (fwd if fwd is not None else 0)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        now = time.time()
        elapsed += now - t_last
        t_last = now
        if step % 50 == 0:
            print("step %d %.1f min: fill-in %.3f bpc, backward %.3f bpc, lr %.2g"
                  % (step, elapsed / 60, ce.item() / math.log(2), back.item() / math.log(2), lr), flush=True)
        if elapsed >= next_eval:
            validate()
            next_eval = elapsed + args.eval_every * 60
            t_last = time.time()
    validate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
