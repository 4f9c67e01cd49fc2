#!/usr/bin/env python3
"""Train the typo corrector of a nextkey model: a character encoder-decoder (issue 20).

    /usr/bin/python3 training/corrector.py --model models/default \\
        --train ../shared/corpus/train ../shared/corpus/v2/train --valid ../shared/corpus/v2/valid \\
        --minutes 40 --threads 1 --out training/runs/corrector
    /usr/bin/python3 training/corrector.py --out training/runs/corrector --resume [--minutes 20]
    /usr/bin/python3 training/corrector.py --export training/runs/corrector/best.pt --model models/default \\
        --out-model models/default-corrected [--dtype float16]

The encoder reads the typed word; the decoder writes the intended word, one
character at a time, ending with a space. Both start from the language
model's state before the word (the forward model of --model, frozen: the top
layer's h after the text before the word, zeros with no text), so the
sentence informs the correction ("I'd like a cup of tee" → tea).

  encoder: embedding E; a GRU reading the word from its start (first state
    tanh(encoder.init · h_lm)) and one reading it from its end (first state
    zeros); per typed character the two outputs side by side (2·He).
  decoder: a GRU over the embedding of the previous output character (a
    space first), first state tanh(decoder.init · [h_lm ; last forward
    encoder output ; last backward encoder output]); at each step attention
    over the typed characters: a = softmax(enc · (attention · h)), c = a · enc;
    logits = out · [h ; c] + out.bias.

GRU equations and layouts are PyTorch's (gates r, z, n; weight_ih [3H, In],
weight_hh [3H, H], bias_ih, bias_hh [3H]). The runtime (worker/model/corrector.ts)
decodes with beams kept inside the model's lexicon (and the typed word itself).

Data: the forward model reads stretches of the training text in lanes and
its state is kept before every word that is ASCII letters and apostrophes,
2 to 20 long and in the model's lexicon (the words the decoder may write),
so words come in proportion to their use. Each example misspells its word
with the noise model of training/noise.py (keyboard neighbours,
transpositions, omissions, doubled and dropped letters, phonetic confusions,
missing apostrophes; results that are real words redrawn; see docs/typos.md)
with probability 1 - --clean, else leaves it as it is (the decoder learns to
keep a right word); with probability --no-context the language model's state
is zeros (a word with no text before it). A share (--type-share) of the words
is drawn uniformly from the lexicon's lowercase words that the Hunspell
dictionary also knows, with no context, so rare words are written too. With
--dictionary-targets a lowercase word the dictionary does not know is never
misspelled, only copied: the lexicon holds the misspellings its text has
("definately", "untill") beside jargon ("kube", "webhook"); the decoder
learns to keep both as typed, and, from the misspellings the noise makes of
"definitely", that "definately" was more likely meant as that.

RUN_DIR gets log.jsonl, best.pt (lowest validation loss) and last.pt
(resumable). Only torch, numpy and the standard library; PyTorch 1.13 or 2.x.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402,F401  (passes --threads to OpenMP/OpenBLAS before torch loads)

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from nextkey_model import corrector_tensor_specs, CORRECTOR_PREFIX  # noqa: E402
from export import DTYPES, encode_tensor, read_model, tensor_byte_length, validate_manifest, write_files  # noqa: E402
from corpus import code_points, encode, list_files, read_file  # noqa: E402
from noise import SPELLING_EDITS, SPELLING_RATES, Noise, hunspell_words  # noqa: E402

WORD_RE = re.compile(r"[A-Za-z']{2,20}$")
WORD_CHARS = re.compile(r"[\w'\u2019]")


class Corrector(nn.Module):
    def __init__(self, vocab_size, lm_hidden, embedding=24, encoder=64, decoder=128):
        super().__init__()
        self.vocab_size, self.lm_hidden = vocab_size, lm_hidden
        self.sizes = {"embeddingSize": embedding, "encoderSize": encoder, "decoderSize": decoder}
        self.embedding = nn.Embedding(vocab_size, embedding)
        self.enc_init = nn.Linear(lm_hidden, encoder)
        self.enc_f = nn.GRU(embedding, encoder, batch_first=True)
        self.enc_b = nn.GRU(embedding, encoder, batch_first=True)
        self.dec_init = nn.Linear(lm_hidden + 2 * encoder, decoder)
        self.dec = nn.GRU(embedding, decoder, batch_first=True)
        self.attention = nn.Linear(decoder, 2 * encoder, bias=False)
        self.out = nn.Linear(decoder + 2 * encoder, vocab_size)

    def encode(self, h_lm, typed, lengths):
        """h_lm [B, Hlm]; typed [B, S] (padded); lengths [B] >= 1. -> enc [B, S, 2He], mask [B, S], decoder h0 [1, B, Hd]."""
        B, S = typed.shape
        pos = torch.arange(S).unsqueeze(0)
        mask = pos < lengths.unsqueeze(1)
        x = self.embedding(typed)
        of, _ = self.enc_f(x, torch.tanh(self.enc_init(h_lm)).unsqueeze(0))
        # The backward GRU reads each word from its own end: reverse within its length.
        rev = torch.where(mask, lengths.unsqueeze(1) - 1 - pos, pos)
        ob_rev, _ = self.enc_b(torch.gather(x, 1, rev.unsqueeze(2).expand_as(x)))
        ob = torch.gather(ob_rev, 1, rev.unsqueeze(2).expand(B, S, ob_rev.shape[2]))
        last = (lengths - 1).view(B, 1, 1)
        f_last = torch.gather(of, 1, last.expand(B, 1, of.shape[2]))[:, 0]
        b_last = ob[:, 0]  # the backward GRU's last output is at the word's first character
        enc = torch.cat([of, ob], dim=2)
        h0 = torch.tanh(self.dec_init(torch.cat([h_lm, f_last, b_last], dim=1))).unsqueeze(0)
        return enc, mask, h0

    def decode(self, enc, mask, h0, inputs):
        """Teacher forcing: inputs [B, T] (previous characters). -> logits [B, T, V]."""
        h, _ = self.dec(self.embedding(inputs), h0)
        scores = torch.bmm(self.attention(h), enc.transpose(1, 2))  # [B, T, S]
        scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
        c = torch.bmm(torch.softmax(scores, dim=2), enc)
        return self.out(torch.cat([h, c], dim=2))

    def forward(self, h_lm, typed, lengths, inputs):
        enc, mask, h0 = self.encode(h_lm, typed, lengths)
        return self.decode(enc, mask, h0, inputs)

    def specs(self):
        s = self.sizes
        return corrector_tensor_specs(self.vocab_size, self.lm_hidden, s["embeddingSize"], s["encoderSize"], s["decoderSize"])

    def named_format_tensors(self):
        sd = {k: v.detach().float().cpu().clone() for k, v in self.state_dict().items()}
        out = {"embedding": sd["embedding.weight"],
               "encoder.init.weight": sd["enc_init.weight"], "encoder.init.bias": sd["enc_init.bias"],
               "decoder.init.weight": sd["dec_init.weight"], "decoder.init.bias": sd["dec_init.bias"],
               "attention.weight": sd["attention.weight"], "out.weight": sd["out.weight"], "out.bias": sd["out.bias"]}
        for ours, theirs in (("encoder.forward", "enc_f"), ("encoder.backward", "enc_b"), ("decoder", "dec")):
            for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                out["%s.%s" % (ours, p)] = sd["%s.%s_l0" % (theirs, p)]
        return {CORRECTOR_PREFIX + k: v for k, v in out.items()}

    def load_format_tensors(self, tensors):
        t = {k[len(CORRECTOR_PREFIX):]: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in tensors.items() if k.startswith(CORRECTOR_PREFIX)}
        sd = {"embedding.weight": t["embedding"], "enc_init.weight": t["encoder.init.weight"], "enc_init.bias": t["encoder.init.bias"],
              "dec_init.weight": t["decoder.init.weight"], "dec_init.bias": t["decoder.init.bias"],
              "attention.weight": t["attention.weight"], "out.weight": t["out.weight"], "out.bias": t["out.bias"]}
        for ours, theirs in (("encoder.forward", "enc_f"), ("encoder.backward", "enc_b"), ("decoder", "dec")):
            for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                sd["%s.%s_l0" % (theirs, p)] = t["%s.%s" % (ours, p)]
        self.load_state_dict(sd)
        return self


# ----- data ---------------------------------------------------------------------------

def is_word_cp(cp):
    return cp != 0 and bool(WORD_CHARS.match(chr(cp)))


@torch.no_grad()
def collect(forward, vocab, files, lexicon, chars, lanes=32, chunk=256, seed=0):
    """Runs the forward model over about `chars` characters of `files` (stretches of chars/lanes in
    `lanes` lanes, files by size) and returns (H float16 [N, Hlm], words [N]): the top layer's h before
    every word that is ASCII letters/apostrophes, 2-20 long and in `lexicon`."""
    rng = np.random.default_rng(seed)
    texts = [read_file(p) for p in files]
    sizes = np.array([len(t) for t in texts], dtype=np.float64)
    per = max(chunk, chars // lanes)
    stretches = []
    for _ in range(lanes):
        i = rng.choice(len(texts), p=sizes / sizes.sum())
        t = texts[i]
        s = int(rng.integers(0, max(1, len(t) - per)))
        stretches.append(t[s:s + per].ljust(per))
    index = {cp: i for i, cp in enumerate(vocab) if i}
    ids = torch.tensor([[index.get(ord(ch), 0) for ch in s] for s in stretches], dtype=torch.long)
    forward.eval()
    hs, words, state, prev = [], [], None, None
    for a in range(0, per, chunk):
        out, state = forward(ids[:, a:a + chunk], state, features=True)
        for lane, s in enumerate(stretches):
            for p in range(max(a, 1), min(a + chunk, per)):
                if s[p - 1].isalnum() or s[p - 1] in "'\u2019" or not s[p].isalpha():
                    continue
                e = p
                while e < per and (s[e].isalnum() or s[e] in "'\u2019"):
                    e += 1
                w = s[p:e]
                if e < per and WORD_RE.match(w) and w in lexicon:
                    hs.append((out[lane, p - 1 - a] if p > a else prev[lane]).half())
                    words.append(w)
        prev = out[:, -1]
    return torch.stack(hs), words


class Examples:
    """Batches of (h_lm, typed, intended) drawn from collected words, misspelled by the noise model."""

    def __init__(self, H, words, vocab, noise, clean, no_context, seed, types=(), type_share=0.0, good=None):
        # good(w): whether w may be the intended word of a misspelling. Other words (the lexicon's
        # own misspellings such as "definately", and jargon the dictionary lacks) are only ever
        # copied: the decoder learns to keep them as typed, and to correct into good words.
        self.good = good
        self.H, self.words, self.noise = H, words, noise
        self.clean, self.no_context = clean, no_context
        self.types, self.type_share = list(types), type_share if types else 0.0
        self.index = {cp: i for i, cp in enumerate(vocab) if i}
        self.space = self.index[32]
        self.rng = np.random.default_rng(seed)

    def ids(self, w):
        return [self.index.get(ord(ch), 0) for ch in w]

    def batch(self, n):
        pick = self.rng.integers(0, len(self.words), size=n)
        h = self.H[torch.as_tensor(pick)].float()
        drop = torch.as_tensor(self.rng.random(n) < self.no_context)
        h[drop] = 0
        intended = [self.words[i] for i in pick]
        # A share of words drawn from the dictionary's word types, not their use: rare words get trained
        # too (with no context, as a word alone).
        for b in np.nonzero(self.rng.random(n) < self.type_share)[0]:
            intended[b] = self.types[self.rng.integers(0, len(self.types))]
            h[b] = 0
        typed = []
        for w in intended:
            t = None if self.rng.random() < self.clean or (self.good and not self.good(w)) else self.noise.corrupt(w)
            typed.append(t[0] if t and t[0] else w)
        return make_batch(h, typed, intended, self.ids, self.space)


def make_batch(h, typed, intended, ids, space):
    """Tensors for a batch: h [B, Hlm], typed [B, S], lengths [B], decoder inputs and targets [B, T]."""
    B = len(typed)
    S = max(len(t) for t in typed)
    T = max(len(w) for w in intended) + 1
    x = torch.zeros(B, S, dtype=torch.long)
    inp = torch.zeros(B, T, dtype=torch.long)
    tgt = torch.full((B, T), -100, dtype=torch.long)
    for b in range(B):
        t, w = ids(typed[b]), ids(intended[b])
        x[b, :len(t)] = torch.tensor(t)
        inp[b, :len(w) + 1] = torch.tensor([space] + w)
        tgt[b, :len(w) + 1] = torch.tensor(w + [space])
    lengths = torch.tensor([len(t) for t in typed])
    return h, x, lengths, inp, tgt


@torch.no_grad()
def greedy(model, h, typed, lengths, space, max_len=24):
    """Unconstrained greedy decoding (validation only): [B] lists of indices."""
    enc, mask, state = model.encode(h, typed, lengths)
    B = typed.shape[0]
    prev = torch.full((B, 1), space, dtype=torch.long)
    out = [[] for _ in range(B)]
    done = torch.zeros(B, dtype=torch.bool)
    for _ in range(max_len):
        y, state = model.dec(model.embedding(prev), state)
        scores = torch.bmm(model.attention(y), enc.transpose(1, 2)).masked_fill(~mask.unsqueeze(1), float("-inf"))
        c = torch.bmm(torch.softmax(scores, dim=2), enc)
        nxt = model.out(torch.cat([y, c], dim=2))[:, 0].argmax(1)
        for b in range(B):
            if not done[b]:
                if int(nxt[b]) == space:
                    done[b] = True
                else:
                    out[b].append(int(nxt[b]))
        if bool(done.all()):
            break
        prev = nxt.unsqueeze(1)
    return out


# ----- export -------------------------------------------------------------------------

def export_corrector(model_dir, corr, out_dir, dtype="float16", card=None):
    """Writes model_dir's model with the corrector added (or replaced) to out_dir: model.json, weights.bin."""
    with open(os.path.join(model_dir, "model.json"), encoding="utf-8") as f:
        m = json.load(f)
    validate_manifest(m)
    with open(os.path.join(model_dir, m["weights"]["path"]), "rb") as f:
        old = f.read()
    blob = bytearray()
    entries = []
    for t in m["tensors"]:
        if t["name"].startswith(CORRECTOR_PREFIX):
            continue
        data = old[t["offset"]:t["offset"] + t["byteLength"]]
        blob += b"\0" * (-len(blob) % 4)
        entries.append({**t, "offset": len(blob)})
        blob += data
    tensors = corr.named_format_tensors()
    for name, shape in corr.specs():
        a = tensors[name].numpy()
        assert tuple(a.shape) == tuple(shape), (name, a.shape, shape)
        data = encode_tensor(a, dtype)
        assert len(data) == tensor_byte_length(shape, dtype)
        blob += b"\0" * (-len(blob) % 4)
        entries.append({"name": name, "shape": [int(s) for s in shape], "dtype": dtype, "offset": len(blob), "byteLength": len(data)})
        blob += data
    blob = bytes(blob)
    out = {}
    for k, v in m.items():
        if k == "tensors":
            out["corrector"] = dict(corr.sizes)
            out[k] = entries
        elif k == "weights":
            out[k] = {"path": "weights.bin", "byteLength": len(blob), "sha256": hashlib.sha256(blob).hexdigest()}
        elif k == "corrector":
            continue
        else:
            out[k] = v
    if card:
        out["card"] = {**out.get("card", {}), **card}
    validate_manifest(out)
    write_files(out_dir, out, blob)
    return out


