"""Data movement and metadata: one-node cases, bytes and counts worked out by hand.

float32 = 4 bytes, float16 = 2, int64 = 8, int32 = 4, bool = 1 per element.
"""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper, numpy_helper

from onnx_cost.rules import REGISTRY, load_all

from helpers import analyze_model, init, make_model, one_node

F = "float32"
load_all()


def i64(name, values):
    return init(name, "int64", [len(values)], values)


# -- zero compute: (op, inputs, outputs, initializers, opset, attrs, status, read, write) ----------

ZERO_CASES = [
    # views move nothing
    ("Reshape", [("x", F, [2, 3, 4]), ("s", "int64", [2])], [("y", F, [6, 4])], [i64("s", [6, 4])], 21, {}, 0, 0),
    ("Identity", [("x", F, [2, 3])], [("y", F, [2, 3])], [], 21, {}, 0, 0),
    ("Flatten", [("x", F, [2, 3, 4])], [("y", F, [2, 12])], [], 21, {}, 0, 0),
    ("Squeeze", [("x", F, [2, 1, 4]), ("a", "int64", [1])], [("y", F, [2, 4])], [i64("a", [1])], 21, {}, 0, 0),
    ("Unsqueeze", [("x", F, [2, 4]), ("a", "int64", [1])], [("y", F, [2, 1, 4])], [i64("a", [1])], 21, {}, 0, 0),
    # Shape: reads metadata only, writes rank 3 · 8 = 24 bytes
    ("Shape", [("x", F, [2, 3, 4])], [("y", "int64", [3])], [], 21, {}, 0, 24),
    # Shape with start=1: writes 2 · 8 = 16
    ("Shape", [("x", F, [2, 3, 4])], [("y", "int64", [2])], [], 21, {"start": 1}, 0, 16),
    # Size: a scalar int64, 8 bytes
    ("Size", [("x", F, [2, 3, 4])], [("y", "int64", [])], [], 21, {}, 0, 8),
    # EyeLike reads only the shape: writes 3·3 · 4 = 36
    ("EyeLike", [("x", F, [3, 3])], [("y", F, [3, 3])], [], 21, {}, 0, 36),
    # io: Transpose 2·3·4 = 24 elements · 4 = 96 each way
    ("Transpose", [("x", F, [2, 3, 4])], [("y", F, [4, 3, 2])], [], 21, {"perm": [2, 1, 0]}, 96, 96),
    # Concat: reads (2·3 + 2·5)·4 = 64; writes 2·8 · 4 = 64
    ("Concat", [("a", F, [2, 3]), ("b", F, [2, 5])], [("y", F, [2, 8])], [], 21, {"axis": 1}, 64, 64),
    # Cast float32 -> float16: reads 6·4 = 24, writes 6·2 = 12
    ("Cast", [("x", F, [2, 3])], [("y", "float16", [2, 3])], [], 21, {"to": 10}, 24, 12),
    # Pad reflect, still no arithmetic: reads x 2·3·4 = 24 + pads 4·8 = 32 -> 56; writes 4·5·4 = 80
    ("Pad", [("x", F, [2, 3]), ("p", "int64", [4])], [("y", F, [4, 5])], [i64("p", [1, 1, 1, 1])], 21,
     {"mode": "reflect"}, 56, 80),
    # Expand reads its input once: 3·4 = 12 + shape 2·8 = 16 -> 28; writes 4·3 · 4 = 48
    ("Expand", [("x", F, [3, 1]), ("s", "int64", [2])], [("y", F, [3, 4])], [i64("s", [3, 4])], 21, {}, 28, 48),
    # Tile reads its input once: 2·3·4 = 24 + repeats 2·8 = 16 -> 40; writes 4·6 · 4 = 96
    ("Tile", [("x", F, [2, 3]), ("r", "int64", [2])], [("y", F, [4, 6])], [i64("r", [2, 2])], 21, {}, 40, 96),
    # DepthToSpace: 1·8·2·2 = 32 elements · 4 = 128 each way
    ("DepthToSpace", [("x", F, [1, 8, 2, 2])], [("y", F, [1, 2, 4, 4])], [], 21, {"blocksize": 2}, 128, 128),
    # Trilu: 3·3 · 4 = 36 each way
    ("Trilu", [("x", F, [3, 3])], [("y", F, [3, 3])], [], 21, {}, 36, 36),
    # Split: 2·6 · 4 = 48 read, two halves of 24 written
    ("Split", [("x", F, [2, 6])], [("a", F, [2, 3]), ("b", F, [2, 3])], [], 21, {"axis": 1, "num_outputs": 2}, 48, 48),
]


