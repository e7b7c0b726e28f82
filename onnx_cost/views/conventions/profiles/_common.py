"""Formulas several profiles share, each a recombination of our exact parts."""

from __future__ import annotations

from math import prod

from onnx_cost.views.conventions.engine import Entry, F
from onnx_cost.views.conventions.families import FAMILIES
from onnx_cost.views.conventions.site import Site

MACS = F("MACs (no bias)", lambda s: s.macs)
TWO_MACS = F("2·MACs (no bias)", lambda s: 2 * s.macs)
MACS_BIAS = F("MACs + bias (1 per output element)", lambda s: s.macs + s.bias)
OUT = F("output elements", lambda s: s.out)
IN = F("input elements", lambda s: s.inp)


def training_bn(s: Site) -> bool:
    """A BatchNormalization in training mode (it writes its running statistics)."""
    names = s.rec.output_names
    return len(names) > 1 and any(names[1:])


def softmax_rows(s: Site) -> int:
    """Rows the softmax runs over, from the exact count (docs/counting.md: Softmax
    transcendental = rows·D, compare = rows·(D − 1); LogSoftmax transcendental = rows·(D + 1))."""
    c = s.rec.cost
    d = c.transcendental - c.compare
    return d // 2 if s.rec.op_type == "LogSoftmax" else d


def transposed_conv_over_output(s: Site) -> int:
    """N·∏out·(Cin/g)·∏K: a transposed conv counted over its OUTPUT extent, as a plain conv
    (g = Cout / W[1], since W is Cin × Cout/g × K)."""
    x, w, y = s.shape(0), s.shape(1), s.out_shape
    return y[0] * prod(y[2:]) * x[1] * w[1] * prod(w[2:])


def rnn_gates(s: Site) -> tuple[int, int, int, int, int]:
    """(D, G, H, I, N·T) of an ONNX LSTM/GRU/RNN: directions, gates (4, 3, 1), hidden,
    input size, and batch times sequence length (X is T × N × I or N × T × I)."""
    x, w = s.shape(0), s.shape(1)
    d, gh, i = w
    g = {"LSTM": 4, "GRU": 3, "RNN": 1}[s.rec.op_type]
    return d, g, gh // g, i, x[0] * x[1]


def rest(given: dict[str, Entry], default: Entry, skip: tuple[str, ...] = ()) -> dict[str, Entry]:
    """``given``, with every other family (except ``skip``: not modelled) set to ``default``."""
    out = dict(given)
    for f in FAMILIES:
        if f not in out and f not in skip:
            out[f] = default
    return out
