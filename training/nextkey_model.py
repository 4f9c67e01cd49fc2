"""Character-level RNN language model matching nextkey model format v1.

See docs/model-format.md for the tensor names, shapes and cell equations.

    model = CharModel("lstm", vocab_size=40, embedding_size=16, hidden_sizes=[32, 32])
    logits, state = model(idx)             # idx: LongTensor [B, T]
    logits, state = model(idx2, state)     # continue (truncated BPTT: detach_state(state))

State: a list with one tuple per layer, ``(h,)`` for rnn/gru and ``(h, c)`` for
lstm/peephole/cifg, every tensor of shape [B, H_l].

Only torch and the standard library; works with PyTorch 1.13 and 2.x.
"""

from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

# Gates per cell, in format order (see docs/model-format.md).
CELL_GATES = OrderedDict([("rnn", 1), ("lstm", 4), ("gru", 3), ("peephole", 4), ("cifg", 3)])
CELLS = tuple(CELL_GATES)
CELLS_WITH_C = ("lstm", "peephole", "cifg")
PEEPHOLES = ("peep_i", "peep_f", "peep_o")
_LAYER_PARAMS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def format_tensor_specs(cell, vocab_size, embedding_size, hidden_sizes):
    """Canonical [(name, shape)] list of the format's tensors, in file order."""
    if cell not in CELL_GATES:
        raise ValueError("unknown cell %r (expected one of %s)" % (cell, ", ".join(CELLS)))
    g = CELL_GATES[cell]
    specs = [("embedding", (vocab_size, embedding_size))]
    in_size = embedding_size
    for l, h in enumerate(hidden_sizes):
        specs += [
            ("layers.%d.weight_ih" % l, (g * h, in_size)),
            ("layers.%d.weight_hh" % l, (g * h, h)),
            ("layers.%d.bias_ih" % l, (g * h,)),
            ("layers.%d.bias_hh" % l, (g * h,)),
        ]
        if cell == "peephole":
            specs += [("layers.%d.%s" % (l, p), (h,)) for p in PEEPHOLES]
        in_size = h
    specs += [("head.weight", (vocab_size, in_size)), ("head.bias", (vocab_size,))]
    return specs


BACKWARD_PREFIX = "backward."


CORRECTOR_PREFIX = "corrector."


def corrector_tensor_specs(vocab_size, lm_hidden, embedding_size, encoder_size, decoder_size):
    """[(name, shape)] of a model's optional typo corrector (training/corrector.py), in file order:
    a character encoder-decoder whose encoder and decoder start from the language model's top h."""
    V, H, E, He, Hd = vocab_size, lm_hidden, embedding_size, encoder_size, decoder_size
    specs = [("embedding", (V, E)), ("encoder.init.weight", (He, H)), ("encoder.init.bias", (He,))]
    for side in ("forward", "backward"):
        specs += [("encoder.%s.weight_ih" % side, (3 * He, E)), ("encoder.%s.weight_hh" % side, (3 * He, He)),
                  ("encoder.%s.bias_ih" % side, (3 * He,)), ("encoder.%s.bias_hh" % side, (3 * He,))]
    specs += [("decoder.init.weight", (Hd, H + 2 * He)), ("decoder.init.bias", (Hd,)),
              ("decoder.weight_ih", (3 * Hd, E)), ("decoder.weight_hh", (3 * Hd, Hd)),
              ("decoder.bias_ih", (3 * Hd,)), ("decoder.bias_hh", (3 * Hd,)),
              ("attention.weight", (2 * He, Hd)), ("out.weight", (V, Hd + 2 * He)), ("out.bias", (V,))]
    return [(CORRECTOR_PREFIX + n, s) for n, s in specs]


def bidir_tensor_specs(vocab_size, forward_hidden, cell, embedding_size, hidden_sizes, mlp=0):
    """[(name, shape)] of a model's optional bidirectional part, in file order (after the
    forward tensors): the backward stack's embedding and layers ("backward." + the forward
    names; it has no head of its own) and the combining head over [h_forward ; h_backward]:
    its linear part, and with mlp > 0 a hidden layer of mlp tanh units
    (combine.hidden.*) whose output combine.out.weight maps onto the logits."""
    specs = [(BACKWARD_PREFIX + n, s) for n, s in format_tensor_specs(cell, vocab_size, embedding_size, hidden_sizes)
             if not n.startswith("head.")]
    both = forward_hidden + hidden_sizes[-1]
    specs += [("combine.weight", (vocab_size, both)), ("combine.bias", (vocab_size,))]
    if mlp:
        specs += [("combine.hidden.weight", (mlp, both)), ("combine.hidden.bias", (mlp,)),
                  ("combine.out.weight", (vocab_size, mlp))]
    return specs


