"""The human report: totals, per op type, the top nodes, what was not counted.

Plain text (no markup library): every model string goes through ``escape``, and
the tables fit the width by dropping and shortening columns (text.table), in this
order: node and op names shortened to 32 columns, then the columns memory, params,
MACs, FLOPs and output dropped, then names shortened down to 12 columns.
With free symbolic dims (``Dynamic``), counts are exact polynomials in those dims,
shown at the default binding.
"""

from __future__ import annotations

import ast
import heapq
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from onnx_cost.model.report import SHAPE_UNKNOWN, UNCOUNTED, NodeRecord, Report
from onnx_cost.model.totals import Totals, by_precision
from onnx_cost.render.common import coverage_line
from onnx_cost.symbolic.dynamic import Dynamic, integer
from onnx_cost.symbolic.polynomial import Polynomial
from onnx_cost.text import Column, escape, percent, shorten, si, table, terminal_width, wrap

Value = int | Polynomial
SORT_KEYS: dict[str, Callable[[Any], int]] = {
    "ops": lambda c: c.flops + c.int_ops,
    "flops": lambda c: c.flops,
    "macs": lambda c: c.macs,
    "params": lambda c: c.params,
    "bytes": lambda c: (c.read_bytes or 0) + (c.write_bytes or 0),
}
SORT_TITLE = {"ops": "ops", "flops": "FLOPs", "macs": "MACs", "params": "params", "bytes": "memory"}
# The count columns of both tables, with the order they are dropped in when too wide.
_COUNT_COLUMNS = (Column("FLOPs", right=True, drop=4), Column("MACs", right=True, drop=3),
                  Column("params", right=True, drop=2), Column("memory", right=True, drop=1))
_GENERATED = re.compile(r"^(node_)?[A-Za-z][A-Za-z0-9]*_\d+$")


def show(v: Value, unit: str = "") -> str:
    """A count for a table cell: SI units, or a polynomial with its exact coefficients
    (a formula is never rounded: Markdown and HTML print the same text)."""
    if isinstance(v, Polynomial):
        n = integer(v)
        return si(n, unit) if n is not None else escape(v.to_str()) + (f" {unit}" if unit else "")
    return si(v, unit)


def _rank(v: Value) -> tuple[Any, ...]:
    return v.growth() if isinstance(v, Polynomial) else (0, v)


def module_path(rec: NodeRecord) -> str:
    """A node's name for display: its module path (``layer1.0.conv1``) when the exporter
    gave it only a generated name (the dynamo exporter's ``node_Conv_291``)."""
    path = [p for p in getattr(rec, "scope_path", None) or _listed(rec.scope) if p]
    if not path or (rec.name and not _GENERATED.match(rec.name)):
        return rec.name
    acc = ""
    for p in path:
        acc = p if not acc or p.startswith(acc + ".") else f"{acc}.{p}"
    return acc


def _listed(scope: str) -> list[str]:
    """The dynamo exporter's ``pkg.torch.onnx.name_scopes``: the repr of a list of names,
    the root ('') first and the op last, left out (until records carry ``scope_path``)."""
    if not scope.startswith("[") or len(scope) > 10_000:
        return []
    try:
        value = ast.literal_eval(scope)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return []
    return [str(v) for v in value[1:-1]] if isinstance(value, list) else []


def shape_text(shape: Any) -> str:
    if shape is None:
        return "?"
    if len(shape) == 0:
        return "scalar"
    return escape("x".join("?" if d is None else str(d) for d in shape))


def to_table(report: Report, all_nodes: bool = False, top: int = 10, sort: str = "ops",
             width: int | None = None, dynamic: Dynamic | None = None) -> str:
    """The human report, in at most ``width`` columns (default: the terminal's)."""
    width = width or terminal_width()
    dyn = dynamic if dynamic is not None and dynamic.exact else None
    lines = _header(report, dynamic, width)
    lines += _totals(report, dyn, width)
    lines += _by_op(report, dyn, sort, width)
    lines += _top_nodes(report, dyn, sort, top, all_nodes, width)
    lines += _not_counted(report, all_nodes, dynamic, width)
    return "\n".join(lines) + "\n"