# ----- training -----------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    a = ap.add_argument
    a("--model", help="the language model: a format v1 folder with a lexicon (models/default)")
    a("--train", nargs="+", default=[])
    a("--valid", nargs="+", default=[])
    a("--out", help="run directory (training)")
    a("--resume", action="store_true")
    a("--export", metavar="CKPT", help="export CKPT's corrector into --model's folder, written to --out-model")
    a("--out-model")
    a("--dtype", default="float16", choices=DTYPES)
    a("--embedding", type=int, default=24)
    a("--encoder", type=int, default=64)
    a("--decoder", type=int, default=128)
    a("--train-chars", type=int, default=1_500_000, help="characters of training text read for words and states")
    a("--valid-chars", type=int, default=120_000)
    a("--batch", type=int, default=128)
    a("--lr", type=float, default=3e-3)
    a("--clean", type=float, default=0.3, help="share of examples left as they are")
    a("--no-context", type=float, default=0.15, help="share of examples with the zero language-model state")
    a("--dictionary-targets", action="store_true", help="only words with a capital or that the Hunspell dictionary knows are misspelled (other words are only copied)")
    a("--type-share", type=float, default=0.15, help="share of examples whose word is drawn uniformly from the lowercase lexicon words Hunspell knows (no context)")
    a("--dictionary", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "node_modules", "dictionary-en", "index"))
    a("--noise", default="default", choices=("default", "spelling"),
      help="the training errors' mix: noise.py's RATES/EDITS (default), or SPELLING_RATES/SPELLING_EDITS (vowel confusions, more words with 2-3 errors); validation always uses the default")
    a("--init", metavar="CKPT", help="start from another run's weights (same sizes): a fresh optimizer and schedule")
    a("--minutes", type=float, default=40)
    a("--eval-every", type=float, default=5)
    a("--threads", type=int, default=0)
    a("--seed", type=int, default=1)
    return ap.parse_args(argv)


