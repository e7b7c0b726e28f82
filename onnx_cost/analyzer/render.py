"""Render a Report as CSV, JSON or a human table. Analysis never happens here."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from .. import __version__
from ..rules.cost import COUNT_FIELDS
from ..rules.node import Shape
from .report import TOTAL_FIELDS, NodeRecord, Report

# -- formatting helpers ------------------------------------------------------

_SI = ((10**15, "P"), (10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K"))


def si(n: int | float, unit: str = "") -> str:
    """Human units with SI prefixes, as in the seeds: 1814073344 -> '1.81 G'."""
    for scale, prefix in _SI:
        if abs(n) >= scale:
            return f"{n / scale:.3g} {prefix}{unit}".rstrip()
    return f"{n:g} {unit}".rstrip() if isinstance(n, float) else f"{n} {unit}".rstrip()


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


def node_row(r: NodeRecord) -> dict[str, Any]:
    c = r.cost
    row: dict[str, Any] = {
        "node": r.name,
        "op_type": r.op_type,
        "domain": r.domain,
        "scope": r.scope,
        "graph": r.graph,
        "inputs": shapes_str(r.inputs, r.input_names),
        "outputs": shapes_str(r.outputs, r.output_names),
        "dtype": r.dtype,
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


def to_csv(report: Report) -> str:
    """One row per node (subgraph nodes included), RFC 4180 quoting, raw integers."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    w.writeheader()
    for r in report.nodes:
        w.writerow(node_row(r))
    return buf.getvalue()


# -- JSON --------------------------------------------------------------------


def _shape_json(s: Shape | None) -> list[Any] | None:
    return None if s is None else list(s)


def to_dict(report: Report) -> dict[str, Any]:
    """The whole report as plain JSON-able data (schema in docs/json.md)."""
    m = report.model
    cov = report.coverage
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
        "total": report.total.as_dict(),
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
        "by_op_type": {k: v.as_dict() for k, v in report.by_op_type.items()},
        "views": {
            k: {"description": v.description, "total": v.total.as_dict(), "data": dict(v.data)}
            for k, v in report.views.items()
        },
        "warnings": report.warnings,
        "uncounted": report.uncounted,
        "missing_dims": report.missing_dims,
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
                "flops": r.cost.flops,
                **{f: getattr(r.cost, f) for f in COUNT_FIELDS},
                "params": r.params,
                "param_bytes": r.param_bytes,
                "read_bytes": r.cost.read_bytes or 0,
                "write_bytes": r.cost.write_bytes or 0,
                "metadata": r.metadata,
            }
            for r in report.nodes
        ],
    }


def to_json(report: Report) -> str:
    """Compact JSON (the C encoder: indenting falls back on the slow pure-Python one);
    pipe through ``python -m json.tool`` to read it."""
    return json.dumps(to_dict(report), separators=(",", ":")) + "\n"


# -- table -------------------------------------------------------------------


def coverage_line(report: Report) -> str:
    cov = report.coverage
    text = f"{cov.covered}/{cov.nodes} nodes counted or zero-compute ({100.0 * cov.fraction:.1f}%)"
    parts = []
    if cov.uncounted:
        parts.append(f"{cov.uncounted} uncounted")
    if cov.shape_unknown:
        parts.append(f"{cov.shape_unknown} shape-unknown")
    if cov.invalid:
        parts.append(f"{cov.invalid} invalid")
    if cov.per_iteration_loops:
        parts.append(f"{cov.per_iteration_loops} loop(s) counted per iteration")
    if cov.not_taken:
        parts.append(f"{cov.not_taken} in If branches not taken")
    return text + (": " + ", ".join(parts) if parts else "")


