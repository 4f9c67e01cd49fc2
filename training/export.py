"""Write and read nextkey model format v1 (docs/model-format.md).

Library:
    write_model(model, vocab_codepoints, out_dir, dtype="float32", card=None) -> manifest
    read_model(model_dir) -> (CharModel float32, vocab list of code points, manifest)

CLI:
    python3 training/export.py --checkpoint ckpt.pt --out DIR [--dtype float16] [--card card.json]
    python3 training/export.py --check DIR

A checkpoint is a torch.save'd dict with keys "cell", "vocab" (code points, index 0
= 0 for unknown), "embedding_size", "hidden_sizes", "state_dict" (CharModel's) and
optionally "card" (a dict, or its JSON text: torch 1.13's weights_only loader
rejects Python floats, so training/train.py stores the card as JSON).
"""

import argparse
import hashlib
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nextkey_model import CELL_GATES, CharModel, bidir_tensor_specs, corrector_tensor_specs, format_tensor_specs  # noqa: E402

FORMAT = "nextkey"
VERSION = 1
DTYPES = ("float32", "float16", "int8")
MAX_CODE_POINT = 0x10FFFF


class FormatError(ValueError):
    """A manifest or weights file that does not follow the format."""


# ----- encoding ---------------------------------------------------------------

def _rows(shape):
    """Rows for int8 quantisation: shape[0] for 2+ dims, 1 for a 1-D tensor."""
    n = int(np.prod(shape))
    r = int(shape[0]) if len(shape) >= 2 else 1
    return r, n // r


def tensor_byte_length(shape, dtype):
    n = int(np.prod(shape))
    if dtype == "float32":
        return 4 * n
    if dtype == "float16":
        return 2 * n
    if dtype == "int8":
        r, c = _rows(shape)
        return r * c + 4 * r
    raise ValueError("unknown dtype %r" % (dtype,))


def quantize_int8(a):
    """float array -> (q int8 [R, C], scale float32 [R]); value = q * scale[row].

    scale = max|row| / 127 (a zero row gets scale 1.0, all q 0); q = round to
    nearest (ties to even), clipped to [-127, 127].
    """
    a = np.asarray(a, dtype=np.float64)
    r, c = _rows(a.shape)
    rows = a.reshape(r, c)
    amax = np.abs(rows).max(axis=1) if c else np.zeros(r)
    scale = (amax / 127.0).astype(np.float32)
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(rows / scale.astype(np.float64)[:, None]), -127, 127).astype(np.int8)
    return q, scale


def encode_tensor(a, dtype):
    """float array -> little-endian bytes in the format's dtype."""
    a = np.asarray(a, dtype=np.float32)
    if not np.all(np.isfinite(a)):
        raise ValueError("tensor has non-finite values")
    if dtype == "float32":
        return a.astype("<f4").tobytes()
    if dtype == "float16":
        h = a.astype("<f2")
        if not np.all(np.isfinite(h)):
            raise ValueError("tensor overflows float16")
        return h.tobytes()
    if dtype == "int8":
        q, scale = quantize_int8(a)
        return q.astype("i1").tobytes() + scale.astype("<f4").tobytes()
    raise ValueError("unknown dtype %r" % (dtype,))


def decode_tensor(buf, shape, dtype):
    """bytes -> float32 array of the given shape (dequantised)."""
    shape = tuple(shape)
    n = int(np.prod(shape))
    if dtype == "float32":
        return np.frombuffer(buf, dtype="<f4", count=n).astype(np.float32).reshape(shape)
    if dtype == "float16":
        return np.frombuffer(buf, dtype="<f2", count=n).astype(np.float32).reshape(shape)
    if dtype == "int8":
        r, c = _rows(shape)
        q = np.frombuffer(buf, dtype="i1", count=r * c).astype(np.float32).reshape(r, c)
        scale = np.frombuffer(buf, dtype="<f4", count=r, offset=r * c).astype(np.float32)
        return (q * scale[:, None]).astype(np.float32).reshape(shape)
    raise ValueError("unknown dtype %r" % (dtype,))


