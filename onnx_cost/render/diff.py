"""A ModelDiff as a plain-text table (analyzer.text: escaped, fitted to the width),
CSV, JSON or Markdown.

CSV and JSON carry raw integers (before, after, delta); only the table and the
Markdown format numbers and percentages. Each says the dims a model was analyzed at
and whether its counts are partial.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from onnx_cost._version import __version__
from onnx_cost.model.report import Report
from onnx_cost.render.markdown import md_table, md_text
from onnx_cost.render.report import si
from onnx_cost.symbolic.binding import DEFAULT_LEGEND, Binding
from onnx_cost.text import Column, csv_text, escape, table, terminal_width, wrap
from onnx_cost.views.diff import DIFF_METRICS, ModelDiff, NodeChange, Pair, precision_of
from onnx_cost.views.interface import ROW_HEADERS, change_dict, change_row
from onnx_cost.views.scope import scope_path

SHOWN = ("flops", "macs", "int_macs", "params", "memory_bytes")  # the table's and Markdown's columns
LABELS = {"flops": "FLOPs", "macs": "MACs", "int_macs": "integer MACs", "ops": "ops", "params": "params",
          "param_bytes": "param bytes", "memory_bytes": "memory bytes", "nodes": "nodes"}
NODE_LIST = 30  # nodes listed per kind in the table and Markdown (all in CSV and JSON)


def _pct(p: Pair, m: str) -> str:
    v = p.percent(m)
    if v is None:
        return "new" if p.delta(m) else "-"
    return "0.0%" if v == 0 else f"{v:+.1f}%"


def _signed(n: int) -> str:
    return "0" if n == 0 else ("+" if n > 0 else "-") + si(abs(n))


def pair_json(p: Pair) -> dict[str, Any]:
    return {m: {"before": f(p.before), "after": f(p.after), "delta": p.delta(m),
                "percent": None if p.percent(m) is None else round(p.percent(m), 4)}  # type: ignore[arg-type]
            for m, f in DIFF_METRICS.items()}


def node_json(c: NodeChange) -> dict[str, Any]:
    def side(r: Any) -> dict[str, Any] | None:
        if r is None:
            return None
        return {"name": r.name, "op_type": r.op_type, "domain": r.domain, "scope_path": list(scope_path(r)),
                "precision": precision_of(r), "flops": r.cost.flops * r.weight, "macs": r.cost.macs * r.weight,
                "params": r.params, "memory_bytes": (r.read_bytes + r.write_bytes) * r.weight}
    return {"kind": c.kind, "matched_by": c.matched_by, "changed": list(c.fields),
            "before": side(c.before), "after": side(c.after)}


PARTIAL = "PARTIAL: some nodes could not be counted; its totals are lower bounds"


def _bindings(d: ModelDiff) -> tuple[Binding, Binding]:
    return d.bindings or (Binding({}, (), {}), Binding({}, (), {}))


def model_json(report: Report, b: Binding) -> dict[str, Any]:
    """One side's path, partial flag and binding (the analysis JSON's free_dims, default_binding)."""
    return {"path": report.model.path, "partial": report.partial, "dims": dict(b.given), "free_dims": list(b.free),
            "default_binding": dict(b.defaults)}


def to_dict(d: ModelDiff) -> dict[str, Any]:
    """The diff as JSON-able data."""
    ba, bb = _bindings(d)
    return {
        "onnx_cost_version": __version__,
        "before": model_json(d.before, ba),
        "after": model_json(d.after, bb),
        "total": pair_json(d.total),
        "interface": [change_dict(c) for c in d.interface],
        "device": None if d.device is None else _device_json(d),
        "views": {k: pair_json(v) for k, v in d.views.items()},
        "precision": {"before": dict(d.precision[0]), "after": dict(d.precision[1])},
        "by_op_type": {k: pair_json(v) for k, v in d.by_op_type.items()},
        "module_depth": d.depth,
        "by_module": {"/".join(k): pair_json(v) for k, v in d.by_module.items()},
        "nodes": {
            "counts": {k: len(d.of(k)) for k in ("added", "removed", "changed", "same")},
            "added": [node_json(c) for c in d.of("added")],
            "removed": [node_json(c) for c in d.of("removed")],
            "changed": [node_json(c) for c in d.of("changed")],
        },
    }


def _device_json(d: ModelDiff) -> dict[str, Any]:
    from onnx_cost.views.diff_device import as_dict

    return as_dict(d.device)


def to_json(d: ModelDiff) -> str:
    return json.dumps(to_dict(d), indent=1) + "\n"


def to_csv(d: ModelDiff) -> str:
    """One row per total, op type, module and added/removed/changed node."""
    cols = ["section", "key", "change", "matched_by", "fields"]
    for m in DIFF_METRICS:
        cols += [f"{m}_before", f"{m}_after", f"{m}_delta"]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\r\n")
    w.writeheader()

    def row(section: str, key: str, p: Pair, change: str = "", how: str = "", fields: str = "") -> None:
        # the key (op type, module, node) is model text: escaped and defused (text.csv_text)
        r: dict[str, Any] = {"section": section, "key": csv_text(key), "change": change, "matched_by": how,
                             "fields": fields}
        for m, f in DIFF_METRICS.items():
            r[f"{m}_before"], r[f"{m}_after"], r[f"{m}_delta"] = f(p.before), f(p.after), p.delta(m)
        w.writerow(r)

    row("total", "", d.total)
    for c in d.interface:  # no counts: the port, what changed and the declared shapes in fields
        before, after = (change_row(c, str)[i] for i in (2, 3))
        said = f"{';'.join(c.what)}: {before} -> {after}" + (f" ({c.note})" if c.note else "")
        w.writerow({"section": "interface", "key": csv_text(c.name), "change": c.kind, "matched_by": c.side,
                    "fields": csv_text(said)})
    for k, v in d.views.items():
        row("view", k, v)
    for k, v in d.by_op_type.items():
        row("op_type", k, v)
    for path, v in d.by_module.items():
        row("module", "/".join(path), v)
    for c in d.nodes:
        if c.kind != "same":
            row("node", c.label, _node_pair(c), c.kind, c.matched_by, ";".join(c.fields))
    for side, report, b in (("before", d.before, _bindings(d)[0]), ("after", d.after, _bindings(d)[1])):
        # last, one row per model (no counts): whether it is partial, the dims it was analyzed at
        w.writerow({"section": "model", "key": side, "change": "partial" if report.partial else "ok",
                    "fields": csv_text(b.text(str))})
    return buf.getvalue()


def _node_pair(c: NodeChange) -> Pair:
    from onnx_cost.model.report import Totals
    from onnx_cost.render.tables import node_totals

    return Pair(node_totals(c.before) if c.before else Totals(), node_totals(c.after) if c.after else Totals())


def _pair_rows(items: Iterable[tuple[str, Pair]], metric: str) -> list[list[str]]:
    f = DIFF_METRICS[metric]
    return [[k, si(f(p.before)), si(f(p.after)), _signed(p.delta(metric)), _pct(p, metric)]
            for k, p in items if p.changed]


_TEXT_COLUMNS = ("", "node", "op", "what changed", "change", "precision", "op type", "module", *ROW_HEADERS)


def _sections(d: ModelDiff, esc: Any) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, headers, rows) of every part, cells escaped by ``esc``."""
    tot = [[LABELS[m], f"{DIFF_METRICS[m](d.total.before):,}", f"{DIFF_METRICS[m](d.total.after):,}",
            f"{d.total.delta(m):+,}" if d.total.delta(m) else "0", _pct(d.total, m)] for m in DIFF_METRICS]
    out = [("Totals", ["", "before", "after", "delta", "%"], tot)]
    out.append(("Interface (declared inputs and outputs)", ROW_HEADERS, [change_row(c, esc) for c in d.interface]))
    if d.device is not None:
        from onnx_cost.views import diff_device

        out.append((f"Device {esc(d.device.name)}", diff_device.HEADERS, diff_device.rows(d.device)))
    for k, v in d.views.items():
        f = DIFF_METRICS
        rows = [[LABELS[m], si(f[m](v.before)), si(f[m](v.after)), _signed(v.delta(m)), _pct(v, m)] for m in SHOWN]
        out.append((f"View {k}", ["", "before", "after", "delta", "%"], rows))
    mix = sorted(set(d.precision[0]) | set(d.precision[1]))
    out.append(("Precision mix (nodes)", ["precision", "before", "after"],
                [[esc(p), str(d.precision[0][p]), str(d.precision[1][p])] for p in mix]))
    out.append(("By op type (changed, FLOPs)", ["op type", "before", "after", "delta", "%"],
                _pair_rows(((esc(k), v) for k, v in d.by_op_type.items()), "flops")))
    out.append((f"By module (depth {d.depth}, changed, FLOPs)", ["module", "before", "after", "delta", "%"],
                _pair_rows(((esc("/".join(k)), v) for k, v in d.by_module.items()), "flops")))
    counts = ", ".join(f"{len(d.of(k))} {k}" for k in ("added", "removed", "changed", "same"))
    nodes = []
    for kind in ("added", "removed", "changed"):
        for c in d.of(kind)[:NODE_LIST]:
            p = _node_pair(c)
            r = c.after or c.before
            what = [kind, esc(c.label), esc(r.op_type if r else ""), esc(", ".join(c.fields))]
            nodes.append([*what, _signed(p.delta("flops")), _signed(p.delta("macs"))])
    out.append((f"Nodes ({counts})", ["change", "node", "op", "what changed", "Δ FLOPs", "Δ MACs"], nodes))
    return out


