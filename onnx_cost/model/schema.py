"""The report as data: the ``--json`` schema (``to_dict``, docs/json.md), the CSV's columns
(``node_row``), the one-line ``repr``. The model layer's own, so that ``Report.to_dict()``
needs nothing above it; the formats in render/ write text from these."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from onnx_cost._version import __version__
from onnx_cost.model.totals import Totals, by_precision
from onnx_cost.rules.cost import COUNT_FIELDS, Cost
from onnx_cost.rules.node import Shape
from onnx_cost.text import si

if TYPE_CHECKING:
    from onnx_cost.model.report import NodeRecord, Report


def shape_str(shape: Shape | None) -> str:
    """'1x3x224x224'; symbolic dims by name, unknown ones as '?', unknown rank as '?'."""
    if shape is None:
        return "?"
    if len(shape) == 0:
        return "scalar"
    return "x".join("?" if d is None else str(d) for d in shape)


def shapes_str(shapes: Sequence[Shape | None], names: Sequence[str]) -> str:
    return ";".join("" if not n else shape_str(s) for s, n in zip(shapes, names))


# -- CSV ---------------------------------------------------------------------

CSV_COLUMNS: tuple[str, ...] = (
    "node",
    "op_type",
    "domain",
    "scope",
    "graph",
    "inputs",
    "outputs",
    "dtype",
    "precision",
    "status",
    "weight",
    "macs",
    "flops",
    *[f for f in COUNT_FIELDS if f != "macs"],
    "params",
    "param_bytes",
    "read_bytes",
    "write_bytes",
    "detail",
)


def node_row(r: NodeRecord, shapes: Callable[[Sequence[Shape | None], Sequence[str]], str] = shapes_str
             ) -> dict[str, Any]:
    """The record as the CSV's columns (raw text); ``shapes`` writes a shape list (``shapes_str``)."""
    c = r.cost
    row: dict[str, Any] = {
        "node": r.name,
        "op_type": r.op_type,
        "domain": r.domain,
        "scope": r.scope,
        "graph": r.graph,
        "inputs": shapes(r.inputs, r.input_names),
        "outputs": shapes(r.outputs, r.output_names),
        "dtype": r.dtype,
        "precision": r.precision,
        "status": r.status,
        "weight": r.weight,
        "flops": c.flops,
        "params": r.params,
        "param_bytes": r.param_bytes,
        "read_bytes": c.read_bytes or 0,
        "write_bytes": c.write_bytes or 0,
        "detail": r.detail,
    }
    for f in COUNT_FIELDS:
        row[f] = getattr(c, f)
    return row


def to_dataframe(report: Report) -> Any:
    """One row per node, the CSV's columns with raw integers (and exact strings)."""
    try:
        import pandas as pd  # type: ignore[import-untyped]  # optional, no stubs required
    except ImportError:
        raise ImportError("Report.to_dataframe needs pandas (pip install pandas); to_dict() does not") from None
    return pd.DataFrame([node_row(r) for r in report.nodes], columns=list(CSV_COLUMNS))


def report_repr(report: Report) -> str:
    """One line: the model, the main totals, the coverage."""
    t, cov = report.total, report.counted_coverage
    state = ", partial" if report.partial else ""
    if report.bound in ("upper", "neither"):
        state += ", upper bound: an If on data"
    texts = symbolic_texts(report)
    flops, macs = (texts["flops"], texts["macs"]) if texts else (si(t.flops), si(t.macs))
    params = texts["params"] if texts and not texts["params"].isdigit() else si(t.params)  # a constant: a number
    # the binding the numbers are at, when the analysis chose or was given one (batch=1*)
    d = report.dynamic
    at = ""
    if d is not None and d.defaults:
        at = " at " + ", ".join(f"{k}={v}*" for k, v in d.defaults.items()) + " (* default binding)"
    return (f"<Report {report.model.path!r}{at}: {flops} FLOPs, {macs} MACs, {params} params, "
            f"{cov.covered}/{cov.nodes} nodes counted or zero-compute{state}>")


# -- JSON --------------------------------------------------------------------


def _shape_json(s: Shape | None) -> list[Any] | None:
    return None if s is None else list(s)


FORMULA_JSON_FIELDS = ("ops", "flops", "macs", "int_macs", "int_ops", "params", "param_bytes", "read_bytes",
                       "write_bytes")


