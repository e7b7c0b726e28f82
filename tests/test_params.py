"""params as users mean them (docs/counting.md, "params"): what the model learned, not every
float in the file. Every expected number is worked out by hand from the shapes in the test."""

from __future__ import annotations

import os

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

import onnx_cost
from onnx_cost.render import report as render

from helpers import init, make_model

F = "float32"


def const(name: str, value, dtype=np.float32) -> onnx.NodeProto:
    """A Constant node holding ``value``."""
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.asarray(value, dtype=dtype), name))


def test_clip_0_6_block_adds_no_params():
    # MobileNetV2-style: Conv 3→8 3×3 (+ bias), Clip(0, 6), depthwise 3×3 on 8 channels, Clip(0, 6);
    # the four Clip bounds are Constant scalars
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        const("lo1", 0.0), const("hi1", 6.0),
        helper.make_node("Clip", ["c1", "lo1", "hi1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], pads=[1, 1, 1, 1], group=8),
        const("lo2", 0.0), const("hi2", 6.0),
        helper.make_node("Clip", ["c2", "lo2", "hi2"], ["y"]),
    ]
    inits = [init("w1", F, (8, 3, 3, 3)), init("b1", F, (8,)), init("w2", F, (8, 1, 3, 3))]
    r = onnx_cost.analyze(make_model(nodes, [("x", F, (1, 3, 8, 8))], [("y", F, None)], inits))
    # params: 8·3·3·3 = 216, + 8 bias, + 8·1·3·3 = 72 -> 296; the bounds are 4 constants of 4 bytes
    assert r.total.params == 216 + 8 + 72
    assert r.total.param_bytes == 4 * 296
    assert (r.total.constants, r.total.constant_bytes) == (4, 16)


def _layer_norm(affine_from_constants: bool) -> onnx.ModelProto:
    """LayerNorm over the last axis (16) written out with a Constant epsilon and exponent."""
    nodes = [
        helper.make_node("ReduceMean", ["x"], ["mu"], axes=[-1]),
        helper.make_node("Sub", ["x", "mu"], ["d"]),
        const("two", 2.0),
        helper.make_node("Pow", ["d", "two"], ["d2"]),
        helper.make_node("ReduceMean", ["d2"], ["var"], axes=[-1]),
        const("eps", 1e-5),
        helper.make_node("Add", ["var", "eps"], ["ve"]),
        helper.make_node("Sqrt", ["ve"], ["sd"]),
        helper.make_node("Div", ["d", "sd"], ["n"]),
        helper.make_node("Mul", ["n", "gamma"], ["s"]),
        helper.make_node("Add", ["s", "beta"], ["y"]),
    ]
    inits = []
    if affine_from_constants:
        nodes += [const("gamma", np.ones(16)), const("beta", np.zeros(16))]
    else:
        inits = [init("gamma", F, (16,)), init("beta", F, (16,))]
    return make_model(nodes, [("x", F, (2, 4, 16))], [("y", F, None)], inits, opset=17)


def test_layer_norm_constant_epsilon_adds_no_params():
    for from_constants in (False, True):
        r = onnx_cost.analyze(_layer_norm(from_constants))
        # gamma and beta, 16 each, are params (as initializers, or as Constants that reach the
        # per-channel scale and shift); the exponent 2.0 and ε are 2 constants of 4 bytes
        assert r.total.params == 32, from_constants
        assert (r.total.constants, r.total.constant_bytes) == (2, 8)


def test_lstm_constant_initial_states_add_no_params():
    # X [seq 5, batch 1, input 8], hidden 16: W [1, 64, 8], R [1, 64, 16], B [1, 128];
    # initial_h and initial_c are Constant zeros [1, 1, 16]
    nodes = [
        const("h0", np.zeros((1, 1, 16))), const("c0", np.zeros((1, 1, 16))),
        helper.make_node("LSTM", ["x", "W", "R", "B", "", "h0", "c0"], ["y", "yh"], hidden_size=16),
    ]
    inits = [init("W", F, (1, 64, 8)), init("R", F, (1, 64, 16)), init("B", F, (1, 128))]
    r = onnx_cost.analyze(make_model(nodes, [("x", F, (5, 1, 8))], [("yh", F, None)], inits))
    # params 64·8 + 64·16 + 128 = 512 + 1024 + 128 = 1664; states 2·16 = 32 constants, 128 bytes
    assert r.total.params == 1664
    assert (r.total.constants, r.total.constant_bytes) == (32, 128)


def test_attention_mask_from_constant_of_shape_adds_no_params():
    # scores = (x·Wq)·xᵀ [1, 4, 4]; mask = ConstantOfShape([1, 4, 4]) added before the softmax
    nodes = [
        helper.make_node("MatMul", ["x", "wq"], ["q"]),
        helper.make_node("Transpose", ["x"], ["xt"], perm=[0, 2, 1]),
        helper.make_node("MatMul", ["q", "xt"], ["s"]),
        const("shape", [1, 4, 4], np.int64),
        helper.make_node("ConstantOfShape", ["shape"], ["mask"], value=numpy_helper.from_array(np.array([-1e4], np.float32))),
        helper.make_node("Add", ["s", "mask"], ["sm"]),
        helper.make_node("Softmax", ["sm"], ["y"], axis=-1),
    ]
    r = onnx_cost.analyze(make_model(nodes, [("x", F, (1, 4, 8))], [("y", F, None)], [init("wq", F, (8, 8))]))
    # params: Wq 64; the mask (16 float elements, 64 B) and its int64 shape (3, 24 B) are constants
    assert r.total.params == 64
    assert (r.total.constants, r.total.constant_bytes) == (16 + 3, 64 + 24)


def test_graph_built_weights_through_chains_count():
    # a Constant fp32 conv weight [4, 3, 1, 1] cast to fp16; a ConstantOfShape Gemm weight
    # [12, 5] reshaped from a flat [60]; an embedding table Constant [10, 4] read by Gather
    nodes = [
        const("w32", np.ones((4, 3, 1, 1))),
        helper.make_node("Cast", ["w32"], ["w16"], to=onnx.TensorProto.FLOAT16),
        helper.make_node("Conv", ["x", "w16"], ["c"]),
        helper.make_node("Cast", ["c"], ["c32"], to=onnx.TensorProto.FLOAT),
        helper.make_node("Reshape", ["c32", "flat"], ["v"]),
        const("n60", [60], np.int64),
        helper.make_node("ConstantOfShape", ["n60"], ["g60"], value=numpy_helper.from_array(np.array([0.5], np.float32))),
        const("gshape", [12, 5], np.int64),
        helper.make_node("Reshape", ["g60", "gshape"], ["gw"]),
        helper.make_node("Gemm", ["v", "gw"], ["y"]),
        const("table", np.ones((10, 4))),
        helper.make_node("Gather", ["table", "ids"], ["e"]),
    ]
    inits = [init("flat", "int64", (2,), [1, 12])]
    model = make_model(
        nodes, [("x", "float16", (1, 3, 1, 3)), ("ids", "int64", (2,))], [("y", F, None), ("e", F, None)], inits
    )
    r = onnx_cost.analyze(model)
    # params: conv weight 12 (counted at its fp32 source: 48 B), Gemm weight 60 (240 B),
    # table 40 (160 B); constants: the int64 shapes flat (2), n60 (1), gshape (2) = 5, 40 B
    assert r.total.params == 12 + 60 + 40
    assert r.total.param_bytes == 4 * 112
    assert (r.total.constants, r.total.constant_bytes) == (5, 40)


def test_int_lookup_table_and_int32_shape_initializer_are_constants():
    # an int64 Constant lookup table [10] read by Gather; an int32 initializer [2] cast to the
    # int64 shape of a Reshape: both constants (10·8 + 2·4 = 88 B), no params
    nodes = [
        const("lut", np.arange(10), np.int64),
        helper.make_node("Gather", ["lut", "ids"], ["e"]),
        helper.make_node("Cast", ["s32"], ["s64"], to=onnx.TensorProto.INT64),
        helper.make_node("Reshape", ["x", "s64"], ["y"]),
    ]
    model = make_model(
        nodes, [("x", F, (2, 3)), ("ids", "int64", (4,))], [("y", F, None), ("e", "int64", None)],
        [init("s32", "int32", (2,), [3, 2])],
    )
    r = onnx_cost.analyze(model)
    assert r.total.params == 0
    assert (r.total.constants, r.total.constant_bytes) == (12, 88)


def test_int32_bias_of_a_quantized_conv_is_a_param():
    u8 = "uint8"
    inits = [
        init("xs", F, (), 0.1), init("xz", u8, (), 0), init("w", u8, (2, 3, 1, 1)), init("ws", F, (), 0.1),
        init("wz", u8, (), 0), init("ys", F, (), 0.2), init("yz", u8, (), 0), init("b", "int32", (2,)),
    ]
    node = helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], ["y"])
    r = onnx_cost.analyze(make_model([node], [("x", u8, (1, 3, 2, 2))], [("y", u8, None)], inits))
    # params: w 6 (6 B), b 2 (8 B) = 8 elements, 14 B; every scale and zero point (x, w, y:
    # 3 float + 3 uint8 scalars, 15 B) is a quant param, neither a param nor a constant
    assert r.total.params == 6 + 2
    assert r.total.param_bytes == 6 + 8
    assert (r.total.constants, r.total.constant_bytes) == (0, 0)
    assert r.quant_params == {"xs": (1, 4), "xz": (1, 1), "ws": (1, 4), "wz": (1, 1), "ys": (1, 4), "yz": (1, 1)}