@pytest.mark.parametrize(
    "op,ins,outs,inits,opset,attrs,read,write", ZERO_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(ZERO_CASES)]
)
def test_zero_compute(op, ins, outs, inits, opset, attrs, read, write):
    rec = one_node(op, ins, outs, inits, opset=opset, **attrs)
    assert rec.status == "zero", rec.detail
    assert rec.cost.flops == 0 and rec.cost.int_ops == 0
    assert (rec.cost.read_bytes, rec.cost.write_bytes) == (read, write)
    assert not rec.bytes_partial


def test_constant_writes_its_value_and_reads_nothing():
    value = numpy_helper.from_array(np.zeros((2, 5), np.float32), "v")
    rec = one_node("Constant", [], [("y", F, [2, 5])], value=value)
    # 2·5 · 4 = 40 bytes written
    assert (rec.status, rec.cost.read_bytes, rec.cost.write_bytes) == ("zero", 0, 40)


def test_constant_of_shape_reads_the_shape_writes_the_fill():
    rec = one_node("ConstantOfShape", [("s", "int64", [2])], [("y", F, [3, 4])], [i64("s", [3, 4])])
    # reads 2·8 = 16, writes 3·4 · 4 = 48
    assert (rec.status, rec.cost.read_bytes, rec.cost.write_bytes) == ("zero", 16, 48)


def test_zero_compute_with_a_symbolic_dim_is_still_zero_with_partial_bytes():
    rec = one_node("Transpose", [("x", F, ["N", 3])], [("y", F, [3, "N"])])
    assert rec.status == "zero" and rec.bytes_partial and rec.cost.flops == 0


def test_every_movement_entry_has_a_reason():
    for (domain, op), e in REGISTRY.items():
        if e.family == "movement":
            assert domain == "" and len(e.doc) > 30, op


# -- partial reads: (op, inputs, outputs, initializers, attrs, read, write) -------------------------

PARTIAL_CASES = [
    # Gather rows of a [1000, 64] table by [2, 5] indices: out [2, 5, 64] = 640 elements
    # reads 640·4 = 2560 of the table + 10·8 = 80 of indices = 2640; writes 2560
    ("Gather", [("t", F, [1000, 64]), ("i", "int64", [2, 5])], [("y", F, [2, 5, 64])],
     [init("t", F, [1000, 64])], {}, 2640, 2560),
    # GatherElements: out = indices shape [3, 2]: reads 6·4 = 24 + 6·8 = 48 -> 72; writes 24
    ("GatherElements", [("d", F, [3, 4]), ("i", "int64", [3, 2])], [("y", F, [3, 2])], [], {"axis": 1}, 72, 24),
    # GatherND: indices [2, 1] pick 2 slices of [3, 4]: out [2, 3, 4] = 24 elements
    # reads 24·4 = 96 + 2·8 = 16 -> 112; writes 96
    ("GatherND", [("d", F, [5, 3, 4]), ("i", "int64", [2, 1])], [("y", F, [2, 3, 4])], [], {}, 112, 96),
    # Slice [10, 20] to columns 0..5: out [10, 5] = 50 elements
    # reads 50·4 = 200 + starts, ends, axes 3·8 = 24 -> 224; writes 200
    ("Slice", [("x", F, [10, 20]), ("s", "int64", [1]), ("e", "int64", [1]), ("a", "int64", [1])],
     [("y", F, [10, 5])], [i64("s", [0]), i64("e", [5]), i64("a", [1])], {}, 224, 200),
    # CastLike float32 -> float16 of [2, 3]: reads x only 6·4 = 24 (target only for its type); writes 6·2 = 12
    ("CastLike", [("x", F, [2, 3]), ("t", "float16", [1])], [("y", "float16", [2, 3])], [], {}, 24, 12),
]


@pytest.mark.parametrize(
    "op,ins,outs,inits,attrs,read,write", PARTIAL_CASES, ids=[c[0] for c in PARTIAL_CASES]
)
def test_partial_reads(op, ins, outs, inits, attrs, read, write):
    rec = one_node(op, ins, outs, inits, **attrs)
    assert rec.status == "counted", rec.detail
    assert rec.cost.flops == 0 and rec.cost.int_ops == 0
    assert (rec.cost.read_bytes, rec.cost.write_bytes) == (read, write)


