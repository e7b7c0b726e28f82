"""One model over the values its dims may take: the fixed ones (``--dim NAME=N``), the
ranges (``--dim NAME=LO:HI``: a box) and the free ones (no value, no range).

``Space.function(metric)`` is the metric as a function on the box: an exact polynomial
in the ranged dims (the totals: ``symbolic.scaling.formula`` fits them from analyses on
an integer grid starting at each range's LO, and checks them off the grid), a table of
every point's value (a box of at most ``MAX_POINTS`` points, for what is not a
polynomial: peak memory, latency, coverage, strided shapes), or ``Unknown`` with why.
A metric that depends on a free dim is unknown: it has no value to check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import product
from typing import TYPE_CHECKING, Any

from onnx_cost.views.check.boxmax import Terms, as_terms
from onnx_cost.views.check.metrics import POLYNOMIAL, Context, Unknown, Value, from_report

if TYPE_CHECKING:
    from onnx_cost.analyzer import Prepared
    from onnx_cost.model.report import Report
    from onnx_cost.symbolic.scaling import Formula

MAX_POINTS = 64  # a box this small is decided point by point, whatever the metric
MAX_DIMS = 3  # the formula's own limit (symbolic.scaling.formula)
Point = tuple[int, ...]


@dataclass(frozen=True)
class Fn:
    """A metric over the box: ``terms`` (exact polynomial over ``Space.rdims``) or
    ``points`` (every point's value); ``lower``: some value is only a lower bound."""

    terms: Terms | None = None
    points: dict[Point, Value] | None = None
    lower: bool = False
    why: str = ""  # why a lower bound


class Space:
    """The analyses of one model over its box, each run once (cached)."""

    def __init__(self, src: Prepared, inputs: Mapping[str, Sequence[int | str]], fixed: Mapping[str, int],
                 ranges: Mapping[str, tuple[int, int]], ctx: Context) -> None:
        from onnx_cost.analyzer.dims import declared_dims, unnamed_inputs
        from onnx_cost.symbolic.dynamic import free_dims

        self.src, self.inputs, self.ctx = src, dict(inputs), ctx
        have = set(declared_dims(src.proto.graph))
        self.fixed = {k: v for k, v in fixed.items() if k in have}
        self.ranges = {k: v for k, v in ranges.items() if k in have}
        self.rdims = tuple(self.ranges)
        self.free = tuple(d for d in free_dims(src, self.inputs, self.fixed) if d not in self.ranges)
        self.unnamed = tuple(unnamed_inputs(src.proto.graph, self.inputs))
        self._reports: dict[tuple[Any, ...], Report] = {}
        self._formula: Formula | None = None
        self._formula_error = ""

    @property
    def lo(self) -> Point:
        return tuple(self.ranges[d][0] for d in self.rdims)

    @property
    def hi(self) -> Point:
        return tuple(self.ranges[d][1] for d in self.rdims)

    def size(self) -> int:
        n = 1
        for a, b in self.ranges.values():
            n *= b - a + 1
        return n

    def report(self, point: Point, free: Mapping[str, int] | None = None) -> Report:
        """The analysis at ``point`` of the box (free dims at ``free``, else left free)."""
        key = point + tuple(sorted((free or {}).items()))
        if key not in self._reports:
            from onnx_cost.analyzer import analyze

            dims = {**self.fixed, **dict(zip(self.rdims, point)), **(free or {})}
            self._reports[key] = analyze(self.src, inputs=self.inputs, dims=dims)
        return self._reports[key]

    def value(self, metric: str, point: Point, free: Mapping[str, int] | None = None) -> Value | Unknown:
        return from_report(self.report(point, free), metric, self.ctx)

    def formula(self) -> Formula | None:
        """The fitted polynomials over the ranged and free dims (None: more than MAX_DIMS)."""
        if self._formula is None and not self._formula_error:
            over = (*self.rdims, *self.free)
            if len(over) > MAX_DIMS:
                self._formula_error = (f"{len(over)} dims ranged or free ({', '.join(over)}): at most {MAX_DIMS}; "
                                       "bind the others with --dim NAME=N")
                return None
            from onnx_cost.symbolic.scaling import formula

            def at(pt: Mapping[str, int]) -> Report:
                return self.report(tuple(pt[d] for d in self.rdims), {d: pt[d] for d in self.free})

            starts = {d: lo for d, (lo, _) in self.ranges.items()}
            self._formula = formula(at, over, starts=starts)
        return self._formula

    def free_point(self) -> dict[str, int]:
        """Values for the free dims where a metric does not depend on them (any will do)."""
        f = self._formula
        if f is None:
            return {}
        return {d: g[0] for d, g in zip(f.dims, f.grids) if d in self.free}

    def function(self, metric: str) -> Fn | Unknown:
        """``metric`` over the box (see the module's docstring)."""
        if not self.rdims and not self.free:
            v = self.value(metric, ())
            if isinstance(v, Unknown):
                return v
            return Fn(terms={(): v.value} if v.value else {}, lower=not v.exact, why=v.why)
        if self.free and metric not in POLYNOMIAL:
            return Unknown(self._free_reason(self.free, f"{metric} (not a polynomial of the dims) may depend"))
        if metric in POLYNOMIAL:
            f = self.formula()
            if f is None:
                return Unknown(self._formula_error)
            if f.verified:
                return self._polynomial(metric, f)
            if self.free:
                return Unknown(self._free_reason(self.free, f"{metric} (not a polynomial here: {f.note}) may depend"))
        return self.enumerate(metric)

    def _polynomial(self, metric: str, f: Formula) -> Fn | Unknown:
        def get(r: Report) -> int:
            v = from_report(r, metric, self.ctx)
            if isinstance(v, Unknown):
                raise _Missing(v.reason)
            return int(v.value)

        try:
            poly = f.quantity(get)
        except _Missing as e:
            return Unknown(str(e))
        uses = [d for i, d in enumerate(poly.dims) if d in self.free and any(e[i] for e in poly.terms)]
        if uses:
            return Unknown(self._free_reason(tuple(uses), f"{metric} depends"))
        terms = as_terms(self.rdims, poly.dims, dict(poly.terms))
        why = "some node was not counted at some point of the box: the values are lower bounds" if f.partial else ""
        return Fn(terms=terms, lower=f.partial, why=why)

    def enumerate(self, metric: str) -> Fn | Unknown:
        """``metric`` at every point of the box, each by its own analysis (at most ``MAX_POINTS``)."""
        if self.size() > MAX_POINTS:
            return Unknown(f"{metric} is not a polynomial of {', '.join(self.rdims)}, and a box of "
                           f"{self.size():,} points is more than the {MAX_POINTS} decided point by point")
        points: dict[Point, Value] = {}
        for pt in product(*(range(a, b + 1) for a, b in (self.ranges[d] for d in self.rdims))):
            v = self.value(metric, pt)
            if isinstance(v, Unknown):
                return v
            points[pt] = v
        lower = [v for v in points.values() if not v.exact]
        return Fn(points=points, lower=bool(lower), why=lower[0].why if lower else "")

    def _free_reason(self, dims: Sequence[str], what: str) -> str:
        from onnx_cost.analyzer.dims import default_binding

        d = dims[0]
        hint = default_binding(self.src.proto, [d]).get(d)
        also = f" (the analysis would count it at {d}={hint}, its default binding)" if hint is not None else ""
        return (f"{what} on {', '.join(dims)}, which has no value or range{also}: "
                f"give --dim {d}=N or --dim {d}=LO:HI")


class _Missing(Exception):
    """A metric a grid point's report cannot give (carried out of Formula.quantity)."""


def at_point(fn: Fn, point: Point) -> Fraction:
    """The function's value at a point of the box (exact for ``terms``)."""
    from onnx_cost.views.check.boxmax import evaluate

    if fn.terms is not None:
        return evaluate(fn.terms, point)
    assert fn.points is not None
    return fn.points[point].value


def point_dict(space: Space, point: Point) -> dict[str, Any]:
    return dict(zip(space.rdims, point))
