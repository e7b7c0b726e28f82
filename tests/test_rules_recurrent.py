"""LSTM, GRU, RNN: one-node cases with the counts worked out by hand.

Unless a case says otherwise: T = 2 steps, N = 3 batch rows, I = 4 inputs, H = 5 hidden,
one direction, so each direction runs its cell T·N = 6 times. Per-element activation costs:
Sigmoid arith 3 + transcendental 1, Tanh transcendental 1, Relu compare 1.
flops = 2·macs − dots + bias_adds + arith + transcendental + compare.
"""

from __future__ import annotations

import pytest

from onnx_cost.rules.cost import COUNT_FIELDS

from helpers import one_node

F = "float32"
T, N, I, H = 2, 3, 4, 5  # noqa: E741 - I is the input size, as in the ONNX RNN spec
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def run(op, *, dirs=1, x=(T, N, I), w=None, bias=False, peep=False, extras=False, hidden=True, **attrs):
    """One recurrent node with X, W, R (and B, P, sequence_lens, initial states) as graph inputs."""
    g = GATES[op]
    ins = [("X", F, x), ("W", F, w or (dirs, g * H, I)), ("R", F, (dirs, g * H, H))]
    ins.append(("B", F, (dirs, 2 * g * H)) if bias else None)
    ins.append(("sl", "int32", (N,)) if extras else None)
    ins.append(("h0", F, (dirs, N, H)) if extras else None)
    if op == "LSTM":
        ins.append(("c0", F, (dirs, N, H)) if extras else None)
        ins.append(("P", F, (dirs, 3 * H)) if peep else None)
    while ins[-1] is None:
        ins.pop()
    if hidden:
        attrs.setdefault("hidden_size", H)
    return one_node(op, ins, [("Y", F, None)], **attrs)


def parts(rec, flops, **want):
    assert rec.status == "counted", rec.detail
    got = {f: getattr(rec.cost, f) for f in COUNT_FIELDS}
    assert got == {f: want.get(f, 0) for f in COUNT_FIELDS}
    assert rec.cost.flops == flops


# -- LSTM ---------------------------------------------------------------------
# Per step: 4·5·(4 + 5) = 180 MACs, 4·5 = 20 dots; cell 3·5 + 5 = 20 arith;
# Sigmoid on i, f, o: 15 elements = 45 arith + 15 transc.; Tanh g and h: 5 + 5 transc.
# -> per step macs 180, dots 20, arith 65, transc. 25; × 6: 1080, 120, 390, 150.
# flops 2·1080 − 120 + 390 + 150 = 2580.
LSTM_DEFAULT = dict(macs=1080, dots=120, arith=390, transcendental=150)

