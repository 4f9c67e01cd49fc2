#!/usr/bin/env python3
"""Train a nextkey character model (truncated BPTT, stateful lanes).

    /usr/bin/python3 training/train.py --train corpus/train --valid corpus/valid \\
        --cell lstm --embedding 16 --hidden 256 256 --batch 128 --seq 128 \\
        --lr 3e-3 --schedule cosine --minutes 60 --threads 2 --out runs/lstm256
    /usr/bin/python3 training/train.py --out runs/lstm256 --resume [--minutes 120]
    /usr/bin/python3 training/train.py --eval-only runs/lstm256/best.pt --valid corpus/valid
    /usr/bin/python3 training/export.py --checkpoint runs/lstm256/best.pt --out models/x

The training stream (all --train files, concatenated) is cut into --batch
contiguous lanes; each step feeds the next --seq characters of every lane and
carries the hidden state over from the previous window (detached), as the SDK
runs at inference. An epoch is one pass over the stream; the state restarts
from zeros at each epoch. Validation runs the same way (stateful, long chunks).

RUN_DIR gets log.jsonl (one JSON object per evaluation), best.pt (best
validation bpc) and last.pt (resumable: adds optimizer, position in the data,
hidden state, RNG, schedule, elapsed time). Both are checkpoint dicts that
training/export.py reads. Checkpoints are written atomically, at every
evaluation, at the end and on SIGINT/SIGTERM (a second signal kills at once).

Only torch, numpy and the standard library; PyTorch 1.13 or 2.x, CPU or CUDA.
"""

import os
import sys


def _preparse_threads(argv):
    """--threads must reach OpenMP/OpenBLAS before torch is imported."""
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return None


_THREADS = _preparse_threads(sys.argv[1:])
if _THREADS is not None:
    for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_v] = _THREADS

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nextkey_model import CELLS, CharModel  # noqa: E402
from export import _load_checkpoint, normalize_vocab, read_model  # noqa: E402
from corpus import Corpus, DocSampler, code_points, encode, list_files, read_file  # noqa: E402

LN2 = math.log(2.0)

DEFAULTS = {
    "cell": "lstm", "embedding": 16, "hidden": [256, 256], "min_count": 300,
    "batch": 128, "seq": 128, "lr": 3e-3, "final_lr_frac": 0.05, "warmup": 100,
    "schedule": "cosine", "clip": 1.0, "dropout": 0.0, "steps": None, "minutes": None,
    "eval_every": 200, "log_every": 20, "eval_batch": 32, "eval_seq": 512,
    "valid_limit": 0, "seed": 1234, "card": None, "source_alpha": 0.5, "max_segment": 16384, "source_weights": {},
}
# Fixed by the checkpoint on --resume: changing them would change the model or the data layout.
LOCKED = ("cell", "embedding", "hidden", "min_count", "batch", "seq", "max_segment")


# ----- data -----------------------------------------------------------------------

def read_text(files):
    """UTF-8 files -> one string (see corpus.read_file); for validation-sized text."""
    return "".join(read_file(p) for p in files)


def load_encoded(files, vocab):
    return encode(code_points(read_text(files)), vocab)


def lanes(data, batch):
    """data [N] -> inputs, targets [batch, L] (contiguous lanes, L = (N-1)//batch)."""
    n = (len(data) - 1) // batch
    x = torch.from_numpy(np.ascontiguousarray(data[:batch * n]).reshape(batch, n))
    y = torch.from_numpy(np.ascontiguousarray(data[1:batch * n + 1]).reshape(batch, n))
    return x, y


# ----- evaluation -------------------------------------------------------------------