def _header(report: Report, dynamic: Dynamic | None, width: int) -> list[str]:
    m = report.model
    inputs = dynamic.inputs if dynamic is not None and dynamic.symbolic and dynamic.inputs else m.inputs
    ins = ", ".join(f"{escape(n)} {shape_text(s)} {d}" for n, d, s in inputs)
    lines = wrap(f"{escape(m.path)}  opset {m.opsets.get('', '?')}  inputs: {ins or '-'}", width)
    if dynamic is not None:
        free, bind = _free_line(dynamic)
        lines += wrap(free, width) + wrap(bind, width, "  ")
    if report.partial:
        lines.append("PARTIAL: some nodes could not be counted; totals are lower bounds")
    for d in report.data_ifs:
        if d.weight:
            name = escape(d.name)
            # a condition on a shape is decided by binding the dims it reads; one on data by a value or a branch
            on_shape = d.condition.startswith("the shape of")
            how = "--dim NAME=N or --input for the dims it reads, or --branch" if on_shape else "--value or --branch"
            larger = " (the larger)" if d.then_cost.flops != d.else_cost.flops else ""
            lines += wrap(f"UPPER BOUND: If {name}'s condition is not known statically ({escape(d.condition)}): "
                          f"then {si(d.then_cost.flops)} FLOPs, else {si(d.else_cost.flops)} FLOPs; the {d.counted} "
                          f"branch{larger} is counted (decide it: {how} {name}=then|else)", width)
    for name, view in report.views.items():
        if view.total == report.total and view.data:
            continue  # a view that recounts nothing (hardware) has its own section below the tables
        lines += wrap(f"view {escape(name)}: {escape(view.description)}", width)
    return lines


def _free_line(d: Dynamic) -> tuple[str, str]:
    free = ", ".join(escape(x) for x in d.free) or "none named"
    at = ", ".join(f"{escape(k)}={v}" for k, v in d.defaults.items())
    if d.formula is None and d.free:
        shown = f"more than 3 free dims: no formula; shown at {at or 'no binding'}"
    elif d.formula is None:
        shown = "shown as declared"
    elif not d.formula.verified:
        why = d.formula.note if "piecewise" in d.formula.note else "not a polynomial in them (strides, ceil)"
        shown = f"{why}: totals at {at or 'no binding'}, unbound dims uncounted"
    elif d.symbolic:
        shown = ("shown at " + at + ", " if at else "shown ") + "as exact polynomials in " + ", ".join(
            escape(x) for x in d.symbolic)
    else:
        shown = f"shown at {at}"
    unnamed = "; inputs with unnamed dims: " + ", ".join(escape(n) for n in d.unnamed) if d.unnamed else ""
    them = "them" if len(d.free) + len(d.unnamed) > 1 else "it"
    return f"free dims: {free}{unnamed} ({shown})", f"bind {them}: {escape(d.hint)}"