def test_compress_reads_only_the_kept_rows():
    # onnx's inference leaves the kept length unknown; the exporter's value_info gives it
    cond = init("c", "bool", [4], [True, False, True, True])
    node = helper.make_node("Compress", ["x", "c"], ["y"], axis=0)
    model = make_model([node], [("x", F, [4, 3])], [("y", F, None)], [cond], value_info=[("y", F, [3, 3])])
    rec = analyze_model(model).nodes[0]
    # 3 rows kept: 9·4 = 36 of x + condition 4·1 = 4 -> 40 read; 36 written
    assert (rec.status, rec.cost.read_bytes, rec.cost.write_bytes) == ("counted", 40, 36)


def test_compress_with_a_runtime_condition_falls_back_to_partial_bytes():
    rec = one_node("Compress", [("x", F, [4, 3]), ("c", "bool", [4])], [("y", F, None)], axis=0)
    # output length unknown: every input read once (4·3·4 = 48 + 4 = 52), marked partial; count 0
    assert rec.status == "counted" and rec.cost.flops == 0
    assert rec.bytes_partial and rec.cost.read_bytes == 52


def test_slice_with_a_symbolic_dim_is_counted_with_partial_bytes():
    rec = one_node(
        "Slice",
        [("x", F, ["N", 20]), ("s", "int64", [1]), ("e", "int64", [1]), ("a", "int64", [1])],
        [("y", F, ["N", 5])],
        [i64("s", [0]), i64("e", [5]), i64("a", [1])],
    )
    assert rec.status == "counted" and rec.cost.flops == 0 and rec.bytes_partial


def test_tensor_scatter_moves_only_the_update():
    rec = one_node(
        "TensorScatter",
        [("p", F, [1, 2, 8, 4]), ("u", F, [1, 2, 3, 4]), ("w", "int64", [1])],
        [("y", F, [1, 2, 8, 4])],
        opset=24,
    )
    # update 1·2·3·4 = 24 elements · 4 = 96; reads 96 + write_indices 8 = 104, writes 96
    assert (rec.status, rec.cost.flops, rec.cost.read_bytes, rec.cost.write_bytes) == ("counted", 0, 104, 96)


# -- ops that count: NonZero, Range, Scatter reductions ---------------------------------------------


def test_nonzero_tests_every_element():
    rec = one_node("NonZero", [("x", F, [3, 4])], [("y", "int64", None)])
    # 3·4 = 12 compares
    assert (rec.status, rec.cost.compare, rec.cost.flops) == ("counted", 12, 12)


def test_nonzero_on_integers_counts_int_ops():
    rec = one_node("NonZero", [("x", "int32", [3, 4])], [("y", "int64", None)])
    # 12 integer tests, no float op
    assert (rec.cost.int_ops, rec.cost.flops) == (12, 0)


@pytest.mark.parametrize(
    "dtype,start,limit,delta,arith,int_ops",
    [
        ("float32", 0.0, 10.0, 3.0, 4, 0),  # ceil(10/3) = 4 elements: 4 adds
        ("int64", 1, 11, 2, 0, 5),  # ceil(10/2) = 5 elements: 5 integer adds
        ("int64", 5, 1, -1, 0, 4),  # ceil(-4/-1) = 4 elements
        ("int64", 5, 1, 1, 0, 0),  # max(ceil(-4/1), 0) = 0 elements: nothing
    ],
)
def test_range_adds_delta_per_element(dtype, start, limit, delta, arith, int_ops):
    inits = [init("s", dtype, [], start), init("l", dtype, [], limit), init("d", dtype, [], delta)]
    rec = one_node("Range", [("s", dtype, []), ("l", dtype, []), ("d", dtype, [])], [("y", dtype, None)], inits)
    assert rec.status == "counted", rec.detail
    assert (rec.cost.arith, rec.cost.int_ops) == (arith, int_ops)


def test_range_with_runtime_bounds_is_shape_unknown():
    rec = one_node("Range", [("s", F, []), ("l", F, []), ("d", F, [])], [("y", F, None)])
    assert rec.status == "shape_unknown"


SCATTER = [("d", F, [3, 3]), ("i", "int64", [2, 3]), ("u", F, [2, 3])]


