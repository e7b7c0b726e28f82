"""DFT, STFT, windows and MelWeightMatrix, worked out by hand.

Transform of length N: N a power of 2: 5·N·log2 N arith per line (radix-2 FFT); else direct DFT:
macs = N·c_in·c_out·m, dots = c_out·m per line (m output points, c = 1 real, 2 complex).
"""

from __future__ import annotations

import pytest

from helpers import init, one_node

F = "float32"


def _dft17(x, y, dft_length=None, **attrs):
    ins = [("x", F, x)]
    inits = []
    if dft_length is not None:
        ins.append(("n", "int64", []))
        inits.append(init("n", "int64", [], dft_length))
    return one_node("DFT", ins, [("y", F, y)], inits, opset=17, **attrs)


DFT17 = [
    # real (1, 8, 1), axis 1, N = 8: one line, 5·8·3 = 120 arith
    ("fft8", dict(x=[1, 8, 1], y=[1, 8, 2]), 0, 0, 120),
    # onesided: output 5 points, still the N = 8 FFT: 120
    ("fft8_onesided", dict(x=[1, 8, 1], y=[1, 5, 2], onesided=1), 0, 0, 120),
    # N = 6 direct, real in, complex out: macs 6·1·2·6 = 72, dots 2·6 = 12
    ("direct6_real", dict(x=[1, 6, 1], y=[1, 6, 2]), 72, 12, 0),
    # complex (2, 6, 2): 2 lines × 6·2·2·6 = 288 macs, dots 2·2·6 = 24
    ("direct6_complex", dict(x=[2, 6, 2], y=[2, 6, 2]), 288, 24, 0),
    # inverse complex N = 8: 120 + scaling 2·8 = 16
    ("inverse8", dict(x=[1, 8, 2], y=[1, 8, 2], inverse=1), 0, 0, 136),
    # IRFFT: input 5 one-sided points, N = 2·(5 − 1) = 8, real output 8: 120 + scaling 1·8 = 128
    ("irfft8", dict(x=[1, 5, 2], y=[1, 8, 1], inverse=1, onesided=1), 0, 0, 128),
    # dft_length 6 on an 8-long signal: direct, macs 6·1·2·6 = 72, dots 12
    ("dft_length6", dict(x=[1, 8, 1], y=[1, 6, 2], dft_length=6), 72, 12, 0),
    # batch dims (2, 4, 3, 1), axis 1: lines 2·3 = 6, N = 4: 6 · 5·4·2 = 240
    ("lines6", dict(x=[2, 4, 3, 1], y=[2, 4, 3, 2]), 0, 0, 240),
    # axis 2 of (2, 4, 3, 1): N = 3 direct, lines 2·4 = 8: macs 8·3·1·2·3 = 144, dots 8·2·3 = 48
    ("axis2", dict(x=[2, 4, 3, 1], y=[2, 4, 3, 2], axis=2), 144, 48, 0),
]


@pytest.mark.parametrize("case", DFT17, ids=[c[0] for c in DFT17])
def test_dft17(case):
    _, kw, macs, dots, arith = case
    rec = _dft17(**kw)
    assert rec.status == "counted", rec.detail
    c = rec.cost
    assert (c.macs, c.dots, c.arith) == (macs, dots, arith)
    assert c.flops == 2 * macs - dots + arith


@pytest.mark.parametrize(
    "axis, y, macs, dots, arith",
    [
        # default axis −2 of (2, 3, 1): N = 3 direct, 2 lines: macs 2·3·1·2·3 = 36, dots 2·2·3 = 12
        (None, [2, 3, 2], 36, 12, 0),
        # axis 0: N = 2, 3 lines: 3 · 5·2·1 = 30
        (0, [2, 3, 2], 0, 0, 30),
    ],
)
def test_dft20_axis_input(axis, y, macs, dots, arith):
    ins = [("x", F, [2, 3, 1]), None]
    inits = []
    if axis is not None:
        ins.append(("axis", "int64", []))
        inits.append(init("axis", "int64", [], axis))
    rec = one_node("DFT", ins, [("y", F, y)], inits, opset=20)
    assert rec.status == "counted", rec.detail
    assert (rec.cost.macs, rec.cost.dots, rec.cost.arith) == (macs, dots, arith)


def test_dft_symbolic_and_invalid():
    rec = _dft17(x=["b", 8, 1], y=None)
    assert rec.status == "shape_unknown" and "b" in rec.missing
    rec = _dft17(x=[1, 8, 3], y=None)  # last dim must be 1 or 2
    assert rec.status == "invalid"


def _stft(signal, y, window=None, frame_length=None, **attrs):
    ins = [("sig", F, signal), ("step", "int64", [])]
    inits = [init("step", "int64", [], 4)]
    ins.append(("win", F, [window]) if window is not None else None)
    if frame_length is not None:
        ins.append(("flen", "int64", []))
        inits.append(init("flen", "int64", [], frame_length))
    return one_node("STFT", ins, [("y", F, y)], inits, opset=17, **attrs)


