"""Models with free symbolic dims: the counts as exact polynomials in those dims,
shown at a stated default binding (a dim that names a batch = 1).

The model is prepared once; the formula machinery (scaling.formula) runs as few
analyses as the degrees need, with the default binding as the grid's first point.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from onnx_cost.analyzer import Prepared, _bind_inputs
from onnx_cost.analyzer.dims import bind_hint, default_binding, unnamed_inputs
from onnx_cost.model.report import NOT_TAKEN, TAKEN, NodeRecord, Report
from onnx_cost.symbolic.polynomial import Polynomial
from onnx_cost.symbolic.scaling import Formula, formula, symbolic_dims

MAX_FREE = 3  # more free dims than this: no formula, bind some


@dataclass
class Dynamic:
    """What the free dims do to a report: ``formula`` over ``free`` (None when there is
    none to fit), the default binding, and the flags that bind everything."""

    free: tuple[str, ...]
    defaults: dict[str, int]
    unnamed: dict[str, str]  # input name -> the --input value to fill in
    # the formula, or how to fit it when first asked (a report whose free dims all have a
    # default is counted at once; its polynomials cost more analyses, made only if shown)
    fit: Formula | Callable[[], Formula | None] | None
    hint: str
    inputs: list[tuple[str, str, Any]] = field(default_factory=list)  # (name, dtype, shape) at the default binding
    _node_polys: dict[tuple[int, str], Polynomial] = field(default_factory=dict)
    # id(polynomial) -> (it, it at the defaults): the nodes of repeated layers share polynomials
    _at_defaults: dict[int, tuple[Polynomial, Polynomial]] = field(default_factory=dict, repr=False, compare=False)

    @functools.cached_property
    def formula(self) -> Formula | None:
        """The totals as exact polynomials in ``free`` (None: none to fit)."""
        return self.fit() if callable(self.fit) else self.fit

    @property
    def exact(self) -> bool:
        """The polynomials are verified: the report's counts are these formulas."""
        return self.formula is not None and self.formula.verified

    @property
    def symbolic(self) -> tuple[str, ...]:
        """Free dims without a default value: they stay symbols in the table."""
        return tuple(d for d in self.free if d not in self.defaults)

    def at_defaults(self, p: Polynomial) -> Polynomial:
        hit = self._at_defaults.get(id(p))
        if hit is not None and hit[0] is p:
            return hit[1]
        out = p.substitute(self.defaults)
        self._at_defaults[id(p)] = (p, out)  # the entry holds p: its id stays its own
        return out

    def total(self, name: str) -> Polynomial:
        assert self.formula is not None
        if name in self.formula.polys:
            return self.formula.polys[name]
        return self.formula.quantity(lambda r: getattr(r.total, name))

    def op_type(self, key: str, get: Callable[[object], int]) -> Polynomial:
        assert self.formula is not None
        return self.formula.quantity(lambda r: get(r.by_op_type[key]) if key in r.by_op_type else 0)

    def node(self, index: int, what: str, get: Callable[[NodeRecord], int]) -> Polynomial | None:
        """A node's count as a polynomial; None when the grid's records do not line up."""
        f = self.formula
        if f is None or not self.aligned:
            return None
        key = (index, what)
        poly = self._node_polys.get(key)
        if poly is None:  # as f.quantity(lambda r: get(r.nodes[index])), a call less per node and grid point
            poly = self._node_polys[key] = f.fit_values({idx: get(nodes[index]) for idx, nodes in self._grid_nodes})
        return poly

    @functools.cached_property
    def _grid_nodes(self) -> list[tuple[tuple[int, ...], list[NodeRecord]]]:
        """Each grid analysis's records, by its grid index (the table reads every node's)."""
        assert self.formula is not None
        return [(idx, r.nodes) for idx, r in self.formula.reports.items()]

    @functools.cached_property
    def aligned(self) -> bool:
        """Every grid analysis has the same nodes in the same order."""
        f = self.formula
        if f is None:
            return False
        reports = list(f.reports.values())
        first = reports[0].nodes
        return all(
            len(r.nodes) == len(first)
            and all(a.name == b.name and a.op_type == b.op_type for a, b in zip(r.nodes, first))
            for r in reports[1:]
        )


def _decided(report: Report) -> set[tuple[str, str, str]]:
    """The nodes in If branches that a static condition selected or left out."""
    return {(r.graph, r.name, r.branch) for r in report.nodes if r.branch in (TAKEN, NOT_TAKEN)}