def normalize_vocab(vocab, vocab_size=None):
    """Accept code points (with the leading 0) or the characters of indices 1.. .

    A str, or a list lacking the leading 0 whose length is vocab_size - 1, gets
    the 0 prepended. Returns a validated list of ints.
    """
    if isinstance(vocab, str):
        vocab = [0] + [ord(ch) for ch in vocab]
    else:
        vocab = [ord(v) if isinstance(v, str) else v for v in vocab]
        if vocab_size is not None and len(vocab) == vocab_size - 1 and (not vocab or vocab[0] != 0):
            vocab = [0] + vocab
    _check_vocab(vocab, "vocab")
    if vocab_size is not None and len(vocab) != vocab_size:
        raise ValueError("vocab has %d entries, the model %d" % (len(vocab), vocab_size))
    return [int(v) for v in vocab]


# ----- writing ------------------------------------------------------------------

def write_model(model, vocab_codepoints, out_dir, dtype="float32", card=None):
    """Write out_dir/model.json and out_dir/weights.bin; return the manifest dict."""
    if dtype not in DTYPES:
        raise ValueError("dtype must be one of %s" % (DTYPES,))
    vocab = normalize_vocab(vocab_codepoints, model.vocab_size)
    tensors = model.named_format_tensors()
    specs = model.format_tensor_specs()
    assert list(tensors) == [n for n, _ in specs]

    blob = bytearray()
    entries = []
    for name, shape in specs:
        a = tensors[name].numpy()
        assert tuple(a.shape) == tuple(shape), name
        data = encode_tensor(a, dtype)
        assert len(data) == tensor_byte_length(shape, dtype)
        blob += b"\0" * (-len(blob) % 4)  # offsets are multiples of 4
        entries.append({"name": name, "shape": [int(s) for s in shape], "dtype": dtype,
                        "offset": len(blob), "byteLength": len(data)})
        blob += data
    blob = bytes(blob)

    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "cell": model.cell,
        "embeddingSize": model.embedding_size,
        "hiddenSizes": list(model.hidden_sizes),
        "vocab": vocab,
        "weights": {"path": "weights.bin", "byteLength": len(blob),
                    "sha256": hashlib.sha256(blob).hexdigest()},
        "tensors": entries,
        "card": dict(card) if card else {},
    }
    write_files(out_dir, manifest, blob)
    return manifest


def write_files(out_dir, manifest, blob):
    """out_dir/weights.bin (blob) and out_dir/model.json (the manifest)."""
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "weights.bin"), "wb") as f:
        f.write(blob)
    with open(os.path.join(out_dir, "model.json"), "w", encoding="utf-8") as f:
        f.write(dump_manifest(manifest))


def dump_manifest(m):
    """JSON text of a manifest: one line per top-level field and per tensor."""
    lines = []
    for k, v in m.items():
        if k == "tensors":
            body = ",\n".join("    " + json.dumps(t, ensure_ascii=False) for t in v)
            val = "[\n%s\n  ]" % body if v else "[]"
        elif k == "lexicon":
            val = json.dumps(v, ensure_ascii=False, separators=(",", ":"))  # 80,000 words: no spaces
        else:
            val = json.dumps(v, ensure_ascii=False)
        lines.append("  %s: %s" % (json.dumps(k), val))
    return "{\n" + ",\n".join(lines) + "\n}\n"


# ----- reading and validation ---------------------------------------------------

def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _pos_int(v, field):
    if not _is_int(v) or v < 1:
        raise FormatError("%s: expected a positive integer, got %r" % (field, v))
    return v


def _check_vocab(vocab, field):
    if not isinstance(vocab, list) or len(vocab) < 1:
        raise FormatError("%s: expected a non-empty array of code points" % field)
    if not _is_int(vocab[0]) or vocab[0] != 0:
        raise FormatError("%s[0]: expected 0 (the unknown index), got %r" % (field, vocab[0]))
    seen = set()
    for i, v in enumerate(vocab[1:], 1):
        if not _is_int(v) or not 1 <= v <= MAX_CODE_POINT:
            raise FormatError("%s[%d]: expected a code point in 1..0x10FFFF, got %r" % (field, i, v))
        if v in seen:
            raise FormatError("%s[%d]: duplicate code point %d" % (field, i, v))
        seen.add(v)