STFT = [
    # signal 16, window 8, step 4: frames (16 − 8)/4 + 1 = 3, bins 8//2 + 1 = 5.
    # window 3·8 = 24 muls; FFT 3 · 5·8·3 = 360
    ("window8", dict(signal=[1, 16, 1], y=[1, 3, 5, 2], window=8, onesided=1), 0, 0, 384),
    # no window, frame_length 8: FFT only, 360
    ("frame_length8", dict(signal=[1, 16, 1], y=[1, 3, 5, 2], frame_length=8, onesided=1), 0, 0, 360),
    # onesided 0: 8 bins, same FFT: 24 + 360
    ("two_sided", dict(signal=[1, 16, 1], y=[1, 3, 8, 2], window=8, onesided=0), 0, 0, 384),
    # frame_length 6: frames floor(10/4) + 1 = 3, bins 4, direct: macs 3·6·1·2·4 = 144, dots 3·2·4 = 24
    ("direct6", dict(signal=[1, 16, 1], y=[1, 3, 4, 2], frame_length=6, onesided=1), 144, 24, 0),
    # onesided absent: the schema default 1 gives 4 bins (onnx's inference writes 6): as direct6
    ("direct6_default_onesided", dict(signal=[1, 16, 1], y=None, frame_length=6), 144, 24, 0),
    # onesided 0, frame_length 6: 6 bins: macs 3·6·1·2·6 = 216, dots 3·2·6 = 36
    ("direct6_two_sided", dict(signal=[1, 16, 1], y=[1, 3, 6, 2], frame_length=6, onesided=0), 216, 36, 0),
    # complex signal, window 8, two-sided: window 3·8·2 = 48; FFT 360
    ("complex", dict(signal=[1, 16, 2], y=[1, 3, 8, 2], window=8, onesided=0), 0, 0, 408),
]


@pytest.mark.parametrize("case", STFT, ids=[c[0] for c in STFT])
def test_stft(case):
    _, kw, macs, dots, arith = case
    rec = _stft(**kw)
    assert rec.status == "counted", rec.detail
    assert (rec.cost.macs, rec.cost.dots, rec.cost.arith) == (macs, dots, arith)


def test_stft_runtime_frame_length_is_shape_unknown():
    rec = one_node(
        "STFT",
        [("sig", F, [1, 16, 1]), ("step", "int64", []), None, ("flen", "int64", [])],
        [("y", F, None)],
        [init("step", "int64", [], 4)],
        opset=17,
    )
    assert rec.status == "shape_unknown"


@pytest.mark.parametrize(
    "op, periodic, arith, trans",
    [
        ("HannWindow", 1, 30, 10),  # 10 × (3 arith + 1 sin)
        ("HannWindow", 0, 30, 10),  # symmetric: same count
        ("HammingWindow", 1, 40, 10),  # 10 × (4 + 1 cos)
        ("BlackmanWindow", 1, 70, 20),  # 10 × (7 + 2 cos)
    ],
)
def test_windows(op, periodic, arith, trans):
    rec = one_node(op, [("size", "int64", [])], [("w", F, [10])], [init("size", "int64", [], 10)], opset=17, periodic=periodic)
    assert rec.status == "counted", rec.detail
    assert (rec.cost.arith, rec.cost.transcendental) == (arith, trans)


def test_window_runtime_size_is_shape_unknown():
    rec = one_node("HannWindow", [("size", "int64", [])], [("w", F, None)], opset=17)
    assert rec.status == "shape_unknown"


def test_mel_weight_matrix():
    # dft_length 16 → S = 9 bins, M = 4 mel bins: arith 2·9·4 + 8·(4 + 2) + 8 = 72 + 48 + 8 = 128; trans 4 + 4 = 8
    vals = [("m", "int64", 4), ("n", "int64", 16), ("sr", "int64", 16000), ("lo", F, 0.0), ("hi", F, 8000.0)]
    rec = one_node(
        "MelWeightMatrix",
        [(name, dt, []) for name, dt, _ in vals],
        [("w", F, [9, 4])],
        [init(name, dt, [], v) for name, dt, v in vals],
        opset=17,
    )
    assert rec.status == "counted", rec.detail
    assert (rec.cost.arith, rec.cost.transcendental) == (128, 8)


def test_stft_rank2_signal_counts_as_onnxruntime_runs_it_with_a_warning():
    # silero's [1, 65420]-style signal, small: [1, 16] runs as [1, 16, 1]; window 8, step 4:
    # frames (16 − 8)/4 + 1 = 3, bins 5; window 3·8 = 24 muls + FFT 3·5·8·3 = 360 (as window8 above)
    from onnx import helper

    import onnx_cost

    from helpers import make_model

    node = helper.make_node("STFT", ["sig", "step", "win"], ["y"], name="stft", onesided=1)
    m = make_model([node], [("sig", F, [1, 16]), ("win", F, [8])], [("y", F, None)],
                   [init("step", "int64", [], 4)], opset=17)
    r = onnx_cost.analyze(m)
    rec = r.nodes[0]
    assert rec.status == "counted", rec.detail
    assert rec.outputs == ((1, 3, 5, 2),)
    assert rec.cost.arith == 384
    (w,) = [w for w in r.warnings if "STFT" in w]
    assert "the ONNX spec (STFT, opset 17) requires rank 3" in w and "onnxruntime" in w and "stft" in w