@pytest.mark.parametrize(
    "reduction,opset,arith,compare",
    [
        ("none", 18, 0, 0),  # a copy
        ("add", 18, 6, 0),  # one add per update: 2·3 = 6
        ("mul", 18, 6, 0),  # 6 multiplies
        ("max", 18, 0, 6),  # 6 compares
        ("min", 18, 0, 6),
        (None, 13, 0, 0),  # opset 13 has no reduction: a copy
    ],
)
def test_scatter_elements_reductions(reduction, opset, arith, compare):
    attrs = {} if reduction is None else {"reduction": reduction}
    rec = one_node("ScatterElements", SCATTER, [("y", F, [3, 3])], opset=opset, **attrs)
    assert rec.status == "counted", rec.detail
    assert (rec.cost.arith, rec.cost.compare) == (arith, compare)
    # reads 9·4 + 6·8 + 6·4 = 36 + 48 + 24 = 108; writes 36
    assert (rec.cost.read_bytes, rec.cost.write_bytes) == (108, 36)


def test_scatter_nd_add_on_integers():
    ins = [("d", "int32", [4, 4]), ("i", "int64", [2, 1]), ("u", "int32", [2, 4])]
    rec = one_node("ScatterND", ins, [("y", "int32", [4, 4])], reduction="add")
    # updates 2·4 = 8 integer adds
    assert (rec.cost.int_ops, rec.cost.flops) == (8, 0)


def test_scatter_nd_max_on_floats():
    ins = [("d", F, [4, 4]), ("i", "int64", [2, 1]), ("u", F, [2, 4])]
    rec = one_node("ScatterND", ins, [("y", F, [4, 4])], reduction="max")
    assert rec.cost.compare == 8  # 2·4 updates compared


# -- Col2Im -----------------------------------------------------------------------------------------


def col2im(x, image, block, **attrs):
    inits = [i64("im", image), i64("bl", block)]
    ins = [("x", F, x), ("im", "int64", [len(image)]), ("bl", "int64", [len(block)])]
    return one_node("Col2Im", ins, [("y", F, None)], inits, opset=18, **attrs)


def test_col2im_adds_every_column_element_without_padding():
    # image 5×5, block 2×2, stride 1: 4 blocks per axis, L = 16; C = 20 / 4 = 5
    # every (block, offset) pair lands inside: 4·2 = 8 per axis, 64 in all; 1·5·64 = 320 adds
    rec = col2im([1, 20, 16], [5, 5], [2, 2])
    assert (rec.status, rec.cost.arith) == ("counted", 320)
    assert rec.outputs[0] == (1, 5, 5, 5)


def test_col2im_drops_what_falls_into_the_padding():
    # image 3×3, block 2×2, pads 1 all round: (3 + 2 − 2)/1 + 1 = 4 blocks per axis, L = 16
    # per axis coord = p − 1 + k: p=0 -> 1 inside, p=1 -> 2, p=2 -> 2, p=3 -> 1: 6 pairs; 6·6 = 36 adds
    rec = col2im([1, 4, 16], [3, 3], [2, 2], pads=[1, 1, 1, 1])
    assert rec.cost.arith == 36


def test_col2im_strides_and_dilations():
    # image 5×5, block 2×2, dilation 2 (span 3), stride 2: (5 − 3)/2 + 1 = 2 blocks per axis, L = 4
    # all inside: 2·2 = 4 pairs per axis, 16 in all; C = 4 / 4 = 1 -> 16 adds
    rec = col2im([1, 4, 4], [5, 5], [2, 2], strides=[2, 2], dilations=[2, 2])
    assert rec.cost.arith == 16


def test_col2im_wrong_column_count_is_invalid():
    rec = col2im([1, 20, 15], [5, 5], [2, 2])  # 16 blocks, 15 columns
    assert rec.status == "invalid" and "L = 15" in rec.detail


def test_col2im_channels_not_a_multiple_of_the_block_is_invalid():
    rec = col2im([1, 18, 16], [5, 5], [2, 2])  # 18 is not a multiple of 2·2
    assert rec.status == "invalid"


def test_col2im_with_runtime_block_shape_is_shape_unknown():
    ins = [("x", F, [1, 20, 16]), ("im", "int64", [2]), ("bl", "int64", [2])]
    rec = one_node("Col2Im", ins, [("y", F, None)], opset=18)
    assert rec.status == "shape_unknown"


# -- Dropout ----------------------------------------------------------------------------------------


def test_dropout_at_inference_is_a_view():
    rec = one_node("Dropout", [("x", F, [2, 3])], [("y", F, [2, 3])])
    assert (rec.status, rec.cost.flops, rec.cost.read_bytes, rec.cost.write_bytes) == ("counted", 0, 0, 0)


def test_dropout_at_inference_writes_the_mask_when_asked():
    rec = one_node("Dropout", [("x", F, [2, 3])], [("y", F, [2, 3]), ("m", "bool", [2, 3])])
    # all-true mask 2·3 · 1 = 6 bytes
    assert (rec.cost.flops, rec.cost.read_bytes, rec.cost.write_bytes) == (0, 0, 6)