LSTM = [
    ("default", {}, LSTM_DEFAULT, 2580),
    # direction and layout change nothing for one direction: layout 1 reads X as [N, T, I]
    ("reverse", dict(direction="reverse"), LSTM_DEFAULT, 2580),
    ("layout 1", dict(x=(N, T, I), layout=1), LSTM_DEFAULT, 2580),
    # sequence_lens, initial_h, initial_c given: counted at full length, the same
    ("sequence_lens and initial states", dict(extras=True), LSTM_DEFAULT, 2580),
    # hidden_size absent: H = 5 from R
    ("hidden_size from R", dict(hidden=False), LSTM_DEFAULT, 2580),
    # B: Wb + Rb on 4 gates: 2·4·5 = 40 per step, × 6 = 240; 2580 + 240 = 2820
    ("bias", dict(bias=True), dict(LSTM_DEFAULT, bias_adds=240), 2820),
    # P: 3·5 multiplies + 3·5 adds = 30 per step, × 6 = 180; arith 390 + 180 = 570; 2580 + 180 = 2760
    ("peepholes", dict(peep=True), dict(LSTM_DEFAULT, arith=570), 2760),
    # clip: 2 compares on 4·5 gate elements = 40 per step, × 6 = 240; 2820
    ("clip", dict(clip=1.0), dict(LSTM_DEFAULT, compare=240), 2820),
    # input_forget: cell 20 + (1 − i) 5 = 25 arith; Sigmoid on i, o only: 10 elements = 30 arith + 10 transc.;
    # Tanh 10 transc. -> per step arith 55, transc. 20; × 6: 330, 120; 2160 − 120 + 330 + 120 = 2490
    ("input_forget", dict(input_forget=1), dict(macs=1080, dots=120, arith=330, transcendental=120), 2490),
    # input_forget with B, P, clip: bias on i, o, c: 2·3·5 = 30 per step -> 180; peepholes on i, o: 2·2·5 = 20 arith
    # per step -> arith (55 + 20)·6 = 450; clip on i, o, c: 2·3·5 = 30 per step -> 180 compares;
    # 2160 − 120 + 180 + 450 + 120 + 180 = 2970
    (
        "input_forget, bias, peepholes, clip",
        dict(input_forget=1, bias=True, peep=True, clip=3.0),
        dict(macs=1080, dots=120, bias_adds=180, arith=450, transcendental=120, compare=180),
        2970,
    ),
    # everything without input_forget: bias 240, arith 570, compare 240; 2160 − 120 + 240 + 570 + 150 + 240 = 3240
    (
        "bias, peepholes, clip",
        dict(bias=True, peep=True, clip=3.0),
        dict(macs=1080, dots=120, bias_adds=240, arith=570, transcendental=150, compare=240),
        3240,
    ),
    # bidirectional: twice the default: 2160 MACs, 240 dots, 780 arith, 300 transc.; 4320 − 240 + 780 + 300 = 5160
    ("bidirectional", dict(dirs=2, direction="bidirectional"), dict(macs=2160, dots=240, arith=780, transcendental=300), 5160),
    # the 6 default activations spelled out: the same
    (
        "bidirectional, explicit default activations",
        dict(dirs=2, direction="bidirectional", activations=["Sigmoid", "Tanh", "Tanh"] * 2),
        dict(macs=2160, dots=240, arith=780, transcendental=300),
        5160,
    ),
    # forward default, reverse all Relu: reverse per step arith 20 (cell), compare 15 + 5 + 5 = 25;
    # × 6: arith 120, compare 150. Total macs 2160, dots 240, arith 390 + 120 = 510, transc. 150, compare 150;
    # 4320 − 240 + 510 + 150 + 150 = 4890
    (
        "bidirectional, other activations in reverse",
        dict(dirs=2, direction="bidirectional", activations=["Sigmoid", "Tanh", "Tanh", "Relu", "Relu", "Relu"]),
        dict(macs=2160, dots=240, arith=510, transcendental=150, compare=150),
        4890,
    ),
    # f = HardSigmoid (2 arith + 2 compares) on 15: 30 arith, 30 compares; g = Tanh: 5 transc.;
    # h = Softsign (3 arith) on 5: 15 arith; cell 20 -> per step arith 65, compare 30, transc. 5;
    # × 6: 390, 180, 30; 2160 − 120 + 390 + 180 + 30 = 2640
    (
        "activations",
        dict(activations=["HardSigmoid", "Tanh", "Softsign"]),
        dict(macs=1080, dots=120, arith=390, compare=180, transcendental=30),
        2640,
    ),
]


@pytest.mark.parametrize("case,kw,want,flops", LSTM, ids=[c[0] for c in LSTM])
def test_lstm(case, kw, want, flops):
    parts(run("LSTM", **kw), flops, **want)


def test_lstm_seed_formula():
    # seed 003: an LSTM step costs (E + H)·H·4·2 FLOPs = 2·MACs. T = 1, N = 1, one direction,
    # E = I = 10, H = 20: (10 + 20)·20·4·2 = 4800; our MACs 4·20·(10 + 20) = 2400, 2·2400 = 4800.
    rec = one_node(
        "LSTM", [("X", F, (1, 1, 10)), ("W", F, (1, 80, 10)), ("R", F, (1, 80, 20))], [("Y", F, None)], hidden_size=20
    )
    assert rec.cost.macs == 2400
    assert 2 * rec.cost.macs == (10 + 20) * 20 * 4 * 2


# -- GRU ----------------------------------------------------------------------
# Per step: 3·5·9 = 135 MACs, 15 dots; reset multiply 5 + (1 − z)·h + z·H 4·5 = 20 -> 25 arith;
# Sigmoid on z, r: 10 elements = 30 arith + 10 transc.; Tanh on h: 5 transc.
# -> per step macs 135, dots 15, arith 55, transc. 15; × 6: 810, 90, 330, 90.
# flops 1620 − 90 + 330 + 90 = 1950.
GRU_DEFAULT = dict(macs=810, dots=90, arith=330, transcendental=90)