def _totals(report: Report, dyn: Dynamic | None, width: int) -> list[str]:
    t = report.total

    def val(name: str) -> Value:
        return dyn.at_defaults(dyn.total(name)) if dyn is not None else getattr(t, name)

    rows = [
        ("ops (FLOPs + integer ops)", val("ops"), ""),
        ("FLOPs", val("flops"), ""),
        ("MACs (multiply-accumulates)", val("macs"), ""),
        ("params", val("params"), ""),
        ("param bytes", val("param_bytes"), "B"),
        ("constants (static, not params)", val("constants"), ""),
        ("read bytes", val("read_bytes"), "B"),
        ("write bytes", val("write_bytes"), "B"),
    ]
    if t.int_ops or t.int_macs:
        rows += [("integer MACs", val("int_macs"), ""), ("integer ops", val("int_ops"), "")]
    if report.quant_params:  # beside params, never in them (docs/counting.md, "params")
        rows.append(("quant params (scales, zero points)", sum(v[0] for v in report.quant_params.values()), ""))
    out = []
    for label, v, unit in rows:
        exact = f"{v:,}" if isinstance(v, int) else (f"{integer(v):,}" if integer(v) is not None else "")
        out.append([label, show(v, unit), exact])
    mem: Value = report.total.memory_bytes
    if dyn is not None:
        mem = dyn.at_defaults(dyn.total("read_bytes") + dyn.total("write_bytes"))
    out.insert(8, ["memory access (read + write)", show(mem, "B"),
                   f"{mem:,}" if isinstance(mem, int) else f"{integer(mem):,}" if integer(mem) is not None else ""])
    per = {k: v for k, v in report.group(by_precision).items() if k}
    if len(per) > 1:  # MACs and ops per compute precision (docs/counting.md, "Precision")
        for k, at in sorted(per.items()):
            if dyn is not None:  # the polynomials at the stated binding, never the grid point's records
                macs, ops = (_precision_poly(dyn, k, f) for f in ("macs", "ops"))
                n = integer(macs)
                out.append([f"at {escape(k)}", f"{show(macs, '')} MACs, {show(ops, '')} ops",
                            f"{n:,} MACs" if n is not None else ""])
                continue
            out.append([f"at {escape(k)}", f"{si(at.macs)} MACs, {si(at.ops)} ops", f"{at.macs:,} MACs"])
    for name, view in report.views.items():
        q = view.total
        if q == report.total:
            continue  # a view that recounts nothing (hardware) restates no totals
        out.append([f"view {escape(name)}", f"{si(q.flops)} FLOPs, {si(q.int_ops)} int ops",
                    f"{q.int_macs:,} int MACs"])
    cols = [Column("what"), Column("value", right=True, shrink=True), Column("exact", right=True, drop=1)]
    title = "Totals" if dyn is None else "Totals" + (" at " + _binding(dyn.defaults) if dyn.defaults else "")
    lines = ["", title, *table(cols, out, width)[1:]]
    lines.append(shorten(f"  coverage: {coverage_line(report)}", width))
    if report.coverage.unknown_tensors:
        lines.append(f"  tensors with unknown shape: {report.coverage.unknown_tensors}")
    if dyn is not None:
        lines += _formulas(dyn, width)
    return lines


def _precision_poly(dyn: Dynamic, key: str, name: str) -> Polynomial:
    """One count of one compute precision as its polynomial at the default binding."""
    assert dyn.formula is not None

    def get(r: Report) -> int:
        t = r.group(by_precision).get(key) or Totals()
        return int(getattr(t, name))

    return dyn.at_defaults(dyn.formula.quantity(get))


def _binding(values: dict[str, int]) -> str:
    return ", ".join(f"{escape(k)}={v}" for k, v in values.items())


def _formulas(dyn: Dynamic, width: int) -> list[str]:
    """The exact polynomials, wrapped between terms."""
    assert dyn.formula is not None
    over = ", ".join(escape(d) for d in dyn.free)
    lines = ["", *wrap(f"Exact formulas in {over} (--formula prints these; JSON: total_formula)", width)]
    for name in ("ops", "flops", "macs", "params", "read_bytes", "write_bytes"):
        head = f"  {name} = "
        line = head
        for term in dyn.total(name).terms_text():
            piece = escape(term)
            if line != head and len(line) + 1 + len(piece) > width:
                lines.append(line)
                line = " " * len(head) + piece
            else:
                line = line + (" " if line != head else "") + piece
        lines.append(line)
    return lines


def _group_value(dyn: Dynamic | None, key: str, g: Any, get: Callable[[Any], int]) -> Value:
    return get(g) if dyn is None else dyn.at_defaults(dyn.op_type(key, get))


