"""How cost scales with symbolic dims: sweeps over values, and exact polynomial formulas.

A model's totals are polynomials of low degree in dims such as batch and sequence
length (attention is quadratic in the sequence). We recover the polynomial exactly
from evaluations on a small integer grid (tensor-product interpolation with exact
rationals), then check it at points off the grid. Strided or ceil-mode shapes make
costs quasi-polynomial (floors): the check then fails and we say so, never guess.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise, product

import onnx

from onnx_cost.analyzer.dims import check_dims, declared_dims  # noqa: F401 (re-exported: the API imports them here)
from onnx_cost.model.report import Report, Totals
from onnx_cost.symbolic.polynomial import Polynomial, fit

FORMULA_FIELDS = ("flops", "macs", "int_ops", "params", "read_bytes", "write_bytes")
_SHARED = ("param_sizes", "constant_sizes", "initializers")  # per weight and constant: equal at every point


@dataclass
class SweepRow:
    value: int
    total: Totals
    partial: bool
    exponent: float | None  # d log(flops) / d log(value) from the previous row


def sweep(
    analyze: Callable[[Mapping[str, int]], Report], dim: str, values: Sequence[int], base: Mapping[str, int]
) -> list[SweepRow]:
    """One analysis per value of ``dim`` (other dims from ``base``), with scaling exponents."""
    rows: list[SweepRow] = []
    for v in values:
        r = analyze({**base, dim: v})
        exp = None
        if rows and rows[-1].total.flops > 0 and r.total.flops > 0 and rows[-1].value > 0 and v != rows[-1].value:
            exp = math.log(r.total.flops / rows[-1].total.flops) / math.log(v / rows[-1].value)
        rows.append(SweepRow(v, r.total, r.partial, exp))
    return rows


@dataclass
class Formula:
    """Exact polynomials of the totals in ``dims``, and the analyses they came from."""

    dims: tuple[str, ...]
    polys: dict[str, Polynomial]
    degree: int  # the highest degree in any one dim
    verified: bool  # the polynomials matched a direct analysis off the fitting grid
    partial: bool  # some node was not counted at some grid point
    evaluations: int  # analyses run
    note: str = ""
    degrees: tuple[int, ...] = ()  # the degree in each dim
    grids: list[list[int]] = field(default_factory=list)  # the values of each dim fitted on
    reports: dict[tuple[int, ...], Report] = field(default_factory=dict)  # grid index -> its analysis
    # the grid's integer values -> their polynomial: the nodes of repeated layers have the same
    # values, fitted once (the table ranks every node by its polynomial)
    _fits: dict[tuple[int, ...], Polynomial] = field(default_factory=dict, init=False, repr=False, compare=False)

    def quantity(self, get: Callable[[Report], int]) -> Polynomial:
        """Any other count (an op type's, a node's) fitted on the same grid: exact where
        the totals are (a part of a sum of non-negative counts has no higher degree).
        The polynomial may be shared with other quantities of the same values: read-only."""
        return self.fit_values({idx: get(r) for idx, r in self.reports.items()})

    def fit_values(self, values: dict[tuple[int, ...], int]) -> Polynomial:
        """``values`` (grid index -> a count) fitted on this grid; one fit per distinct column
        of integer values (a model's repeated layers share them): read-only, as ``quantity``."""
        key = tuple(values.values())
        if not all(type(v) is int for v in key):
            return fit(self.dims, self.grids, values)
        poly = self._fits.get(key)
        if poly is None:
            poly = self._fits[key] = fit(self.dims, self.grids, values)
        return poly


def _differences_vanish(values: list[tuple[int, ...]]) -> bool:
    """Whether the last forward difference of ``values`` (consecutive integers) is zero."""
    row = values
    for _ in range(len(values) - 1):
        row = [tuple(b - a for a, b in zip(u, v)) for u, v in pairwise(row)]
    return not any(row[0])


def _axis_degree(value: Callable[[int], tuple[int, ...]], start: int, max_degree: int) -> int | None:
    """The degree along one dim, from d + 2 consecutive values (d + 1 fit, one checks);
    None past ``max_degree``."""
    values = [value(start), value(start + 1)]
    while not _differences_vanish(values):
        if len(values) - 1 > max_degree:
            return None
        values.append(value(start + len(values)))
    return len(values) - 2


def formula(
    analyze: Callable[[Mapping[str, int]], Report],
    dims: Sequence[str],
    start: int = 2,
    max_degree: int = 4,
    starts: Mapping[str, int] | None = None,
) -> Formula:
    """Exact polynomials of the totals in ``dims``: a tensor grid of (degree + 1) values
    per dim, checked at one point off the grid. The degree in each dim is first the one
    the tensor shapes of the first two analyses along it suggest (``_shape_degrees``);
    when the check refutes it, the one the finite differences along the dim show.
    ``starts``: a dim's first grid value (a default binding such as batch=1, so that the
    analysis there is one of the grid's)."""
    dims = tuple(dims)
    if not dims:
        raise ValueError("no symbolic dims to build a formula over")
    if len(dims) > 3:
        raise ValueError(f"at most 3 dims in a formula, got {len(dims)}: bind the others with --dim")
    first = tuple((starts or {}).get(d, start) for d in dims)
    cache: dict[tuple[int, ...], Report] = {}

    def at(point: tuple[int, ...]) -> Report:
        if point not in cache:
            r = analyze(dict(zip(dims, point)))
            # the fits read totals and records; only the first point's report is shown whole,
            # and the others hold the first's weight tables where theirs are equal (they are read-only)
            if point != first and isinstance(r, Report):
                base = cache.get(first)
                same = {} if not isinstance(base, Report) else {
                    k: getattr(base, k) for k in _SHARED if getattr(r, k) == getattr(base, k)}
                r = replace(r, tensors={}, **same)
            cache[point] = r
        return cache[point]

    def totals(point: tuple[int, ...]) -> tuple[int, ...]:
        t = at(point).total
        return tuple(getattr(t, f) for f in FORMULA_FIELDS)

    def on_grid(
        degrees: list[int], checked: bool = True
    ) -> tuple[list[list[int]], dict[tuple[int, ...], Report], dict[str, Polynomial], bool]:
        """The tensor grid of ``degrees``, its analyses, the totals fitted there, and
        whether they match the analysis at the point off the grid (``checked``: else False,
        that analysis not run)."""
        grids = [[s + j for j in range(d + 1)] for s, d in zip(first, degrees)]
        reports = {idx: at(tuple(g[i] for g, i in zip(grids, idx))) for idx in product(*(range(len(g)) for g in grids))}
        polys = {f: fit(dims, grids, {k: getattr(r.total, f) for k, r in reports.items()}) for f in FORMULA_FIELDS}
        check = tuple(s + d + 2 + i for i, (s, d) in enumerate(zip(first, degrees)))
        ok = checked and all(polys[f](dict(zip(dims, check))) == v for f, v in zip(FORMULA_FIELDS, totals(check)))
        return grids, reports, polys, ok

    # The degrees the tensor shapes suggest (analyses the grid needs in any case): when the
    # check off the grid confirms them, no analysis along each dim beyond it is needed
    guess = _shape_degrees(at, first)
    if guess is not None and max(guess, default=0) <= max_degree:
        grids, reports, polys, ok = on_grid(guess)
        if ok:
            degrees = [max((e[i] for p in polys.values() for e in p.terms), default=0) for i in range(len(dims))]
            partial = any(r.partial for r in cache.values())
            return Formula(dims, polys, max(degrees), True, partial, len(cache), "", tuple(degrees), grids, reports)
    # else the degree along each dim from finite differences (the analyses made are reused)
    found = [
        _axis_degree(lambda x, i=i: totals(first[:i] + (x,) + first[i + 1 :]), first[i], max_degree)  # type: ignore[misc]
        for i in range(len(dims))
    ]
    polynomial = all(d is not None for d in found)
    degrees = [max_degree if d is None else d for d in found]
    while True:
        grids, reports, polys, ok = on_grid(degrees, checked=polynomial)
        if ok or not polynomial or all(d >= max_degree for d in degrees):
            break
        degrees = [min(max_degree, d + 1) for d in degrees]  # a cross term the axes did not show
    partial = any(r.partial for r in cache.values())
    note = "" if ok else (
        f"the totals are not a polynomial of degree <= {max_degree} per dim "
        "(strided or ceil-mode shapes give floors): the formula holds only on the grid"
    )
    return Formula(dims, polys, max(degrees), ok, partial, len(cache), note, tuple(degrees), grids, reports)


def _shape_degrees(at: Callable[[tuple[int, ...]], Report], first: tuple[int, ...]) -> list[int] | None:
    """Per dim, the most dims of one tensor that change when that dim goes from its first
    value to the next (a node's counts are products of its tensors' dims: attention's
    batch x heads x seq x seq is of degree 2 in seq); None when the two analyses do not
    line up node for node, or a shape, a loop's trips or a record's weight moves otherwise."""
    base = getattr(at(first), "nodes", None)
    if base is None:
        return None
    out = []
    for i in range(len(first)):
        nodes = getattr(at(first[:i] + (first[i] + 1,) + first[i + 1 :]), "nodes", None)
        if nodes is None or len(nodes) != len(base):
            return None
        most = 0
        for a, b in zip(base, nodes):
            if a.name != b.name or a.op_type != b.op_type or a.weight != b.weight or a.trips != b.trips:
                return None
            for u, v in zip((*a.inputs, *a.outputs), (*b.inputs, *b.outputs)):
                if u == v:
                    continue
                if u is None or v is None or len(u) != len(v) or len(a.inputs) != len(b.inputs):
                    return None
                most = max(most, sum(x != y for x, y in zip(u, v)))
        out.append(most)
    return out


def symbolic_dims(model: onnx.ModelProto, inputs: Mapping[str, Sequence[int | str]] | None = None) -> list[str]:
    """Names of the symbolic dims of the graph inputs, in order of appearance; an input
    whose shape ``inputs`` binds contributes only the symbolic names given there."""
    init = {t.name for t in model.graph.initializer}
    inputs = inputs or {}
    seen: list[str] = []
    for i in model.graph.input:
        if i.name in init or not i.type.HasField("tensor_type"):
            continue
        if i.name in inputs:
            names = [d for d in inputs[i.name] if isinstance(d, str)]
        else:
            names = [d.dim_param for d in i.type.tensor_type.shape.dim if d.HasField("dim_param") and d.dim_param]
        for n in names:
            if n not in seen:
                seen.append(n)
    return seen

