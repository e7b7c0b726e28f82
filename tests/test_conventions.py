"""Each profile on each op family: one tiny graph per family, the number every peer tool
prints for it derived by hand from that tool's formula (docs/conventions.md cites them).

Shapes: X = 1×8×10×10 (N = 800 elements) unless said otherwise. A tuple is calflops'
(MACs, FLOPs); every other profile prints one number. ``U`` marks a node the tool counts 0
and names as unsupported (fvcore's warning, thop's "cannot find rule"); ``M`` a node this
profile does not model (counted 0, named in ``not_modelled``).
"""

from __future__ import annotations

from typing import Any

import pytest
from onnx import helper

import onnx_cost
from onnx_cost.views import conventions

from helpers import init, make_model

PEERS = ("torchvision", "fvcore", "thop", "ptflops", "ptflops-aten", "calflops", "torch", "onnx-tool")
U, M = "unsupported", "not modelled"
X = ("x", "float32", [1, 8, 10, 10])


def run(nodes, inputs, inits=(), opset=21, attrs=None) -> dict[str, Any]:
    """Every profile's result for a small graph whose last node's output is the graph output."""
    out = nodes[-1].output[0]
    report = onnx_cost.analyze(make_model(nodes, inputs, [(out, "float32", None)], inits, opset))
    assert report.coverage.complete, report.uncounted
    return {r.profile.name: r for r in conventions.apply_all(report, attrs)}


def check(results: dict[str, Any], expected: dict[str, Any]) -> None:
    for name in PEERS:
        want, r = expected[name], results[name]
        if want in (U, M):
            bucket = r.unsupported if want == U else r.not_modelled
            assert bucket, f"{name}: expected the node listed as {want}"
            want = 0
        got = tuple(r.totals[c] for c in r.profile.columns)
        want = want if isinstance(want, tuple) else (want,)
        assert got == want, f"{name}: {got} != {want}"


def n(op: str, inputs: list[str], **attrs: Any):
    return helper.make_node(op, inputs, ["y"], name="n0", **attrs)


def w(name: str, *dims: int):
    return init(name, "float32", list(dims))


# -- the worked example ---------------------------------------------------------
# Conv2d 64→64, 3×3, bias, 56×56 output: MACs = 56·56·64·64·9 = 3,136·36,864 = 115,605,504;
# bias adds = one per output element = 64·56·56 = 200,704.
#   thop, fvcore, torchvision: MACs                             = 115,605,504
#   ptflops, onnx-tool: MACs + bias = 115,605,504 + 200,704      = 115,806,208
#   torch.utils.flop_counter: 2·MACs                            = 231,211,008
#   calflops FLOPs: 2·MACs + bias = 231,211,008 + 200,704       = 231,411,712
# BatchNorm2d(64) on that tensor, N = 200,704 elements:
#   torchvision, torch: 0; fvcore, ptflops, calflops FLOPs: 2·N = 401,408;
#   thop: 2·N doubled for affine = 802,816; onnx-tool: N·(1 + 24 + 4 + 1 + 1) = 31·N = 6,221,824.
CONV64 = 115_605_504
BN64 = 200_704


def test_worked_example_conv_and_batchnorm():
    conv = helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", kernel_shape=[3, 3], pads=[1] * 4)
    bn = helper.make_node("BatchNormalization", ["c", "s", "bb", "m", "v"], ["y"], name="bn")
    inits = [w("w", 64, 64, 3, 3), w("b", 64)] + [w(p, 64) for p in ("s", "bb", "m", "v")]
    res = run([conv, bn], [("x", "float32", [1, 64, 56, 56])], inits)
    fam = {k: r.by_family for k, r in res.items()}
    assert fam["thop"]["conv"]["macs"] == fam["fvcore"]["conv"]["flops"] == fam["torchvision"]["conv"]["macs"] == CONV64
    assert fam["ptflops"]["conv"]["macs"] == fam["onnx-tool"]["conv"]["macs"] == 115_806_208
    assert fam["torch"]["conv"]["flops"] == 231_211_008
    assert fam["calflops"]["conv"] == {"macs": CONV64, "flops": 231_411_712}
    assert fam["torchvision"]["batchnorm"]["macs"] == fam["torch"]["batchnorm"]["flops"] == 0
    assert fam["fvcore"]["batchnorm"]["flops"] == fam["ptflops"]["batchnorm"]["macs"] == 401_408
    assert fam["calflops"]["batchnorm"] == {"macs": 0, "flops": 401_408}
    assert fam["thop"]["batchnorm"]["macs"] == 802_816
    assert fam["onnx-tool"]["batchnorm"]["macs"] == 6_221_824
    # Params: the file stores w, b and BN's four vectors: 36,864 + 64 + 4·64 = 37,184;
    # PyTorch's parameters() lack BN's running mean and var: 37,184 − 128 = 37,056.
    assert res["onnx-tool"].params == 37_184
    assert all(res[p].params == 37_056 for p in PEERS if p != "onnx-tool")