def _model_lines(d: ModelDiff, esc: Any) -> list[tuple[str, list[str]]]:
    """(label: path, [dims line, PARTIAL]) for each side; names escaped by ``esc``."""
    out = []
    for label, report, b in (("before", d.before, _bindings(d)[0]), ("after", d.after, _bindings(d)[1])):
        notes = [f"dims: {b.text(esc)}"] if b.given or b.free else []
        out.append((f"{label + ':':<7} {esc(report.model.path)}", notes + ([PARTIAL] if report.partial else [])))
    return out


def _legend(d: ModelDiff) -> list[str]:
    return [DEFAULT_LEGEND] if any(b.defaults for b in _bindings(d)) else []


def to_markdown(d: ModelDiff) -> str:
    parts = [f"# onnx-cost diff: {md_text(d.before.model.path)} → {md_text(d.after.model.path)}\n"]
    lines = []
    for label, report, b in (("before", d.before, _bindings(d)[0]), ("after", d.after, _bindings(d)[1])):
        dims = f"; dims: {md_text(b.text(str), 1000)}" if b.given or b.free else ""
        lines.append(f"- {label}: {md_text(report.model.path)}{dims}" + (f"; {PARTIAL}" if report.partial else ""))
    parts.append("\n".join(lines) + "".join(f"\n\n\\{x}" for x in _legend(d)) + "\n")  # the legend's * escaped
    for title, headers, rows in _sections(d, md_text):
        right = [h not in _TEXT_COLUMNS for h in headers]
        parts.append(f"## {title}\n\n" + (md_table(headers, rows, right) if rows else "No change.\n"))
    return "\n".join(parts)


# Names are shortened in the middle (their tails kept) when a table is too wide; the
# node list drops Δ MACs first.
_SHRINK = ("", "node", "what changed", "op type", "module", "precision", "op")


def _column(h: str) -> Column:
    return Column(h, right=h not in _TEXT_COLUMNS, shrink=h in _SHRINK, drop=1 if h == "Δ MACs" else 0)


def to_table(d: ModelDiff, width: int | None = None) -> str:
    """The diff as plain tables in at most ``width`` columns (default: the terminal's)."""
    width = width or terminal_width()
    lines: list[str] = []
    for head, notes in _model_lines(d, escape):
        lines += wrap(head, width) + [x for n in notes for x in wrap(n, width, "  ")]
    lines += [x for n in _legend(d) for x in wrap(n, width)]
    for title, headers, rows in _sections(d, escape):
        keep = [j for j, h in enumerate(headers) if h != "what changed" or any(r[j] for r in rows)]  # none changed
        headers, rows = [headers[j] for j in keep], [[r[j] for j in keep] for r in rows]
        if rows:
            lines += ["", title, *table([_column(h) for h in headers], rows, width)]
        else:
            lines += ["", f"{title}: no change"]
    return "\n".join(lines) + "\n"