def _check_stack(m, prefix):
    """A recurrent stack's fields (the model's, or its backward section's): cell, embeddingSize, hiddenSizes."""
    cell = m.get("cell")
    if cell not in CELL_GATES:
        raise FormatError("%scell: expected one of %s, got %r" % (prefix, ", ".join(CELL_GATES), cell))
    e = _pos_int(m.get("embeddingSize"), prefix + "embeddingSize")
    hs = m.get("hiddenSizes")
    if not isinstance(hs, list) or not hs:
        raise FormatError("%shiddenSizes: expected a non-empty array of positive integers" % prefix)
    for i, h in enumerate(hs):
        _pos_int(h, "%shiddenSizes[%d]" % (prefix, i))
    return cell, e, hs


def validate_manifest(m):
    """Check every field of a parsed model.json; raise FormatError naming the field."""
    if not isinstance(m, dict):
        raise FormatError("model.json: expected a JSON object")
    if m.get("format") != FORMAT:
        raise FormatError("format: expected \"nextkey\", got %r" % (m.get("format"),))
    if not _is_int(m.get("version")) or m.get("version") != VERSION:
        raise FormatError("version: expected 1, got %r" % (m.get("version"),))
    cell, e, hs = _check_stack(m, "")
    _check_vocab(m.get("vocab"), "vocab")
    w = m.get("weights")
    if not isinstance(w, dict):
        raise FormatError("weights: expected an object")
    p = w.get("path")
    if not isinstance(p, str) or not p or "/" in p or "\\" in p or p in (".", ".."):
        raise FormatError("weights.path: expected a file name, got %r" % (p,))
    if not _is_int(w.get("byteLength")) or w["byteLength"] < 0:
        raise FormatError("weights.byteLength: expected a non-negative integer")
    sha = w.get("sha256")
    if not isinstance(sha, str) or len(sha) != 64 or any(ch not in "0123456789abcdef" for ch in sha):
        raise FormatError("weights.sha256: expected 64 lowercase hex digits")
    if "card" in m and not isinstance(m["card"], dict):
        raise FormatError("card: expected an object")

    expected = dict(format_tensor_specs(cell, len(m["vocab"]), e, hs))
    if "backward" in m:
        # The optional bidirectional part: a backward stack and a combining head (training/bidir.py).
        b = m["backward"]
        if not isinstance(b, dict):
            raise FormatError("backward: expected an object")
        bcell, be, bh = _check_stack(b, "backward.")
        mlp = _pos_int(b["combineHidden"], "backward.combineHidden") if "combineHidden" in b else 0
        expected.update(bidir_tensor_specs(len(m["vocab"]), hs[-1], bcell, be, bh, mlp))
    if "corrector" in m:
        # The optional typo corrector (training/corrector.py).
        c = m["corrector"]
        if not isinstance(c, dict):
            raise FormatError("corrector: expected an object")
        sizes = [_pos_int(c.get(k), "corrector." + k) for k in ("embeddingSize", "encoderSize", "decoderSize")]
        expected.update(corrector_tensor_specs(len(m["vocab"]), hs[-1], *sizes))
    ts = m.get("tensors")
    if not isinstance(ts, list):
        raise FormatError("tensors: expected an array")
    seen = {}
    for i, t in enumerate(ts):
        f = "tensors[%d]" % i
        if not isinstance(t, dict):
            raise FormatError("%s: expected an object" % f)
        name = t.get("name")
        if name not in expected:
            raise FormatError("%s.name: unexpected tensor %r for cell %s%s" % (f, name, cell, "" if "backward" in m else " (no backward section)"))
        if name in seen:
            raise FormatError("%s.name: duplicate tensor %r" % (f, name))
        shape = t.get("shape")
        if not isinstance(shape, list) or not all(_is_int(s) and s > 0 for s in shape) \
                or tuple(shape) != tuple(expected[name]):
            raise FormatError("%s.shape: expected %s for %s, got %r"
                              % (f, list(expected[name]), name, shape))
        if t.get("dtype") not in DTYPES:
            raise FormatError("%s.dtype: expected one of %s, got %r" % (f, DTYPES, t.get("dtype")))
        off = t.get("offset")
        if not _is_int(off) or off < 0 or off % 4:
            raise FormatError("%s.offset: expected a non-negative multiple of 4, got %r" % (f, off))
        bl = tensor_byte_length(shape, t["dtype"])
        if t.get("byteLength") != bl or not _is_int(t.get("byteLength")):
            raise FormatError("%s.byteLength: expected %d for %s %s, got %r"
                              % (f, bl, t["dtype"], shape, t.get("byteLength")))
        if off + bl > w["byteLength"]:
            raise FormatError("%s: bytes %d..%d lie outside weights (%d bytes)"
                              % (f, off, off + bl, w["byteLength"]))
        seen[name] = t
    missing = [n for n in expected if n not in seen]
    if missing:
        raise FormatError("tensors: missing %s" % ", ".join(missing))
    spans = sorted((t["offset"], t["offset"] + t["byteLength"], t["name"]) for t in ts)
    for (a0, a1, an), (b0, b1, bn) in zip(spans, spans[1:]):
        if b0 < a1:
            raise FormatError("tensors: %s and %s overlap" % (an, bn))
    return m


