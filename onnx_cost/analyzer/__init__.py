"""The analyzer: load -> shapes -> per-node facts -> walk -> aggregate.

``analyze`` is the library entry point; the CLI is a thin shell around it.
"""

from __future__ import annotations

import gc
import operator
import os
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import onnx

from onnx_cost.analyzer.dims import check_dims
from onnx_cost.analyzer.external import model_dir
from onnx_cost.analyzer.load import load_model, model_warnings
from onnx_cost.analyzer.onnx_infer import onnx_hints
from onnx_cost.analyzer.params import apply as apply_split
from onnx_cost.analyzer.params import split_statics
from onnx_cost.analyzer.shapes import GraphShapes, ShapeEngine, info_from_type
from onnx_cost.analyzer.walk import Walker
from onnx_cost.errors import BindingError, InvalidGraphError, UnsupportedModelError
from onnx_cost.model import REPORT_VIEWS
from onnx_cost.model.report import (
    COUNTED,
    INVALID,
    NOT_TAKEN,
    SHAPE_UNKNOWN,
    UNCOUNTED,
    ZERO,
    Coverage,
    ModelInfo,
    NodeRecord,
    Report,
    Totals,
    View,
)
from onnx_cost.model.totals import by_op_type, group_and_total
from onnx_cost.rules.node import TensorInfo, nbytes, numel
from onnx_cost.rules.registry import is_onnx_domain, norm_domain

__all__ = ["analyze", "prepare", "Prepared", "Report", "NodeRecord", "Totals", "View"]

DimBinding = Mapping[str, int]


@dataclass
class Prepared:
    """A model checked and made ready once, for analyses at many dim bindings
    (sweeps, formulas): local functions inlined, opsets resolved, load warnings kept."""

    proto: onnx.ModelProto
    path: str  # the file, or "<in-memory>"
    base_dir: str | None  # the model's folder (external data), None in memory
    opsets: dict[str, int]
    warnings: list[str]


def prepare(model: str | os.PathLike[str] | onnx.ModelProto, path: str | os.PathLike[str] | None = None) -> Prepared:
    """Load (a path) or take (a ModelProto, loaded from ``path`` if given) and check a model."""
    warnings: list[str] = []
    if isinstance(model, onnx.ModelProto):
        proto, where = model, "<in-memory>" if path is None else os.fspath(path)
        warnings.extend(model_warnings(proto, None if path is None else model_dir(where)))
    else:
        where = os.fspath(model)
        proto = load_model(where, warnings)
    base_dir = None if where == "<in-memory>" else str(model_dir(where))
    opsets = _opsets(proto)
    if proto.functions:
        proto = _inline(proto)
    return Prepared(proto, where, base_dir, opsets, warnings)


def analyze(
    model: str | os.PathLike[str] | onnx.ModelProto | Prepared,
    *,
    inputs: Mapping[str, Sequence[int | str]] | None = None,
    dims: DimBinding | None = None,
    path: str | os.PathLike[str] | None = None,
    values: Mapping[str, Any] | None = None,
    branches: Mapping[str, str] | None = None,
) -> Report:
    """Analyze an ONNX model (a path, a ModelProto or a ``Prepared``) and return its cost report.

    ``inputs`` binds graph input shapes by name (``{"x": (1, 3, 224, 224)}``);
    ``dims`` binds every symbolic dim of that name (``{"batch": 1}``), everywhere the
    graph declares it; ``path``: the file a ModelProto was loaded from (it names the
    report, and its folder holds the external data); ``values`` binds the value of small
    inputs (``{"sr": 16000}``: an If on it is decided, shapes computed from it known);
    ``branches`` decides Ifs whose condition is data (``{"/If_0": "then"}``).
    """
    # The analysis allocates many small objects and frees none until the end: full
    # garbage collections find nothing to free and cost up to a fifth of the time.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        p = model if isinstance(model, Prepared) else prepare(model, path)
        return _analyze(p, inputs or {}, dims or {}, values or {}, branches or {})
    finally:
        if was_enabled:
            gc.enable()