def to_table(report: Report, all_nodes: bool = False, top: int = 10, width: int | None = None) -> str:
    """The human report: totals, then per op type, then the top nodes by FLOPs."""
    from rich.console import Console
    from rich.table import Table

    t = report.total
    console = Console(file=io.StringIO(), width=width or 120, force_terminal=False, color_system=None)
    m = report.model
    ins = ", ".join(f"{n} {shape_str(s)} {d}" for n, d, s in m.inputs)
    console.print(f"[bold]{m.path}[/bold]  opset {m.opsets.get('', '?')}  inputs: {ins or '-'}")
    if report.partial:
        console.print("[bold]PARTIAL[/bold]: some nodes could not be counted; totals are lower bounds")
    for name, view in report.views.items():
        console.print(f"view {name}: {view.description}", markup=False)

    summary = Table(title="Totals", show_header=False, title_justify="left")
    summary.add_column("what")
    summary.add_column("value", justify="right")
    summary.add_column("exact", justify="right")
    for label, v, unit in (
        ("FLOPs", t.flops, ""),
        ("MACs (multiply-accumulates)", t.macs, ""),
        ("params", t.params, ""),
        ("param bytes", t.param_bytes, "B"),
        ("constants (static, not params)", t.constants, ""),
        ("read bytes", t.read_bytes, "B"),
        ("write bytes", t.write_bytes, "B"),
        ("memory access (read + write)", t.memory_bytes, "B"),
    ):
        summary.add_row(label, si(v, unit), f"{v:,}")
    if t.int_ops or t.int_macs:
        summary.add_row("integer MACs", si(t.int_macs), f"{t.int_macs:,}")
        summary.add_row("integer ops", si(t.int_ops), f"{t.int_ops:,}")
    for name, view in report.views.items():
        q = view.total
        summary.add_row(f"view {name}", f"{si(q.flops)} FLOPs, {si(q.int_ops)} int ops", f"{q.int_macs:,} int MACs")
    summary.add_row("coverage", coverage_line(report), "")
    summary.add_row("tensors with unknown shape", str(report.coverage.unknown_tensors), "")
    console.print(summary)

    ops = Table(title="By op type", title_justify="left")
    for col in ("op type", "nodes", "FLOPs", "MACs", "params", "memory", "% FLOPs"):
        ops.add_column(col, justify="left" if col == "op type" else "right")
    for k, g in report.by_op_type.items():
        pct = 100.0 * g.flops / t.flops if t.flops else 0.0
        ops.add_row(k, str(g.nodes), si(g.flops), si(g.macs), si(g.params), si(g.memory_bytes, "B"), f"{pct:.1f}")
    console.print(ops)

    nodes = [r for r in report.nodes if r.weight or all_nodes]
    if not all_nodes:
        nodes = sorted(nodes, key=lambda r: -r.cost.flops * max(r.weight, 1))[:top]
    nt = Table(title="All nodes" if all_nodes else f"Top {len(nodes)} nodes by FLOPs", title_justify="left")
    for col in ("node", "op", "output", "FLOPs", "MACs", "params", "memory", "status"):
        nt.add_column(col, justify="right" if col in ("FLOPs", "MACs", "params", "memory") else "left")
    for r in nodes:
        mem = (r.cost.read_bytes or 0) + (r.cost.write_bytes or 0)
        nt.add_row(
            (r.graph + ":" if r.graph else "") + (r.name or "-"),
            r.op_type,
            shape_str(r.outputs[0]) if r.outputs else "",
            si(r.cost.flops),
            si(r.cost.macs),
            si(r.params),
            si(mem, "B"),
            r.status + (f" x{r.weight}" if r.weight != 1 else ""),
        )
    console.print(nt)

    for w in report.warnings:
        console.print(f"warning: {w}")
    if report.not_counted:
        console.print("[bold]Not counted[/bold]")
        for key, u in report.uncounted.items():
            console.print(f"  uncounted {key}: {u['count']} node(s) ({u['reason']})")
        for r in report.not_counted:
            if r.status != "uncounted":
                console.print(f"  {r.status} {r.name or r.op_type} ({r.op_type}): {r.detail}")
        if report.missing_dims:
            flags = " ".join(f"--dim {d}=N" for d in report.missing_dims)
            console.print(f"  symbolic dims left unbound: {', '.join(report.missing_dims)}; try: {flags}")
    return console.file.getvalue()  # type: ignore[attr-defined]  # the StringIO given to Console


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
    buf = io.StringIO()
    cols = ["dim", "value", *TOTAL_FIELDS, "partial", "flops_exponent"]
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\r\n")
    w.writeheader()
    for r in rows:
        w.writerow({"dim": dim, "value": r.value, **r.total.as_dict(), "partial": int(r.partial),
                    "flops_exponent": "" if r.exponent is None else f"{r.exponent:.4f}"})
    return buf.getvalue()


def sweep_table(dim: str, rows: list[Any]) -> str:
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
    lines = [f"{k} = {p.to_str()}" for k, p in f.polys.items()]
    state = "checked against direct evaluation off the fitting grid" if f.verified else f"NOT verified: {f.note}"
    lines.append(f"# exact in {', '.join(f.dims)}; {state}; {f.evaluations} analyses")
    if f.partial:
        lines.append("# partial: some nodes were not counted at some points; the formula is a lower bound")
    return "\n".join(lines) + "\n"
