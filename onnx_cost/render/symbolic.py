"""Per op type, per module and per node counts of a model whose counts stay polynomials in
symbolic dims (``Report.symbolic``), for Markdown and HTML: the table's source, the
polynomials ``report.dynamic`` fits on its grid of analyses, at the default binding. Never
the 0 of the nodes the default binding leaves shape-unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from onnx_cost.model.report import Report, Totals
from onnx_cost.model.totals import TOTAL_FIELDS
from onnx_cost.render.table import SORT_KEYS, _node_values
from onnx_cost.symbolic.dynamic import integer
from onnx_cost.symbolic.polynomial import Polynomial
from onnx_cost.views import tree as T

Values = dict[str, Polynomial]
# the five counts a Markdown row shows, by the table's names (``bytes``: read + write)
METRICS = ("flops", "macs", "ops", "params", "bytes")
# every count a JSON-like row of the HTML page carries (module_dict, Totals.as_dict)
FIELDS = (*TOTAL_FIELDS, "memory_bytes")
_ZERO = Totals()


def _field(name: str) -> Callable[[Totals], int]:
    if name in ("bytes", "memory_bytes"):
        return SORT_KEYS["bytes"]
    if name in SORT_KEYS:
        return SORT_KEYS[name]
    return lambda t: int(getattr(t, name))


def op_values(report: Report, key: str, names: tuple[str, ...] = METRICS) -> Values:
    """An op type's counts as polynomials at the default binding (the table's ``By op type``)."""
    d = report.dynamic
    return {n: d.at_defaults(d.op_type(key, _field(n))) for n in names}


def _modules(r: Report) -> dict[tuple[str, ...], Totals]:
    return r.cached("render.symbolic.modules", lambda: {m.path: m.totals for m in T.build_tree(r).walk()})


def module_values(report: Report, path: tuple[str, ...], names: tuple[str, ...] = METRICS) -> Values:
    """A module's counts (the nodes at or below it) as polynomials at the default binding."""
    d = report.dynamic
    f = d.formula
    out = {}
    for n in names:
        get = _field(n)
        out[n] = d.at_defaults(f.quantity(lambda r, get=get: get(_modules(r).get(path) or _ZERO)))
    return out


def node_values(report: Report, index: int) -> Values | None:
    """A node's weighted counts as polynomials at the default binding (the table's top
    nodes); None when the grid's analyses do not line up node for node."""
    v = _node_values(report.nodes[index], index, report.dynamic)
    return None if v is None else {k: p for k, p in v.items() if isinstance(p, Polynomial)}


def rank(p: Polynomial) -> tuple[Any, ...]:
    """A sort key, largest first: by degree, then by coefficient (the table's ranking)."""
    return tuple(-x for x in p.growth())


def text(p: Polynomial, unit: str = "") -> str | None:
    """None when ``p`` is a number; else its text with exact coefficients (never rounded)."""
    if integer(p) is not None:
        return None
    return p.to_str() + (f" {unit}" if unit else "")


def module_rows(report: Report, depth: int, sort: str) -> list[tuple[T.Row, Values]]:
    """``tree.rows`` with each module's polynomials; siblings ranked by the polynomial of
    ``sort`` when it is a count (as the table ranks), else as ``tree.rows`` orders them."""
    root = T.build_tree(report)
    if sort not in T.METRICS or sort == "nodes":
        return [(r, module_values(report, r.module.path)) for r in T.rows(root, depth, sort)]
    key = "bytes" if sort == "bytes" else sort
    out: list[tuple[T.Row, Values]] = []

    def visit(m: T.Module, d: int, values: Values) -> None:
        if d >= depth:
            out.append((T.Row(d, m, sum(1 for _ in m.walk()) - 1), values))
            return
        out.append((T.Row(d, m, 0), values))
        kids = [(c, module_values(report, c.path)) for c in m.children.values()]
        kids.sort(key=lambda kv: (rank(kv[1][key]), kv[0].order))
        for c, v in kids:
            visit(c, d + 1, v)

    visit(root, 0, module_values(report, ()))
    return out


def numbers(values: dict[str, Polynomial], units: dict[str, str] | None = None) -> tuple[dict[str, int | None],
                                                                                          dict[str, str]]:
    """JSON-like counts: the number where a polynomial is one, else None (the JSON's null,
    never 0), and beside them the texts of those that are polynomials."""
    nums: dict[str, int | None] = {}
    texts: dict[str, str] = {}
    for k, p in values.items():
        nums[k] = integer(p)
        t = text(p, (units or {}).get(k, ""))
        if t is not None:
            texts[k] = t
    return nums, texts