def atomic_save(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.export:
        ck = torch.load(args.export, map_location="cpu")
        forward, vocab, _ = read_model(args.model)
        c = ck["config"]
        corr = Corrector(len(vocab), forward.hidden_sizes[-1], c["embedding"], c["encoder"], c["decoder"])
        corr.load_state_dict(ck["model"])
        m = export_corrector(args.model, corr, args.out_model, args.dtype, {"corrector": json.loads(ck.get("card", "{}"))})
        print("wrote %s: %d tensors, weights %d bytes" % (args.out_model, len(m["tensors"]), m["weights"]["byteLength"]))
        return 0
    if not args.out:
        raise SystemExit("--out RUN_DIR is required")
    os.makedirs(args.out, exist_ok=True)
    last = os.path.join(args.out, "last.pt")
    ck = None
    if args.resume:
        ck = torch.load(last, map_location="cpu")
        for k, v in ck["args"].items():
            if k not in ("resume", "minutes", "threads", "out", "eval_every"):
                setattr(args, k, v)
    forward, vocab, manifest = read_model(args.model)
    for p in forward.parameters():
        p.requires_grad_(False)
    lexicon = set(manifest.get("lexicon") or [])
    if not lexicon:
        raise SystemExit("corrector.py: %s has no lexicon" % args.model)
    if not os.path.exists(args.dictionary + ".dic"):
        raise SystemExit("corrector.py: no Hunspell dictionary at %s.dic: run npm ci (dictionary-en) or give --dictionary" % args.dictionary)
    real = hunspell_words(args.dictionary)
    cache = os.path.join(args.out, "states.pt")
    t0 = time.time()
    if os.path.exists(cache):
        data = torch.load(cache)
    else:
        H, words = collect(forward, vocab, list_files(args.train), lexicon, args.train_chars, seed=args.seed)
        Hv, wv = collect(forward, vocab, list_files(args.valid), lexicon, args.valid_chars, seed=args.seed + 1)
        data = {"train": (H, words), "valid": (Hv, wv)}
        atomic_save(data, cache)
    print("states: %d training words, %d validation words (%.0f s)" % (len(data["train"][1]), len(data["valid"][1]), time.time() - t0), flush=True)
    corr = Corrector(len(vocab), forward.hidden_sizes[-1], args.embedding, args.encoder, args.decoder)
    opt = torch.optim.Adam(corr.parameters(), lr=args.lr)
    types = sorted(w for w in lexicon if w == w.lower() and w in real and WORD_RE.match(w))
    # A word the decoder may write: one with a capital (names, acronyms: the dictionary lacks most),
    # or one the Hunspell dictionary knows.
    good = (lambda w: w != w.lower() or w.lower() in real) if args.dictionary_targets else None
    noise_mix = {"rates": SPELLING_RATES, "edits": SPELLING_EDITS} if args.noise == "spelling" else {}
    train_ex = Examples(*data["train"], vocab, Noise(args.seed, real_words=real, **noise_mix), args.clean, args.no_context, args.seed, types, args.type_share, good)
    # Validation: fixed batches (the noise seeded apart from training's).
    vex = Examples(*data["valid"], vocab, Noise(args.seed + 100, real_words=real), args.clean, args.no_context, args.seed + 100, good=good)
    valid = [vex.batch(256) for _ in range(4)]
    step, elapsed, best = 0, 0.0, float("inf")
    if args.init and not ck:
        init = torch.load(args.init, map_location="cpu")
        if init["config"] != {"embedding": args.embedding, "encoder": args.encoder, "decoder": args.decoder}:
            raise SystemExit("corrector.py: --init %s has sizes %s; this run's are embedding %d, encoder %d, decoder %d"
                             % (args.init, init["config"], args.embedding, args.encoder, args.decoder))
        corr.load_state_dict(init["model"])
    if ck:
        corr.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, elapsed, best = ck["step"], ck["elapsed"], ck["best"]
        train_ex.rng = np.random.default_rng(args.seed + step)
        train_ex.noise = Noise(args.seed + step, real_words=real, **noise_mix)
    budget = elapsed + args.minutes * 60
    total = ck["total"] if ck else budget
    config = {"embedding": args.embedding, "encoder": args.encoder, "decoder": args.decoder}
    stop = {"now": False}

    def on_signal(signum, frame):
        if stop["now"]:
            raise SystemExit(1)
        stop["now"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    log = open(os.path.join(args.out, "log.jsonl"), "a")

    def save(path, metrics=None):
        atomic_save({"args": vars(args), "config": config, "model": corr.state_dict(), "opt": opt.state_dict(),
                     "step": step, "elapsed": elapsed, "best": best, "total": total,
                     "card": json.dumps({"metrics": metrics, "step": step, "minutes": round(elapsed / 60, 1),
                                         "clean": args.clean, "noContext": args.no_context, "noise": args.noise, "init": args.init, "typeShare": args.type_share,
                                         "dictionaryTargets": args.dictionary_targets, "sizes": corr.sizes,
                                         "train": [os.path.basename(p) for p in args.train]})}, path)

    def validate():
        nonlocal best
        corr.eval()
        loss, n, right, fixed, kept, typos, clean = 0.0, 0, 0, 0, 0, 0, 0
        with torch.no_grad():
            for h, x, lengths, inp, tgt in valid:
                z = corr(h, x, lengths, inp)
                loss += float(F.cross_entropy(z.reshape(-1, z.shape[2]), tgt.reshape(-1), ignore_index=-100, reduction="sum"))
                n += int((tgt != -100).sum())
                out = greedy(corr, h, x, lengths, vex.space)
                for b in range(len(out)):
                    want = [int(v) for v in tgt[b] if v != -100][:-1]
                    ok = out[b] == want
                    typo = x[b, :lengths[b]].tolist() != want
                    typos += typo
                    clean += not typo
                    fixed += ok and typo
                    kept += ok and not typo
                    right += ok
        corr.train()
        rec = {"step": step, "minutes": round(elapsed / 60, 2), "loss": loss / n / math.log(2),
               "exact": right / sum(len(v[1]) for v in valid), "fixed": fixed / max(1, typos), "kept": kept / max(1, clean)}
        log.write(json.dumps(rec) + "\n")
        log.flush()
        print("step %d %.1f min: valid %.3f bits/char, greedy exact %.1f%% (misspelled fixed %.1f%%, right kept %.1f%%)"
              % (step, elapsed / 60, rec["loss"], 100 * rec["exact"], 100 * rec["fixed"], 100 * rec["kept"]), flush=True)
        if rec["loss"] < best:
            best = rec["loss"]
            save(os.path.join(args.out, "best.pt"), rec)
        save(last, rec)

    next_eval = elapsed + args.eval_every * 60
    t_last = time.time()
    corr.train()
    while elapsed < budget and not stop["now"]:
        h, x, lengths, inp, tgt = train_ex.batch(args.batch)
        lr = args.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, elapsed / total)))
        for g in opt.param_groups:
            g["lr"] = lr
        z = corr(h, x, lengths, inp)
        loss = F.cross_entropy(z.reshape(-1, z.shape[2]), tgt.reshape(-1), ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(corr.parameters(), 1.0)
        opt.step()
        step += 1
        now = time.time()
        elapsed += now - t_last
        t_last = now
        if step % 100 == 0:
            print("step %d %.1f min: %.3f bits/char, lr %.2g" % (step, elapsed / 60, loss.item() / math.log(2), lr), flush=True)
        if elapsed >= next_eval:
            validate()
            next_eval = elapsed + args.eval_every * 60
            t_last = time.time()
    validate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