def test_unused_initializers_are_reported_not_counted():
    node = helper.make_node("MatMul", ["x", "w"], ["y"])
    inits = [init("w", F, (3, 2)), init("stale", F, (4, 4)), init("stale_shape", "int64", (2,))]
    r = onnx_cost.analyze(make_model([node], [("x", F, (1, 3))], [("y", F, None)], inits))
    # w 6 params; "stale" 16 float (64 B) and "stale_shape" 2 int64 (16 B) read by no node
    assert r.total.params == 6
    assert r.unused_params == {"stale": (16, 64), "stale_shape": (2, 16)}
    assert any("2 initializers no node reads (18 elements, 80 bytes)" in w for w in r.warnings)
    d = render.to_dict(r)
    assert d["unused_params"] == {"elements": 18, "bytes": 80, "names": ["stale", "stale_shape"]}


# -- published counts ---------------------------------------------------------------------

LIGHT = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")


def test_light_resnet50_keeps_its_weights_from_constant_of_shape():
    # torchvision resnet50 num_params 25,557,032 (weights and BN scale/shift). The file also stores
    # BN running mean and var: BN channels 64 (stem) + layer1 3·(64+64+256)+256 = 1,408
    # + layer2 4·(128+128+512)+512 = 3,584 + layer3 6·(256+256+1,024)+1,024 = 10,240
    # + layer4 3·(512+512+2,048)+2,048 = 11,264 = 26,560 channels; + 2·26,560 = 25,610,152
    r = onnx_cost.analyze(os.path.join(LIGHT, "light_resnet50.onnx"))
    assert r.total.params == 25_557_032 + 2 * 26_560