# -- one case per family ----------------------------------------------------------------
# Each case: (id, nodes, graph inputs, initializers, opset, attrs, expected per profile).

# conv: Conv 8→16 3×3 pad 1 with bias, out 1×16×10×10 = 1,600: MACs 1,600·8·9 = 115,200; bias 1,600.
CONV = dict(torchvision=115_200, fvcore=115_200, thop=115_200, ptflops=116_800, **{"ptflops-aten": 116_800},
            calflops=(115_200, 2 * 115_200 + 1_600), torch=230_400, **{"onnx-tool": 116_800})  # fmt: skip
# depthwise: Conv 8→8 group 8, 3×3 pad 1, no bias, out 800: MACs 800·(8/8)·9 = 7,200.
DW = dict(torchvision=7_200, fvcore=7_200, thop=7_200, ptflops=7_200, **{"ptflops-aten": 7_200},
          calflops=(7_200, 14_400), torch=14_400, **{"onnx-tool": 7_200})  # fmt: skip
# conv_transpose: 8→4, k 2, s 2, bias, on 1×8×5×5 -> 1×4×10×10 (400). Over the input extent:
# N·Cin·Hin·Win·(Cout/g)·∏K = 8·25·4·4 = 3,200 MACs; bias 400.
# thop over the output extent: ∏out·(Cin/g)·∏K = 400·8·4 = 12,800;
# onnx-tool ∏out·∏W[1:] + bias = 400·(4·2·2) + 400 = 6,800.
DECONV = dict(torchvision=3_200, fvcore=3_200, thop=12_800, ptflops=3_600, **{"ptflops-aten": 3_600},
              calflops=(3_200, 6_800), torch=6_400, **{"onnx-tool": 6_800})  # fmt: skip
# linear: Gemm X 4×32 by W 16×32 (transB) + b 16: MACs 4·16·32 = 2,048; bias 4·16 = 64.
LINEAR = dict(torchvision=2_048, fvcore=2_048, thop=2_048, ptflops=2_112, **{"ptflops-aten": 2_112},
              calflops=(2_048, 4_096), torch=4_096, **{"onnx-tool": 2_112})  # fmt: skip
# matmul of two activations 1×2×4×8 · 1×2×8×5 -> 1×2×4×5 (40): MACs 40·8 = 320. thop: 0 (not a module).
MATMUL = dict(torchvision=320, fvcore=320, thop=0, ptflops=320, **{"ptflops-aten": 320},
              calflops=(320, 640), torch=640, **{"onnx-tool": 320})  # fmt: skip
# einsum bij,bjk->bik on 2×3×4 and 2×4×5: MACs 2·3·5·4 = 120. ptflops pytorch: no hook;
# calflops: MACs 0, FLOPs numpy's 2·120.
EINSUM = dict(torchvision=120, fvcore=120, thop=0, ptflops=0, **{"ptflops-aten": 120},
              calflops=(0, 240), torch=240, **{"onnx-tool": 120})  # fmt: skip
