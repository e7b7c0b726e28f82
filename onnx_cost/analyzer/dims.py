"""The symbolic dims of a model: which names exist, which are still free after the
user's bindings, their default values, and how to tell the user to bind them."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import onnx

from onnx_cost.errors import BindingError

_NAMELESS = re.compile(r"[A-Za-z]{0,3}_*[0-9]+")  # an exporter's symbol: s0, s6, d1, dim_0, unk__3


def declared_dims(graph: onnx.GraphProto) -> list[str]:
    """Every symbolic dim name the main graph declares (inputs first, then outputs and
    value_info), in order of appearance: the names ``--dim`` may bind."""
    seen: dict[str, None] = {}
    for v in (*graph.input, *graph.output, *graph.value_info):
        if v.type.HasField("tensor_type"):
            for d in v.type.tensor_type.shape.dim:
                if d.HasField("dim_param") and d.dim_param:
                    seen.setdefault(d.dim_param, None)
    return list(seen)


def input_dims(graph: onnx.GraphProto) -> list[str]:
    """The symbolic dim names of the graph inputs (not initializers), in order."""
    init = {t.name for t in graph.initializer}
    seen: dict[str, None] = {}
    for v in graph.input:
        if v.name not in init and v.type.HasField("tensor_type"):
            for d in v.type.tensor_type.shape.dim:
                if d.HasField("dim_param") and d.dim_param:
                    seen.setdefault(d.dim_param, None)
    return list(seen)


def check_dims(model: onnx.ModelProto | onnx.GraphProto, names: Sequence[str], flag: str) -> None:
    """BindingError naming the first of ``names`` the graph does not declare, listing
    the names it does declare (the graph inputs' first). A data-dependent dim named after
    a node that may produce it (``length@/decoder/Range``, analyzer/derived.py) is accepted."""
    from onnx_cost.analyzer.derived import accepts

    graph = model.graph if isinstance(model, onnx.ModelProto) else model
    have = declared_dims(graph)
    for n in names:
        if n not in have and _UNK.fullmatch(n):
            raise BindingError(_unk_refusal(graph, n, flag))
        if n not in have and not accepts(graph, n):
            listed = ", ".join(have[:20]) + (", ..." if len(have) > 20 else "")
            raise BindingError(
                f"{flag} {n}: the model has no dim of that name "
                + (f"(its symbolic dims: {listed})" if have else "(it has no symbolic dims)")
            )


_UNK = re.compile(r"unk__\d+")  # the names onnx's shape inference gives dims it cannot name


def _unk_refusal(graph: onnx.GraphProto, name: str, flag: str) -> str:
    """Why ``--dim unk__N`` binds nothing, and what does: such a name is made up by onnx's
    shape inference for a dim of an input declared without a name (or of a data-dependent
    output); it is in no input, so the input's shape is what to give."""
    unnamed = unnamed_inputs(graph, {})
    how = ("bind the input(s) with unnamed dims by shape: " + " ".join(f"--input {k}={v}" for k, v in unnamed.items())
           if unnamed else "bind the model's inputs by shape with --input NAME=SHAPE")
    return (f"{flag} {name}: a name onnx's shape inference gives a dim that has none, not a dim of the model, "
            f"so {flag} cannot bind it: {how}")


def is_batch(name: str) -> bool:
    """A dim whose name says it is a batch size (``batch``, ``batch_size``, ``N``...)."""
    low = name.lower()
    return "batch" in low or low in ("n", "bs")


def default_binding(model: onnx.ModelProto, free: Sequence[str]) -> dict[str, int]:
    """The values free dims get when the user binds none: 1 for a dim that names a batch or
    plays its role (``batch_by_role``: dynamo's ``s0``, ``s6``); the value of a metadata_props
    entry of the dim's own name (an integer); none else."""
    meta = {p.key: p.value.strip() for p in model.metadata_props}
    role = batch_by_role(model) if free else None
    out: dict[str, int] = {}
    for d in free:
        if d in meta and meta[d].isdigit():
            out[d] = int(meta[d])
        elif is_batch(d) or d == role:
            out[d] = 1
    return out


def batch_by_role(model: onnx.ModelProto) -> str | None:
    """The symbolic dim that is a batch by its role, whatever its name (the dynamo exporter
    writes ``s0``, ``s6``): one a metadata_props entry whose key names a batch gives as its
    value, or the leading dim of every graph input and every graph output (at least one of
    each, all of rank 1 or more) when its name says nothing else (``s6``, not ``seq``)."""
    graph = model.graph
    declared = set(declared_dims(graph))
    for p in model.metadata_props:
        if is_batch(p.key) and p.value.strip() in declared:
            return p.value.strip()
    init = {t.name for t in graph.initializer}
    values = [v for v in graph.input if v.name not in init] + list(graph.output)
    if not any(v.name not in init for v in graph.input) or not graph.output:
        return None
    lead: set[str] = set()
    for v in values:
        if not v.type.HasField("tensor_type") or not v.type.tensor_type.HasField("shape"):
            return None
        dims = v.type.tensor_type.shape.dim
        if not dims or not dims[0].HasField("dim_param") or not dims[0].dim_param:
            return None
        lead.add(dims[0].dim_param)
        if len(lead) > 1:
            return None
    (name,) = lead
    # a name that says what it is (seq, length) keeps its meaning; only names that say
    # nothing (s0, s6, dim_0, unk__3) are read by their role
    return name if _NAMELESS.fullmatch(name) else None


def unnamed_inputs(graph: onnx.GraphProto, bound: Mapping[str, Sequence[int | str]]) -> dict[str, str]:
    """Inputs with a dim that has neither a value nor a name (skl2onnx's ``X: [?, 10]``),
    not bound by ``bound``: input name -> the --input value to fill in (``N,10``)."""
    init = {t.name for t in graph.initializer}
    out: dict[str, str] = {}
    for v in graph.input:
        if v.name in init or v.name in bound or not v.type.HasField("tensor_type"):
            continue
        if not v.type.tensor_type.HasField("shape"):
            continue
        dims = v.type.tensor_type.shape.dim
        if any(not d.HasField("dim_value") and not (d.HasField("dim_param") and d.dim_param) for d in dims):
            parts = [str(d.dim_value) if d.HasField("dim_value") else d.dim_param or "N" for d in dims]
            out[v.name] = ",".join(parts)
    if out:  # only an input some node reads needs binding (rare: skip the pass over every node otherwise)
        used: set[str] = set()
        for node in graph.node:
            used.update(node.input)
        out = {k: v for k, v in out.items() if k in used}
    return out


def bind_hint(free: Sequence[str], unnamed: Mapping[str, str], example: Mapping[str, int] | None = None) -> str:
    """'--dim batch=1 --dim sequence=N --input X=N,10': what binds everything left free."""
    example = example or {}
    flags = [f"--dim {d}={example.get(d, 'N')}" for d in free]
    flags += [f"--input {name}={shape}" for name, shape in unnamed.items()]
    return " ".join(flags)
