"""The shape engine: one topological pass over a graph that knows, for every
tensor, its shape, dtype and (when small) its value.

Per node it calls onnx's own per-node inference (``infer_node_outputs``, with
the attribute semantics of the model's opset) fed with the small values we
propagated ourselves, falls back on our shape functions for ops ONNX does not
know (contrib ops), then on the value_info the exporter wrote. It never
serializes the model and never touches weight bytes: initializer shapes come
from their dims.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, cast

import numpy as np
import onnx
from onnx import defs, helper, shape_inference

from ..errors import InternalError, InvalidGraphError
from ..rules import load_all
from ..rules.matmul import einsum_equation_error
from ..rules.node import NodeView, RuleError, ShapeUnknown, TensorInfo, is_float_dtype
from ..rules.registry import SHAPES, SHAPES_FIRST, is_onnx_domain, norm_domain
from .attrs import Decoded, decode
from .dtypes import NUMPY_TYPES, dtype_of, is_param_dtype
from .external import read_small_int
from .values import SMALL, evaluate, shape_value, tensor_value, to_tensor

# Ops whose outputs are weights when their inputs are static (weightless zoo models
# build every weight with ConstantOfShape).
SOURCE_OPS = frozenset({"Constant", "ConstantOfShape", "RandomNormal", "RandomUniform", "EyeLike"})
CONTROL_FLOW = frozenset({"If", "Loop", "Scan", "SequenceMap"})

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
    # id(node) -> its decoded attributes and "" or why they make it invalid (attrs.decode),
    # decoded once here and read again by the walker
    attrs: dict[int, Decoded] = field(default_factory=dict)


# -- TypeProto <-> TensorInfo ------------------------------------------------


def info_from_type(name: str, tp: onnx.TypeProto | None) -> TensorInfo:
    """A TensorInfo from a TypeProto (non-tensor types keep only the name).

    Absurd dims are unknown, never trusted: a negative one, and all of them when the
    tensor would hold more than load.MAX_NUMEL elements (load warns about both)."""
    if tp is None or not tp.HasField("tensor_type"):
        return TensorInfo(name, None)
    tt = tp.tensor_type
    dt, bits = dtype_of(tt.elem_type)
    if not tt.HasField("shape"):
        return TensorInfo(name, None, dt, bits)
    dims: list[Any] = []
    for d in tt.shape.dim:
        if d.HasField("dim_value"):
            dims.append(d.dim_value)
        elif d.HasField("dim_param") and d.dim_param:
            dims.append(d.dim_param)
        else:
            dims.append(None)
    return TensorInfo(name, sane_dims(dims), dt, bits)


_MAX_NUMEL = 2**48  # = load.MAX_NUMEL (load imports this module's package; kept literal)


def sane_dims(dims: Iterable[Any]) -> tuple[Any, ...]:
    """Declared dims with the absurd ones unknown (None): a negative dim, and every dim
    of a tensor past _MAX_NUMEL elements. Nothing is ever allocated by a dim."""
    out = tuple(None if type(d) is int and d < 0 else d for d in dims)
    n = 1
    for d in out:
        if type(d) is int:
            n *= d
    return tuple(None for _ in out) if n > _MAX_NUMEL else out


def type_from_info(t: TensorInfo, elem_type: int) -> onnx.TypeProto:
    shape = None if t.shape is None else [d if d is not None else None for d in t.shape]
    return helper.make_tensor_type_proto(elem_type, shape)


def _pick(mine: Any, hint: Any) -> Any:
    """A known int beats a symbol, a symbol beats unknown; ours first at equal rank."""
    if type(mine) is int:
        return mine
    if type(hint) is int:
        return hint
    return mine if mine is not None else hint


def merge(inferred: TensorInfo, hint: TensorInfo | None) -> TensorInfo:
    """Fill what our inference left unknown or symbolic from a hint (value_info)."""
    if hint is None:
        return inferred
    shape = inferred.shape
    if shape is None:
        shape = hint.shape
    elif hint.shape is not None and len(hint.shape) == len(shape):
        shape = tuple(_pick(d, h) for d, h in zip(shape, hint.shape))
    return TensorInfo(
        inferred.name, shape, inferred.dtype or hint.dtype, inferred.bits or hint.bits, inferred.value, inferred.static
    )


@lru_cache(maxsize=4096)
def _schema(op_type: str, version: int, domain: str) -> defs.OpSchema | None:
    try:
        return defs.get_schema(op_type, version, domain)
    except Exception:  # no such op in this domain/version
        return None


def schema_for(node: onnx.NodeProto, opsets: dict[str, int]) -> defs.OpSchema | None:
    domain = norm_domain(node.domain)
    version = opsets.get(domain)
    if version is None:
        return None
    return _schema(node.op_type, version, domain)


# -- topological order -------------------------------------------------------


def topo_order(graph: onnx.GraphProto, known: Iterable[str]) -> list[onnx.NodeProto]:
    """Nodes in dependency order (file order where it allows); a cycle, a dangling
    input or a tensor produced twice is an InvalidGraphError."""
    import heapq

    nodes = list(graph.node)
    producer: dict[str, int] = {}
    for i, n in enumerate(nodes):
        for o in n.output:
            if not o:
                continue
            if o in producer:
                raise InvalidGraphError(
                    f"graph '{graph.name}': tensor '{o}' is produced twice "
                    f"(nodes '{nodes[producer[o]].name}' and '{n.name}')"
                )
            producer[o] = i
    avail = set(known)
    waiting = [0] * len(nodes)
    users: dict[int, list[int]] = {}
    in_order = True
    for i, n in enumerate(nodes):
        deps: set[int] = set()
        for name in _reads(n):
            p = producer.get(name)
            if p is not None:
                deps.add(p)
                in_order = in_order and p < i
            elif name not in avail:
                raise InvalidGraphError(
                    f"node '{n.name or n.op_type}' ({n.op_type}) reads '{name}', which no node, "
                    f"input or initializer of graph '{graph.name or 'main'}' provides"
                )
        waiting[i] = len(deps)
        for d in deps:
            users.setdefault(d, []).append(i)
    if in_order:
        return nodes
    heap = [i for i in range(len(nodes)) if waiting[i] == 0]
    heapq.heapify(heap)
    order: list[int] = []
    while heap:
        i = heapq.heappop(heap)
        order.append(i)
        for u in users.get(i, ()):
            waiting[u] -= 1
            if waiting[u] == 0:
                heapq.heappush(heap, u)
    if len(order) != len(nodes):
        stuck = next(nodes[i] for i in range(len(nodes)) if waiting[i] > 0)
        raise InvalidGraphError(
            f"graph '{graph.name or 'main'}' has a cycle through node '{stuck.name or stuck.op_type}' ({stuck.op_type})"
        )
    return [nodes[i] for i in order]


def _reads(n: onnx.NodeProto) -> list[str]:
    """Names a node reads: its inputs and the outer-scope names its subgraphs read."""
    names = [x for x in n.input if x]
    for a in n.attribute:
        if a.type == onnx.AttributeProto.GRAPH:
            names.extend(_outer_reads(a.g))
        elif a.type == onnx.AttributeProto.GRAPHS:
            for g in a.graphs:
                names.extend(_outer_reads(g))
    return names


def _outer_reads(g: onnx.GraphProto) -> list[str]:
    local = {i.name for i in g.input} | {t.name for t in g.initializer}
    for n in g.node:
        local.update(o for o in n.output if o)
    return [x for x in _all_reads(g) if x not in local]


def _all_reads(g: onnx.GraphProto) -> list[str]:
    out: list[str] = []
    for n in g.node:
        out.extend(_reads(n))
    out.extend(o.name for o in g.output)
    return out


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
        load_all()  # rule modules also register shape functions
        self.extra_hints = hints or {}  # onnx's whole-graph inference (symbolic dims)
        self.opsets = opsets
        self.ir_version = ir_version
        self.opset_protos = [helper.make_opsetid(d, v) for d, v in opsets.items()]
        # cache: tensor name -> (shape, dtype, TypeProto), reused while the shape still matches
        self._types: dict[str, tuple[Any, str, onnx.TypeProto]] = {}
        self._infer_cache: dict[tuple[Any, ...], list[tuple[onnx.TypeProto, TensorInfo] | None] | str] = {}

    # Entry point ----------------------------------------------------------
    def run(
        self,
        graph: onnx.GraphProto,
        outer: MutableMapping[str, TensorInfo] | None = None,
        bound_inputs: dict[str, TensorInfo] | None = None,
    ) -> GraphShapes:
        """Infer ``graph``; ``outer`` holds the enclosing scopes' tensors (for subgraphs);
        ``bound_inputs`` override the declared type of graph inputs."""
        local: dict[str, TensorInfo] = {}
        tensors: MutableMapping[str, TensorInfo] = ChainMap(local, outer) if outer is not None else local
        gs = GraphShapes(tensors=tensors, order=[])
        init_names = set()
        for t in graph.initializer:
            dt, bits = dtype_of(t.data_type)
            value = tensor_value(t) if not _is_float(dt) or _numel(t.dims) <= 16 else None
            if value is None and not _is_float(dt) and t.data_location == onnx.TensorProto.EXTERNAL:
                value = read_small_int(t, self.base_dir, SMALL)  # a shape tensor, not a weight
            local[t.name] = TensorInfo(t.name, sane_dims(t.dims), dt, bits, value, True)
            init_names.add(t.name)
            (gs.params if is_param_dtype(dt) else gs.constants).add(t.name)
        for si in graph.sparse_initializer:
            v = si.values
            dt, bits = dtype_of(v.data_type)
            local[v.name] = TensorInfo(v.name, sane_dims(si.dims), dt, bits, None, True)
            init_names.add(v.name)
            (gs.params if is_param_dtype(dt) else gs.constants).add(v.name)
        for i in graph.input:
            if bound_inputs and i.name in bound_inputs:
                local[i.name] = bound_inputs[i.name]
            elif i.name not in init_names:  # an input with a default initializer keeps the initializer
                local[i.name] = info_from_type(i.name, i.type)
        own: dict[str, onnx.TypeProto] = {v.name: v.type for v in graph.value_info}
        for o in graph.output:
            own.setdefault(o.name, o.type)
        hints: Any = ChainMap(self.extra_hints, own) if self.extra_hints else own
        known = set(tensors.keys()) if outer is None else set(local) | set(outer.keys())
        gs.order = topo_order(graph, known)
        for node in gs.order:
            self._node(node, gs, tensors, hints)
        return gs

    # One node -------------------------------------------------------------
    def _node(
        self,
        node: onnx.NodeProto,
        gs: GraphShapes,
        tensors: MutableMapping[str, TensorInfo],
        hints: Any,
    ) -> None:
        ins = [tensors.get(n) if n else None for n in node.input]
        domain = norm_domain(node.domain)
        decoded = decode(node, self.opsets.get(domain, 1), domain)
        gs.attrs[id(node)] = decoded
        attrs, bad = decoded
        values: list[np.ndarray | None] | None = None
        if bad:  # malformed attributes: nothing (onnx's C++ included) is handed them
            outs: list[TensorInfo | None] = []
        elif node.op_type in CONTROL_FLOW and domain == "":
            outs = self._control_flow(node, gs, tensors, ins, attrs)
        else:
            outs = self._infer(node, gs, ins, attrs)
        static = node.op_type not in _RANDOM
        for t in ins:
            if t is None or not t.static:
                static = False
                break
        if not bad:
            values = self._values(node, ins, attrs, outs)
        n_outs = len(outs)
        for k, name in enumerate(node.output):
            if not name:
                continue
            info = outs[k] if k < n_outs else None
            if info is None:
                info = TensorInfo(name, None)
            if name in hints:
                info = merge(info, info_from_type(name, hints[name]))
            value = values[k] if values is not None and k < len(values) else info.value
            shape = info.shape
            if value is not None and shape != value.shape:  # a known value knows its shape
                shape = tuple(value.shape)
            if value is not info.value or static is not info.static or shape is not info.shape:
                info = TensorInfo(name, shape, info.dtype, info.bits, value, static)
            tensors[name] = info
            if static:
                if node.op_type in SOURCE_OPS and is_param_dtype(info.dtype):
                    gs.params.add(name)
                elif node.op_type in SOURCE_OPS:
                    gs.constants.add(name)

    def _infer(
        self, node: onnx.NodeProto, gs: GraphShapes, ins: list[TensorInfo | None], attrs: Mapping[str, Any]
    ) -> list[TensorInfo | None]:
        schema = schema_for(node, self.opsets)
        domain = norm_domain(node.domain)
        fn = SHAPES.get((domain, node.op_type))
        if fn is not None and (
            schema is None or not schema.has_type_and_shape_inference_function or (domain, node.op_type) in SHAPES_FIRST
        ):
            view = NodeView(node.name, node.op_type, domain, self.opsets.get(domain, 1), attrs, tuple(ins), ())
            try:
                res = fn(view)
            except (RuleError, ShapeUnknown) as e:  # our shape function cannot say: outputs stay unknown
                gs.node_errors[id(node)] = _last_line(e)
                return []
            except Exception as e:  # a bug in our shape function, not a verdict on the node
                op = f"{domain}::{node.op_type}" if domain else node.op_type
                raise InternalError("the shape function", node.name or "(unnamed)", op, e) from e
            out: list[TensorInfo | None] = []
            for name, r in zip(node.output, res):
                if r is None:
                    out.append(None)
                else:
                    shape, dt = r
                    out.append(TensorInfo(name, None if shape is None else tuple(shape), dt, _BITS.get(dt, 0)))
            return out
        if schema is None:
            return []
        # Identical nodes (the layers of a transformer, a long chain) infer identically:
        # key on everything inference reads, positionally.
        key = (
            domain,
            node.op_type,
            id(attrs),  # decoded once per distinct attribute set, alive as long as this engine's graphs
            tuple(None if t is None else (t.dtype, t.shape, _vkey(t.value)) for t in ins),
            tuple(bool(o) for o in node.output),
        )
        hit = self._infer_cache.get(key)
        if hit is None:
            found = self._infer_uncached(node, domain, schema, ins, attrs)
            # decoded once: (TypeProto, info) per output
            hit = found if isinstance(found, str) else [
                None if tp is None else (tp, info_from_type("", tp)) for tp in found
            ]
            self._infer_cache[key] = hit
        if isinstance(hit, str):
            gs.node_errors[id(node)] = hit
            return []
        out = []
        for name, entry in zip(node.output, hit):
            if entry is None or not name:
                out.append(None)
                continue
            tp, t = entry
            if t.shape is None or None not in t.shape:  # else sane_dims dropped a dim onnx gave (-1)
                self._types[name] = (t.shape, t.dtype, tp)
            out.append(TensorInfo(name, t.shape, t.dtype, t.bits))
        return out

    def _infer_uncached(
        self,
        node: onnx.NodeProto,
        domain: str,
        schema: defs.OpSchema,
        ins: list[TensorInfo | None],
        attrs: Mapping[str, Any],
    ) -> list[onnx.TypeProto | None] | str:
        """onnx's per-node inference: output TypeProtos by position, or why it failed."""
        types: dict[str, onnx.TypeProto] = {}
        data: dict[str, onnx.TensorProto] = {}
        for name, t in zip(node.input, ins):
            if t is None:
                continue
            tp = self._type(t)
            if tp is not None:
                types[name] = tp
            if t.value is not None:
                tv = to_tensor(t.value, name)
                if tv is not None:
                    data[name] = tv
        if node.op_type == "Einsum" and domain == "":
            # onnx's Einsum inference never returns on some malformed equations ("i.j->i")
            eq = str(attrs.get("equation", ""))
            ranks = [len(t.shape) if t is not None and t.shape is not None else None for t in ins]
            why = einsum_equation_error(eq, ranks if all(r is not None for r in ranks) else None)  # type: ignore[arg-type]  # no None: checked
            if why:
                return why
        if node.op_type == "STFT" and domain == "" and not any(a.name == "onesided" for a in node.attribute):
            fixed = onnx.NodeProto()
            fixed.CopyFrom(node)
            fixed.attribute.append(helper.make_attribute("onesided", 1))
            node = fixed
        try:
            res = shape_inference.infer_node_outputs(
                schema, node, types, data, None, self.opset_protos, self.ir_version
            )
        except Exception as e:  # onnx rejects the node (inconsistent shapes or attributes)
            return _last_line(e)
        return [res.get(name) if name else None for name in node.output]

    def _type(self, t: TensorInfo) -> onnx.TypeProto | None:
        if not t.dtype:
            return None
        hit = self._types.get(t.name)
        if hit is not None and hit[0] == t.shape and hit[1] == t.dtype:
            return hit[2]
        tp = type_from_info(t, _ELEM[t.dtype])
        self._types[t.name] = (t.shape, t.dtype, tp)
        return tp

    def _values(
        self,
        node: onnx.NodeProto,
        ins: list[TensorInfo | None],
        attrs: Mapping[str, Any],
        outs: list[TensorInfo | None],
    ) -> list[np.ndarray | None] | None:
        op = node.op_type
        if not is_onnx_domain(node.domain):
            return None
        if op == "Constant":
            return [_constant_value(node)]
        if op == "Shape" and ins and ins[0] is not None:
            return [shape_value(ins[0].shape, attrs)]
        if op == "Size" and ins and ins[0] is not None and ins[0].known:
            n = 1
            for d in ins[0].shape or ():
                n *= cast(int, d)  # known: every dim is an int
            return [np.array(n, dtype=np.int64)] if n < 2**63 else None
        if op == "CastLike" and len(ins) == 2 and ins[0] is not None and ins[0].value is not None:
            target = ins[1].dtype if ins[1] is not None else ""
            if target and target in _NP_CASTABLE:
                return [np.asarray(ins[0].value).astype(_NP_CASTABLE[target])]  # needs the type, not the value
            return None
        if op not in _EVAL or not ins:
            return None
        if op in _GENERATORS and outs and all(t is not None and _is_float(t.dtype) for t in outs):
            return None  # float tensors generated from a shape are weights, not shape arithmetic
        vals: list[np.ndarray | None] = []
        for t in ins:
            if t is None:
                vals.append(None)
            elif t.value is None:
                return None
            else:
                vals.append(t.value)
        return evaluate(node, self.opsets.get("", 1), vals, attrs)

    # Control flow ---------------------------------------------------------
    def _control_flow(
        self,
        node: onnx.NodeProto,
        gs: GraphShapes,
        tensors: MutableMapping[str, TensorInfo],
        ins: list[TensorInfo | None],
        attrs: Mapping[str, Any],
    ) -> list[TensorInfo | None]:
        from .control import infer_control_flow

        return infer_control_flow(self, node, gs, tensors, ins, attrs)