# attention (opset 23 Attention) Q, K, V 1×2×4×8: scores 2·4·4 = 32; MACs 32·8 (QKᵀ) + 32·8 (PV) = 512.
ATTN = dict(torchvision=512, fvcore=512, thop=U, ptflops=512, **{"ptflops-aten": 512},
            calflops=(512, 1_024), torch=1_024, **{"onnx-tool": M})  # fmt: skip
# batchnorm on X (N 800): fvcore/ptflops 2·N = 1,600; thop 4·N = 3,200; onnx-tool 31·N = 24,800.
BN = dict(torchvision=0, fvcore=1_600, thop=3_200, ptflops=1_600, **{"ptflops-aten": 0},
          calflops=(0, 1_600), torch=0, **{"onnx-tool": 24_800})  # fmt: skip
# layernorm op on 1×4×32 (N 128, D 32, 4 rows), scale and bias: fvcore, calflops 5·N = 640;
# thop 4·N = 512; ptflops N = 128 (no `affine` attribute on LayerNorm);
# onnx-tool 7·N + (1 + 24 + 4)·rows = 896 + 29·4 = 1,012.
LN = dict(torchvision=0, fvcore=640, thop=512, ptflops=128, **{"ptflops-aten": 0},
          calflops=(0, 640), torch=0, **{"onnx-tool": 1_012})  # fmt: skip
# groupnorm (2 groups) on X: fvcore, calflops 5·N = 4,000; ptflops 2·N = 1,600; thop: no rule.
GN = dict(torchvision=0, fvcore=4_000, thop=U, ptflops=1_600, **{"ptflops-aten": 0},
          calflops=(0, 4_000), torch=0, **{"onnx-tool": M})  # fmt: skip
# instancenorm on X: fvcore, calflops 5·N = 4,000; thop 4·N = 3,200; ptflops 2·N = 1,600;
# onnx-tool (1 + 1 + 1 + 4)·N per input past the first (2) = 14·N = 11,200.
IN = dict(torchvision=0, fvcore=4_000, thop=3_200, ptflops=1_600, **{"ptflops-aten": 0},
          calflops=(0, 4_000), torch=0, **{"onnx-tool": 11_200})  # fmt: skip


def _act(fv, thop, pt, cal, ot):
    return dict(torchvision=0, fvcore=fv, thop=thop, ptflops=pt, **{"ptflops-aten": 0}, calflops=cal, torch=0,
                **{"onnx-tool": ot})  # fmt: skip