def _by_op(report: Report, dyn: Dynamic | None, sort: str, width: int) -> list[str]:
    key_of = SORT_KEYS[sort]
    total: Value = key_of(report.total) if dyn is None else dyn.at_defaults(dyn.formula.quantity(  # type: ignore[union-attr]
        lambda r: key_of(r.total)))
    rows = []
    for k, g in report.by_op_type.items():
        vals = {f: _group_value(dyn, k, g, SORT_KEYS[f]) for f in ("ops", "flops", "macs", "params", "bytes")}
        rows.append((_rank(vals[sort]), k, g.nodes, vals))
    rows.sort(key=lambda r: (tuple(-x for x in r[0]), r[1]))
    cols = [Column("op type", shrink=True), Column("nodes", right=True), Column("ops", right=True),
            *_COUNT_COLUMNS, Column(f"% {SORT_TITLE[sort]}", right=True)]
    cells = []
    for _, k, n, v in rows:
        cells.append([escape(k), str(n), show(v["ops"]), show(v["flops"]), show(v["macs"]), show(v["params"]),
                      show(v["bytes"], "B"), _percent(v[sort], total)])
    if cells and all(c[-1] == "-" for c in cells):  # polynomials: no share to show
        cols, cells = cols[:-1], [c[:-1] for c in cells]
    return ["", "By op type", *table(cols, cells, width)]


def _percent(part: Value, whole: Value) -> str:
    a = integer(part) if isinstance(part, Polynomial) else part
    b = integer(whole) if isinstance(whole, Polynomial) else whole
    if a is None or b is None:
        return "-"
    return f"{percent(a, b):.1f}"


def _params(r: NodeRecord) -> int:
    return r.params


def _weighted(get: Callable[[Any], int]) -> Callable[[NodeRecord], int]:
    return lambda r: get(r.cost) * r.weight


def _node_values(rec: NodeRecord, i: int, dyn: Dynamic | None) -> dict[str, Value] | None:
    out: dict[str, Value] = {}
    for f, get in SORT_KEYS.items():
        g = _params if f == "params" else _weighted(get)
        if dyn is None:
            out[f] = g(rec)
        else:
            p = dyn.node(i, f, g)
            if p is None:
                return None
            out[f] = dyn.at_defaults(p)
    return out


def _top_nodes(report: Report, dyn: Dynamic | None, sort: str, top: int, all_nodes: bool, width: int) -> list[str]:
    if top == 0 and not all_nodes:  # --top 0: no section, rather than a header over an empty table
        return []
    chosen = [(i, r) for i, r in enumerate(report.nodes) if r.weight or all_nodes]
    if dyn is not None and not dyn.aligned:
        dyn = None
    if not all_nodes:
        get = SORT_KEYS[sort]

        def rank(item: tuple[int, NodeRecord]) -> tuple[Any, ...]:
            i = item[0]
            assert dyn is not None
            p = dyn.node(i, sort, (lambda x: x.params) if sort == "params" else (lambda x: get(x.cost) * x.weight))
            return _rank(dyn.at_defaults(p)) if p is not None else (0,)

        # nsmallest is sorted()[:top], ties in node order, without sorting every node
        if dyn is None:  # one number per node: no ranking tuple to build
            by_params = sort == "params"
            chosen = heapq.nsmallest(top, chosen, key=lambda it: -(it[1].params if by_params else
                                                                  get(it[1].cost) * max(it[1].weight, 1)))
        else:
            chosen = heapq.nsmallest(top, chosen, key=lambda it: tuple(-x for x in rank(it)))
    title = "All nodes" if all_nodes else f"Top {len(chosen)} nodes by {SORT_TITLE[sort]}"
    cols = [Column("node", shrink=True), Column("op", shrink=True), Column("output", drop=5), Column("ops", right=True),
            *_COUNT_COLUMNS, Column("status")]
    cells = []
    for i, r in chosen:
        v = _node_values(r, i, dyn) or _node_values(r, i, None)
        assert v is not None
        out = _shape_of(r, i, dyn)
        cells.append([escape((r.graph + ":" if r.graph else "") + (module_path(r) or "-")), escape(r.op_type), out,
                      show(v["ops"]), show(v["flops"]), show(v["macs"]), show(v["params"]), show(v["bytes"], "B"),
                      r.status + (f" x{r.weight}" if r.weight != 1 else "")])
    return ["", title, *table(cols, cells, width)]