GRU = [
    ("default", {}, GRU_DEFAULT, 1950),
    ("layout 1", dict(x=(N, T, I), layout=1), GRU_DEFAULT, 1950),
    ("sequence_lens and initial_h", dict(extras=True), GRU_DEFAULT, 1950),
    # B: 2·3·5 = 30 per step, × 6 = 180; 2130
    ("bias", dict(bias=True), dict(GRU_DEFAULT, bias_adds=180), 2130),
    # linear_before_reset: Ht−1·Rh is its own dot: 20 dots per step -> 120; arith + 5 adds joining it:
    # 30 per step + 30 Sigmoid -> 60 per step -> 360; 1620 − 120 + 360 + 90 = 1950 (same FLOPs)
    ("linear_before_reset", dict(linear_before_reset=1), dict(macs=810, dots=120, arith=360, transcendental=90), 1950),
    (
        "linear_before_reset with bias",
        dict(linear_before_reset=1, bias=True),
        dict(macs=810, dots=120, bias_adds=180, arith=360, transcendental=90),
        2130,
    ),
    # clip: 2·3·5 = 30 compares per step -> 180; 2130
    ("clip", dict(clip=1.0), dict(GRU_DEFAULT, compare=180), 2130),
    # bidirectional: twice: 1620, 180, 660, 180; 3240 − 180 + 660 + 180 = 3900
    ("bidirectional", dict(dirs=2, direction="bidirectional"), dict(macs=1620, dots=180, arith=660, transcendental=180), 3900),
    # f = Relu on 10: 10 compares; g = Elu (1 compare, 1 transc., 2 arith) on 5: 5, 5, 10; + 25 arith
    # -> per step arith 35, compare 15, transc. 5; × 6: 210, 90, 30; 1620 − 90 + 210 + 90 + 30 = 1860
    ("activations", dict(activations=["Relu", "Elu"]), dict(macs=810, dots=90, arith=210, compare=90, transcendental=30), 1860),
]


@pytest.mark.parametrize("case,kw,want,flops", GRU, ids=[c[0] for c in GRU])
def test_gru(case, kw, want, flops):
    parts(run("GRU", **kw), flops, **want)


# -- RNN ----------------------------------------------------------------------
# Per step: 5·9 = 45 MACs, 5 dots, f on 5 elements; × 6: 270 MACs, 30 dots, f on 30 elements.
# flops 2·270 − 30 = 510 plus the activation's 30 elements.

RNN = [
    # default f = Tanh: 30 transc.; 540
    ("default", {}, dict(macs=270, dots=30, transcendental=30), 540),
    ("layout 1", dict(x=(N, T, I), layout=1), dict(macs=270, dots=30, transcendental=30), 540),
    ("hidden_size from R", dict(hidden=False), dict(macs=270, dots=30, transcendental=30), 540),
    # the schema's default (Tanh, Tanh) spelled out for one direction: the first is used
    ("two names, one direction", dict(activations=["Relu", "Tanh"]), dict(macs=270, dots=30, compare=30), 540),
    ("sequence_lens and initial_h", dict(extras=True), dict(macs=270, dots=30, transcendental=30), 540),
    # B: 2·5 = 10 per step -> 60; 600
    ("bias", dict(bias=True), dict(macs=270, dots=30, bias_adds=60, transcendental=30), 600),
    # clip: 2·5 = 10 compares per step -> 60; 600
    ("clip", dict(clip=2.0), dict(macs=270, dots=30, compare=60, transcendental=30), 600),
    # bidirectional (the schema's default activations, Tanh, Tanh, one per direction): twice; 1080
    ("bidirectional", dict(dirs=2, direction="bidirectional"), dict(macs=540, dots=60, transcendental=60), 1080),
    # each listed activation on 30 elements:
    ("Tanh", dict(activations=["Tanh"]), dict(macs=270, dots=30, transcendental=30), 540),
    # Sigmoid: 3·30 = 90 arith, 30 transc.; 510 + 120 = 630
    ("Sigmoid", dict(activations=["Sigmoid"]), dict(macs=270, dots=30, arith=90, transcendental=30), 630),
    # Relu: 30 compares; 540
    ("Relu", dict(activations=["Relu"]), dict(macs=270, dots=30, compare=30), 540),
    # Affine alpha·x + beta: 2·30 = 60 arith; 570
    ("Affine", dict(activations=["Affine"]), dict(macs=270, dots=30, arith=60), 570),
    # LeakyRelu: 30 compares + 30 multiplies; 570
    ("LeakyRelu", dict(activations=["LeakyRelu"]), dict(macs=270, dots=30, compare=30, arith=30), 570),
    # ThresholdedRelu: 30 compares; 540
    ("ThresholdedRelu", dict(activations=["ThresholdedRelu"]), dict(macs=270, dots=30, compare=30), 540),
    # ScaledTanh alpha·tanh(beta·x): 60 arith, 30 transc.; 600
    ("ScaledTanh", dict(activations=["ScaledTanh"]), dict(macs=270, dots=30, arith=60, transcendental=30), 600),
    # HardSigmoid min(max(alpha·x + beta, 0), 1): 60 arith, 60 compares; 630
    ("HardSigmoid", dict(activations=["HardSigmoid"]), dict(macs=270, dots=30, arith=60, compare=60), 630),
    # Elu: 30 compares, 30 exp, 60 arith (− 1, · alpha); 630
    ("Elu", dict(activations=["Elu"]), dict(macs=270, dots=30, compare=30, transcendental=30, arith=60), 630),
    # Softsign x / (1 + |x|): 90 arith; 600
    ("Softsign", dict(activations=["Softsign"]), dict(macs=270, dots=30, arith=90), 600),
    # Softplus log(1 + e^x): 60 transc., 30 arith; 600
    ("Softplus", dict(activations=["Softplus"]), dict(macs=270, dots=30, transcendental=60, arith=30), 600),
]


