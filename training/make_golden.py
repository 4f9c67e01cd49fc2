"""Generate the golden fixtures the TypeScript runtime is tested against.

    /usr/bin/python3 training/make_golden.py --out test/fixtures/golden

For each cell (rnn, lstm, gru, peephole, cifg) a small random model (vocab 40,
embedding 16, hidden [32, 32]) is written as <out>/<cell>/model.json +
weights.bin (float32), plus lstm-f16 / lstm-i8 (the lstm model stored as
float16 / int8). <out>/<name>/expected.json holds the reference next-character
distributions for a fixed 60-character text and the final state, computed in
float64 independently of CharModel: torch's own multi-layer nn.RNN/nn.LSTM/nn.GRU
for the fused cells, a plain numpy loop written from the equations for peephole
and cifg. For the f16/i8 variants the reference uses the dequantised weights as
read back by read_model. The script asserts CharModel (float32, whole sequence
and one step at a time) agrees with the reference.

Deterministic: weights come from numpy RandomState with fixed seeds.
"""

import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nextkey_model import CELLS, CharModel, format_tensor_specs  # noqa: E402
from export import read_model, write_model  # noqa: E402

VOCAB_CHARS = " etaoinshrdlucmfwypvbgkTHE.,'!?\n-;:0123"
TEXT = "the tea is hot; THE END? no, it isn't: 2023\nwhat a day! ok.\u00e9"
EMBEDDING = 16
HIDDEN = [32, 32]
SEEDS = {"rnn": 101, "lstm": 102, "gru": 103, "peephole": 104, "cifg": 105}
TOL = 1e-5
# Uniform init bounds U(-b, b) by format tensor name (last part for layer
# tensors); 0.5 for the rest. Chosen so gates are spread rather than saturated or
# stuck near 0.5: peepholes stay small so the peephole cell state does not run
# away, rnn recurrent weights are smaller so tanh does not saturate, and the head
# is wide so the distributions are far from uniform.
BOUNDS = {"embedding": 1.0, "peep_i": 0.2, "peep_f": 0.2, "peep_o": 0.2, "head.weight": 2.0}
CELL_BOUNDS = {"rnn": {"weight_ih": 0.3, "weight_hh": 0.3, "bias_ih": 0.3, "bias_hh": 0.3,
                       "head.weight": 1.5}}

assert len(VOCAB_CHARS) == 39 and len(set(VOCAB_CHARS)) == 39, "vocab must be 39 distinct chars"
assert len(TEXT) == 60, "text must be 60 code points"
assert TEXT[-1] not in VOCAB_CHARS, "text must end with an unknown character"

VOCAB = [0] + [ord(ch) for ch in VOCAB_CHARS]
V = len(VOCAB)


def encode(text):
    index = {cp: i for i, cp in enumerate(VOCAB) if i}
    return [index.get(ord(ch), 0) for ch in text]


def random_tensors(cell, seed):
    """Format tensors with a spread that keeps gates away from 0, 0.5 and 1."""
    rng = np.random.RandomState(seed)
    out = {}
    for name, shape in format_tensor_specs(cell, V, EMBEDDING, HIDDEN):
        bounds = dict(BOUNDS, **CELL_BOUNDS.get(cell, {}))
        bound = bounds.get(name, bounds.get(name.split(".")[-1], 0.5))
        out[name] = rng.uniform(-bound, bound, size=shape).astype(np.float32)
    return out


# ----- float64 references (independent of CharModel) ---------------------------

def _softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def reference_torch(cell, t64, idx):
    """rnn/lstm/gru via one multi-layer torch module in float64."""
    L = len(HIDDEN)
    assert len(set(HIDDEN)) == 1
    kw = dict(input_size=EMBEDDING, hidden_size=HIDDEN[0], num_layers=L, batch_first=True)
    if cell == "rnn":
        mod = torch.nn.RNN(nonlinearity="tanh", **kw)
    elif cell == "lstm":
        mod = torch.nn.LSTM(**kw)
    else:
        mod = torch.nn.GRU(**kw)
    mod = mod.double()
    with torch.no_grad():
        for l in range(L):
            for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(mod, "%s_l%d" % (p, l)).copy_(torch.from_numpy(t64["layers.%d.%s" % (l, p)]))
        x = torch.from_numpy(t64["embedding"][idx][None])  # [1, T, E]
        out, st = mod(x)
    out = out[0].numpy()
    if cell == "lstm":
        h, c = st[0][:, 0].numpy(), st[1][:, 0].numpy()
    else:
        h, c = st[:, 0].numpy(), None
    logits = out @ t64["head.weight"].T + t64["head.bias"]
    return _softmax(logits), h, c


def reference_loop(cell, t64, idx):
    """peephole/cifg written directly from docs/model-format.md, float64."""
    L = len(HIDDEN)
    h = [np.zeros(H) for H in HIDDEN]
    c = [np.zeros(H) for H in HIDDEN]
    probs = []
    for k in idx:
        x = t64["embedding"][k]
        for l in range(L):
            p = lambda n: t64["layers.%d.%s" % (l, n)]  # noqa: E731
            pre = p("weight_ih") @ x + p("bias_ih") + p("weight_hh") @ h[l] + p("bias_hh")
            if cell == "peephole":
                a_i, a_f, a_g, a_o = np.split(pre, 4)
                i = _sigmoid(a_i + p("peep_i") * c[l])
                f = _sigmoid(a_f + p("peep_f") * c[l])
                c[l] = f * c[l] + i * np.tanh(a_g)
                o = _sigmoid(a_o + p("peep_o") * c[l])
                h[l] = o * np.tanh(c[l])
            elif cell == "cifg":
                a_i, a_g, a_o = np.split(pre, 3)
                i = _sigmoid(a_i)
                c[l] = (1.0 - i) * c[l] + i * np.tanh(a_g)
                h[l] = _sigmoid(a_o) * np.tanh(c[l])
            else:
                raise ValueError(cell)
            x = h[l]
        probs.append(_softmax(t64["head.weight"] @ x + t64["head.bias"]))
    return np.array(probs), np.array(h), np.array(c)


