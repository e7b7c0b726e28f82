"""GitHub-flavoured Markdown for a README or a pull request: totals, per op type,
the module tree to a depth, and the costliest nodes.

Every model string goes through ``md_text``: pipes, backticks, emphasis and link
characters are backslash-escaped and ``<``, ``>``, ``&`` become entities, so a
node name can neither break a table nor inject HTML.
"""

from __future__ import annotations

from collections.abc import Sequence

from onnx_cost.errors import printable
from onnx_cost.model.report import NodeRecord, Report, Totals
from onnx_cost.render import symbolic as S
from onnx_cost.render.report import coverage_line, si, symbolic_texts
from onnx_cost.render.tables import ranked_nodes
from onnx_cost.symbolic.binding import DEFAULT_LEGEND, Binding
from onnx_cost.views import tree as T
from onnx_cost.views.scope import full_path

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# CommonMark lets any ASCII punctuation be backslash-escaped; these start or end
# inline syntax (code, emphasis, links, images, strikethrough, math, autolinks) or
# a table cell. Line-start syntax (#, -, 1.) cannot occur: text never starts a line.
_ACTIVE = set("\\`*_[]!|~$:")


def md_text(text: str, limit: int = 300) -> str:
    """A model string as inert Markdown text on one line."""
    out = []
    for c in printable(text, limit):
        if c in _ENTITIES:
            out.append(_ENTITIES[c])
        elif c in _ACTIVE:
            out.append("\\" + c)
        else:
            out.append(c)
    return "".join(out)