@pytest.mark.parametrize("opset", [7, 10, 11])
def test_dropout_opset_7_to_11_is_inference(opset):
    rec = one_node("Dropout", [("x", F, [2, 3])], [("y", F, [2, 3])], opset=opset, ratio=0.3)
    assert rec.cost.flops == 0


def test_dropout_in_training_masks_and_scales():
    inits = [init("r", F, [], 0.5), init("t", "bool", [], True)]
    rec = one_node("Dropout", [("x", F, [2, 3]), ("r", F, []), ("t", "bool", [])], [("y", F, [2, 3])], inits)
    # N = 6: 6 mask compares + 2·6 = 12 multiplies (scale·data·mask) = 18 FLOPs
    assert (rec.cost.compare, rec.cost.arith, rec.cost.flops) == (6, 12, 18)


def test_dropout_in_training_with_zero_ratio_is_identity():
    inits = [init("r", F, [], 0.0), init("t", "bool", [], True)]
    rec = one_node("Dropout", [("x", F, [2, 3]), ("r", F, []), ("t", "bool", [])], [("y", F, [2, 3])], inits)
    assert rec.cost.flops == 0


def test_dropout_with_training_mode_false_is_inference():
    inits = [init("t", "bool", [], False)]
    rec = one_node("Dropout", [("x", F, [2, 3]), None, ("t", "bool", [])], [("y", F, [2, 3])], inits)
    assert rec.cost.flops == 0


def test_dropout_with_runtime_training_mode_is_shape_unknown():
    rec = one_node("Dropout", [("x", F, [2, 3]), None, ("t", "bool", [])], [("y", F, [2, 3])])
    assert rec.status == "shape_unknown" and "input 2" in rec.detail


@pytest.mark.parametrize("is_test,flops", [(0, 18), (1, 0)])
def test_dropout_before_opset_7_follows_is_test(is_test, flops):
    # opset 6: is_test = 0 (the default) trains: 6 compares + 12 multiplies
    rec = one_node("Dropout", [("x", F, [2, 3])], [("y", F, [2, 3])], opset=6, is_test=is_test)
    assert rec.cost.flops == flops


# -- TfIdfVectorizer --------------------------------------------------------------------------------

POOL = dict(
    min_gram_length=1, max_gram_length=2, max_skip_count=5, ngram_counts=[0, 4],
    ngram_indexes=[0, 1, 2, 3, 4, 5, 6], pool_int64s=[2, 3, 5, 4, 5, 6, 7, 8, 6, 7],
)  # fmt: skip


@pytest.mark.parametrize(
    "mode,extra,int_ops,compare,arith",
    [
        # rows of C = 6 items: skip distance 1: 6 unigrams + 5 bigrams = 11; distances 2..6 give
        # bigrams 6 − s = 4, 3, 2, 1, 0: 10; E = 21 per row, 2 rows -> 42 lookups
        ("TF", {}, 42, 0, 0),
        # IDF: one select per element of Y [2, 7] = 14
        ("IDF", {}, 42, 14, 0),
        # TFIDF with weights: 14 multiplies; without weights the counts pass through
        ("TFIDF", {"weights": [1.0] * 7}, 42, 0, 14),
        ("TFIDF", {}, 42, 0, 0),
    ],
)
def test_tfidf_vectorizer(mode, extra, int_ops, compare, arith):
    rec = one_node("TfIdfVectorizer", [("x", "int32", [2, 6])], [("y", F, [2, 7])], opset=9,
                   mode=mode, **POOL, **extra)  # fmt: skip
    assert rec.status == "counted", rec.detail
    assert (rec.cost.int_ops, rec.cost.compare, rec.cost.arith) == (int_ops, compare, arith)


def test_tfidf_bigrams_only_without_skips():
    attrs = {**POOL, "min_gram_length": 2, "max_skip_count": 0}
    rec = one_node("TfIdfVectorizer", [("x", "int32", [12])], [("y", F, [7])], opset=9, mode="TF", **attrs)
    # one row of 12: 11 bigrams
    assert rec.cost.int_ops == 11


def test_tfidf_bad_gram_lengths_are_invalid():
    attrs = {**POOL, "min_gram_length": 3, "max_gram_length": 2}
    rec = one_node("TfIdfVectorizer", [("x", "int32", [12])], [("y", F, None)], opset=9, mode="TF", **attrs)
    assert rec.status == "invalid"