def _analyze(
    p: Prepared, inputs: Mapping[str, Sequence[int | str]], dims: DimBinding,
    values: Mapping[str, Any] | None = None, branches: Mapping[str, str] | None = None,
) -> Report:
    from onnx_cost.analyzer.bindings import bind_values, check_branches, value_dims

    warnings = list(p.warnings)
    proto, opsets, base_dir = p.proto, p.opsets, p.base_dir
    graph = proto.graph
    if values:
        dims = {**value_dims(graph, values), **dims}
    bound = bind_values(graph, _bind_inputs(graph, inputs, dims), values or {})
    chosen = check_branches(proto, branches or {})
    notes: dict[str, str] = {}  # --branch choices a known condition overrides (shared by both passes)
    with _declared_bound(graph, dims):
        gs = None
        if all(t.known for t in bound.values()):  # (no name keeps the engine, its caches, past its run)
            gs = _engine(ShapeEngine(opsets, proto.ir_version, None, base_dir), chosen, dims, notes).run(
                graph, bound_inputs=bound)
        if gs is None or _unknown(gs):
            # Symbolic or unknown dims remain: onnx's data propagation can carry symbols
            # through shape arithmetic; use its result as hints for our pass.
            hints, why = onnx_hints(proto)
            if why:
                warnings.append(f"onnx shape inference failed ({why}); shapes come from our own pass only")
            if hints or gs is None:
                gs = _engine(ShapeEngine(opsets, proto.ir_version, hints, base_dir), chosen, dims, notes).run(
                    graph, bound_inputs=bound)
    statics = split_statics(proto, gs)
    apply_split(statics, gs)  # params as users mean them (analyzer/params.py)
    walker = Walker(opsets)
    walker.logical = statics.logical
    walker.walk(gs)
    records, data_ifs = walker.records, walker.data_ifs
    del walker  # its memo and scope caches: the peak memory is the aggregation's
    _drop_node_facts(gs)
    report = _aggregate(proto, p.path, opsets, gs, records, bound, statics.logical)
    from onnx_cost.analyzer.derived import describe
    from onnx_cost.analyzer.lenient import lenient_warnings

    return replace(
        report, unused_params=statics.unused, data_ifs=data_ifs, quant_params=statics.quant,
        derived_dims=describe(graph, report.missing_dims),
        warnings=[*report.warnings, *warnings, *notes.values(), *[w for w in [statics.warning()] if w],
                  *lenient_warnings(records)])


def _drop_node_facts(gs: GraphShapes) -> None:
    """Free what only the walk reads (each graph's node order, what the shape pass read of
    each node, inference errors) before the aggregation: the report keeps the tensors, not these."""
    for g in _graphs(gs):
        g.order, g.reads, g.node_errors = [], {}, {}


def _engine(engine: ShapeEngine, chosen: dict[str, bool], dims: DimBinding, notes: dict[str, str]) -> ShapeEngine:
    from onnx_cost.analyzer.derived import is_derived

    engine.branches = chosen
    engine.branch_notes = notes
    engine.derived = {k: int(v) for k, v in dims.items() if is_derived(k)}
    return engine


@contextmanager
def _declared_bound(graph: onnx.GraphProto, dims: DimBinding) -> Iterator[None]:
    """While analyzing, the dims the user binds are bound in the graph's own declarations
    too (outputs, value_info: our hints, and onnx's inference input), then restored."""
    changed: list[tuple[Any, str]] = []
    try:
        if dims:
            for v in (*graph.input, *graph.output, *graph.value_info):
                if v.type.HasField("tensor_type"):
                    for d in v.type.tensor_type.shape.dim:
                        if d.HasField("dim_param") and d.dim_param in dims:
                            changed.append((d, d.dim_param))
                            d.dim_value = int(dims[d.dim_param])
        yield
    finally:
        for d, name in changed:
            d.dim_param = name


def _unknown(gs: GraphShapes) -> bool:
    return any(not t.known for g in _graphs(gs) for t in _local(g).values())


def _local(g: GraphShapes) -> Mapping[str, TensorInfo]:
    return getattr(g.tensors, "maps", [g.tensors])[0]