def formula_json(dynamic: Any) -> dict[str, Any] | None:
    """``total_formula``: the totals as exact polynomials in the free dims (docs/json.md)."""
    if dynamic is None or dynamic.formula is None:
        return None
    f = dynamic.formula
    fields = {}
    for name in FORMULA_JSON_FIELDS:
        p = dynamic.total(name)
        fields[name] = {"text": p.to_str("*"), "terms": p.as_terms()}
    return {"dims": list(f.dims), "verified": f.verified, "degrees": list(f.degrees), "partial": f.partial,
            "evaluations": f.evaluations, "note": f.note, "fields": fields}


def symbolic_totals(report: Report, dynamic: Any, part: Callable[[Report], Totals | None] | None = None
                    ) -> dict[str, int | None]:
    """The totals (or those of ``part`` of a report: an op type's, a precision's) as numbers:
    with symbolic dims (``Report.symbolic``) a count that depends on one of them is None
    (its polynomial is in ``total_formula``), never the 0 of the nodes it left unknown at
    the default binding."""
    t = report.total if part is None else part(report)
    out: dict[str, int | None] = dict((t or _ZERO).as_dict())
    if not report.symbolic:
        return out
    f = dynamic.formula
    for name in out:
        if part is None:
            p = dynamic.total(name)
        else:
            p = f.quantity(lambda r, name=name: getattr(part(r) or _ZERO, name))
        out[name] = _integer(dynamic.at_defaults(p))
    return out


_ZERO = Totals()


def _integer(p: Any) -> int | None:
    """A polynomial's value when it has no dim left and is an integer (the same rule as
    symbolic.dynamic.integer: the model layer cannot import the symbolic one)."""
    c = p.constant
    return c.numerator if isinstance(c, Fraction) and c.denominator == 1 else None


def symbolic_texts(report: Report, sep: str = "·") -> dict[str, str]:
    """With symbolic dims, each total as its polynomial's text at the default binding
    (``memory_bytes`` = read + write), for formats that show numbers as text; else {}."""
    if not report.symbolic:
        return {}
    d = report.dynamic
    out = {name: d.at_defaults(d.total(name)).to_str(sep) for name in FORMULA_JSON_FIELDS}
    out["memory_bytes"] = d.at_defaults(d.total("read_bytes") + d.total("write_bytes")).to_str(sep)
    return out


def _precisions(report: Report) -> dict[str, Totals]:
    """``report.group(by_precision)``, grouped once per report (the polynomials read it per field)."""
    return report.cached("by_precision", lambda: report.group(by_precision))


def _precision_keys(report: Report) -> list[str]:
    """The compute precisions of the report; with symbolic dims, those of the analysis the
    polynomials were fitted on (at the default binding the nodes that need them have none)."""
    src = next(iter(report.dynamic.formula.reports.values())) if report.symbolic else report
    return [k for k in _precisions(src) if k]


def _op_type_part(key: str) -> Callable[[Report], Totals | None]:
    return lambda r: r.by_op_type.get(key)


def _precision_part(key: str) -> Callable[[Report], Totals | None]:
    return lambda r: _precisions(r).get(key)


def _unbound_dims(report: Report) -> list[str]:
    """The named dims of the graph inputs that nothing bound (``bind="none"`` leaves them
    so: no default binding was applied, and no ``Dynamic`` lists them), in order."""
    out: list[str] = []
    for _, _, shape in report.model.inputs:
        out += [d for d in shape or () if isinstance(d, str) and d not in out]
    return out