def test_resnet18_matches_torchvision_num_params_less_bn_running_stats():
    from test_models_reference import resnet18

    r = onnx_cost.analyze(resnet18())
    bn = [rec for rec in r.nodes if rec.op_type == "BatchNormalization"]
    running = sum(2 * rec.inputs[3][0] for rec in bn)  # mean and var, C each
    # 4,800 BN channels (test_models_reference); torchvision num_params 11,689,512
    assert running == 2 * 4_800
    assert r.total.params - running == 11_689_512


# Published counts (torchvision's model docs "num_params"; Hugging Face bert-base-uncased
# num_parameters() 109,482,240 less its pooler 768·768 + 768 = 590,592) against the whole-model
# builders of tests/models.py. torchvision counts BN's scale and shift only: ours less the
# running mean and var (2·C per BatchNormalization) must equal it.
PUBLISHED = [
    ("mobilenet_v2", 3_504_872),
    ("efficientnet_b0", 5_288_548),
    ("convnext_tiny", 28_589_128),
    ("vit_b_16", 86_567_656),
    ("vgg16", 138_357_544),
    ("bert_base", 109_482_240 - (768 * 768 + 768)),
]


@pytest.mark.parametrize("name, published", PUBLISHED, ids=[n for n, _ in PUBLISHED])
def test_published_counts(name, published):
    import models

    r = onnx_cost.analyze(getattr(models, name)())
    running = sum(2 * rec.inputs[3][0] for rec in r.nodes if rec.op_type == "BatchNormalization")
    assert r.total.params - running == published


def test_scalar_initializers_are_constants_unless_they_reach_a_weight_slot():
    # Clip(x, lo, hi) with lo/hi scalar initializers, and PRelu with a one-element slope initializer
    nodes = [helper.make_node("Clip", ["x", "lo", "hi"], ["c"]), helper.make_node("PRelu", ["c", "slope"], ["y"])]
    inits = [init("lo", F, (), 0.0), init("hi", F, (), 6.0), init("slope", F, (1,), 0.25)]
    r = onnx_cost.analyze(make_model(nodes, [("x", F, (1, 4))], [("y", F, None)], inits))
    # the slope (1) is a learned weight; the bounds are 2 constants of 4 bytes
    assert r.total.params == 1
    assert (r.total.constants, r.total.constant_bytes) == (2, 8)


