"""PyTorch modules an ONNX export spells in primitives are counted as the module.

A peer counts nn.Linear, nn.LayerNorm, nn.GELU and nn.SiLU once, by the module's formula;
the file holds MatMul + Add, ReduceMean … Div, Mul, Add, Div, Erf, Add, Mul, Mul and
Sigmoid, Mul. onnx-tool is ONNX-native and counts every primitive on its own.
"""

from __future__ import annotations

from onnx import helper

import onnx_cost
from onnx_cost.views import conventions

from helpers import init, make_model
from models import Builder

X4 = [1, 4, 32]  # N = 128 elements, 4 rows of D = 32


def _results(b: Builder, x: list[int]) -> dict:
    m = make_model(b.nodes, [("x", "float32", x)], [(b.nodes[-1].output[0], "float32", None)], b.inits, 13)
    report = onnx_cost.analyze(m)
    assert report.coverage.complete, report.uncounted
    return {r.profile.name: r for r in conventions.apply_all(report)}


def _total(r) -> tuple[int, ...]:
    return tuple(r.totals[c] for c in r.profile.columns)


def test_linear_as_matmul_plus_add():
    # 1×4×32 · 32×16 + b[16] -> 1×4×16 (64): MACs 4·16·32 = 2,048; bias 64.
    b = Builder(external=False)
    b.linear("x", 32, 16)
    r = _results(b, X4)
    assert r["thop"].patterns == {"linear": 1}
    assert _total(r["thop"]) == _total(r["fvcore"]) == _total(r["torchvision"]) == (2_048,)  # no bias
    assert _total(r["ptflops"]) == (2_048 + 64,)  # Linear hook: (in·out + out)·rows
    assert _total(r["calflops"]) == (2_048, 4_096)  # F.linear: 2·MACs, bias not counted
    assert _total(r["torch"]) == (4_096,)
    assert _total(r["onnx-tool"]) == (2_048 + 64,)  # MatMul ∏out·K, then Add ∏out·1
    assert not r["fvcore"].unsupported  # the Add is the Linear's bias, not an aten::add


def test_matmul_whose_output_is_shared_keeps_its_add_apart():
    # MatMul by a weight feeds the Add and a second consumer: the Add is not the Linear's bias.
    b = Builder(external=False)
    y = b.node("MatMul", ["x", b.weight(32, 16)])
    b.node("Add", [y, b.weight(16)])
    b.nodes.append(helper.make_node("Mul", [y, b.nodes[-1].output[0]], ["out"], name="mul"))
    r = _results(b, X4)
    assert _total(r["ptflops"]) == (2_048,)  # no bias found: MACs only
    assert r["fvcore"].unsupported == {"Add": 1, "Mul": 1}
    assert r["thop"].patterns == {}


def test_layernorm_decomposed():
    # N = 128: fvcore, calflops 5·N = 640 (affine); thop 4·N = 512; ptflops N = 128.
    b = Builder(external=False)
    b.layer_norm("x", 32, decomposed=True)
    r = _results(b, X4)
    assert r["fvcore"].patterns == {"layernorm": 1}
    assert _total(r["fvcore"]) == (640,) and not r["fvcore"].unsupported
    assert _total(r["thop"]) == (512,)
    assert _total(r["ptflops"]) == (128,)
    assert _total(r["calflops"]) == (0, 640)
    assert _total(r["torch"]) == _total(r["torchvision"]) == (0,)
    # onnx-tool, node by node: ReduceMean ∏in 128, Sub 128, Pow POW 32·128 = 4,096, ReduceMean 128,
    # Add (eps) on the 4 row statistics 4, Sqrt SQRT 24·4 = 96, Div DIV 4·128 = 512, Mul 128, Add 128:
    # 128 + 128 + 4,096 + 128 + 4 + 96 + 512 + 128 + 128 = 5,348.
    assert _total(r["onnx-tool"]) == (5_348,)


def test_layernorm_decomposed_without_affine():
    # No weight multiply: fvcore, calflops 4·N = 512; thop 2·N = 256; ptflops N.
    b = Builder(external=False)
    mean = b.node("ReduceMean", ["x"], axes=[-1])
    d = b.node("Sub", ["x", mean])
    var = b.node("ReduceMean", [b.node("Pow", [d, b.const(2.0)])], axes=[-1])
    b.node("Div", [d, b.node("Sqrt", [b.node("Add", [var, b.const(1e-5)])])])
    r = _results(b, X4)
    assert (_total(r["fvcore"]), _total(r["thop"]), _total(r["ptflops"])) == ((512,), (256,), (128,))
    assert _total(r["calflops"]) == (0, 512)