def to_dict(report: Report, dynamic: Any = None) -> dict[str, Any]:
    """The whole report as plain JSON-able data (schema in docs/json.md); ``dynamic``
    (symbolic.dynamic.Dynamic) adds the free dims and the totals' formulas."""
    counts = _Counts()
    m = report.model
    if dynamic is None:
        dynamic = report.dynamic
    cov = report.counted_coverage
    return {
        "onnx_cost_version": __version__,
        "model": {
            "path": m.path,
            "ir_version": m.ir_version,
            "opset": m.opsets.get("", 0),
            "opsets": m.opsets,
            "producer": m.producer,
            "inputs": [{"name": n, "dtype": d, "shape": _shape_json(s)} for n, d, s in m.inputs],
            "outputs": [{"name": n, "dtype": d, "shape": _shape_json(s)} for n, d, s in m.outputs],
        },
        "partial": report.partial,
        "bound": report.bound,
        "data_ifs": [
            {"name": d.name, "graph": d.graph, "condition": d.condition, "counted": d.counted, "weight": d.weight,
             "bound": "upper", "then": counts(d.then_cost), "else": counts(d.else_cost)}
            for d in report.data_ifs
        ],
        "total": symbolic_totals(report, dynamic),
        "symbolic_dims": list(report.symbolic),
        "free_dims": _unbound_dims(report) if dynamic is None else list(dynamic.free),
        "default_binding": {} if dynamic is None else dict(dynamic.defaults),
        "bind_hint": " ".join([*([dynamic.hint] if dynamic is not None and dynamic.hint else
                                 [f"--dim {d}=N" for d in _unbound_dims(report)] if dynamic is None else []),
                               *(f"--dim {d}=N" for d in report.derived_dims)]),
        "derived_dims": dict(report.derived_dims),
        "total_formula": formula_json(dynamic),
        "coverage": {
            "nodes": cov.nodes,
            "counted": cov.counted,
            "zero": cov.zero,
            "uncounted": cov.uncounted,
            "shape_unknown": cov.shape_unknown,
            "invalid": cov.invalid,
            "covered": cov.covered,
            "unknown_tensors": cov.unknown_tensors,
            "per_iteration_loops": cov.per_iteration_loops,
            "not_taken": cov.not_taken,
            "percent": round(100.0 * cov.fraction, 2),
        },
        "by_op_type": {k: symbolic_totals(report, dynamic, _op_type_part(k)) for k in report.by_op_type},
        "by_precision": {k: symbolic_totals(report, dynamic, _precision_part(k)) for k in _precision_keys(report)},
        "views": {
            k: {"description": v.description, "total": v.total.as_dict(), "data": dict(v.data)}
            for k, v in report.views.items()
        },
        "warnings": report.warnings,
        "uncounted": report.uncounted,
        "missing_dims": report.missing_dims,
        "quant_params": {
            "elements": sum(v[0] for v in report.quant_params.values()),
            "bytes": sum(v[1] for v in report.quant_params.values()),
        },
        "unused_params": {
            "elements": sum(v[0] for v in report.unused_params.values()),
            "bytes": sum(v[1] for v in report.unused_params.values()),
            "names": sorted(report.unused_params),
        },
        "nodes": [
            {
                "name": r.name,
                "op_type": r.op_type,
                "domain": r.domain,
                "scope": r.scope,
                "scope_path": list(r.scope_path),
                "scope_classes": list(r.scope_classes),
                "graph": r.graph,
                "input_names": list(r.input_names),
                "output_names": list(r.output_names),
                "inputs": [_shape_json(s) for s in r.inputs],
                "outputs": [_shape_json(s) for s in r.outputs],
                "dtype": r.dtype,
                "status": r.status,
                "detail": r.detail,
                "missing": list(r.missing),
                "weight": r.weight,
                "bytes_partial": r.bytes_partial,
                "per_iteration": r.per_iteration,
                "branch": r.branch,
                "trips": r.trips,
                "precision": r.precision,
                **counts(r.cost),
                "params": r.params,
                "param_bytes": r.param_bytes,
                "read_bytes": r.cost.read_bytes or 0,
                "write_bytes": r.cost.write_bytes or 0,
                "metadata": r.metadata,
            }
            for r in report.nodes
        ],
    }


class _Counts:
    """A cost record's counts (flops first, then COUNT_FIELDS), read once per distinct record:
    identical nodes share theirs (the walk's memo)."""

    def __init__(self) -> None:
        self._seen: dict[int, tuple[Cost, dict[str, int]]] = {}

    def __call__(self, c: Cost) -> dict[str, int]:
        hit = self._seen.get(id(c))
        if hit is None or hit[0] is not c:
            hit = self._seen[id(c)] = (c, {"flops": c.flops, **{f: getattr(c, f) for f in COUNT_FIELDS}})
        return hit[1]


def to_json(report: Report, dynamic: Any = None) -> str:
    """Compact JSON (the C encoder: indenting falls back on the slow pure-Python one);
    pipe through ``python -m json.tool`` to read it."""
    return json.dumps(to_dict(report, dynamic), separators=(",", ":")) + "\n"