@pytest.mark.parametrize("case,kw,want,flops", RNN, ids=[c[0] for c in RNN])
def test_rnn(case, kw, want, flops):
    parts(run("RNN", **kw), flops, **want)


# -- shape unknown and invalid ------------------------------------------------


@pytest.mark.parametrize("op", ["LSTM", "GRU", "RNN"])
def test_symbolic_seq_and_batch(op):
    rec = run(op, x=("seq", "batch", I))
    assert rec.status == "shape_unknown"
    assert rec.missing == ("seq", "batch")


INVALID = [
    ("LSTM", dict(w=(1, 20, 7))),  # W's input size 7, X's is 4
    ("LSTM", dict(hidden_size=6)),  # R says H = 5
    ("LSTM", dict(direction="sideways")),
    ("LSTM", dict(direction="bidirectional")),  # W and R hold one direction
    ("LSTM", dict(activations=["Foo", "Tanh", "Tanh"])),  # not a listed activation
    ("LSTM", dict(activations=["Sigmoid", "Tanh"])),  # LSTM needs 3 per direction
    ("LSTM", dict(dirs=2, direction="bidirectional", activations=["Sigmoid", "Tanh", "Tanh"])),  # 6 when bidirectional
    ("LSTM", dict(x=(T, I))),  # X not 3-D
    ("LSTM", dict(layout=2)),
    ("GRU", dict(w=(1, 20, 4))),  # 4 gates of 5: GRU has 3
    ("RNN", dict(dirs=2, direction="bidirectional", activations=["Tanh", "Relu", "Relu"])),  # 3 for 2 directions
    ("RNN", dict(activations=["Tanh", "Relu", "Relu"])),  # 3 for 1 direction
]


@pytest.mark.parametrize("op,kw", INVALID)
def test_invalid(op, kw):
    # onnx's inference may reject some of these too; our rule raises from the input shapes
    # and attributes, so the status is "invalid" either way.
    rec = run(op, **kw)
    assert rec.status == "invalid", rec.detail
    assert op in rec.detail


def test_invalid_bias_and_peephole_shapes():
    # B must be [D, 2·4·H] = [1, 40] and P [D, 3·H] = [1, 15]
    x, w, r = ("X", F, (T, N, I)), ("W", F, (1, 20, I)), ("R", F, (1, 20, H))
    rec = one_node("LSTM", [x, w, r, ("B", F, (1, 20))], [("Y", F, None)], hidden_size=H)
    assert rec.status == "invalid" and "B" in rec.detail
    rec = one_node("LSTM", [x, w, r, None, None, None, None, ("P", F, (1, 10))], [("Y", F, None)], hidden_size=H)
    assert rec.status == "invalid" and "P" in rec.detail