def reference(cell, tensors, idx):
    t64 = {k: np.asarray(v, dtype=np.float64) for k, v in tensors.items()}
    if cell in ("rnn", "lstm", "gru"):
        return reference_torch(cell, t64, idx)
    return reference_loop(cell, t64, idx)


# ----- self-checks ------------------------------------------------------------------

def check_char_model(model, idx, probs, h, c, label):
    x = torch.tensor([idx], dtype=torch.long)
    with torch.no_grad():
        logits, state = model(x)
        p_seq = torch.softmax(logits[0].double(), dim=-1).numpy()
        # One character at a time, carrying the state.
        st, p_step = None, []
        for k in idx:
            lg, st = model(torch.tensor([[k]], dtype=torch.long), st)
            p_step.append(torch.softmax(lg[0, 0].double(), dim=-1).numpy())
    p_step = np.array(p_step)
    hs = np.array([s[0][0].double().numpy() for s in state])
    errs = {"probs(seq)": np.abs(p_seq - probs).max(), "probs(step)": np.abs(p_step - probs).max(),
            "h": np.abs(hs - h).max(),
            "h(step)": np.abs(np.array([s[0][0].double().numpy() for s in st]) - h).max()}
    if c is not None:
        errs["c"] = np.abs(np.array([s[1][0].double().numpy() for s in state]) - c).max()
    worst = max(errs.values())
    assert worst < TOL, "%s: CharModel differs from the float64 reference: %s" % (label, errs)
    return worst


def _fmt(x):
    return float("%.10g" % x)


def write_expected(path, cell, idx, probs, h, c):
    rows = lambda a: ",\n    ".join(json.dumps([_fmt(v) for v in r]) for r in a)  # noqa: E731
    parts = [
        '{\n  "cell": %s,' % json.dumps(cell),
        '  "text": %s,' % json.dumps(TEXT),
        '  "indices": %s,' % json.dumps(idx),
        '  "probs": [\n    %s\n  ],' % rows(probs),
        '  "final": {\n    "h": [\n    %s\n    ],' % rows(h),
        '    "c": %s\n  }\n}\n' % ("null" if c is None else "[\n    %s\n    ]" % rows(c)),
    ]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(parts))
    # Round-trip sanity.
    with open(path, "r", encoding="utf-8") as f:
        e = json.load(f)
    assert e["text"] == TEXT and len(e["probs"]) == len(TEXT) and len(e["probs"][0]) == V


def stats(probs, h, c):
    mx = probs.max(axis=1)
    ent = -(probs * np.log2(probs)).sum(axis=1)
    return "max p %.3f..%.3f, entropy %.2f..%.2f bits (uniform %.2f), |h| mean %.3f max %.3f" % (
        mx.min(), mx.max(), ent.min(), ent.max(), np.log2(V), np.abs(h).mean(), np.abs(h).max()) + ("" if c is None else ", |c| max %.2f" % np.abs(c).max())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="test/fixtures/golden")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)

    idx = encode(TEXT)
    cases = [(cell, cell, "float32") for cell in CELLS]
    cases += [("lstm-f16", "lstm", "float16"), ("lstm-i8", "lstm", "int8")]
    for name, cell, dtype in cases:
        out_dir = os.path.join(args.out, name)
        tensors = random_tensors(cell, SEEDS[cell])
        model = CharModel(cell, V, EMBEDDING, HIDDEN).load_format_tensors(
            {k: torch.from_numpy(v) for k, v in tensors.items()}).eval()
        card = {"name": "golden-" + name,
                "description": "Random weights (numpy RandomState(%d), uniform, see "
                               "training/make_golden.py) for runtime tests; not a language "
                               "model." % SEEDS[cell],
                "license": "CC0-1.0"}
        write_model(model, VOCAB, out_dir, dtype=dtype, card=card)

        # Read back; the reference uses exactly the weights a loader sees.
        loaded, vocab, manifest = read_model(out_dir)
        assert vocab == VOCAB and manifest["cell"] == cell
        back = {k: v.numpy() for k, v in loaded.named_format_tensors().items()}
        for k, v in tensors.items():
            err = np.abs(back[k] - v).max()
            if dtype == "float32":
                assert err == 0, (name, k, err)
            elif dtype == "float16":
                assert err <= np.abs(v).max() * 2.0 ** -11, (name, k, err)
            else:
                rows = v.reshape(v.shape[0], -1) if v.ndim > 1 else v.reshape(1, -1)
                assert err <= np.abs(rows).max() / 127 * 0.5 + 1e-7, (name, k, err)

        probs, h, c = reference(cell, back, idx)
        worst = check_char_model(loaded, idx, probs, h, c, name)
        write_expected(os.path.join(out_dir, "expected.json"), cell, idx, probs, h, c)
        print("%-9s %-7s bytes=%6d  CharModel err %.1e  %s"
              % (name, dtype, manifest["weights"]["byteLength"], worst, stats(probs, h, c)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