def _shape_of(r: NodeRecord, i: int, dyn: Dynamic | None) -> str:
    if not r.outputs:
        return ""
    shape = r.outputs[0]
    if dyn is None or not dyn.symbolic or shape is None:
        return shape_text(shape)
    parts = []
    for j in range(len(shape)):
        try:
            p = dyn.node(i, f"out{j}", _dim_getter(j))
        except _NotNumeric:
            return shape_text(shape)
        n = integer(dyn.at_defaults(p)) if p is not None else None
        if p is None or (n is None and p.constant is not None):
            return shape_text(shape)
        text = str(n) if n is not None else dyn.at_defaults(p).to_str()
        parts.append(text if n is not None or text.isidentifier() else f"({text})")
    return escape("x".join(parts))


def _dim_getter(j: int) -> Callable[[NodeRecord], int]:
    return lambda r: _dim(r, j)


def _dim(rec: NodeRecord, j: int) -> int:
    shape = rec.outputs[0] if rec.outputs else None
    d = shape[j] if shape is not None and j < len(shape) else None
    if not isinstance(d, int):
        raise _NotNumeric
    return d


class _NotNumeric(Exception):
    """A grid analysis left this dim symbolic: the shape is shown as analyzed."""


def _not_counted(report: Report, all_nodes: bool, dynamic: Dynamic | None, width: int) -> list[str]:
    lines = _prose(_not_counted_lines(report, all_nodes, dynamic), width)
    return [""] + lines if lines else []


def _prose(lines: list[str], width: int) -> list[str]:
    """Each line wrapped to ``width``, continuation lines indented under it."""
    out: list[str] = []
    for line in lines:
        indent = line[: len(line) - len(line.lstrip())]
        out += wrap(line.lstrip(), width, indent)
    return out


def _not_counted_lines(report: Report, all_nodes: bool, dynamic: Dynamic | None) -> list[str]:
    lines = [f"warning: {escape(w)}" for w in report.warnings]
    if not report.not_counted:
        return lines
    lines += ["", "Not counted"]
    for key, u in report.uncounted.items():
        lines.append(f"  uncounted {escape(key)}: {u['count']} node(s) ({escape(u['reason'])})")
    unknown = [r for r in report.not_counted if r.status == SHAPE_UNKNOWN]
    others = [r for r in report.not_counted if r.status not in (UNCOUNTED, SHAPE_UNKNOWN)]
    if unknown and not all_nodes:
        by_op = Counter(r.op_type for r in unknown)
        by_dim = Counter(d for r in unknown for d in r.missing)
        ops = ", ".join(f"{escape(k)} {n}" for k, n in by_op.most_common())
        lines.append(f"  shape_unknown: {len(unknown)} node(s); by op type: {ops}")
        if by_dim:
            lines.append("    by missing dim: " + ", ".join(f"{escape(k)} {n}" for k, n in by_dim.most_common())
                         + " (--nodes lists them)")
    for r in (unknown if all_nodes else []) + others:
        lines.append(f"  {r.status} {escape(r.name or r.op_type)} ({escape(r.op_type)}): {escape(r.detail)}")
    hint = dynamic.hint if dynamic is not None else _hint(report)
    if hint:
        lines.append(f"  bind the free dims: {escape(hint)}")
    for d, what in report.derived_dims.items():  # dims the graph computes from values (analyzer/derived.py)
        lines.append(f"  bind the data-dependent dim: --dim {escape(d)}=N ({escape(what)})")
    return lines


def _hint(report: Report) -> str:
    """--dim flags for the model's own input dims, --input for inputs with unnamed dims."""
    named: list[str] = []
    unnamed: dict[str, str] = {}
    for name, _, shape in report.model.inputs:
        for d in shape or ():
            if isinstance(d, str) and d not in named:
                named.append(d)
        if shape is not None and any(d is None for d in shape):
            unnamed[name] = ",".join("N" if d is None else str(d) for d in shape)
    missing = [d for d in named if d in report.missing_dims] or ([] if report.derived_dims else named)
    return " ".join([*(f"--dim {d}=N" for d in missing), *(f"--input {n}={s}" for n, s in unnamed.items())])
