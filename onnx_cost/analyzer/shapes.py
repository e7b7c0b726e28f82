"""The shape engine: one topological pass over a graph that knows, for every
tensor, its shape, dtype and (when small) its value.

Per node it calls onnx's own per-node inference (``infer_node_outputs``, with
the attribute semantics of the model's opset) fed with the small values we
propagated ourselves (node_values.py), falls back on our shape functions for
ops ONNX does not know (contrib ops, node_infer.py), then on the value_info the
exporter wrote. It never serializes the model and never touches weight bytes:
initializer shapes come from their dims. What is constant per op of a model
(schema, opset, flags) is looked up once, in an ``Op``.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from functools import lru_cache
from math import prod
from operator import attrgetter, itemgetter
from typing import Any

import onnx
from onnx import defs

from onnx_cost.analyzer.attrs import Decoded, decode, decode_node
from onnx_cost.analyzer.derived import ALWAYS_DATA, PRODUCERS, bind, name_outputs
from onnx_cost.analyzer.external import read_small_int
from onnx_cost.analyzer.infos import TypeCache, info_from_type, merge_shape, new_info, sane_dims
from onnx_cost.analyzer.node_infer import NodeInference, Op, ours
from onnx_cost.analyzer.node_values import SPECIAL, VALUED, node_values
from onnx_cost.analyzer.signature import violation
from onnx_cost.analyzer.topo import graph_reads, sort
from onnx_cost.analyzer.values import SMALL, tensor_value
from onnx_cost.model.dtypes import dtype_of, is_param_dtype
from onnx_cost.rules._ranks import MIN_RANKS
from onnx_cost.rules.node import TensorInfo, is_float_dtype
from onnx_cost.rules.registry import SHAPES, SHAPES_FIRST, ensure, is_onnx_domain, norm_domain

# Ops whose outputs are weights when their inputs are static (weightless zoo models
# build every weight with ConstantOfShape).
SOURCE_OPS = frozenset({"Constant", "ConstantOfShape", "RandomNormal", "RandomUniform", "EyeLike"})
CONTROL_FLOW = frozenset({"If", "Loop", "Scan", "SequenceMap"})
_NAME, _DIMS, _DATA_TYPE = attrgetter("name"), attrgetter("dims"), attrgetter("data_type")
_ALL = itemgetter(slice(None))  # a repeated field as a list: protobuf containers iterate through IndexError
_RANDOM = frozenset(
    {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli"}
)


# What the pass reads of a node, kept for the walker (one read of each node): its decoded
# attributes and "" or why they make it invalid (attrs.decode), its op's (normalized domain,
# op_type) and opset, and its input and output names, the strings the tensors' infos hold.
NodeRead = tuple[Decoded, tuple[str, str], int, tuple[str, ...], tuple[str, ...]]


@dataclass
class GraphShapes:
    """What the shape engine learned about one graph (and, nested, its subgraphs)."""

    tensors: MutableMapping[str, TensorInfo]
    order: list[onnx.NodeProto]
    node_errors: dict[int, str] = field(default_factory=dict)  # id(node) -> why inference failed
    subgraphs: dict[tuple[int, str], GraphShapes] = field(default_factory=dict)
    params: set[str] = field(default_factory=set)  # weight tensors: sources of float/quant type
    constants: set[str] = field(default_factory=set)  # static non-weight tensors (int64 shapes, masks)
    trip_counts: dict[int, int | None] = field(default_factory=dict)  # id(Loop node) -> M
    # id(node) -> what the pass read of it, read again by the walker instead of the node
    reads: dict[int, NodeRead] = field(default_factory=dict)
    # id(If node) -> the condition the user chose for it (--branch), where its own is data
    chosen: dict[int, bool] = field(default_factory=dict)


@lru_cache(maxsize=4096)
def _schema(op_type: str, version: int, domain: str) -> defs.OpSchema | None:
    try:
        return defs.get_schema(op_type, version, domain)
    except Exception:  # no such op in this domain/version
        return None


# -- the pass ----------------------------------------------------------------


class ShapeEngine:
    """Infers every tensor of a model's graphs in one pass per graph."""

    def __init__(
        self,
        opsets: dict[str, int],
        ir_version: int,
        hints: dict[str, onnx.TypeProto] | None = None,
        base_dir: str | None = None,
    ) -> None:
        self.base_dir = base_dir  # the model's folder: small int tensors stored externally are read
        self.extra_hints = hints or {}  # onnx's whole-graph inference (symbolic dims)
        self.opsets = opsets
        self.ir_version = ir_version
        self.inference = NodeInference(opsets, ir_version)
        self._ops: dict[tuple[str, str], Op] = {}  # (domain as written, op_type) -> Op
        self._hint_types = TypeCache()
        self._sorting = False  # True while a graph is re-run sorted after an exception: no nested re-runs
        self._dropped: list[Any] = []  # the decodings of dropped passes
        self._evaluated: dict[tuple[Any, ...], Any] = {}  # node_values' memo
        self.branches: dict[str, bool] = {}  # If node name -> the condition the user chose (--branch)
        # If node name -> why the user's --branch was not applied (its condition is known statically)
        self.branch_notes: dict[str, str] = {}
        self.derived: dict[str, int] = {}  # data-dependent dims the user bound (derived.py: "length@/x/Range")

    # Entry point ----------------------------------------------------------
    def run(
        self,
        graph: onnx.GraphProto,
        outer: MutableMapping[str, TensorInfo] | None = None,
        bound_inputs: dict[str, TensorInfo] | None = None,
    ) -> GraphShapes:
        """Infer ``graph``; ``outer`` holds the enclosing scopes' tensors (for subgraphs);
        ``bound_inputs`` override the declared type of graph inputs.

        Graphs come sorted: the nodes are inferred in file order, each checked to read
        only names already there and to produce only new ones. The first that does not
        (or any exception) drops that result, and the graph is sorted first, exactly as
        if it had been from the start: its own refusal (a cycle, a dangling input) comes
        before any error of a node."""
        failure: Exception | None = None
        if not self._sorting:
            gs, tensors, own = self._start(graph, outer, bound_inputs)
            gs.order = list(graph.node)
            try:
                if self._nodes(gs, tensors, own, True):
                    return gs
            except Exception as e:  # re-raised below, unless the graph's order says otherwise
                failure = e
            self._dropped.append(gs.reads)  # keeps its decodings alive: cache keys hold their ids
        gs, tensors, own = self._start(graph, outer, bound_inputs)
        gs.order, in_order = sort(graph, set(tensors.keys()))
        if failure is not None and in_order:
            raise failure  # the same nodes in the same order would raise it again
        sorting, self._sorting = self._sorting, self._sorting or failure is not None  # bounded re-runs
        try:
            self._nodes(gs, tensors, own, False)
        finally:
            self._sorting = sorting
        return gs

    def _start(
        self, graph: onnx.GraphProto, outer: MutableMapping[str, TensorInfo] | None,
        bound_inputs: dict[str, TensorInfo] | None,
    ) -> tuple[GraphShapes, MutableMapping[str, TensorInfo], dict[str, onnx.TypeProto]]:
        """A graph's shapes before any node: inputs and initializers; and its own hints."""
        local: dict[str, TensorInfo] = {}
        tensors: MutableMapping[str, TensorInfo] = ChainMap(local, outer) if outer is not None else local
        gs = GraphShapes(tensors=tensors, order=[])
        init_names = self._initializers(graph, gs, local)
        for i in graph.input:
            if bound_inputs and i.name in bound_inputs:
                local[i.name] = bound_inputs[i.name]
            elif i.name not in init_names:  # an input with a default initializer keeps the initializer
                local[i.name] = info_from_type(i.name, i.type)
        own: dict[str, onnx.TypeProto] = {v.name: v.type for v in graph.value_info}
        for o in graph.output:
            own.setdefault(o.name, o.type)
        return gs, tensors, own

    def _nodes(
        self, gs: GraphShapes, tensors: MutableMapping[str, TensorInfo], own: dict[str, onnx.TypeProto], check: bool
    ) -> bool:
        """Infer gs.order's nodes in turn; ``check``: False at the first node out of order."""
        node = self._node
        for n in gs.order:  # noqa: SIM110 (all() over a generator: one more frame per node)
            if not node(n, gs, tensors, own, check):
                return False
        return True

    def _initializers(self, graph: onnx.GraphProto, gs: GraphShapes, local: dict[str, TensorInfo]) -> set[str]:
        """Enter the graph's initializers (static; weights or constants by dtype); their names."""
        names = set()
        inits = graph.initializer
        # the fields every initializer needs, read in C; the tensor itself only for small values
        fields = zip(map(_NAME, inits), map(tuple, map(_ALL, map(_DIMS, inits))), map(_DATA_TYPE, inits))
        # what an element type and a dims tuple give, once each: weights repeat both, and
        # equal shapes share one tuple
        kinds: dict[int, tuple[str, int, bool, bool]] = {}
        shapes: dict[tuple[int, ...], tuple[Any, ...]] = {}
        for i, (name, dims, code) in enumerate(fields):
            kind = kinds.get(code)
            if kind is None:
                dt, bits = dtype_of(code)
                kind = kinds[code] = (dt, bits, is_float_dtype(dt), is_param_dtype(dt))
            dt, bits, flt, param = kind
            shape = shapes.get(dims)
            if shape is None:
                shape = shapes[dims] = sane_dims(dims)
            value = None
            if not flt or prod(dims) <= 16:
                t = inits[i]
                value = tensor_value(t)
                if value is None and not flt and t.data_location == onnx.TensorProto.EXTERNAL:
                    value = read_small_int(t, self.base_dir, SMALL)  # a shape tensor, not a weight
            local[name] = new_info(name, shape, dt, bits, value, True)
            names.add(name)
            (gs.params if param else gs.constants).add(name)
        for si in graph.sparse_initializer:
            v = si.values
            dt, bits = dtype_of(v.data_type)
            local[v.name] = TensorInfo(v.name, sane_dims(si.dims), dt, bits, None, True)
            names.add(v.name)
            (gs.params if is_param_dtype(dt) else gs.constants).add(v.name)
        return names

    def _op(self, domain: str, op_type: str) -> Op:
        """The Op of a (domain as written, op_type), looked up once per engine."""
        nd = norm_domain(domain)
        declared = self.opsets.get(nd)
        schema = None if declared is None else _schema(op_type, declared, nd)
        ensure((nd, op_type))  # rule modules also register shape functions: the op's, imported now
        fn = SHAPES.get((nd, op_type))
        first = schema is None or not schema.has_type_and_shape_inference_function or (nd, op_type) in SHAPES_FIRST
        op = Op(
            key=(nd, op_type), version=self.opsets.get(nd, 1), schema=schema, ours=fn if first else None,
            control=op_type in CONTROL_FLOW and nd == "", source=op_type in SOURCE_OPS,
            random=op_type in _RANDOM, valued=op_type in VALUED and is_onnx_domain(nd), special=op_type in SPECIAL,
            by_count=None if (nd, op_type) in MIN_RANKS else {},
        )
        self._ops[(domain, op_type)] = op
        return op

    # One node -------------------------------------------------------------
    def _node(
        self,
        node: onnx.NodeProto,
        gs: GraphShapes,
        tensors: MutableMapping[str, TensorInfo],
        own: Mapping[str, onnx.TypeProto],
        check: bool,
    ) -> bool:
        """Infer one node and enter its outputs; ``check``: False, with nothing entered, when
        it reads a name not there yet (the graph is not sorted)."""
        op_type, domain = node.op_type, node.domain
        op = self._ops.get((domain, op_type)) or self._op(domain, op_type)
        inputs = node.input[:]  # a list: iterating the container ends in an IndexError
        get = tensors.get
        ins = [get(n) if n else None for n in inputs]
        if check and not all(ins) and any(n and t is None for n, t in zip(inputs, ins)):
            return False
        if node.attribute:
            decoded, graphs = decode_node(node, op.version, op.key[0])
            if graphs and check and not all(r in tensors for r in graph_reads(node)):
                return False
        else:  # the decoding of no attributes depends on the op alone
            decoded = op.bare or self._bare(node, op)
        attrs, bad = decoded
        if not bad:  # arity and ranks against the op's signature, before any shape function or rule
            counts = op.by_count
            if counts is None:
                bad = violation(op.key, op.version, inputs, ins)
            else:  # judged by the input count alone: once per count
                bad = counts.get(len(inputs))  # type: ignore[assignment]  # None: not judged yet
                if bad is None:
                    bad = counts[len(inputs)] = violation(op.key, op.version, inputs, ins)
            if bad:
                decoded = (attrs, bad)
        outputs = node.output[:]
        # the names as the tensors' infos hold them (protobuf hands out a new copy each read)
        names = tuple([t.name if t is not None and t.name == n else n for n, t in zip(inputs, ins)])
        gs.reads[id(node)] = (decoded, op.key, op.version, names, tuple(outputs))
        if bad:  # malformed attributes: nothing (onnx's C++ included) is handed them
            outs: list[TensorInfo | None] = []
        elif op.control:
            outs = self._control_flow(node, gs, tensors, ins, attrs)
        elif op.ours is not None:
            outs = ours(node, op, outputs, ins, attrs, gs.node_errors)
        elif op.schema is None:
            outs = []
        else:
            outs = self.inference.infer(node, op, outputs, ins, attrs, gs.node_errors)
        static = not op.random
        for t in ins:
            if t is None or not t.static:
                static = False
                break
        values = None
        if op.valued and not bad:
            for t in ins:
                if t is not None and t.value is None and not op.special:
                    break  # an unknown input value: node_values would say so, more slowly
            else:
                values = node_values(node, self.opsets.get("", 1), ins, attrs, outs, self._evaluated)
        entered = self._outputs(outputs, outs, values, static, op, gs, tensors, own, check)
        if entered and (op.key[1] in PRODUCERS or self.derived):  # name (or bind) the dims its values decide
            self._derive(node, outputs, ins, tensors)
        return entered

    def _derive(
        self, node: onnx.NodeProto, outputs: list[str], ins: list[TensorInfo | None],
        tensors: MutableMapping[str, TensorInfo],
    ) -> None:
        """Name the dims of ``node``'s outputs that its input values decide and that neither
        inference nor the hints know (derived.py), and bind those the user bound."""
        got = [tensors.get(n) if n else None for n in outputs]
        if all(t is None or t.known for t in got):  # the common case: nothing to name or bind
            return
        shapes = [None if t is None else t.shape for t in got]
        if node.op_type in PRODUCERS and (node.op_type in ALWAYS_DATA or all(t is None or t.known for t in ins)):
            shapes = name_outputs(node, shapes, ins[0].shape if ins and ins[0] is not None else None)
        for name, t, shp in zip(outputs, got, shapes):
            shp = bind(shp, self.derived)
            if t is not None and shp != t.shape:
                tensors[name] = TensorInfo(t.name, shp, t.dtype, t.bits, t.value, t.static)

    def _outputs(
        self,
        outputs: list[str],
        outs: list[TensorInfo | None],
        values: list[Any] | None,
        static: bool,
        op: Op,
        gs: GraphShapes,
        tensors: MutableMapping[str, TensorInfo],
        own: Mapping[str, onnx.TypeProto],
        check: bool,
    ) -> bool:
        """Enter a node's outputs: inferred, completed by the hints, with their values;
        ``check``: False at an output already there (produced twice, or shadowing)."""
        n_outs, n_vals = len(outs), -1 if values is None else len(values)
        extra = self.extra_hints
        for k, name in enumerate(outputs):
            if not name:
                continue
            if check and name in tensors:
                return False
            info = outs[k] if k < n_outs else None
            if info is None:
                shape, dt, bits, value = None, "", 0, None
            else:
                shape, dt, bits, value = info.shape, info.dtype, info.bits, info.value
            tp = extra.get(name)
            if tp is None:
                tp = own.get(name)
            if tp is not None:  # the exporter's value_info, or onnx's whole-graph inference
                hshape, hdt, hbits = self._hint_types.fields(tp)
                shape, dt, bits = merge_shape(shape, hshape), dt or hdt, bits or hbits
            if k < n_vals:
                value = values[k]  # type: ignore[index]  # n_vals >= 0: a list
            if value is not None and shape != value.shape:  # a known value knows its shape
                shape = tuple(value.shape)
            tensors[name] = new_info(name, shape, dt, bits, value, static)
            if static and op.source:
                (gs.params if is_param_dtype(dt) else gs.constants).add(name)
        return True

    def _bare(self, node: onnx.NodeProto, op: Op) -> Decoded:
        op.bare = decode(node, op.version, op.key[0])
        return op.bare

    # Control flow ---------------------------------------------------------
    def _control_flow(
        self,
        node: onnx.NodeProto,
        gs: GraphShapes,
        tensors: MutableMapping[str, TensorInfo],
        ins: list[TensorInfo | None],
        attrs: Mapping[str, Any],
    ) -> list[TensorInfo | None]:
        from onnx_cost.analyzer.control import infer_control_flow

        return infer_control_flow(self, node, gs, tensors, ins, attrs)
