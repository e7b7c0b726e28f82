"""Render a Report as CSV or a human table (the JSON schema is the model's: model/schema.py,
re-exported here). Analysis never happens here."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from onnx_cost._version import __version__
from onnx_cost.model.report import TOTAL_FIELDS, NodeRecord, Report
from onnx_cost.model.schema import (  # noqa: F401  # re-exported: the renderers' one import
    CSV_COLUMNS,
    FORMULA_JSON_FIELDS,
    formula_json,
    node_row,
    report_repr,
    shape_str,
    shapes_str,
    symbolic_texts,
    symbolic_totals,
    to_dataframe,
    to_dict,
    to_json,
)
from onnx_cost.render.common import coverage_line  # noqa: F401  # re-exported
from onnx_cost.rules.node import Shape
from onnx_cost.text import si  # re-exported

CSV_TEXT = ("node", "op_type", "domain", "scope", "graph", "inputs", "outputs", "dtype", "status", "detail")


def to_csv(report: Report) -> str:
    """One row per node (subgraph nodes included), RFC 4180 quoting, raw integers. Model
    text is escaped and defused against spreadsheet formulas (text.csv_text, README)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    row = CsvCells().row
    for r in report.nodes:
        cells = row(r)
        w.writerow([cells[k] for k in CSV_COLUMNS])
    return buf.getvalue()


def csv_row(r: NodeRecord) -> dict[str, Any]:
    """``node_row`` with its text cells escaped and defused (text.csv_text): every CSV
    writer of node rows uses this (or ``CsvCells``, its memoized form)."""
    return CsvCells().row(r)


class CsvCells:
    """``csv_row`` for many records: op types, scopes, dtypes and shapes repeat from node
    to node, so each distinct text is escaped (and each shared shape tuple written) once."""

    def __init__(self) -> None:
        from onnx_cost.text import csv_text

        self._escape = csv_text
        self._text: dict[str, str] = {}
        self._shapes: dict[int, tuple[Sequence[Shape | None], str]] = {}

    def _shapes_str(self, shapes: Sequence[Shape | None], names: Sequence[str]) -> str:
        if not all(names):  # an absent optional tensor leaves its cell empty: not shared
            return shapes_str(shapes, names)
        hit = self._shapes.get(id(shapes))
        if hit is None or hit[0] is not shapes:  # the entry keeps its tuple alive: ids stay unique
            hit = self._shapes[id(shapes)] = (shapes, shapes_str(shapes, names))
        return hit[1]

    def row(self, r: NodeRecord) -> dict[str, Any]:
        row = node_row(r, self._shapes_str)
        text = self._text
        for k in CSV_TEXT:
            v = row[k]
            out = text.get(v)
            if out is None:
                out = text[v] = self._escape(v)
            row[k] = out
        return row


# -- table -------------------------------------------------------------------


def to_table(report: Report, all_nodes: bool = False, top: int = 10, sort: str = "ops", width: int | None = None,
             dynamic: Any = None) -> str:
    """The human report (render/table.py): totals, per op type, the top nodes."""
    from onnx_cost.render.table import to_table as _table

    return _table(report, all_nodes=all_nodes, top=top, sort=sort, width=width, dynamic=dynamic)


# -- sweeps and formulas -----------------------------------------------------


def sweep_dict(dim: str, rows: list[Any]) -> dict[str, Any]:
    return {
        "onnx_cost_version": __version__,
        "sweep": {
            "dim": dim,
            "rows": [
                {"value": r.value, "partial": r.partial, "flops_exponent": r.exponent, **r.total.as_dict()}
                for r in rows
            ],
        },
    }


def sweep_csv(dim: str, rows: list[Any]) -> str:
    from onnx_cost.text import csv_text

    buf = io.StringIO()
    cols = ["dim", "value", *TOTAL_FIELDS, "partial", "flops_exponent"]
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\r\n")
    w.writeheader()
    for r in rows:
        w.writerow({"dim": csv_text(dim), "value": r.value, **r.total.as_dict(), "partial": int(r.partial),
                    "flops_exponent": "" if r.exponent is None else f"{r.exponent:.4f}"})
    return buf.getvalue()


def sweep_table(dim: str, rows: list[Any]) -> str:
    from onnx_cost.text import escape

    dim = escape(dim)  # a dim name from the model: its ESC must not reach the terminal
    lines = [f"{'':>2}{dim:>14} {'FLOPs':>12} {'MACs':>12} {'memory':>12} {'params':>10}  exponent"]
    for r in rows:
        exp = "" if r.exponent is None else f"{r.exponent:.3f}"
        mark = " (partial)" if r.partial else ""
        lines.append(
            f"  {r.value:>14} {si(r.total.flops):>12} {si(r.total.macs):>12} "
            f"{si(r.total.memory_bytes, 'B'):>12} {si(r.total.params):>10}  {exp}{mark}"
        )
    lines.append("exponent: d log(FLOPs) / d log(" + dim + ") between consecutive rows (2 = quadratic)")
    return "\n".join(lines) + "\n"


def formula_dict(f: Any) -> dict[str, Any]:
    return {
        "onnx_cost_version": __version__,
        "formula": {
            "dims": list(f.dims),
            "degree": f.degree,
            "verified": f.verified,
            "partial": f.partial,
            "evaluations": f.evaluations,
            "note": f.note,
            "totals": {k: {"text": p.to_str("*"), "terms": p.as_json()} for k, p in f.polys.items()},
        },
    }


def formula_text(f: Any) -> str:
    from onnx_cost.text import escape

    lines = [escape(f"{k} = {p.to_str()}") for k, p in f.polys.items()]
    over = ", ".join(f.dims)
    if f.verified:
        head = f"# exact in {over}; checked against direct evaluation off the fitting grid"
        lines.append(escape(f"{head}; {f.evaluations} analyses"))
    else:  # never called exact, and said before the polynomials: they hold on the grid only
        grid = "; ".join(f"{d} in {{{', '.join(map(str, g))}}}" for d, g in zip(f.dims, f.grids))
        lines[:0] = [
            escape(f"# NOT exact: fitted on a grid of {over}, NOT verified: {f.note}; {f.evaluations} analyses"),
            escape(f"# these hold only at the points fitted on ({grid}): bind the dims for numbers elsewhere"),
        ]
    if f.partial:
        lines.append("# partial: some nodes were not counted at some points; the formula is a lower bound")
    return "\n".join(lines) + "\n"
