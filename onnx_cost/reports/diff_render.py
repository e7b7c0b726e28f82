"""A ModelDiff as a terminal table, CSV, JSON or Markdown.

CSV and JSON carry raw integers (before, after, delta); only the table and the
Markdown format numbers and percentages.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from .. import __version__
from ..analyzer.render import si
from ..analyzer.text import csv_text, terminal_width
from ..errors import printable
from .diff import DIFF_METRICS, ModelDiff, NodeChange, Pair, precision_of
from .markdown import md_table, md_text
from .scope import scope_path

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


def to_dict(d: ModelDiff) -> dict[str, Any]:
    """The diff as JSON-able data."""
    return {
        "onnx_cost_version": __version__,
        "before": {"path": d.before.model.path, "partial": d.before.partial},
        "after": {"path": d.after.model.path, "partial": d.after.partial},
        "total": pair_json(d.total),
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
    for k, v in d.views.items():
        row("view", k, v)
    for k, v in d.by_op_type.items():
        row("op_type", k, v)
    for path, v in d.by_module.items():
        row("module", "/".join(path), v)
    for c in d.nodes:
        if c.kind != "same":
            row("node", c.label, _node_pair(c), c.kind, c.matched_by, ";".join(c.fields))
    return buf.getvalue()


def _node_pair(c: NodeChange) -> Pair:
    from ..analyzer.report import Totals
    from .tables import node_totals

    return Pair(node_totals(c.before) if c.before else Totals(), node_totals(c.after) if c.after else Totals())


def _pair_rows(items: Iterable[tuple[str, Pair]], metric: str) -> list[list[str]]:
    f = DIFF_METRICS[metric]
    return [[k, si(f(p.before)), si(f(p.after)), _signed(p.delta(metric)), _pct(p, metric)]
            for k, p in items if p.changed]


_TEXT_COLUMNS = ("", "node", "op", "what changed", "change", "precision", "op type", "module")


def _sections(d: ModelDiff, esc: Any) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, headers, rows) of every part, cells escaped by ``esc``."""
    tot = [[LABELS[m], f"{DIFF_METRICS[m](d.total.before):,}", f"{DIFF_METRICS[m](d.total.after):,}",
            f"{d.total.delta(m):+,}" if d.total.delta(m) else "0", _pct(d.total, m)] for m in DIFF_METRICS]
    out = [("Totals", ["", "before", "after", "delta", "%"], tot)]
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


def to_markdown(d: ModelDiff) -> str:
    parts = [f"# onnx-cost diff: {md_text(d.before.model.path)} → {md_text(d.after.model.path)}\n"]
    for title, headers, rows in _sections(d, md_text):
        right = [h not in _TEXT_COLUMNS for h in headers]
        parts.append(f"## {title}\n\n" + (md_table(headers, rows, right) if rows else "No change.\n"))
    return "\n".join(parts)


def to_table(d: ModelDiff, width: int | None = None) -> str:
    """The diff as rich tables, as wide as the terminal (analyzer.text.terminal_width)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=io.StringIO(), width=width or terminal_width(), force_terminal=False, color_system=None)
    console.print(Text(f"before: {printable(d.before.model.path, 300)}\nafter:  {printable(d.after.model.path, 300)}"))
    for title, headers, rows in _sections(d, lambda s: printable(s, 200)):
        t = Table(title=title, title_justify="left")
        for h in headers:
            t.add_column(h, justify="left" if h in _TEXT_COLUMNS else "right", overflow="fold")  # names fold, whole
        for r in rows:
            t.add_row(*[Text(c) for c in r])
        if rows:
            console.print(t)
        else:
            console.print(Text(f"{title}: no change"))
    return console.file.getvalue()  # type: ignore[attr-defined]
