"""Which static tensors are params: what the model learned, not every float in the file.

Every stored static tensor of a graph (initializer, sparse initializer, or the output of a
source op: Constant, ConstantOfShape, EyeLike, Random*) ends in exactly one of three sets:

- ``quant``: the scales and zero points of every quantization form (QDQ, QOperator, dynamic
  quantization, MatMulNBits): read at a ``QUANT_SLOTS`` input, or multiplying the scale that
  DynamicQuantizeLinear computes. They are never params: a model's params do not depend on how
  it was quantized; they are reported beside (``quant_params``);
- ``params``: float and quantized-integer initializers of more than one element that some node
  reads (int8/uint8, int4/uint4, int2/uint2, int16/uint16); int32 initializers, one-element
  initializers and graph-built tensors only where they reach a weight slot (``WEIGHT_SLOTS``),
  directly or through a chain of ``CHAIN_OPS``;
- ``unused``: initializers no node (and no graph output) reads;
- ``constants``: everything else static (scalars, masks, shape tensors, initial states,
  lookup tables that feed no weight slot).

Learned parameters stored in attributes (ai.onnx.ml trees, coefficients, support vectors)
are counted from ``LEARNED_ATTRS``, a declarative table of which attributes are learned.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from operator import attrgetter

import onnx

from onnx_cost.analyzer.shapes import SOURCE_OPS, GraphShapes
from onnx_cost.errors import printable
from onnx_cost.model.dtypes import QUANT_INT, dtype_of, is_param_dtype
from onnx_cost.rules.node import TensorInfo, nbytes, numel
from onnx_cost.rules.registry import norm_domain

ML = "ai.onnx.ml"
MS = "com.microsoft"
ANY_STATIC = "static"  # every static operand of the op is a weight (MatMul, Gemm, Einsum)
AFFINE = "affine"  # a per-channel vector operand of an elementwise op (a bias or a scale)

# (domain, op) -> input indices that hold weights. A graph-built constant that reaches
# one of them is a param.
WEIGHT_SLOTS: dict[tuple[str, str], frozenset[int] | str] = {
    ("", "Conv"): frozenset({1, 2}),
    ("", "ConvTranspose"): frozenset({1, 2}),
    ("", "DeformConv"): frozenset({1, 3}),
    ("", "Gemm"): ANY_STATIC,
    ("", "MatMul"): ANY_STATIC,
    ("", "Einsum"): ANY_STATIC,
    ("", "BatchNormalization"): frozenset({1, 2, 3, 4}),
    ("", "InstanceNormalization"): frozenset({1, 2}),
    ("", "LayerNormalization"): frozenset({1, 2}),
    ("", "GroupNormalization"): frozenset({1, 2}),
    ("", "RMSNormalization"): frozenset({1}),
    ("", "PRelu"): frozenset({1}),
    ("", "LSTM"): frozenset({1, 2, 3, 7}),
    ("", "GRU"): frozenset({1, 2, 3}),
    ("", "RNN"): frozenset({1, 2, 3}),
    ("", "Gather"): frozenset({0}),  # an embedding table (float or quantized dtype only)
    ("", "Add"): AFFINE,
    ("", "Sub"): AFFINE,
    ("", "Mul"): AFFINE,
    ("", "QLinearConv"): frozenset({3, 8}),
    ("", "ConvInteger"): frozenset({1}),
    ("", "QLinearMatMul"): frozenset({3}),
    ("", "MatMulInteger"): frozenset({1}),
    (MS, "QLinearConv"): frozenset({3, 8}),
    (MS, "QGemm"): frozenset({3, 6}),
    (MS, "MatMulNBits"): frozenset({1, 5}),
    (MS, "MatMulIntegerToFloat"): frozenset({1, 6}),
    (MS, "DynamicQuantizeMatMul"): frozenset({1, 4}),
    (MS, "DynamicQuantizeLSTM"): frozenset({1, 2, 3, 7}),
    (MS, "QAttention"): frozenset({1, 2}),
    (MS, "GatherBlockQuantized"): frozenset({0}),
    (MS, "Attention"): frozenset({1, 2}),
    (MS, "FusedConv"): frozenset({1, 2}),
    (MS, "NhwcConv"): frozenset({1, 2}),
    (MS, "FusedGemm"): ANY_STATIC,
    (MS, "FusedMatMul"): ANY_STATIC,
    (MS, "SkipLayerNormalization"): frozenset({2, 3, 4}),
    (MS, "SkipSimplifiedLayerNormalization"): frozenset({2, 3}),
    (MS, "SimplifiedLayerNormalization"): frozenset({1}),
    (MS, "EmbedLayerNormalization"): frozenset({2, 3, 4, 5, 6}),
    (MS, "BiasGelu"): frozenset({1}),
    (MS, "BiasAdd"): frozenset({1}),
    (MS, "GroupNorm"): frozenset({1, 2}),
    (MS, "QEmbedLayerNormalization"): frozenset({2, 3, 4, 5, 6}),
}

# (domain, op) -> input indices that hold a scale or a zero point: quant params, never params.
_QLINEAR_BINARY = frozenset({1, 2, 4, 5, 6, 7})  # a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp
_QLINEAR_UNARY = frozenset({1, 2, 3, 4})  # x, x_scale, x_zp, y_scale, y_zp
QUANT_SLOTS: dict[tuple[str, str], frozenset[int]] = {
    ("", "QuantizeLinear"): frozenset({1, 2}),
    ("", "DequantizeLinear"): frozenset({1, 2}),
    (MS, "QuantizeLinear"): frozenset({1, 2}),
    (MS, "DequantizeLinear"): frozenset({1, 2}),
    ("", "QLinearConv"): _QLINEAR_BINARY,
    ("", "QLinearMatMul"): _QLINEAR_BINARY,
    (MS, "QLinearConv"): _QLINEAR_BINARY,
    ("", "ConvInteger"): frozenset({2, 3}),
    ("", "MatMulInteger"): frozenset({2, 3}),
    (MS, "QGemm"): frozenset({1, 2, 4, 5, 7, 8}),
    (MS, "MatMulNBits"): frozenset({2, 3}),
    (MS, "MatMulIntegerToFloat"): frozenset({2, 3, 4, 5}),
    (MS, "DynamicQuantizeMatMul"): frozenset({2, 3}),
    (MS, "DynamicQuantizeLSTM"): frozenset({8, 9, 10, 11}),
    (MS, "QAttention"): frozenset({3, 4, 6, 7}),
    (MS, "GatherBlockQuantized"): frozenset({2, 3}),
    (MS, "QEmbedLayerNormalization"): frozenset(range(8, 18)),
    (MS, "QLinearAdd"): _QLINEAR_BINARY,
    (MS, "QLinearMul"): _QLINEAR_BINARY,
    (MS, "QLinearSigmoid"): _QLINEAR_UNARY,
    (MS, "QLinearLeakyRelu"): _QLINEAR_UNARY,
    (MS, "QLinearSoftmax"): _QLINEAR_UNARY,
    (MS, "QLinearAveragePool"): _QLINEAR_UNARY,
    (MS, "QLinearGlobalAveragePool"): _QLINEAR_UNARY,
    (MS, "QLinearReduceMean"): _QLINEAR_UNARY,
}

# Ops a weight passes through unchanged in meaning (input 0 only): a Constant cast to
# fp16, reshaped, transposed, unsqueezed or dequantized is still the same weight.
CHAIN_OPS = frozenset(
    {"Cast", "Reshape", "Transpose", "Identity", "Squeeze", "Unsqueeze", "Flatten", "DequantizeLinear"}
)

# (domain, op) -> attributes that hold what the model learned (ai.onnx.ml): thresholds, leaf
# values, coefficients, intercepts, support vectors, scaler offsets and scales, imputed values.
# Tree structure (node and child ids, modes) and category vocabularies are not params.
_TREE = ("nodes_values", "nodes_values_as_tensor", "base_values", "base_values_as_tensor")
LEARNED_ATTRS: dict[tuple[str, str], tuple[str, ...]] = {
    (ML, "LinearClassifier"): ("coefficients", "intercepts"),
    (ML, "LinearRegressor"): ("coefficients", "intercepts"),
    (ML, "SVMClassifier"): ("support_vectors", "coefficients", "rho", "prob_a", "prob_b"),
    (ML, "SVMRegressor"): ("support_vectors", "coefficients", "rho"),
    (ML, "Scaler"): ("offset", "scale"),
    (ML, "Imputer"): ("imputed_value_floats", "imputed_value_int64s"),
    (ML, "TreeEnsembleClassifier"): (*_TREE, "class_weights", "class_weights_as_tensor"),
    (ML, "TreeEnsembleRegressor"): (*_TREE, "target_weights", "target_weights_as_tensor"),
    (ML, "TreeEnsemble"): ("nodes_splits", "leaf_weights", "membership_values"),
}


def learned_sizes(node: onnx.NodeProto) -> tuple[int, int]:
    """(elements, bytes) of the learned attributes of ``node`` (LEARNED_ATTRS): a float list
    4 bytes an element, an int list 8, a tensor by its dtype."""
    names = LEARNED_ATTRS.get((_domain(node), node.op_type))
    if not names:
        return 0, 0
    n = b = 0
    for a in node.attribute:
        if a.name not in names:
            continue
        if a.type == onnx.AttributeProto.FLOATS:
            n, b = n + len(a.floats), b + 4 * len(a.floats)
        elif a.type == onnx.AttributeProto.INTS:
            n, b = n + len(a.ints), b + 8 * len(a.ints)
        elif a.type == onnx.AttributeProto.TENSOR:
            k = numel(a.t.dims)
            n, b = n + k, b + nbytes(k, dtype_of(a.t.data_type)[1])
    return n, b


@dataclass
class StaticSplit:
    """The static tensors of a model, sorted into params, constants and unused initializers."""

    params: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (elements, bytes)
    quant: dict[str, tuple[int, int]] = field(default_factory=dict)  # scales and zero points
    # params whose element count is not their stored one (MatMulNBits' packed B: K·N weights)
    logical: dict[str, tuple[int, int]] = field(default_factory=dict)
    constants: dict[str, tuple[int, int]] = field(default_factory=dict)
    unused: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def constant_elements(self) -> int:
        return sum(v[0] for v in self.constants.values())

    @property
    def constant_bytes(self) -> int:
        return sum(v[1] for v in self.constants.values())

    def warning(self) -> str:
        """The warning about unused initializers ("" when there are none)."""
        if not self.unused:
            return ""
        names = ", ".join(printable(n, 60) for n in sorted(self.unused)[:5])
        more = f" and {len(self.unused) - 5} more" if len(self.unused) > 5 else ""
        n = sum(v[0] for v in self.unused.values())
        b = sum(v[1] for v in self.unused.values())
        return f"{len(self.unused)} initializers no node reads ({n} elements, {b} bytes), not in params: {names}{more}"


def _graphs(gs: GraphShapes) -> Iterator[GraphShapes]:
    yield gs
    for sub in gs.subgraphs.values():
        yield from _graphs(sub)


def _domain(node: onnx.NodeProto) -> str:
    return norm_domain(node.domain)


# The op types whose readers can make a tensor a quant param (quant_slot): the QUANT_SLOTS
# ops, QLinearConcat, and DynamicQuantizeLinear (a Mul by its computed scale)
_QUANT_OPS = frozenset({op for _, op in QUANT_SLOTS} | {"QLinearConcat", "DynamicQuantizeLinear"})
_OP_TYPE, _INPUT = attrgetter("op_type"), attrgetter("input")


class _Index:
    """Who reads each tensor, over the main graph and every subgraph."""

    def __init__(self, gs: GraphShapes, outputs: set[str]) -> None:
        self._gs = gs
        self.outputs = outputs
        self._read: set[str] = set()
        self.op_types: set[str] = set()  # every op type of the graphs: most models hold no quant op
        for g in _graphs(gs):
            for names in map(_INPUT, g.order):
                self._read.update(names)
            self.op_types.update(map(_OP_TYPE, g.order))
        self._quantized = not self.op_types.isdisjoint(_QUANT_OPS)
        self._readers: dict[str, list[tuple[onnx.NodeProto, int, GraphShapes]]] | None = None
        self._scales: set[str] | None = None  # DynamicQuantizeLinear's computed scales

    @property
    def readers(self) -> dict[str, list[tuple[onnx.NodeProto, int, GraphShapes]]]:
        """Tensor name -> (node, input index, its graph) of each read; built when first asked
        (only tensors that are params at a weight slot alone need it)."""
        if self._readers is None:
            self._readers = {}
            for g in _graphs(self._gs):
                for node in g.order:
                    for i, name in enumerate(node.input):
                        if name:
                            self._readers.setdefault(name, []).append((node, i, g))
        return self._readers

    def quant_slot(self, name: str, depth: int = 0) -> bool:
        """True when tensor ``name`` (or a chain of CHAIN_OPS of it) is read as a scale or a
        zero point (QUANT_SLOTS), or multiplies the scale DynamicQuantizeLinear computes."""
        if depth > 16 or not self._quantized:  # without a quant op no reader makes it one
            return False
        for node, i, _ in self.readers.get(name, ()):
            key = (_domain(node), node.op_type)
            if i in QUANT_SLOTS.get(key, ()) or (key == (MS, "QLinearConcat") and (i < 2 or (i - 2) % 3 != 0)):
                return True
            if key == ("", "Mul") and any(j != i and self._dynamic_scale(x) for j, x in enumerate(node.input)):
                return True
            chained = node.op_type in CHAIN_OPS and node.op_type != "DequantizeLinear" and i == 0 and node.output
            if chained and _domain(node) == "" and self.quant_slot(node.output[0], depth + 1):
                return True
        return False

    def _dynamic_scale(self, name: str) -> bool:
        if self._scales is None:
            self._scales = {n.output[1] for g in _graphs(self._gs) for n in g.order
                            if n.op_type == "DynamicQuantizeLinear" and _domain(n) == "" and len(n.output) > 1}
        return name in self._scales

    def logical_size(self, name: str) -> int | None:
        """The weights a packed tensor holds, where that is not its element count: MatMulNBits'
        B (uint8 blobs of ``bits``-bit weights) holds K·N."""
        if "MatMulNBits" not in self.op_types:
            return None
        for node, i, _ in self.readers.get(name, ()):
            if i == 1 and node.op_type == "MatMulNBits" and _domain(node) == MS:
                a = {x.name: x.i for x in node.attribute if x.type == onnx.AttributeProto.INT}
                if a.get("K", 0) > 0 and a.get("N", 0) > 0:
                    return a["K"] * a["N"]
        return None

    def read(self, name: str) -> bool:
        return (name in self._read and name != "") or name in self.outputs

    def reaches_slot(self, name: str, dtype: str, depth: int = 0) -> bool:
        """True when tensor ``name`` (or a chain of CHAIN_OPS of it) feeds a weight slot."""
        if depth > 16:
            return False
        for node, i, g in self.readers.get(name, ()):
            slots = WEIGHT_SLOTS.get((_domain(node), node.op_type))
            if slots == ANY_STATIC or (isinstance(slots, frozenset) and i in slots):
                if node.op_type != "Gather" or dtype.startswith(("float", "bfloat")) or dtype in QUANT_INT - {"int32"}:
                    return True
            elif slots == AFFINE and _per_channel(g.tensors.get(name)) and _other_dynamic(node, i, g):
                return True
            chained = node.op_type in CHAIN_OPS and i == 0 and _domain(node) == "" and node.output
            if chained and self.reaches_slot(node.output[0], dtype, depth + 1):
                return True
        return False


def _per_channel(t: TensorInfo | None) -> bool:
    """A vector along one axis (a per-channel bias or scale): exactly one dim above 1."""
    if t is None or t.shape is None or not t.known:
        return False
    return sum(1 for d in t.shape if d != 1) == 1


def _other_dynamic(node: onnx.NodeProto, i: int, g: GraphShapes) -> bool:
    """The other operand of an elementwise op depends on the graph's inputs."""
    for j, name in enumerate(node.input):
        t = g.tensors.get(name) if name else None
        if j != i and t is not None and not t.static:
            return True
    return False