def _opsets(proto: onnx.ModelProto) -> dict[str, int]:
    """The model's opsets by domain, after refusing what cannot be analyzed: too deep
    or too big (``check_structure``), bad, conflicting or future opset and IR versions."""
    from onnx_cost.analyzer.load import check_structure

    check_structure(proto)
    opsets: dict[str, int] = {}
    for o in proto.opset_import:
        domain = norm_domain(o.domain)
        if o.version < 1:
            raise InvalidGraphError(f"opset_import gives domain '{o.domain or 'ai.onnx'}' the invalid version "
                                    f"{o.version}")
        if opsets.get(domain, o.version) != o.version:
            raise InvalidGraphError(
                f"opset_import gives domain '{o.domain or 'ai.onnx'}' two versions ({opsets[domain]} and {o.version})"
            )
        opsets[domain] = o.version
    if proto.ir_version < 0:
        raise InvalidGraphError(f"model has the invalid IR version {proto.ir_version}")
    domains = set(map(operator.attrgetter("domain"), proto.graph.node))  # one pass, in C
    ml_latest = onnx.defs.onnx_ml_opset_version()
    if opsets.get("ai.onnx.ml", 0) > ml_latest and "ai.onnx.ml" in domains:
        raise UnsupportedModelError(
            f"model uses opset {opsets['ai.onnx.ml']} of ai.onnx.ml, newer than the {ml_latest} "
            f"this onnx {onnx.__version__} knows: upgrade onnx"
        )
    if "" not in opsets:
        if any(is_onnx_domain(d) for d in domains):
            raise InvalidGraphError("model declares no opset for the default ONNX domain (opset_import is missing it)")
        opsets[""] = onnx.defs.onnx_opset_version()
    latest = onnx.defs.onnx_opset_version()
    if opsets[""] > latest:
        raise UnsupportedModelError(
            f"model uses ONNX opset {opsets['']}, newer than the {latest} this onnx {onnx.__version__} knows: upgrade "
            f"onnx"
        )
    if proto.ir_version > onnx.IR_VERSION:
        raise UnsupportedModelError(
            f"model has IR version {proto.ir_version}, newer than the {onnx.IR_VERSION} this onnx {onnx.__version__} "
            f"knows"
        )
    used = {d for d in domains if not is_onnx_domain(d)}
    undeclared = sorted(d for d in used if d not in opsets and d not in {f.domain for f in proto.functions})
    if undeclared:
        node = next(n for n in proto.graph.node if n.domain == undeclared[0])
        raise InvalidGraphError(
            f"node '{node.name or node.op_type}' ({node.op_type}) uses domain '{undeclared[0]}', "
            "which the model does not declare in opset_import"
        )
    return opsets


def _inline(proto: onnx.ModelProto) -> onnx.ModelProto:
    """Inline model-local functions so their bodies are counted, under the caller's scope."""
    from onnx_cost.analyzer.functions import inline_functions

    try:
        return inline_functions(proto)
    except InvalidGraphError:
        raise
    except Exception as e:  # a malformed function
        raise InvalidGraphError(f"cannot inline the model's local functions: {str(e).splitlines()[0][:200]}") from None


def _bind_inputs(
    graph: onnx.GraphProto, inputs: Mapping[str, Sequence[int | str]], dims: DimBinding
) -> dict[str, TensorInfo]:
    """Graph inputs with the user's shapes and dim bindings applied."""
    init = {t.name for t in graph.initializer}
    names = {i.name for i in graph.input if i.name not in init}
    inputs = {k: tuple(_bound_dim(f"--input {k}", d) for d in v) for k, v in inputs.items()}
    dims = {k: _bound_dim(f"--dim {k}", v) for k, v in dims.items()}
    check_dims(graph, [k for k in dims if not any(k in v for v in inputs.values())], "--dim")
    unknown = sorted(set(inputs) - names)
    if unknown:
        raise BindingError(f"--input {unknown[0]}: the model has no such input (inputs: "
                           f"{', '.join(sorted(names))})")
    out: dict[str, TensorInfo] = {}
    for i in graph.input:
        if i.name in init:
            continue
        t = info_from_type(i.name, i.type)
        if i.name in inputs:
            shape = tuple(inputs[i.name])
            if t.shape is not None and len(t.shape) != len(shape):
                raise InvalidGraphError(
                    f"--input {i.name}: rank {len(shape)} given, the model declares rank {len(t.shape)}"
                )
            t = TensorInfo(t.name, shape, t.dtype, t.bits)
        if dims and t.shape is not None:
            t = TensorInfo(t.name, tuple(dims.get(d, d) if isinstance(d, str) else d for d in t.shape), t.dtype, t.bits)
        out[i.name] = t
    return out


