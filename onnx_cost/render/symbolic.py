"""Per op type, per module and per node counts of a model whose counts stay polynomials in
symbolic dims (``Report.symbolic``), for Markdown and HTML: the table's source, the
polynomials ``report.dynamic`` fits on its grid of analyses, at the default binding. Never
the 0 of the nodes the default binding leaves shape-unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from onnx_cost.model.report import NodeRecord, Report, Totals
from onnx_cost.model.totals import TOTAL_FIELDS
from onnx_cost.render.table import SORT_KEYS
from onnx_cost.symbolic.dynamic import integer
from onnx_cost.symbolic.polynomial import Polynomial
from onnx_cost.views import tree as T

Values = dict[str, Polynomial]
# the five counts a Markdown row shows, by the table's names (``bytes``: read + write)
METRICS = ("flops", "macs", "ops", "params", "bytes")
# the counts the HTML page shows of a module or an op type (its tables and charts)
SHOWN = ("flops", "macs", "ops", "params", "memory_bytes")
# the other counts of a row (module_dict, Totals.as_dict): not shown, not fitted, dropped
UNSHOWN = tuple(f for f in TOTAL_FIELDS if f not in SHOWN and f != "nodes")
_ZERO = Totals()


def _field(name: str) -> Callable[[Totals], int]:
    if name in ("bytes", "memory_bytes"):
        return SORT_KEYS["bytes"]
    if name in SORT_KEYS:
        return SORT_KEYS[name]
    return lambda t: int(getattr(t, name))


def _poly(report: Report, get: Callable[[Report], int]) -> Polynomial:
    """``get`` of each analysis of the grid fitted (``Formula.quantity``), at the default binding."""
    d = report.dynamic
    return d.at_defaults(d.formula.quantity(get))


def _fitted(report: Report, values: dict[tuple[int, ...], int]) -> Polynomial:
    """Grid values fitted (``Formula.fit_values``: one fit per distinct column), at the default binding."""
    d = report.dynamic
    return d.at_defaults(d.formula.fit_values(values))


def op_values(report: Report, key: str, names: tuple[str, ...] = METRICS) -> Values:
    """An op type's counts as polynomials at the default binding (the table's ``By op type``)."""
    return {n: _poly(report, _of(_field(n), lambda r: r.by_op_type.get(key))) for n in names}


def _of(get: Callable[[Totals], int], part: Callable[[Report], Totals | None]) -> Callable[[Report], int]:
    """A count (``get``) of a part of a report (an op type's totals, a module's)."""
    return lambda r: get(part(r) or _ZERO)


def _modules(report: Report) -> dict[tuple[int, ...], dict[tuple[str, ...], Totals]]:
    """Each grid analysis's module totals by path (its tree, built once)."""
    def trees() -> dict[tuple[int, ...], dict[tuple[str, ...], Totals]]:
        grid = report.dynamic.formula.reports
        return {idx: {m.path: m.totals for m in T.build_tree(r).walk()} for idx, r in grid.items()}

    return report.cached("render.symbolic.modules", trees)


def module_values(report: Report, path: tuple[str, ...], names: tuple[str, ...] = METRICS) -> Values:
    """A module's counts (the nodes at or below it) as polynomials at the default binding."""
    parts = {idx: mods.get(path) or _ZERO for idx, mods in _modules(report).items()}
    return {n: _fitted(report, {idx: _field(n)(t) for idx, t in parts.items()}) for n in names}


# a node's counts as the table reads them: weighted by its executions; params as they are
_NODE: dict[str, Callable[[NodeRecord], int]] = {
    k: (lambda r: r.params) if k == "params" else (lambda r, g=g: g(r.cost) * r.weight)  # type: ignore[misc]
    for k, g in SORT_KEYS.items()
}


def node_value(report: Report, index: int, name: str) -> Polynomial | None:
    """One count of a node as a polynomial at the default binding (the table's top nodes);
    None when the grid's analyses do not line up node for node."""
    if not report.dynamic.aligned:
        return None
    get = _NODE[name]
    return _poly(report, lambda r: get(r.nodes[index]))


def node_values(report: Report, index: int) -> Values | None:
    """A node's five counts (``METRICS``), or None as ``node_value``."""
    out = {}
    for n in METRICS:
        p = node_value(report, index, n)
        if p is None:
            return None
        out[n] = p
    return out


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