def piecewise_check(f: Formula, unbound: Callable[[], Report]) -> Formula:
    """``f``, unverified when an If's branch is decided by a free dim's value: then the
    counts are piecewise in it (one branch up to a threshold, the other past it), and no
    grid of small values can show it. Seen by analyzing once with the free dims unbound:
    a branch decided on the grid but not there depends on them."""
    if not f.verified or not f.reports:
        return f
    grid = _decided(next(iter(f.reports.values())))
    if not grid or _decided(unbound()) == grid:
        return f
    # which dim decides it is not known here, nor even that one does: a condition on a shape
    # whose other dims are free is undecided too (our pass holds no partly symbolic shape value)
    over, them = ", ".join(f.dims), "them" if len(f.dims) > 1 else "it"
    return replace(f, verified=False, note=f"an If's branch is decided at every point fitted on but not with {over} "
                                             f"free: the counts may be piecewise in {them}, not one polynomial; "
                                             f"bind {them} with --dim")


def free_dims(p: Prepared, inputs: Mapping[str, Sequence[int | str]], dims: Mapping[str, int]) -> list[str]:
    """The input dims neither ``inputs`` nor ``dims`` bind, in order of appearance."""
    return [d for d in symbolic_dims(p.proto, inputs) if d not in dims]


def _left_free(
    p: Prepared, inputs: Mapping[str, Sequence[int | str]], dims: Mapping[str, int]
) -> tuple[list[str], dict[str, str], dict[str, int]]:
    """The free dims, the inputs with unnamed dims, and the default binding of the free dims."""
    free = free_dims(p, inputs, dims)
    return free, unnamed_inputs(p.proto.graph, inputs), default_binding(p.proto, free) if free else {}


def analyze_dynamic(
    p: Prepared, inputs: Mapping[str, Sequence[int | str]], dims: Mapping[str, int], grid_records: bool = True,
    values: Mapping[str, Any] | None = None, branches: Mapping[str, str] | None = None,
) -> tuple[Report, Dynamic | None]:
    """The report to show, and what the free dims do to it (None when there are none).

    With free dims the report is the analysis at the grid's first point, which is the
    default binding when every free dim has a default; its counts are then exact.
    Where some free dim has no default, that point binds it to a grid value: its
    records serve the table (whose counts are the polynomials) only; with
    ``grid_records=False`` the report is then the analysis at the default binding,
    those dims unbound (for JSON, whose records are the counts).
    When the totals are not polynomial (strides, ceil), the report is the analysis at
    the default binding with the other dims unbound (partial), and ``formula`` says so.
    ``values``, ``branches``: as ``analyze`` takes them, at every point."""
    from onnx_cost.analyzer import analyze as _analyze  # looked up now: tests replace it

    analyze = functools.partial(_analyze, values=values, branches=branches) if values or branches else _analyze
    if values:  # a valued input's symbolic dims are its value's: not free
        from onnx_cost.analyzer.bindings import value_dims

        dims = {**value_dims(p.proto.graph, values), **dims}

    free, unnamed, defaults = _left_free(p, inputs, dims)
    if not free and not unnamed:
        return analyze(p, inputs=inputs, dims=dims), None
    hint = bind_hint(free, unnamed, defaults)
    if not free or len(free) > MAX_FREE:
        report = analyze(p, inputs=inputs, dims={**dims, **defaults})
        return report, Dynamic(tuple(free), defaults, unnamed, None, hint)

    def at(point: Mapping[str, int]) -> Report:
        return analyze(p, inputs=inputs, dims={**dims, **point})

    f = piecewise_check(formula(at, free, starts=defaults), lambda: analyze(p, inputs=inputs, dims=dims))
    shown = _bind_inputs(p.proto.graph, inputs, {**dims, **defaults})
    declared = [(name, t.dtype, t.shape) for name, t in shown.items()]
    dyn = Dynamic(tuple(free), defaults, unnamed, f, hint, declared)
    if not f.verified or (dyn.symbolic and not grid_records):
        return analyze(p, inputs=inputs, dims={**dims, **defaults}), dyn
    return f.reports[(0,) * len(free)], dyn