_NP_CASTABLE = NUMPY_TYPES
_GENERATORS = frozenset({"ConstantOfShape", "Expand", "Tile"})
_RANDOM = frozenset(
    {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli"}
)
from .dtypes import DTYPES as _DT  # noqa: E402
from .values import EVAL_OPS as _EVAL  # noqa: E402

_ELEM = {name: code for code, (name, _bits) in _DT.items()}
_BITS = {name: bits for _code, (name, bits) in _DT.items()}


def _vkey(v: Any) -> Any:
    return None if v is None else (v.dtype.str, v.shape, v.tobytes())


def _is_float(dt: str) -> bool:
    return is_float_dtype(dt)


def _numel(dims: Iterable[int]) -> int:
    n = 1
    for d in dims:
        n *= d
    return n


def _constant_value(node: onnx.NodeProto) -> np.ndarray | None:
    for a in node.attribute:
        if a.name == "value":
            return tensor_value(a.t)
        if a.name == "value_int":
            return np.array(a.i, dtype=np.int64)
        if a.name == "value_ints":
            return np.array(list(a.ints), dtype=np.int64) if len(a.ints) <= SMALL else None
        if a.name == "value_float":
            return np.array(a.f, dtype=np.float32)
        if a.name == "value_floats":
            return np.array(list(a.floats), dtype=np.float32) if len(a.floats) <= SMALL else None
    return None


def _last_line(e: BaseException) -> str:
    """The last line of an error (onnx's inference errors end with the one that says what failed)."""
    lines = str(e).strip().splitlines()
    text = lines[-1] if lines else type(e).__name__
    return text.strip()[:300]