def split_statics(proto: onnx.ModelProto, gs: GraphShapes) -> StaticSplit:
    """Sort every static source tensor of ``gs`` (and its subgraphs) into params,
    constants and unused initializers."""
    index = _Index(gs, {o.name for o in proto.graph.output})
    out = StaticSplit()
    sources = not index.op_types.isdisjoint(SOURCE_OPS)
    for g in _graphs(gs):
        built = {o for node in g.order if node.op_type in SOURCE_OPS for o in node.output} if sources else set()
        local = getattr(g.tensors, "maps", [g.tensors])[0]
        for name in sorted(g.params | g.constants):
            t = local.get(name)
            if t is None or t.shape is None or not t.known:
                continue
            n = numel(t.shape)
            size = (n, nbytes(n, t.bits))
            if name not in built and not index.read(name):
                out.unused[name] = size
            elif index.quant_slot(name):
                out.quant[name] = size
            elif _is_param(name, t, n, name in built, index):
                out.params[name] = size
                k = index.logical_size(name)
                if k is not None and k != n:
                    out.params[name] = out.logical[name] = (k, size[1])
            else:
                out.constants[name] = size
    return out


def _is_param(name: str, t: TensorInfo, n: int, built: bool, index: _Index) -> bool:
    """Float and quantized initializers of more than one element are params; int32 ones, scalars
    (Clip bounds, epsilons, scales as initializers) and graph-built tensors only at a weight slot."""
    if not is_param_dtype(t.dtype):
        return False
    if not built and t.dtype != "int32" and n > 1:
        return True
    return index.reaches_slot(name, t.dtype)


def apply(split: StaticSplit, gs: GraphShapes) -> None:
    """Make every graph's ``params`` set hold exactly the params of ``split`` (the walker
    and the totals read params from there)."""
    for g in _graphs(gs):
        mine = g.params | g.constants
        g.params = {n for n in mine if n in split.params}
        g.constants = mine - g.params - split.quant.keys()