def _bound_dim(where: str, v: Any) -> Any:
    """A dim the user binds: a name, or an integer in [0, 2^63) (ONNX dims are int64)."""
    if isinstance(v, str):
        return v
    try:
        n = operator.index(v)
    except TypeError:
        raise BindingError(f"{where}: dim {v!r} is neither an integer nor a name") from None
    if not 0 <= n < 2**63:  # the caller's binding, not the graph, is wrong (BindingError is an InvalidGraphError)
        raise BindingError(f"{where}: dim {n} is out of range (0 to 2^63-1)")
    return n


def _graphs(gs: GraphShapes) -> list[GraphShapes]:
    out = [gs]
    for sub in gs.subgraphs.values():
        out.extend(_graphs(sub))
    return out


def _sizes(tensors: Mapping[str, TensorInfo], names: set[str]) -> dict[str, tuple[int, int]]:
    """(elements, bytes) of the named tensors whose shape is known."""
    out = {}
    for n in names:
        t = tensors.get(n)
        if t is not None and t.known:
            k = numel(t.shape)  # type: ignore[arg-type]
            out[n] = (k, nbytes(k, t.bits))
    return out


def _aggregate(
    proto: onnx.ModelProto,
    path: str,
    opsets: dict[str, int],
    gs: GraphShapes,
    records: list[NodeRecord],
    bound: dict[str, TensorInfo],
    logical: Mapping[str, tuple[int, int]] | None = None,
) -> Report:
    param_sizes: dict[str, tuple[int, int]] = {}
    unknown_tensors = 0
    for g in _graphs(gs):
        params = g.params
        for name, t in _local(g).items():
            if not t.known:
                unknown_tensors += 1
            elif name in params:
                n = numel(t.shape)  # type: ignore[arg-type]  # known: every dim is an int
                param_sizes[name] = (n, nbytes(n, t.bits))
                if logical and name in logical:
                    param_sizes[name] = logical[name]
    const_sizes = {n: v for g in _graphs(gs) for n, v in _sizes(_local(g), g.constants).items()}
    sums, total = group_and_total(records, by_op_type, param_sizes, const_sizes)
    by_op = dict(sorted(sums.items(), key=lambda kv: (-kv[1].flops, -kv[1].int_ops, kv[0])))
    status: Counter[str] = Counter()
    uncounted: dict[str, dict[str, Any]] = {}
    not_counted: list[NodeRecord] = []
    missing_set: set[str] = set()
    not_taken = per_iteration_loops = 0
    for r in records:  # one pass: coverage, the uncounted ops, the dims that would help
        if r.branch == NOT_TAKEN:
            not_taken += 1
            continue
        st = r.status
        status[st] += 1
        if r.trips is None:
            per_iteration_loops += 1
        if r.missing:
            missing_set.update(r.missing)
        if st in (COUNTED, ZERO):
            continue
        not_counted.append(r)
        if st == UNCOUNTED:
            u = uncounted.setdefault(by_op_type(r), {"count": 0, "nodes": [], "reason": r.detail})
            u["count"] += 1
            u["nodes"].append(r.name)
    cov = Coverage(
        nodes=len(records),
        counted=status[COUNTED],
        zero=status[ZERO],
        uncounted=status[UNCOUNTED],
        shape_unknown=status[SHAPE_UNKNOWN],
        invalid=status[INVALID],
        unknown_tensors=unknown_tensors,
        per_iteration_loops=per_iteration_loops,
        not_taken=not_taken,
    )
    missing = sorted(missing_set)
    graph = proto.graph
    init = {t.name for t in graph.initializer}
    info = ModelInfo(
        path=path,
        ir_version=proto.ir_version,
        opsets=dict(opsets),
        producer=f"{proto.producer_name} {proto.producer_version}".strip(),
        inputs=[(i.name, bound[i.name].dtype, bound[i.name].shape) for i in graph.input if i.name not in init],
        outputs=[
            (o.name, gs.tensors[o.name].dtype if o.name in gs.tensors else "",
             gs.tensors[o.name].shape if o.name in gs.tensors else None)
            for o in graph.output
        ],
    )
    report = Report(
        model=info,
        nodes=records,
        total=total,
        by_op_type=by_op,
        coverage=cov,
        uncounted=uncounted,
        not_counted=not_counted,
        missing_dims=missing,
        tensors=gs.tensors,
        initializers=tuple(t.name for t in graph.initializer),
        param_sizes=param_sizes,
        constant_sizes=const_sizes,
    )
    for attach in REPORT_VIEWS:  # the views every report carries (api.py registers one: views/qdq.py's)
        report = attach(report)
    return report