class LoopLSTMLayer(nn.Module):
    """One peephole or CIFG LSTM layer (batch first), a per-timestep loop.

    Parameters use the format's names and layouts: weight_ih [G*H, In],
    weight_hh [G*H, H], bias_ih, bias_hh [G*H] and, for peephole, peep_i,
    peep_f, peep_o [H]. Gate blocks: peephole i, f, g, o; cifg i, g, o.
    """

    def __init__(self, cell, input_size, hidden_size):
        super().__init__()
        if cell not in ("peephole", "cifg"):
            raise ValueError("LoopLSTMLayer handles 'peephole' and 'cifg', not %r" % (cell,))
        self.cell = cell
        self.input_size = input_size
        self.hidden_size = hidden_size
        gh = CELL_GATES[cell] * hidden_size
        self.weight_ih = nn.Parameter(torch.empty(gh, input_size))
        self.weight_hh = nn.Parameter(torch.empty(gh, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(gh))
        self.bias_hh = nn.Parameter(torch.empty(gh))
        if cell == "peephole":
            self.peep_i = nn.Parameter(torch.empty(hidden_size))
            self.peep_f = nn.Parameter(torch.empty(hidden_size))
            self.peep_o = nn.Parameter(torch.empty(hidden_size))
        self.reset_parameters()

    def reset_parameters(self):
        # Same scheme as torch.nn.LSTM: U(-1/sqrt(H), 1/sqrt(H)) for everything.
        bound = self.hidden_size ** -0.5
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def forward(self, x, state):
        """x [B, T, In], state (h, c) each [B, H] -> (out [B, T, H], (h, c))."""
        h, c = state
        # Input projection for all timesteps at once; both biases folded in.
        xw = F.linear(x, self.weight_ih, self.bias_ih + self.bias_hh)
        # unbind, not xw[:, t]: each select's backward would allocate a full
        # [B, T, G*H] gradient (quadratic in T); unbind's backward is one stack.
        xs = xw.unbind(1)
        outs = []
        if self.cell == "peephole":
            for t in range(x.shape[1]):
                pre = xs[t] + F.linear(h, self.weight_hh)
                i, f, g, o = pre.chunk(4, dim=1)
                i = torch.sigmoid(i + self.peep_i * c)
                f = torch.sigmoid(f + self.peep_f * c)
                c = f * c + i * torch.tanh(g)
                o = torch.sigmoid(o + self.peep_o * c)
                h = o * torch.tanh(c)
                outs.append(h)
        else:  # cifg
            for t in range(x.shape[1]):
                pre = xs[t] + F.linear(h, self.weight_hh)
                i, g, o = pre.chunk(3, dim=1)
                i = torch.sigmoid(i)
                c = (1.0 - i) * c + i * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
                outs.append(h)
        if outs:
            out = torch.stack(outs, dim=1)
        else:
            out = x.new_zeros(x.shape[0], 0, self.hidden_size)
        return out, (h, c)


class CharModel(nn.Module):
    """Embedding -> stacked recurrent layers -> linear head over the vocabulary."""

    def __init__(self, cell, vocab_size, embedding_size, hidden_sizes, dropout=0.0):
        super().__init__()
        if cell not in CELL_GATES:
            raise ValueError("unknown cell %r (expected one of %s)" % (cell, ", ".join(CELLS)))
        hidden_sizes = [int(h) for h in hidden_sizes]
        if not hidden_sizes or min(hidden_sizes) < 1 or vocab_size < 1 or embedding_size < 1:
            raise ValueError("sizes must be positive and hidden_sizes non-empty")
        self.cell = cell
        self.vocab_size = int(vocab_size)
        self.embedding_size = int(embedding_size)
        self.hidden_sizes = hidden_sizes
        # Training-only dropout on the non-recurrent connections between layers and
        # into the head (no parameters; inactive in eval mode and when 0).
        self.dropout = float(dropout)

        self.embedding = nn.Embedding(self.vocab_size, self.embedding_size)
        layers = []
        in_size = self.embedding_size
        for h in hidden_sizes:
            if cell == "rnn":
                layers.append(nn.RNN(in_size, h, nonlinearity="tanh", batch_first=True))
            elif cell == "lstm":
                layers.append(nn.LSTM(in_size, h, batch_first=True))
            elif cell == "gru":
                layers.append(nn.GRU(in_size, h, batch_first=True))
            else:
                layers.append(LoopLSTMLayer(cell, in_size, h))
            in_size = h
        self.layers = nn.ModuleList(layers)
        self.head = nn.Linear(in_size, self.vocab_size)

    @property
    def has_c(self):
        return self.cell in CELLS_WITH_C

    # ----- state helpers -------------------------------------------------

    def init_state(self, batch_size, device=None, dtype=None):
        """All-zero initial state."""
        p = self.head.weight
        device = p.device if device is None else device
        dtype = p.dtype if dtype is None else dtype
        n = 2 if self.has_c else 1
        return [tuple(torch.zeros(batch_size, h, device=device, dtype=dtype) for _ in range(n))
                for h in self.hidden_sizes]

    @staticmethod
    def detach_state(state):
        """Cut the graph between truncated-BPTT chunks."""
        return [tuple(t.detach() for t in layer) for layer in state]

    # ----- forward -------------------------------------------------------

    def forward(self, idx, state=None, features=False):
        """idx LongTensor [B, T] -> (logits [B, T, V], new state); with features=True the top
        layer's outputs [B, T, H] instead of the logits (what a combining head reads)."""
        if state is None:
            state = self.init_state(idx.shape[0])
        x = self.embedding(idx)
        if idx.shape[1] == 0:  # fused modules reject empty sequences
            top = x.new_zeros(idx.shape[0], 0, self.hidden_sizes[-1])
            return (top if features else self.head(top)), list(state)
        new_state = []
        drop = self.dropout if self.training else 0.0
        for l, (layer, st) in enumerate(zip(self.layers, state)):
            if drop and l > 0:
                x = F.dropout(x, drop, True)
            if self.cell == "lstm":
                h, c = st
                x, (h, c) = layer(x, (h.unsqueeze(0), c.unsqueeze(0)))
                new_state.append((h.squeeze(0), c.squeeze(0)))
            elif self.cell in ("rnn", "gru"):
                x, h = layer(x, st[0].unsqueeze(0))
                new_state.append((h.squeeze(0),))
            else:
                x, (h, c) = layer(x, st)
                new_state.append((h, c))
        if drop:
            x = F.dropout(x, drop, True)
        return (x if features else self.head(x)), new_state

    # ----- format tensor names -------------------------------------------

    def format_tensor_specs(self):
        return format_tensor_specs(self.cell, self.vocab_size, self.embedding_size, self.hidden_sizes)

    def _format_params(self):
        """OrderedDict format name -> nn.Parameter (the live parameter)."""
        out = OrderedDict()
        out["embedding"] = self.embedding.weight
        fused = self.cell in ("rnn", "lstm", "gru")
        for l, layer in enumerate(self.layers):
            for p in _LAYER_PARAMS:
                out["layers.%d.%s" % (l, p)] = getattr(layer, p + "_l0" if fused else p)
            if self.cell == "peephole":
                for p in PEEPHOLES:
                    out["layers.%d.%s" % (l, p)] = getattr(layer, p)
        out["head.weight"] = self.head.weight
        out["head.bias"] = self.head.bias
        return out

    def named_format_tensors(self):
        """OrderedDict format name -> detached float32 CPU tensor, in file order."""
        return OrderedDict((k, v.detach().to("cpu", torch.float32).clone())
                           for k, v in self._format_params().items())

    def load_format_tensors(self, tensors):
        """Inverse of named_format_tensors: copy {format name: tensor/array} in.

        Every format tensor must be present with the exact shape; no extras.
        """
        params = self._format_params()
        missing = [k for k in params if k not in tensors]
        extra = [k for k in tensors if k not in params]
        if missing or extra:
            raise ValueError("tensor names mismatch: missing %s, unexpected %s" % (missing, extra))
        with torch.no_grad():
            for name, p in params.items():
                t = torch.as_tensor(tensors[name])
                if tuple(t.shape) != tuple(p.shape):
                    raise ValueError("tensor %s: shape %s, expected %s"
                                     % (name, list(t.shape), list(p.shape)))
                p.copy_(t.to(device=p.device, dtype=p.dtype))
        for layer in self.layers:
            if isinstance(layer, nn.RNNBase):
                layer.flatten_parameters()
        return self