def read_model(model_dir):
    """Load model_dir/model.json + weights -> (CharModel float32, vocab, manifest)."""
    with open(os.path.join(model_dir, "model.json"), "r", encoding="utf-8") as f:
        m = json.load(f)
    validate_manifest(m)
    with open(os.path.join(model_dir, m["weights"]["path"]), "rb") as f:
        blob = f.read()
    if len(blob) != m["weights"]["byteLength"]:
        raise FormatError("weights.byteLength: expected %d (file size), got %d"
                          % (len(blob), m["weights"]["byteLength"]))
    if hashlib.sha256(blob).hexdigest() != m["weights"]["sha256"]:
        raise FormatError("weights.sha256: does not match %s" % m["weights"]["path"])
    tensors = {}
    for t in m["tensors"]:
        if t["name"].startswith(("backward.", "combine.", "corrector.")):
            continue  # the bidirectional part (training/bidir.py reads it) and the corrector (training/corrector.py)
        buf = blob[t["offset"]:t["offset"] + t["byteLength"]]
        tensors[t["name"]] = torch.from_numpy(decode_tensor(buf, t["shape"], t["dtype"]).copy())
    model = CharModel(m["cell"], len(m["vocab"]), m["embeddingSize"], m["hiddenSizes"])
    model.load_format_tensors(tensors)
    model.eval()
    return model, list(m["vocab"]), m


# ----- CLI -----------------------------------------------------------------------

def _load_checkpoint(path):
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:  # very old torch without weights_only
        return torch.load(path, map_location="cpu")


def main(argv=None):
    ap = argparse.ArgumentParser(description="Export / check nextkey format v1 models.")
    ap.add_argument("--checkpoint", help="torch.save'd dict: cell, vocab, embedding_size, "
                                         "hidden_sizes, state_dict[, card]")
    ap.add_argument("--out", help="output folder for model.json + weights.bin")
    ap.add_argument("--dtype", default="float32", choices=DTYPES)
    ap.add_argument("--card", help="JSON file with the model card (overrides the checkpoint's)")
    ap.add_argument("--check", metavar="DIR", help="validate and load a model folder")
    args = ap.parse_args(argv)

    if args.check:
        model, vocab, m = read_model(args.check)
        n = sum(p.numel() for p in model.parameters())
        print("ok: %s %s E=%d H=%s V=%d params=%d bytes=%d"
              % (args.check, m["cell"], m["embeddingSize"], m["hiddenSizes"], len(vocab), n,
                 m["weights"]["byteLength"]))
        return 0
    if not (args.checkpoint and args.out):
        ap.error("give --checkpoint and --out, or --check DIR")
    ck = _load_checkpoint(args.checkpoint)
    vocab = list(ck["vocab"])
    model = CharModel(ck["cell"], len(vocab), ck["embedding_size"], ck["hidden_sizes"])
    model.load_state_dict(ck["state_dict"])
    card = ck.get("card") or {}
    if isinstance(card, str):  # JSON text (torch 1.13's weights_only load rejects floats)
        card = json.loads(card)
    if args.card:
        with open(args.card, "r", encoding="utf-8") as f:
            card = json.load(f)
    m = write_model(model, vocab, args.out, dtype=args.dtype, card=card)
    print("wrote %s (%d bytes of weights, sha256 %s)"
          % (args.out, m["weights"]["byteLength"], m["weights"]["sha256"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