# Activations on X (N 800). onnx-tool weights: Relu CMP 1; Clip 2·CMP; LeakyRelu, PRelu MUL + CMP;
# Elu CMP + EXP 32 + ADD + MUL = 35; Gelu EXP + 2·MUL = 34; Sigmoid EXP 32; Tanh (EXP + 2·ADD + DIV)·2 = 76.
RELU = _act(0, 0, 800, (0, 800), 800)  # fvcore: aten::relu ignored; thop zero_ops
RELU6 = _act(U, 0, 800, (0, 0), 1_600)  # calflops: nn.ReLU6 calls F.hardtanh (not patched)
LEAKY = _act(U, 0, 800, (0, 800), 1_600)  # thop count_relu returns 0
PRELU = _act(U, 800, 800, (0, 800), 1_600)  # thop count_prelu: N
ELU = _act(U, U, 800, (0, 800), 28_000)
GELU = _act(U, U, 800, (0, 800), 27_200)
SIGMOID = _act(U, U, 0, (0, 0), 25_600)
TANH = _act(U, U, 0, (0, 0), 60_800)
# softmax on 1×4×32 (rows 4, D 32, N 128): thop rows·(3D − 1) = 4·95 = 380; ptflops, calflops N;
# onnx-tool (EXP + DIV)·N = 36·128 = 4,608.
SOFTMAX = _act(U, 380, 128, (0, 128), 4_608)
# maxpool 2×2 s2 on X -> 1×8×5×5 (200): ptflops, calflops input elements 800; onnx-tool ∏out·∏k = 800.
MAXPOOL = _act(U, 0, 800, (0, 800), 800)
# avgpool 2×2 s2: thop ∏out = 200.
AVGPOOL = _act(U, 200, 800, (0, 800), 800)
# global avgpool X -> 1×8×1×1 (8): fvcore (adaptive_avg_pool2d) and ptflops, calflops 800;
# thop (100/1 + 1)·8 = 808; onnx-tool ∏in + DIV·∏out = 800 + 32 = 832.
GAP = _act(800, 808, 800, (0, 800), 832)
GMP = _act(U, 0, 800, (0, 800), M)
# Resize ×2 on 1×8×5×5 (200) -> 1×8×10×10 (800), by scales. nearest: fvcore, thop, ptflops ∏out;
# calflops (scale given) input elements 200; onnx-tool 0.
NEAREST = _act(800, 800, 800, (0, 200), 0)
# mode linear on two axes (bilinear): fvcore 4·800; thop 11·800; ptflops 800; onnx-tool 4·800.
BILINEAR = _act(3_200, 8_800, 800, (0, 200), 3_200)
# by sizes (10×10): calflops counts ∏size = 100 (the spatial size only).
BY_SIZES = _act(800, 800, 800, (0, 100), 0)
# cubic: fvcore has no bicubic handle; thop 259 per output element; onnx-tool 8.
CUBIC = _act(U, 259 * 800, 800, (0, 200), 6_400)
# Add of two X (800): only onnx-tool counts it (ADD 1 per element); Div: onnx-tool DIV 4 = 3,200.
ADD = _act(U, 0, 0, (0, 0), 800)
DIV = _act(U, 0, 0, (0, 0), 3_200)
# ReduceMean over the last axis of X: onnx-tool ADD per input element = 800.
REDUCE = _act(U, 0, 0, (0, 0), 800)
# LSTM, T 3, N 2, I 4, H 5, with bias (G = 4 gates, D = 1):
#   ptflops (G·H·I + G·H·H + 10·H + 2·G·H)·N·T = (80 + 100 + 50 + 40)·6 = 1,620;
#   calflops FLOPs ((2·80 − 20) + (2·100 − 20) + 50 + 40)·6 = 410·6 = 2,460.
LSTM = dict(torchvision=M, fvcore=U, thop=M, ptflops=1_620, **{"ptflops-aten": M},
            calflops=(0, 2_460), torch=M, **{"onnx-tool": M})  # fmt: skip
# GRU, same sizes (G = 3, extra 7·H: the r product, 3 state adds, 3 blend ops):
#   ptflops (3·5·4 + 3·5·5 + 7·5 + 2·15)·6 = (60 + 75 + 35 + 30)·6 = 1,200;
#   calflops ((2·60 − 15) + (2·75 − 15) + 35 + 30)·6 = 305·6 = 1,830.
GRU = dict(LSTM, ptflops=1_200, calflops=(0, 1_830))
# TopK: fvcore names it; onnx-tool has no such model here; everyone else 0.
TOPK = dict(torchvision=0, fvcore=U, thop=0, ptflops=0, **{"ptflops-aten": 0},
            calflops=(0, 0), torch=0, **{"onnx-tool": M})  # fmt: skip
# Transpose moves data: 0 everywhere, listed nowhere.
MOVE = dict(torchvision=0, fvcore=0, thop=0, ptflops=0, **{"ptflops-aten": 0}, calflops=(0, 0), torch=0,
            **{"onnx-tool": 0})  # fmt: skip

X4 = ("x", "float32", [1, 4, 32])
X5 = ("x", "float32", [1, 8, 5, 5])
S2 = [init("roi", "float32", [0]), init("sc", "float32", [4], [1, 1, 2, 2])]