def analyze_bound(
    p: Prepared, inputs: Mapping[str, Sequence[int | str]], dims: Mapping[str, int], bind: str = "default",
    grid_records: bool = False, values: Mapping[str, Any] | None = None, branches: Mapping[str, str] | None = None,
) -> Report:
    """The one place that decides how a model with free dims is counted, for the library,
    every format and every subcommand: ``bind="default"`` applies the default binding
    (a dim that names a batch = 1, a metadata value of the dim's name) to the free dims
    that have one, and the report carries ``dynamic`` (the binding and the polynomials);
    ``bind="none"`` counts exactly what ``inputs`` and ``dims`` bind.

    Dims with no default stay symbolic: the report's counts are then the polynomials
    (``Report.symbolic``), its records those of the default binding (or, with
    ``grid_records``, of the first point the polynomials were fitted on, for the table's
    per-node polynomials). The polynomials are fitted when first asked for (a CSV or a
    report read for its numbers at a full binding costs one analysis).
    ``values``, ``branches``: as ``analyze`` takes them, at every point (a valued input's
    symbolic dims take its value's shape: they are not free)."""
    from onnx_cost.analyzer import analyze as _analyze  # looked up now: tests replace it

    analyze = functools.partial(_analyze, values=values, branches=branches) if values or branches else _analyze
    if values:
        from onnx_cost.analyzer.bindings import value_dims

        dims = {**value_dims(p.proto.graph, values), **dims}
    if bind not in ("default", "none"):
        raise ValueError(f"bind must be 'default' or 'none', not {bind!r}")
    if bind == "none":
        return analyze(p, inputs=inputs, dims=dims)
    free, unnamed, defaults = _left_free(p, inputs, dims)
    if not free and not unnamed:
        return analyze(p, inputs=inputs, dims=dims)
    symbolic = [d for d in free if d not in defaults]
    if grid_records and symbolic and len(free) <= MAX_FREE:
        report, dyn = analyze_dynamic(p, inputs, dims, grid_records=True, values=values, branches=branches)
        return replace(report, dynamic=dyn)
    report = analyze(p, inputs=inputs, dims={**dims, **defaults})
    first = tuple(defaults.get(d) for d in free)

    def fit() -> Formula | None:
        if not free or len(free) > MAX_FREE:
            return None

        def at(point: Mapping[str, int]) -> Report:
            key = tuple(point[d] for d in free)
            # the report at the default binding is the grid's first point when every free dim has a default
            return report if key == first and not symbolic else analyze(p, inputs=inputs, dims={**dims, **point})

        return piecewise_check(formula(at, free, starts=defaults), lambda: analyze(p, inputs=inputs, dims=dims))

    shown = _bind_inputs(p.proto.graph, inputs, {**dims, **defaults})
    declared = [(name, t.dtype, t.shape) for name, t in shown.items()] if free and len(free) <= MAX_FREE else []
    return replace(report, dynamic=Dynamic(tuple(free), defaults, unnamed, fit, bind_hint(free, unnamed, defaults),
                                           declared))


def defaults_applied(p: Prepared, inputs: Mapping[str, Sequence[int | str]], dims: Mapping[str, int]) -> dict[str, int]:
    """The default binding of the dims ``inputs`` and ``dims`` leave free."""
    return _left_free(p, inputs, dims)[2]


def left_symbolic(p: Prepared, inputs: Mapping[str, Sequence[int | str]], dims: Mapping[str, int]) -> list[str]:
    """What stays symbolic once ``inputs``, ``dims`` and the default binding are applied:
    free dims without a default, and ``input X`` for inputs whose dims have no name."""
    free, unnamed, defaults = _left_free(p, inputs, dims)
    return [d for d in free if d not in defaults] + [f"input {name}" for name in unnamed]


def needs_numbers(what: str, symbolic: Sequence[str]) -> str:
    """The one line an output that shows numbers per node or per value says when some dims
    stay symbolic (the counts are polynomials in them: there is no number to show)."""
    flags = " ".join(f"--dim {d}=N" if not d.startswith("input ") else f"--input {d[6:]}=SHAPE" for d in symbolic)
    them = "them" if len(symbolic) > 1 else "it"
    return (f"{what} shows numbers, but {', '.join(symbolic)} stay{'' if len(symbolic) > 1 else 's'} free with no "
            f"default (the counts are polynomials in {them}): bind {them}: {flags}")


def analyze_default(
    p: Prepared, inputs: Mapping[str, Sequence[int | str]], dims: Mapping[str, int],
    values: Mapping[str, Any] | None = None, branches: Mapping[str, str] | None = None,
) -> tuple[Report, str]:
    """The analysis with the default binding (batch=1...) applied to the free dims that have
    one, as the table shows them, for outputs of one row per node (CSV); and a line that says
    which dims were bound so and which stay free ("" when none were free)."""
    if values:  # a valued input's symbolic dims are its value's: not free
        from onnx_cost.analyzer.bindings import value_dims

        dims = {**value_dims(p.proto.graph, values), **dims}
    free, unnamed, defaults = _left_free(p, inputs, dims)
    # the policy every output shares (partial, --strict)
    report = analyze_bound(p, inputs, dims, values=values, branches=branches)
    if not free and not unnamed:
        return report, ""
    left = [d for d in free if d not in defaults] + [f"input {name}" for name in unnamed]
    said = []
    if defaults:
        said.append("counted at " + ", ".join(f"{d}={v}" for d, v in defaults.items()) + " by the default binding")
    if left:
        said.append(f"{', '.join(left)} free: rows that need {'them' if len(left) > 1 else 'it'} are shape_unknown")
    return report, "; ".join(said) + f" (bind: {bind_hint(free, unnamed, defaults)})"


def integer(p: Polynomial) -> int | None:
    """The polynomial's value when it has no dim left and is an integer."""
    c = p.constant
    return c.numerator if isinstance(c, Fraction) and c.denominator == 1 else None