def md_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool] | None = None) -> str:
    """A GFM table; cells must already be escaped (``md_text``)."""
    right = right or [i > 0 for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---:" if r else "---" for r in right) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _cells(t: Totals, total: int, value: int) -> list[str]:
    return [si(t.flops), si(t.macs), si(t.ops), si(t.params), si(t.memory_bytes, "B"), f"{T.share(value, total):.1f}"]


COST_HEADERS = ("FLOPs", "MACs", "ops", "params", "bytes")


def totals_section(report: Report) -> str:
    t = report.total
    texts = symbolic_texts(report)  # a total that depends on a symbolic dim is its polynomial

    def row(label: str, name: str, value: int, unit: str = "") -> list[str]:
        if name in texts and not texts[name].lstrip("-").isdigit():
            return [label, md_text(texts[name] + (f" {unit}" if unit else ""), 500), ""]
        return [label, si(value, unit) if unit else si(value), f"{value:,}"]

    rows = [
        row("FLOPs", "flops", t.flops),
        row("MACs", "macs", t.macs),
        row("integer ops", "int_ops", t.int_ops),
        row("params", "params", t.params),
        row("param bytes", "param_bytes", t.param_bytes, "B"),
        row("memory access (read + write)", "memory_bytes", t.memory_bytes, "B"),
        ["coverage", md_text(coverage_line(report), 500), ""],
    ]
    head = "**Partial**: some nodes could not be counted; totals are lower bounds.\n\n" if report.partial else ""
    return "## Totals\n\n" + head + md_table(("", "value", "exact"), rows)


def op_section(report: Report, top: int | None = None) -> str:
    total = report.total.flops
    items = list(report.by_op_type.items())
    if report.symbolic:  # each op type's counts as polynomials, ranked as the table ranks them (by ops)
        polys = {k: S.op_values(report, k) for k, _ in items}
        items.sort(key=lambda kv: (S.rank(polys[kv[0]]["ops"]), kv[0]))
        rows = [[md_text(k), str(v.nodes), *_poly_cells(polys[k])] for k, v in items[:top]]
    else:
        rows = [[md_text(k), str(v.nodes), *_cells(v, total, v.flops)] for k, v in items[:top]]
    return "## By op type\n\n" + md_table(("op type", "nodes", *COST_HEADERS, "% FLOPs"), rows)


def _poly_cells(v: S.Values) -> list[str]:
    """FLOPs, MACs, ops, params, bytes as exact polynomials (a number when one), no share."""
    return [md_text(v[k].to_str(), 500) for k in S.METRICS] + [""]


def _symbolic_note(report: Report, exact: bool = True) -> str:
    """Above the per-module and per-node tables of a model counted as polynomials."""
    if not report.symbolic:
        return ""
    dims = ", ".join(report.symbolic)
    if exact:
        return md_text(f"Exact polynomials in {dims} at the default binding (no share: a polynomial has "
                       f"no percentage; --dim {dims.split(', ')[0]}=N gives numbers).", 1000) + "\n\n"
    flags = " ".join(f"--dim {d}=N" for d in report.symbolic)
    return md_text(f"Counted at the default binding, where {dims} stays free: rows that need it show 0 "
                   f"(the totals above are exact in it; bind it for these rows: {flags}).", 1000) + "\n\n"


def module_section(report: Report, depth: int = 2, sort: str = "order") -> str:
    m = sort if sort in T.METRICS else "flops"
    rows = []
    if report.symbolic:  # each module's counts as polynomials (the grid's trees), never the 0s
        for r, v in S.module_rows(report, depth, sort):
            fold = f" (+{r.hidden})" if r.hidden else ""
            rows.append(["&emsp;" * r.depth + md_text(r.module.label) + fold, *_poly_cells(v)])
    else:
        root = T.build_tree(report)
        f, total = T.metric(m), T.metric(m)(report.total)
        for r in T.rows(root, depth, sort):
            fold = f" (+{r.hidden})" if r.hidden else ""
            rows.append(["&emsp;" * r.depth + md_text(r.module.label) + fold,
                         *_cells(r.module.totals, total, f(r.module.totals))])
    note = _symbolic_note(report)
    note += "Each module counts the nodes at or below it; (+N): modules folded below the depth.\n\n"
    return f"## By module (depth {depth})\n\n" + note + md_table(("module", *COST_HEADERS, f"% {T.HEADINGS[m]}"), rows)


def _symbolic_nodes(report: Report, top: int, sort: str) -> list[tuple[NodeRecord, S.Values]] | None:
    """The ``top`` nodes with their polynomials, ranked by ``sort`` as the table ranks them
    (ties in node order); None when the grid's analyses do not line up node for node."""
    if not report.dynamic.aligned:
        return None
    items = list(enumerate(report.nodes))
    if sort == "name":
        items.sort(key=lambda x: x[1].name)
    elif sort in S.METRICS:
        key = {i: S.rank(S.node_value(report, i, sort)) for i, _ in items}  # type: ignore[arg-type]
        items.sort(key=lambda x: (key[x[0]], x[0]))
    out = []
    for i, r in items[:top]:
        v = S.node_values(report, i)
        assert v is not None
        out.append((r, v))
    return out


def node_section(report: Report, top: int = 10, sort: str = "flops") -> str:
    total = report.total.flops
    rows = []
    sort = sort if sort != "order" else "flops"
    ranked = _symbolic_nodes(report, top, sort) if report.symbolic else None
    if ranked is not None:
        for r, v in ranked:
            rows.append([md_text(r.name or "-"), md_text(r.op_type), md_text(full_path(r)), *_poly_cells(v)])
        note = _symbolic_note(report)
    else:
        for r, t in ranked_nodes(report, top, sort):
            rows.append([md_text(r.name or "-"), md_text(r.op_type), md_text(full_path(r)), *_cells(t, total, t.flops)])
        note = _symbolic_note(report, exact=False)
    headers = ("node", "op", "module", *COST_HEADERS, "% FLOPs")
    return f"## Top {len(rows)} nodes\n\n" + note + md_table(headers, rows, [False] * 3 + [True] * 6)


def to_markdown(report: Report, depth: int = 2, top: int = 10, sort: str | None = None,
                binding: Binding | None = None) -> str:
    """The whole Markdown report; ``binding``: the dims free dims were counted at."""
    title = f"# onnx-cost: {md_text(report.model.path)}\n"  # each part is joined after one blank line
    if binding is not None:
        # the legend as its own sentence: it has parentheses of its own
        legend = f" — {md_text(DEFAULT_LEGEND, 500)}" if binding.defaults else ""
        title += f"\nDims: {md_text(binding.text(str), 1000)}{legend}\n"
    parts = [
        title,
        totals_section(report),
        op_section(report),
        module_section(report, depth, sort or "order"),
        node_section(report, top, sort or "flops"),
    ]
    if report.warnings:
        parts.append("## Warnings\n\n" + "".join(f"- {md_text(w, 500)}\n" for w in report.warnings))
    return "\n".join(parts)