@torch.no_grad()
def evaluate(model, data, device, batch=32, seq=512, limit=0, should_stop=None):
    """Stateful validation over `data` split into lanes.

    Returns dict bpc, top1, top3, chars (characters scored), or None if
    should_stop() became true part-way.
    """
    if limit and len(data) > limit + 1:
        data = data[:limit + 1]
    batch = max(1, min(batch, (len(data) - 1) // max(1, min(seq, 256))))
    x, y = lanes(data, batch)
    n = x.shape[1]
    if n < 1:
        raise SystemExit("validation text too short")
    x, y = x.to(device), y.to(device)
    was_training = model.training
    model.eval()
    state = model.init_state(batch)
    nll = torch.zeros((), dtype=torch.float64, device=device)
    top1 = torch.zeros((), dtype=torch.int64, device=device)
    top3 = torch.zeros((), dtype=torch.int64, device=device)
    k = min(3, model.vocab_size)
    try:
        for s in range(0, n, seq):
            if should_stop is not None and should_stop():
                return None
            xb = x[:, s:s + seq].long()
            yb = y[:, s:s + seq].reshape(-1).long()
            logits, state = model(xb, state)
            logits = logits.reshape(-1, logits.shape[-1]).float()
            nll += F.cross_entropy(logits, yb, reduction="sum").double()
            hit = logits.topk(k, dim=1).indices == yb[:, None]
            top1 += hit[:, 0].sum()
            top3 += hit.any(dim=1).sum()
    finally:
        model.train(was_training)
    count = batch * n
    return {"bpc": nll.item() / count / LN2, "top1": top1.item() / count,
            "top3": top3.item() / count, "chars": count, "lanes": batch}


def load_valid(groups, vocab):
    """[(label, [(file name, encoded)])] for each --valid argument."""
    return [(label, [(os.path.basename(f), load_encoded([f], vocab)) for f in files])
            for label, files in groups]


def evaluate_files(model, valid, device, batch=32, seq=512, limit=0, should_stop=None):
    """Stateful validation of every file on its own (each from a zero state).

    Returns {"bpc": mean bpc over the first group's files (each file weighs the
    same), "top1"/"top3"/"chars": over the first group's characters, "lanes",
    "groups": [{"label", "meanBpc", "files": {name: {bpc, top1, top3, chars}}}]},
    or None if should_stop() became true part-way.
    """
    groups = []
    for label, files in valid:
        per = {}
        for name, data in files:
            m = evaluate(model, data, device, batch, seq, limit, should_stop)
            if m is None:
                return None
            per[name] = {k: m[k] for k in ("bpc", "top1", "top3", "chars")}
        groups.append({"label": label, "files": per,
                       "meanBpc": sum(v["bpc"] for v in per.values()) / len(per)})
    first = groups[0]["files"].values()
    chars = sum(v["chars"] for v in first)
    return {"bpc": groups[0]["meanBpc"], "chars": chars, "lanes": batch, "groups": groups,
            "top1": sum(v["top1"] * v["chars"] for v in first) / chars,
            "top3": sum(v["top3"] * v["chars"] for v in first) / chars}


def format_groups(m):
    """Per-file lines of an evaluate_files result."""
    lines = []
    for g in m["groups"]:
        lines.append("  %s: mean %.4f bpc over %d files" % (g["label"], g["meanBpc"],
                                                         len(g["files"])))
        for name, v in g["files"].items():
            lines.append("    %-40s %.4f  top1 %.2f%%  (%d chars)"
                         % (name, v["bpc"], 100 * v["top1"], v["chars"]))
    return "\n".join(lines)


def corpus_path(path):
    """A path from its "corpus" folder on (corpus/v2/valid/x.txt), wherever the corpus lies."""
    parts = os.path.normpath(os.path.abspath(path)).split(os.sep)
    return "/".join(parts[len(parts) - 1 - parts[::-1].index("corpus"):]) if "corpus" in parts \
        else os.path.basename(path)


def valid_groups(specs):
    """[(label, files)] per --valid argument; the label is the path from its "corpus"
    folder on (corpus/v2/valid), wherever the corpus lies."""
    out = []
    for spec in specs:
        out.append((corpus_path(spec), list_files([spec])))
    return out


# ----- schedule ---------------------------------------------------------------------

def lr_at(cfg, step, elapsed):
    """LR for the update that makes `step` -> `step + 1`.

    Linear warmup over cfg['warmup'] steps (at most 10% of --steps), then constant, or cosine/linear decay
    to lr * final_lr_frac. Progress is step / steps when --steps is set, else
    elapsed / minutes (a time budget).
    """
    lr = cfg["lr"]
    w = cfg["warmup"] or 0
    if cfg["steps"]:
        w = min(w, cfg["steps"] // 10)  # short runs: at most 10% warmup
    if step < w:
        return lr * (step + 1) / w
    if cfg["schedule"] == "constant":
        return lr
    if cfg["steps"]:
        p = (step - w) / max(1, cfg["steps"] - w)
    else:
        p = elapsed / (cfg["minutes"] * 60.0)
    p = min(1.0, max(0.0, p))
    final = lr * cfg["final_lr_frac"]
    if cfg["schedule"] == "cosine":
        return final + (lr - final) * 0.5 * (1.0 + math.cos(math.pi * p))
    return lr + (final - lr) * p  # linear


# ----- checkpoints --------------------------------------------------------------------

def atomic_save(obj, path):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        torch.save(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def cpu_state_dict(model):
    return {k: v.detach().to("cpu").clone() for k, v in model.state_dict().items()}


def _to_cpu(obj):
    if torch.is_tensor(obj):
        return obj.detach().to("cpu")
    if isinstance(obj, dict):
        return {k: _to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_cpu(v) for v in obj)
    return obj


def load_checkpoint(path):
    """Load a train.py (or any export.py-style) checkpoint, unpacking the JSON fields.

    Checkpoints keep every Python float inside JSON text ("card", "meta",
    "optimizer_groups") because torch 1.13's weights_only loader, which
    export.py uses, rejects floats.
    """
    ck = _load_checkpoint(path)
    if isinstance(ck.get("card"), str):
        ck["card"] = json.loads(ck["card"])
    if "meta" in ck:
        ck.update(json.loads(ck.pop("meta")))
    if "optimizer_groups" in ck:
        ck["optimizer"] = {"state": ck.pop("optimizer_state"),
                           "param_groups": json.loads(ck.pop("optimizer_groups"))}
    return ck


def model_checkpoint(cfg, vocab, model, card):
    """The dict export.py reads (card as JSON text)."""
    return {"cell": cfg["cell"], "vocab": [int(v) for v in vocab],
            "embedding_size": int(cfg["embedding"]),
            "hidden_sizes": [int(h) for h in cfg["hidden"]],
            "state_dict": cpu_state_dict(model), "card": json.dumps(card)}


def make_card(cfg, metrics, step, train_chars):
    card = {
        "name": "nextkey-%s-%s" % (cfg["cell"], "x".join(str(h) for h in cfg["hidden"])),
        "trainFiles": [os.path.basename(f) for f in cfg["train_files"]],
        "trainPaths": [corpus_path(f) for f in cfg["train_files"]],
        "metrics": {},
        "training": {"steps": step, "trainChars": train_chars, "batch": cfg["batch"],
                     "seq": cfg["seq"], "lr": cfg["lr"], "schedule": cfg["schedule"],
                     "clip": cfg["clip"], "dropout": cfg["dropout"],
                     "minCount": cfg["min_count"], "sourceAlpha": cfg["source_alpha"],
                     "sourceWeights": cfg.get("source_weights", {}),
                     "torch": torch.__version__},
    }
    if cfg.get("init"):
        card["training"]["initFrom"] = os.path.basename(cfg["init"].rstrip("/"))
    if metrics:
        card["metrics"] = {
            "validBpc": round(metrics["bpc"], 4), "validTop1": round(metrics["top1"], 4),
            "validTop3": round(metrics["top3"], 4),
            "validSet": "mean bits per character over the files of %s (each file on its "
                        "own, %d stateful lanes)" % (metrics["groups"][0]["label"],
                                                     metrics["lanes"]),
            "validChars": metrics["chars"],
            "validFiles": [{"set": g["label"], "meanBpc": round(g["meanBpc"], 4),
                            "files": {n: round(v["bpc"], 4) for n, v in g["files"].items()}}
                           for g in metrics["groups"]],
        }
    if cfg.get("card"):
        with open(cfg["card"], "r", encoding="utf-8") as f:
            card.update(json.load(f))
    return card


# ----- CLI ----------------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(
        description="Train a nextkey character model (stateful truncated BPTT).")
    a = ap.add_argument
    a("--train", nargs="+", metavar="PATH", help="training .txt files or folders")
    a("--valid", nargs="+", metavar="PATH", help="validation .txt files or folders")
    a("--out", metavar="RUN_DIR", help="run folder: log.jsonl, last.pt, best.pt")
    a("--resume", action="store_true", help="continue from RUN_DIR/last.pt (options given "
      "again override the saved ones, except %s)" % ", ".join(LOCKED))
    a("--force", action="store_true", help="start afresh even if RUN_DIR/last.pt exists")
    a("--init", metavar="MODEL", help="fresh run only: start from the weights of a checkpoint "
      ".pt or an exported model folder (same cell, sizes and vocabulary); the optimizer, "
      "schedule and data position start afresh")
    a("--eval-only", metavar="CHECKPOINT", help="print bpc/top1/top3 of a checkpoint .pt "
      "or an exported model folder on --valid, then exit")
    a("--cell", choices=CELLS, help="default lstm")
    a("--embedding", type=int, help="embedding size (default 16)")
    a("--hidden", type=int, nargs="+", help="hidden sizes per layer (default 256 256)")
    a("--min-count", type=int, help="characters seen fewer times map to unknown (default 300)")
    a("--source-alpha", type=float, help="sources are drawn with probability ~ size**alpha "
      "(default 0.5; 1 = by size, 0 = uniform)")
    a("--source-weight", nargs="+", metavar="NAME=W", help="multiply a source's share by W "
      "(after alpha), e.g. classic=2; on --resume this replaces the saved ones")
    a("--max-segment", type=int, help="documents longer than this are drawn in pieces of "
      "about this many characters (default 16384)")
    a("--batch", type=int, help="lanes per step (default 128)")
    a("--seq", type=int, help="BPTT window length (default 128)")
    a("--lr", type=float, help="peak Adam learning rate (default 3e-3)")
    a("--final-lr-frac", type=float, help="decay to lr * this (default 0.05)")
    a("--warmup", type=int, help="linear warmup steps (default 100)")
    a("--schedule", choices=("cosine", "linear", "constant"), help="default cosine")
    a("--clip", type=float, help="gradient norm clip, 0 = off (default 1.0)")
    a("--dropout", type=float, help="dropout between layers and before the head (default 0)")
    a("--steps", type=int, help="total steps (the schedule's length)")
    a("--minutes", type=float, help="training time budget, summed over resumes; sets the "
      "schedule's length when --steps is not given")
    a("--stop-at", type=int, help="stop (and save) at this step without changing the "
      "schedule; applies to this invocation only")
    a("--eval-every", type=int, help="steps between evaluations (default 200); also after "
      "each epoch when an epoch has at least this many steps")
    a("--log-every", type=int, help="steps between train-loss lines (default 20)")
    a("--eval-batch", type=int, help="validation lanes (default 32)")
    a("--eval-seq", type=int, help="validation chunk length (default 512)")
    a("--valid-limit", type=int, help="score only the first N validation chars, 0 = all")
    a("--card", help="JSON file merged into the model card of the checkpoints")
    a("--threads", type=int, help="CPU threads (torch, OpenMP, OpenBLAS)")
    a("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    a("--seed", type=int, help="default 1234")
    args = ap.parse_args(argv)
    return ap, args


def pick_device(name):
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def setup_threads(n):
    if n:
        torch.set_num_threads(n)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass


def eval_only(args, device):
    if not args.valid:
        raise SystemExit("--eval-only needs --valid")
    src = args.eval_only
    if os.path.isdir(src):
        model, vocab, _ = read_model(src)
    else:
        ck = load_checkpoint(src)
        vocab = list(ck["vocab"])
        model = CharModel(ck["cell"], len(vocab), ck["embedding_size"], ck["hidden_sizes"])
        model.load_state_dict(ck["state_dict"])
    vocab = normalize_vocab(vocab, model.vocab_size)
    model.to(device)
    valid = load_valid(valid_groups(args.valid), vocab)
    t0 = time.time()
    m = evaluate_files(model, valid, device, args.eval_batch or DEFAULTS["eval_batch"],
                       args.eval_seq or DEFAULTS["eval_seq"], args.valid_limit or 0)
    unknown = sum(int((d == 0).sum()) for _, fs in valid for _, d in fs)
    total = sum(len(d) for _, fs in valid for _, d in fs)
    m.update({"checkpoint": src, "unknown_frac": round(unknown / total, 6),
              "seconds": round(time.time() - t0, 1)})
    print(format_groups(m))
    print("valid bpc %.4f  top1 %.2f%%  top3 %.2f%%  (%d chars, %.1f s)"
          % (m["bpc"], 100 * m["top1"], 100 * m["top3"], m["chars"], m["seconds"]))
    print(json.dumps(m))
    return 0


def init_from(model, vocab, cfg, path):
    """Warm start: copy weights from a checkpoint or model folder into `model`."""
    if os.path.isdir(path):
        src, src_vocab, m = read_model(path)
        cell, emb, hidden = m["cell"], m["embeddingSize"], list(m["hiddenSizes"])
    else:
        ck = load_checkpoint(path)
        src_vocab, cell = list(ck["vocab"]), ck["cell"]
        emb, hidden = ck["embedding_size"], list(ck["hidden_sizes"])
        src = CharModel(cell, len(src_vocab), emb, hidden)
        src.load_state_dict(ck["state_dict"])
    want = (cfg["cell"], cfg["embedding"], list(cfg["hidden"]))
    if (cell, emb, hidden) != want:
        raise SystemExit("--init %s: model is %s E=%d H=%s, this run asks for %s E=%d H=%s"
                         % ((path, cell, emb, hidden) + want))
    src_vocab, vocab = normalize_vocab(src_vocab), normalize_vocab(vocab)
    dev = next(model.parameters()).device
    sd = {k: v.to(dev) for k, v in src.state_dict().items()}
    if src_vocab != vocab:
        # A new vocabulary: rows of characters both have are copied; a new
        # character starts from the old "unknown" row (index 0), which is what
        # the old model did with it, so the warm start predicts as before.
        old = {cp: i for i, cp in enumerate(src_vocab)}
        rows = torch.tensor([old.get(cp, 0) if i else 0 for i, cp in enumerate(vocab)],
                            device=dev)
        for name in ("embedding.weight", "head.weight", "head.bias"):
            sd[name] = sd[name].index_select(0, rows).clone()
        # each new character shares the unknown row's probability with the rest
        new = [i for i, cp in enumerate(vocab) if i and cp not in old]
        if new:
            share = torch.log(torch.tensor(1.0 + len(new)))
            sd["head.bias"][[0] + new] -= share
        print("init: vocabulary %d -> %d entries, %d new characters: %s"
              % (len(src_vocab), len(vocab), len(new),
                 "".join(chr(vocab[i]) for i in new).encode("unicode_escape").decode()))
    model.load_state_dict(sd)
    cfg["init"] = os.path.abspath(path)
    print("init: weights from %s" % path)


def fmt_time(s):
    s = int(s)
    return "%d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60)


def main(argv=None):
    ap, args = parse_args(sys.argv[1:] if argv is None else argv)
    setup_threads(args.threads)
    # Under torchrun (WORLD_SIZE > 1): DistributedDataParallel, gloo on CPU and nccl on
    # CUDA; the global --batch is split evenly, rank r takes lanes [r*B/W, (r+1)*B/W).
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    device = pick_device(args.device)
    if world > 1:
        if device.type == "cuda":
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")

    def say(msg):
        if rank == 0:
            print(msg, flush=True)
    if args.eval_only:
        return eval_only(args, device)
    if not args.out:
        ap.error("--out RUN_DIR is required")
    os.makedirs(args.out, exist_ok=True)
    last_path = os.path.join(args.out, "last.pt")
    best_path = os.path.join(args.out, "best.pt")
    log_path = os.path.join(args.out, "log.jsonl")

    given = {k: v for k, v in vars(args).items() if k in DEFAULTS and v is not None}
    if args.source_weight is not None:
        try:
            given["source_weights"] = {n: float(w) for n, w in
                                       (x.split("=", 1) for x in args.source_weight)}
        except ValueError:
            ap.error("--source-weight takes NAME=W pairs, got %s" % " ".join(args.source_weight))
    ck = None
    if args.resume:
        if not os.path.exists(last_path):
            raise SystemExit("--resume: %s does not exist" % last_path)
        ck = load_checkpoint(last_path)
        cfg = dict(ck["config"])
        for k, v in given.items():
            if k in LOCKED and v != cfg[k]:
                raise SystemExit("--resume: --%s is fixed by the checkpoint (%r)"
                                 % (k.replace("_", "-"), cfg[k]))
            if v != cfg.get(k):
                print("resume: %s %r -> %r" % (k, cfg.get(k), v))
            cfg[k] = v
        if args.train:
            cfg["train_files"] = list_files(args.train)
        if args.valid:
            cfg["valid_specs"] = list(args.valid)
    else:
        if os.path.exists(last_path) and not args.force:
            raise SystemExit("%s exists: use --resume, or --force to start afresh" % last_path)
        if not args.train or not args.valid:
            ap.error("--train and --valid are required")
        for path in (log_path, best_path):  # a fresh run: drop the old run's files
            if os.path.exists(path):
                os.remove(path)
        cfg = dict(DEFAULTS)
        cfg.update(given)
        cfg["train_files"] = list_files(args.train)
        cfg["valid_specs"] = list(args.valid)
    cfg.setdefault("source_alpha", DEFAULTS["source_alpha"])
    cfg.setdefault("max_segment", DEFAULTS["max_segment"])
    cfg.setdefault("source_weights", {})
    if not cfg.get("valid_specs"):  # a checkpoint of an older train.py
        cfg["valid_specs"] = cfg.get("valid_files", [])
    cfg["valid_files"] = [f for _, fs in valid_groups(cfg["valid_specs"]) for f in fs]
    if not cfg["steps"] and not cfg["minutes"]:
        ap.error("give --steps and/or --minutes")

    # ---- data
    t0 = time.time()
    corpus = Corpus.load(cfg["train_files"], cfg["min_count"],
                         vocab=list(ck["vocab"]) if ck else None, max_segment=cfg["max_segment"])
    vocab, train = corpus.vocab, corpus.data
    V = len(vocab)
    data_sha = hashlib.sha256(train.tobytes()).hexdigest()
    valid = load_valid(valid_groups(cfg["valid_specs"]), vocab)
    B, T = cfg["batch"], cfg["seq"]
    if B % world:
        raise SystemExit("--batch %d is not a multiple of the %d processes" % (B, world))
    if len(train) < 4 * (T + 1):
        raise SystemExit("training text (%d chars) too short for --seq %d" % (len(train), T))
    per = B // world
    sampler = DocSampler(corpus, B, T, cfg["seed"], cfg["source_alpha"],
                         lane_range=(rank * per, (rank + 1) * per), boost=cfg["source_weights"])
    nvalid = sum(len(d) for _, fs in valid for _, d in fs)
    unknown_valid = sum(int((d == 0).sum()) for _, fs in valid for _, d in fs)
    say("data: train %d chars (%d files, %d sources, %d pieces), valid %d chars (%d files), "
        "vocab %d, unknown %.3f%% train / %.3f%% valid, %.1f s"
        % (len(train), len(cfg["train_files"]), len(corpus.sources), len(corpus.seg), nvalid,
           len(cfg["valid_files"]), V, 100 * float((train == 0).mean()),
           100 * unknown_valid / max(1, nvalid), time.time() - t0))
    say("sources (share of text -> of characters read, alpha %.2f%s): %s"
        % (cfg["source_alpha"], "".join(", %s x%g" % kv for kv in cfg["source_weights"].items()),
           corpus.describe(cfg["source_alpha"], cfg["source_weights"])))

    # ---- model, optimizer
    torch.manual_seed(cfg["seed"])
    model = CharModel(cfg["cell"], V, cfg["embedding"], cfg["hidden"], dropout=cfg["dropout"])
    model.to(device)
    opt_kw = {}
    if device.type == "cuda" or "foreach" in torch.optim.Adam.__init__.__code__.co_varnames:
        opt_kw["foreach"] = True
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"], **opt_kw)

    step, elapsed, train_chars = 0, 0.0, 0
    best = float("inf")
    state = None
    if ck:
        model.load_state_dict(ck["state_dict"])
        model.dropout = float(cfg["dropout"])
        opt.load_state_dict(ck["optimizer"])
        step, elapsed, train_chars, best = (ck["step"], ck["elapsed"], ck["train_chars"],
                                            ck["best_valid_bpc"])
        torch.set_rng_state(ck["rng_cpu"])
        if device.type == "cuda" and ck.get("rng_cuda") is not None:
            try:
                torch.cuda.set_rng_state(ck["rng_cuda"], device)
            except RuntimeError:
                pass
        if ck["data_sha256"] != data_sha:
            say("resume: WARNING training data differs from the checkpoint's")
        if ck.get("sampler") and ck.get("world", 1) == world:
            samplers = ck["sampler"] if isinstance(ck["sampler"], list) else [ck["sampler"]]
            sampler.load_state_dict(samplers[rank])
            hs = ck["hidden_state"]
            state = [tuple(t[rank * per:(rank + 1) * per].to(device) for t in layer)
                     for layer in hs]
        else:
            say("resume: the data position is not in the checkpoint (or another process "
                "count): drawing afresh from zero states")
        say("resumed at step %d, %.1f min trained, best %.4f" % (step, elapsed / 60, best))
    elif args.init:
        init_from(model, vocab, cfg, args.init)
    if state is None:
        state = model.init_state(per)
        state = [tuple(t.to(device) for t in layer) for layer in state]
    nparams = sum(p.numel() for p in model.parameters())
    say("model: %s E=%d H=%s V=%d, %d parameters, device %s, threads %d, processes %d, torch %s"
        % (cfg["cell"], cfg["embedding"], cfg["hidden"], V, nparams, device,
           torch.get_num_threads(), world, torch.__version__))
    net = model
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None)

    # ---- signals
    stop = {"sig": None}

    def on_signal(signum, frame):
        stop["sig"] = signum
        signal.signal(signum, signal.SIG_DFL)  # a second one kills at once
        print("\nsignal %d: saving %s and stopping" % (signum, last_path), flush=True)

    old_handlers = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}

    def gather_lanes(t):
        """This rank's lanes -> all lanes (rank 0 gets them, in lane order)."""
        if world == 1:
            return t
        parts = [torch.empty_like(t) for _ in range(world)]
        dist.all_gather(parts, t.contiguous())
        return torch.cat(parts, 0)

    def save_last():
        hidden = [tuple(gather_lanes(t) for t in layer) for layer in state]
        samplers = gather_objects(sampler.state_dict())
        if rank:
            return
        ck_out = model_checkpoint(cfg, vocab, model, make_card(cfg, last_metrics, step,
                                                               train_chars))
        osd = opt.state_dict()
        ck_out.update({
            "optimizer_state": _to_cpu(osd["state"]),
            "optimizer_groups": json.dumps(osd["param_groups"]),
            "hidden_state": _to_cpu(hidden),
            "rng_cpu": torch.get_rng_state(),
            "rng_cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
            "meta": json.dumps({
                "step": step, "epoch": train_chars / len(train), "elapsed": elapsed,
                "train_chars": train_chars, "best_valid_bpc": best, "config": cfg,
                "data_sha256": data_sha, "torch_version": torch.__version__,
                "sampler": samplers, "world": world}),
        })
        atomic_save(ck_out, last_path)

    def gather_objects(obj):
        if world == 1:
            return [obj]
        out = [None] * world
        dist.all_gather_object(out, obj)
        return out

    def time_up():
        return bool(cfg["minutes"]) and elapsed >= cfg["minutes"] * 60.0

    def done():
        return ((cfg["steps"] and step >= cfg["steps"]) or time_up()
                or (args.stop_at and step >= args.stop_at))

    last_metrics = None
    since = {"loss": torch.zeros((), dtype=torch.float64, device=device), "n": 0,
             "chars": 0, "time": 0.0}
    log_acc = {"loss": torch.zeros((), dtype=torch.float64, device=device), "n": 0,
               "chars": 0, "time": 0.0}
    last_eval_step = step if ck else -1
    model.train()

    def do_eval(reason):
        """Rank 0 evaluates; the other ranks wait for it at the next collective."""
        nonlocal best, last_metrics, last_eval_step
        if rank:
            last_eval_step = step
            return
        te = time.time()
        m = evaluate_files(model, valid, device, cfg["eval_batch"], cfg["eval_seq"],
                           cfg["valid_limit"], should_stop=lambda: stop["sig"] is not None)
        eval_s = time.time() - te
        if m is None:
            return
        last_metrics, last_eval_step = m, step
        tb = since["loss"].item() / max(1, since["n"]) / LN2 if since["n"] else float("nan")
        cps = since["chars"] / since["time"] if since["time"] else 0.0
        lr_now = opt.param_groups[0]["lr"]
        improved = m["bpc"] < best
        print("step %d ep %.3f | train %.4f | valid %.4f top1 %.2f%% top3 %.2f%%%s | lr %.2e "
              "| %.0f chars/s | eval %.0fs | %s (%s)"
              % (step, train_chars / len(train), tb, m["bpc"], 100 * m["top1"],
                 100 * m["top3"], " *" if improved else "", lr_now, cps, eval_s,
                 fmt_time(elapsed), reason), flush=True)
        print(format_groups(m), flush=True)
        rec = {"step": step, "epoch": round(train_chars / len(train), 4),
               "train_chars": train_chars, "train_bpc": tb, "valid_bpc": m["bpc"],
               "valid_top1": m["top1"], "valid_top3": m["top3"],
               "valid_files": {g["label"]: {n: round(v["bpc"], 4) for n, v in g["files"].items()}
                               for g in m["groups"]},
               "valid_means": {g["label"]: round(g["meanBpc"], 4) for g in m["groups"]},
               "lr": lr_now, "chars_per_s": round(cps, 1), "elapsed_s": round(elapsed, 1),
               "eval_s": round(eval_s, 1), "reason": reason, "time": round(time.time(), 1)}
        with open(log_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec) + "\n")
        if improved:
            best = m["bpc"]
            atomic_save(model_checkpoint(cfg, vocab, model,
                                         make_card(cfg, m, step, train_chars)), best_path)
        since["loss"].zero_()
        since.update(n=0, chars=0, time=0.0)

    # ---- training loop
    chars_per_step = B * T
    params = list(model.parameters())
    elapsed0, run_t0 = elapsed, time.time()  # elapsed: wall time incl. evals, over resumes
    sync = torch.zeros(2, dtype=torch.float64)

    def agree():
        """DDP: every rank takes rank 0's clock (the schedule) and anyone's stop signal."""
        nonlocal elapsed
        if world == 1:
            return
        sync[0] = elapsed if rank == 0 else 0.0
        sync[1] = 1.0 if stop["sig"] is not None else 0.0
        dist.all_reduce(sync)
        elapsed = float(sync[0])
        if sync[1] and stop["sig"] is None:
            stop["sig"] = signal.SIGTERM

    agree()
    while not done() and stop["sig"] is None:
        ts = time.time()
        lr = lr_at(cfg, step, elapsed)
        for g in opt.param_groups:
            g["lr"] = lr
        xn, yn = sampler.next_batch()
        xb = torch.from_numpy(xn).to(device, non_blocking=True).long()
        yb = torch.from_numpy(np.ascontiguousarray(yn)).to(device, non_blocking=True)
        yb = yb.reshape(-1).long()
        logits, state = net(xb, state)
        loss = F.cross_entropy(logits.reshape(-1, V), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if cfg["clip"]:
            torch.nn.utils.clip_grad_norm_(params, cfg["clip"])
        opt.step()
        state = CharModel.detach_state(state)
        ld = loss.detach().double()
        if world > 1:  # the global batch's loss, as one process would see it
            dist.all_reduce(ld)
            ld /= world
        since["loss"] += ld
        log_acc["loss"] += ld
        step += 1
        train_chars += chars_per_step
        if step % cfg["log_every"] == 0 and device.type == "cuda":
            torch.cuda.synchronize()
        dt = time.time() - ts
        elapsed = elapsed0 + (time.time() - run_t0)
        for acc in (since, log_acc):
            acc["n"] += 1
            acc["chars"] += chars_per_step
            acc["time"] += dt
        eval_now = step % cfg["eval_every"] == 0
        if step % cfg["log_every"] == 0 and not eval_now:
            say("step %d ep %.3f | train %.4f | lr %.2e | %.0f chars/s | %s"
                % (step, train_chars / len(train), log_acc["loss"].item() / log_acc["n"] / LN2,
                   lr, log_acc["chars"] / log_acc["time"], fmt_time(elapsed)))
            log_acc["loss"].zero_()
            log_acc.update(n=0, chars=0, time=0.0)
        if eval_now:
            do_eval("step")
            log_acc["loss"].zero_()
            log_acc.update(n=0, chars=0, time=0.0)
        elapsed = elapsed0 + (time.time() - run_t0)
        agree()
        if eval_now and stop["sig"] is None:
            save_last()
        elapsed0, run_t0 = elapsed, time.time()

    if stop["sig"] is None and last_eval_step != step:
        do_eval("end")
        elapsed = elapsed0 + (time.time() - run_t0)
        agree()
    save_last()
    for s, h in old_handlers.items():
        signal.signal(s, h)
    say("saved %s (step %d, %.1f min, best valid %.4f bpc)" % (last_path, step, elapsed / 60, best))
    if last_metrics:
        say("last valid (step %d): bpc %.4f top1 %.2f%% top3 %.2f%%"
            % (last_eval_step, last_metrics["bpc"], 100 * last_metrics["top1"],
               100 * last_metrics["top3"]))
    rc = 128 + stop["sig"] if stop["sig"] is not None else 0
    if world > 1:
        # Every rank is past its last collective; then leave without running the process
        # group's destructors: torch 1.13's gloo group can deadlock in them (the destructor
        # joins a worker thread that waits for the GIL the destructor's caller holds).
        dist.barrier()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(rc)
    return rc

if __name__ == "__main__":
    sys.exit(main())