def test_layernorm_pattern_needs_each_tensor_used_only_inside():
    # The mean also feeds an output-side Mul: not a LayerNorm module, every primitive stands alone.
    b = Builder(external=False)
    mean = b.node("ReduceMean", ["x"], axes=[-1])
    d = b.node("Sub", ["x", mean])
    var = b.node("ReduceMean", [b.node("Pow", [d, b.const(2.0)])], axes=[-1])
    y = b.node("Div", [d, b.node("Sqrt", [b.node("Add", [var, b.const(1e-5)])])])
    b.node("Mul", [y, mean])
    r = _results(b, X4)
    assert r["fvcore"].patterns == {}
    assert set(r["fvcore"].unsupported) == {"ReduceMean", "Sub", "Pow", "Add", "Sqrt", "Div", "Mul"}


def test_gelu_decomposed_torch_and_bert_forms():
    # N = 128. ptflops (nn.GELU -> its relu hook) and calflops (F.gelu) 1 per element;
    # fvcore and thop have no rule: 0, named once as the module.
    for form in ("torch", "bert"):
        b = Builder(external=False)
        if form == "torch":
            b.gelu("x", decomposed=True)  # Div, Erf, Add, Mul(x, ·), Mul(·, 0.5)
        else:  # x * 0.5 * (1 + erf(x / √2))
            half = b.node("Mul", ["x", b.const(0.5)])
            e = b.node("Erf", [b.node("Div", ["x", b.const(1.4142135)])])
            b.node("Mul", [half, b.node("Add", [e, b.const(1.0)])])
        r = _results(b, X4)
        assert r["ptflops"].patterns == {"gelu": 1}, form
        assert _total(r["ptflops"]) == (128,) and _total(r["calflops"]) == (0, 128)
        assert r["fvcore"].unsupported == {"gelu (decomposed)": 1}
        assert r["thop"].unsupported == {"gelu (decomposed)": 1}
    # onnx-tool on the torch form: Div DIV 4·128 = 512, Erf 0, Add 128, Mul 128, Mul 128 = 896.
    b = Builder(external=False)
    b.gelu("x", decomposed=True)
    assert _total(_results(b, X4)["onnx-tool"]) == (896,)


def test_silu_as_sigmoid_times_x():
    # nn.SiLU exports as Sigmoid + Mul; N = 128: ptflops (F.silu) and calflops 1 per element.
    b = Builder(external=False)
    b.node("Mul", ["x", b.node("Sigmoid", ["x"])])
    r = _results(b, X4)
    assert r["ptflops"].patterns == {"silu": 1}
    assert _total(r["ptflops"]) == (128,) and _total(r["calflops"]) == (0, 128)
    # onnx-tool: Sigmoid EXP 32·128 = 4,096 + Mul 128 = 4,224.
    assert _total(r["onnx-tool"]) == (4_224,)


def test_folded_batchnorm_is_just_a_conv_bias():
    # BN folded into the conv at export: the file holds a Conv with a bias, nothing to recognize.
    # torchvision counts it as the conv's MACs (bias free); its params count the bias (the file's
    # learnable weight), where the unfolded model had BN's 2·C: 8·3·9 = 216 + 8 = 224.
    conv = helper.make_node("Conv", ["x", "w", "b"], ["y"], name="c", kernel_shape=[3, 3], pads=[1] * 4)
    m = make_model([conv], [("x", "float32", [1, 3, 4, 4])], [("y", "float32", None)],
                   [init("w", "float32", [8, 3, 3, 3]), init("b", "float32", [8])])  # fmt: skip
    r = conventions.apply(onnx_cost.analyze(m), "torchvision")
    assert r.totals == {"macs": 16 * 8 * 27} and r.params == 224  # 3,456 MACs


def _in_module(b: Builder, classes: list[str]) -> None:
    """Mark every node as run inside ``classes`` (outermost first), as torch's dynamo exporter
    writes it: cumulative scope names and the classes in step, the root first, the op last."""
    names = ["", *(f"m{i}" for i in range(len(classes)))]
    for node in b.nodes:
        for key, value in (("pkg.torch.onnx.name_scopes", repr([*names, "op"])),
                           ("pkg.torch.onnx.class_hierarchy", repr(["Model", *classes, "aten.op.default"]))):  # fmt: skip
            p = node.metadata_props.add()
            p.key, p.value = key, value


def test_thop_counts_only_the_module_types_it_registers():
    # thop looks a module's type up exactly: nn.MultiheadAttention's out_proj is a
    # NonDynamicallyQuantizableLinear, a subclass of nn.Linear, which thop has no rule for.
    # The same MatMul + Add (2,048 MACs, as above) counts under nn.Linear, 0 under the subclass.
    mha = "torch.nn.modules.activation.MultiheadAttention"
    for cls, want, named in (
        ("torch.nn.modules.linear.Linear", 2_048, {}),
        ("torch.nn.modules.linear.NonDynamicallyQuantizableLinear", 0, {"NonDynamicallyQuantizableLinear": 1}),
    ):
        b = Builder(external=False)
        b.linear("x", 32, 16)
        _in_module(b, [mha, cls])
        r = _results(b, X4)
        assert _total(r["thop"]) == (want,) and r["thop"].unsupported == named, cls
        assert _total(r["torchvision"]) == (2_048,)  # the other profiles do not look at modules
