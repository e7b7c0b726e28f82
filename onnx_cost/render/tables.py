"""Terminal tables for ``--by module|op|node``: one row per module, op type or node.

Plain text, as the default table (analyzer.text): every model string goes through
``escape``, and a table too wide for the terminal shortens names in the middle, then
drops the columns bytes, params, MACs and FLOPs in that order (never the one ranked by).
"""

from __future__ import annotations

from collections.abc import Iterable

from onnx_cost.model.report import NodeRecord, Report, Totals, sum_records
from onnx_cost.render.report import coverage_line, si
from onnx_cost.symbolic.binding import DEFAULT_LEGEND, Binding
from onnx_cost.text import Column, escape, table, terminal_width, wrap
from onnx_cost.views import tree as T
from onnx_cost.views.scope import full_path

BY_CHOICES = ("module", "op", "node")
COLUMNS = ("FLOPs", "MACs", "ops", "params", "bytes")
_DROP = {"bytes": 1, "params": 2, "MACs": 3, "FLOPs": 4}  # the default table's order: memory first


def _cells(t: Totals) -> list[str]:
    return [si(t.flops), si(t.macs), si(t.ops), si(t.params), si(t.memory_bytes, "B")]


def _table(title: str, first: str, rows: Iterable[tuple[str, Totals, float]], sort: str, width: int) -> str:
    """``title``, then one line per (escaped label, totals, share of the ``sort`` metric)."""
    ranked = T.HEADINGS[sort]
    cols = [Column(first, shrink=True)]
    cols += [Column(c, right=True, drop=0 if c == ranked else _DROP.get(c, 0)) for c in COLUMNS]
    cols.append(Column(f"% {ranked}", right=True))
    cells = [[label, *_cells(t), f"{pct:.1f}"] for label, t, pct in rows]
    return "\n".join(["", title, *table(cols, cells, width)]) + "\n"


def _share_metric(sort: str) -> str:
    return sort if sort in T.METRICS else "flops"


def _header(report: Report, width: int, binding: Binding | None = None) -> str:
    lines = wrap(f"{escape(report.model.path)}: {coverage_line(report)}", width)
    if binding is not None:  # free dims: counted at the default binding, as the default table says
        lines += wrap(f"dims: {binding.text(escape)}", width)
        lines += wrap(DEFAULT_LEGEND, width) if binding.defaults else []
    if report.partial:
        lines.append("PARTIAL: some nodes could not be counted; totals are lower bounds")
    return "\n".join(lines) + "\n"


def module_table(report: Report, depth: int = 2, top: int | None = None, sort: str = "order", width: int = 120,
                 binding: Binding | None = None) -> str:
    """The module tree to ``depth`` (or the ``top`` costliest modules of that cut)."""
    root = T.build_tree(report)
    m = _share_metric(sort)
    f, total = T.metric(m), T.metric(m)(report.total)
    if top is not None:
        mods = T.top_modules(root, depth, top, sort)
        body = [(escape(T.path_label(x)), x.totals, T.share(f(x.totals), total)) for x in mods]
        title = f"Top {len(mods)} modules at depth {depth} by {m}"
    else:
        body = []
        for r in T.rows(root, depth, sort):
            fold = f"  [+{r.hidden}]" if r.hidden else ""
            label = "  " * r.depth + escape(r.module.label) + fold
            body.append((label, r.module.totals, T.share(f(r.module.totals), total)))
        title = f"By module (depth {depth})"
    return _header(report, width, binding) + _table(title, "module", body, m, width)


def op_table(report: Report, top: int | None = None, sort: str = "flops", width: int = 120,
             binding: Binding | None = None) -> str:
    """One row per op type, ranked by ``sort``."""
    m = _share_metric(sort)
    f, total = T.metric(m), T.metric(m)(report.total)
    items = list(report.by_op_type.items())
    if sort == "name":
        items.sort(key=lambda kv: kv[0])
    elif sort in T.METRICS:
        items.sort(key=lambda kv: -f(kv[1]))
    items = items[:top] if top is not None else items
    body = [(escape(k), v, T.share(f(v), total)) for k, v in items]
    return _header(report, width, binding) + _table("By op type", "op type", body, m, width)


def node_totals(r: NodeRecord) -> Totals:
    """One record's weighted totals."""
    return sum_records([r])


def ranked_nodes(report: Report, top: int | None, sort: str) -> list[tuple[NodeRecord, Totals]]:
    """Records with their weighted totals, ordered by ``sort`` (graph order for 'order')."""
    items = [(r, node_totals(r)) for r in report.nodes]
    if sort == "name":
        items.sort(key=lambda x: x[0].name)
    elif sort in T.METRICS:
        f = T.metric(sort)
        items.sort(key=lambda x: -f(x[1]))
    return items[:top] if top is not None else items


def node_label(r: NodeRecord) -> str:
    """A node's name, prefixed by its module path unless the name already spells it
    ('/layer1/layer1.0/conv1/Conv' does; dynamo's 'node_conv2d_3' does not)."""
    where = full_path(r)
    name = r.name or "-"
    if not where or (r.scope and name.startswith(r.scope)):
        return name
    return f"{where}/{name}"


def node_table(report: Report, top: int | None = None, sort: str = "flops", width: int = 120,
               binding: Binding | None = None) -> str:
    """One row per node, labelled with its full scope path and op type."""
    m = _share_metric(sort)
    f, total = T.metric(m), T.metric(m)(report.total)
    body = []
    for r, t in ranked_nodes(report, top, sort):
        label = f"{node_label(r)} ({r.op_type})"
        body.append((escape(label), t, T.share(f(t), total)))
    return _header(report, width, binding) + _table("By node", "node", body, m, width)


def by_table(report: Report, by: str, depth: int, top: int | None, sort: str | None, width: int | None = None,
             binding: Binding | None = None) -> str:
    """The ``--by`` table of the CLI, as wide as the terminal (analyzer.text.terminal_width);
    ``binding``: the dims the report was analyzed at, said under its header."""
    width = width or terminal_width()
    if by == "module":
        return module_table(report, depth, top, sort or "order", width, binding)
    if by == "op":
        return op_table(report, top, sort or "flops", width, binding)
    if by == "node":
        return node_table(report, top, sort or "flops", width, binding)
    raise ValueError(f"--by {by}: choose from {', '.join(BY_CHOICES)}")