def _tiny_bert() -> tuple[onnx.ModelProto, int]:
    """One BERT encoder layer as Hugging Face exports it (embeddings, LayerNorm, attention with a
    Constant scale and a ConstantOfShape mask, FFN); and num_parameters() worked out by hand."""
    v, p, h, i, s = 50, 16, 8, 32, 4
    g: list[onnx.NodeProto] = []
    inits = [init("word", F, (v, h)), init("pos", F, (p, h)), init("tok", F, (2, h))]
    inits += [init(n, F, (h,)) for n in ("ln0_g", "ln0_b", "ln1_g", "ln1_b", "ln2_g", "ln2_b")]
    g += [
        helper.make_node("Gather", ["word", "ids"], ["we"]),
        helper.make_node("Gather", ["pos", "pids"], ["pe"]),
        helper.make_node("Gather", ["tok", "tids"], ["te"]),
        helper.make_node("Sum", ["we", "pe", "te"], ["e"]),
        helper.make_node("LayerNormalization", ["e", "ln0_g", "ln0_b"], ["x0"], axis=-1),
    ]
    for n in ("q", "k", "v", "o"):
        inits += [init(f"{n}_w", F, (h, h)), init(f"{n}_b", F, (h,))]
    for n in ("q", "k", "v"):
        g += [helper.make_node("MatMul", ["x0", f"{n}_w"], [f"{n}m"]), helper.make_node("Add", [f"{n}m", f"{n}_b"], [n])]
    g += [
        helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 2, 1]),
        helper.make_node("MatMul", ["q", "kt"], ["sc"]),
        const("scale", 1 / np.sqrt(h)),
        helper.make_node("Mul", ["sc", "scale"], ["ss"]),
        const("mshape", [1, s, s], np.int64),
        helper.make_node("ConstantOfShape", ["mshape"], ["mask"], value=numpy_helper.from_array(np.array([0.0], np.float32))),
        helper.make_node("Add", ["ss", "mask"], ["sm"]),
        helper.make_node("Softmax", ["sm"], ["pr"], axis=-1),
        helper.make_node("MatMul", ["pr", "v"], ["ctx"]),
        helper.make_node("MatMul", ["ctx", "o_w"], ["om"]),
        helper.make_node("Add", ["om", "o_b"], ["ao"]),
        helper.make_node("Add", ["ao", "x0"], ["r1"]),
        helper.make_node("LayerNormalization", ["r1", "ln1_g", "ln1_b"], ["x1"], axis=-1),
        helper.make_node("MatMul", ["x1", "f1_w"], ["f1m"]),
        helper.make_node("Add", ["f1m", "f1_b"], ["f1"]),
        helper.make_node("Gelu", ["f1"], ["ge"]),
        helper.make_node("MatMul", ["ge", "f2_w"], ["f2m"]),
        helper.make_node("Add", ["f2m", "f2_b"], ["f2"]),
        helper.make_node("Add", ["f2", "x1"], ["r2"]),
        helper.make_node("LayerNormalization", ["r2", "ln2_g", "ln2_b"], ["y"], axis=-1),
    ]
    inits += [init("f1_w", F, (h, i)), init("f1_b", F, (i,)), init("f2_w", F, (i, h)), init("f2_b", F, (h,))]
    ins = [("ids", "int64", (1, s)), ("pids", "int64", (1, s)), ("tids", "int64", (1, s))]
    model = make_model(g, ins, [("y", F, None)], inits, opset=20)
    # num_parameters(): embeddings 50·8 + 16·8 + 2·8 = 544, embedding LayerNorm 2·8 = 16;
    # attention 4·(8·8 + 8) = 288; its LayerNorm 16; FFN 8·32 + 32 + 32·8 + 8 = 552; LayerNorm 16
    return model, 544 + 16 + 288 + 16 + 552 + 16


def test_tiny_bert_matches_hugging_face_num_parameters():
    model, hf = _tiny_bert()
    r = onnx_cost.analyze(model)
    assert hf == 1432
    assert r.total.params == hf
    # the attention scale (1 float) and the mask (16 floats) and its shape (3 int64) are constants
    assert (r.total.constants, r.total.constant_bytes) == (1 + 16 + 3, 4 + 64 + 24)