CASES = [
    ("conv", [n("Conv", ["x", "w", "b"], kernel_shape=[3, 3], pads=[1] * 4)], [X], [w("w", 16, 8, 3, 3), w("b", 16)], 21, None, CONV),
    ("conv-depthwise", [n("Conv", ["x", "w"], kernel_shape=[3, 3], pads=[1] * 4, group=8)], [X], [w("w", 8, 1, 3, 3)], 21, None, DW),
    ("conv_transpose", [n("ConvTranspose", ["x", "w", "b"], kernel_shape=[2, 2], strides=[2, 2])], [X5], [w("w", 8, 4, 2, 2), w("b", 4)], 21, None, DECONV),
    ("linear-gemm", [n("Gemm", ["x", "w", "b"], transB=1)], [("x", "float32", [4, 32])], [w("w", 16, 32), w("b", 16)], 21, None, LINEAR),
    ("matmul", [n("MatMul", ["a", "b"])], [("a", "float32", [1, 2, 4, 8]), ("b", "float32", [1, 2, 8, 5])], [], 21, None, MATMUL),
    ("einsum", [n("Einsum", ["a", "b"], equation="bij,bjk->bik")], [("a", "float32", [2, 3, 4]), ("b", "float32", [2, 4, 5])], [], 21, None, EINSUM),
    ("attention", [n("Attention", ["q", "k", "v"])], [(c, "float32", [1, 2, 4, 8]) for c in "qkv"], [], 23, None, ATTN),
    ("batchnorm", [n("BatchNormalization", ["x", "s", "b", "m", "v"])], [X], [w(p, 8) for p in "sbmv"], 21, None, BN),
    ("layernorm", [n("LayerNormalization", ["x", "s", "b"], axis=-1)], [X4], [w("s", 32), w("b", 32)], 21, None, LN),
    ("groupnorm", [n("GroupNormalization", ["x", "s", "b"], num_groups=2)], [X], [w("s", 8), w("b", 8)], 21, None, GN),
    ("instancenorm", [n("InstanceNormalization", ["x", "s", "b"])], [X], [w("s", 8), w("b", 8)], 21, None, IN),
    ("relu", [n("Relu", ["x"])], [X], [], 21, None, RELU),
    ("relu6", [n("Clip", ["x", "lo", "hi"])], [X], [init("lo", "float32", [], 0.0), init("hi", "float32", [], 6.0)], 21, None, RELU6),
    ("leaky_relu", [n("LeakyRelu", ["x"])], [X], [], 21, None, LEAKY),
    ("prelu", [n("PRelu", ["x", "s"])], [X], [w("s", 8, 1, 1)], 21, None, PRELU),
    ("elu", [n("Elu", ["x"])], [X], [], 21, None, ELU),
    ("gelu", [n("Gelu", ["x"])], [X], [], 21, None, GELU),
    ("sigmoid", [n("Sigmoid", ["x"])], [X], [], 21, None, SIGMOID),
    ("tanh", [n("Tanh", ["x"])], [X], [], 21, None, TANH),
    ("softmax", [n("Softmax", ["x"], axis=-1)], [X4], [], 21, None, SOFTMAX),
    ("maxpool", [n("MaxPool", ["x"], kernel_shape=[2, 2], strides=[2, 2])], [X], [], 21, None, MAXPOOL),
    ("avgpool", [n("AveragePool", ["x"], kernel_shape=[2, 2], strides=[2, 2])], [X], [], 21, None, AVGPOOL),
    ("global_avgpool", [n("GlobalAveragePool", ["x"])], [X], [], 21, None, GAP),
    ("global_maxpool", [n("GlobalMaxPool", ["x"])], [X], [], 21, None, GMP),
    ("resize-nearest", [n("Resize", ["x", "roi", "sc"])], [X5], S2, 21, None, NEAREST),
    ("resize-bilinear", [n("Resize", ["x", "roi", "sc"], mode="linear")], [X5], S2, 21, {"y": {"mode": "linear"}}, BILINEAR),
    ("resize-sizes", [n("Resize", ["x", "", "", "sz"])], [X5], [init("sz", "int64", [4], [1, 8, 10, 10])], 21, None, BY_SIZES),
    ("resize-cubic", [n("Resize", ["x", "roi", "sc"], mode="cubic")], [X5], S2, 21, {"y": {"mode": "cubic"}}, CUBIC),
    ("add", [n("Add", ["x", "x2"])], [X, ("x2", "float32", [1, 8, 10, 10])], [], 21, None, ADD),
    ("div", [n("Div", ["x", "x2"])], [X, ("x2", "float32", [1, 8, 10, 10])], [], 21, None, DIV),
    ("reduce", [n("ReduceMean", ["x", "ax"])], [X], [init("ax", "int64", [1], [-1])], 21, None, REDUCE),
    ("lstm", [n("LSTM", ["x", "w", "r", "b"], hidden_size=5)], [("x", "float32", [3, 2, 4])], [w("w", 1, 20, 4), w("r", 1, 20, 5), w("b", 1, 40)], 21, None, LSTM),
    ("gru", [n("GRU", ["x", "w", "r", "b"], hidden_size=5)], [("x", "float32", [3, 2, 4])], [w("w", 1, 15, 4), w("r", 1, 15, 5), w("b", 1, 30)], 21, None, GRU),
    ("topk", [n("TopK", ["x", "k"])], [X4], [init("k", "int64", [1], [3])], 21, None, TOPK),
    ("movement", [n("Transpose", ["x"], perm=[0, 2, 1])], [X4], [], 21, None, MOVE),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_family(case):
    _id, nodes, inputs, inits, opset, attrs, expected = case
    check(run(nodes, inputs, inits, opset, attrs), expected)


def test_exact_profile_is_the_report():
    # The exact profile is onnx-cost's own counting: its totals are the report's.
    nodes = [n("Conv", ["x", "w", "b"], kernel_shape=[3, 3], pads=[1] * 4)]
    report = onnx_cost.analyze(make_model(nodes, [X], [("y", "float32", None)], [w("w", 16, 8, 3, 3), w("b", 16)]))
    r = conventions.apply(report, "exact")
    # Conv with bias: 2·Cin·K² FLOPs per output (n mults, n − 1 adds, 1 bias add) = 2·72·1,600 = 230,400.
    assert r.totals == {"flops": 230_400, "macs": 115_200}
    assert (r.totals["flops"], r.params) == (report.total.flops, report.total.params)
    fast = conventions.exact_result(report)  # what the CLI uses: the report's totals and group-by
    assert (fast.totals, fast.params, fast.by_family) == (r.totals, r.params, r.by_family)


def test_aliases_and_unknown_name():
    assert conventions.get("mmengine") is conventions.get("fvcore")
    assert conventions.get("torch.utils.flop_counter").name == "torch"
    with pytest.raises(ValueError, match="unknown convention 'nope'"):
        conventions.get("nope")


def test_every_profile_names_only_known_families():
    from onnx_cost.views.conventions.families import FAMILIES

    for p in conventions.PROFILES.values():
        assert set(p.table) <= set(FAMILIES), p.name


def test_upsample_by_rank_and_grid_sample():
    # Resize linear ×2 on a 3-D input 1×8×5 (40) -> 1×8×10 (80): thop's nn.Upsample "linear"
    # 5 per output element = 400; fvcore has no upsample_linear1d handle: unsupported.
    res = run([n("Resize", ["x", "roi", "sc"], mode="linear")], [("x", "float32", [1, 8, 5])],
              [init("roi", "float32", [0]), init("sc", "float32", [3], [1, 1, 2])], 21, {"y": {"mode": "linear"}})  # fmt: skip
    assert res["thop"].totals == {"macs": 400}
    assert res["fvcore"].unsupported == {"Resize": 1}
    # GridSample of 1×8×5×5 at a 1×4×4×2 grid -> 1×8×4×4 (128): fvcore's grid_sampler handle 4·128 = 512.
    res = run([n("GridSample", ["x", "g"])], [X5, ("g", "float32", [1, 4, 4, 2])])
    assert res["fvcore"].totals == {"flops": 512} and not res["fvcore"].unsupported


def test_a_node_onnx_cost_cannot_count_is_named_and_partial():
    # An op no rule knows: the report is partial, and so is every profile, which names it.
    node = helper.make_node("Frobnicate", ["x"], ["y"], name="n0", domain="my.ops")
    m = make_model([node], [X], [("y", "float32", None)], extra_opsets={"my.ops": 1})
    for r in conventions.apply_all(onnx_cost.analyze(m)):
        assert r.partial and r.not_modelled == {"my.ops::Frobnicate": 1}, r.profile.name
