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
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import product

import onnx

from ..errors import BindingError
from .report import Report, Totals

FORMULA_FIELDS = ("flops", "macs", "int_ops", "params", "read_bytes", "write_bytes")


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


Monomial = tuple[int, ...]


@dataclass
class Polynomial:
    """An exact polynomial in named dims: monomial exponents -> rational coefficient."""

    dims: tuple[str, ...]
    terms: dict[Monomial, Fraction] = field(default_factory=dict)

    def __call__(self, point: Mapping[str, int]) -> Fraction:
        total = Fraction(0)
        for exps, c in self.terms.items():
            t = c
            for d, e in zip(self.dims, exps):
                t *= Fraction(point[d]) ** e
            total += t
        return total

    def to_str(self, sep: str = "·") -> str:
        """'12·batch·seq + 4·batch·seq^2 + 7', highest degree first, exact coefficients."""
        if not self.terms:
            return "0"
        parts = []
        for exps, c in sorted(self.terms.items(), key=lambda kv: (-sum(kv[0]), tuple(-e for e in kv[0]))):
            syms = [d if e == 1 else f"{d}^{e}" for d, e in zip(self.dims, exps) if e]
            coef = str(c.numerator) if c.denominator == 1 else f"({c.numerator}/{c.denominator})"
            if syms and c == 1:
                parts.append(sep.join(syms))
            else:
                parts.append(sep.join([coef, *syms]))
        text = " + ".join(parts)
        return text.replace("+ -", "- ")

    def as_json(self) -> list[dict[str, object]]:
        out = []
        for exps, c in sorted(self.terms.items()):
            coef: object = c.numerator if c.denominator == 1 else f"{c.numerator}/{c.denominator}"
            out.append({"coefficient": coef, "powers": {d: e for d, e in zip(self.dims, exps) if e}})
        return out


@dataclass
class Formula:
    dims: tuple[str, ...]
    polys: dict[str, Polynomial]
    degree: int
    verified: bool  # the polynomials matched direct evaluation off the grid
    partial: bool  # some node was not counted at some grid point
    evaluations: int
    note: str = ""


def _interp_1d(xs: Sequence[int], ys: Sequence[Fraction]) -> list[Fraction]:
    """Monomial coefficients c[0..n-1] of the polynomial through (xs, ys), exactly."""
    n = len(xs)
    # Newton divided differences, then expand the Newton form into monomials.
    coef = list(ys)
    for j in range(1, n):
        for i in range(n - 1, j - 1, -1):
            coef[i] = (coef[i] - coef[i - 1]) / (xs[i] - xs[i - j])
    poly = [Fraction(0)] * n
    basis = [Fraction(1)]  # prod_{m<k} (x - xs[m])
    for k in range(n):
        for p, b in enumerate(basis):
            poly[p] += coef[k] * b
        nxt = [Fraction(0)] * (len(basis) + 1)
        for p, b in enumerate(basis):
            nxt[p + 1] += b
            nxt[p] -= b * xs[k]
        basis = nxt
    return poly


def _fit(
    dims: tuple[str, ...], grids: list[list[int]], values: dict[tuple[int, ...], Fraction]
) -> dict[Monomial, Fraction]:
    """Tensor-product interpolation of grid values into monomial coefficients."""
    table = dict(values)  # keys: index tuples into grids -> after k passes, exponent tuples
    k = len(dims)
    for axis in range(k):
        new: dict[tuple[int, ...], Fraction] = {}
        others = {key[:axis] + key[axis + 1 :] for key in table}
        for rest in others:
            ys = [table[rest[:axis] + (i,) + rest[axis:]] for i in range(len(grids[axis]))]
            cs = _interp_1d(grids[axis], ys)
            for e, c in enumerate(cs):
                new[rest[:axis] + (e,) + rest[axis:]] = c
        table = new
    return {m: c for m, c in table.items() if c != 0}


def formula(
    analyze: Callable[[Mapping[str, int]], Report],
    dims: Sequence[str],
    start: int = 2,
    max_degree: int = 4,
) -> Formula:
    """Exact polynomials of the totals in ``dims``: fitted on a grid, checked off it."""
    dims = tuple(dims)
    if not dims:
        raise ValueError("no symbolic dims to build a formula over")
    if len(dims) > 3:
        raise ValueError(f"at most 3 dims in a formula, got {len(dims)}: bind the others with --dim")
    cache: dict[tuple[int, ...], Report] = {}
    partial = False

    def at(point: tuple[int, ...]) -> Report:
        nonlocal partial
        if point not in cache:
            cache[point] = analyze(dict(zip(dims, point)))
            partial |= cache[point].partial
        return cache[point]

    checks = [tuple(start + 7 + 3 * i for i in range(len(dims))), tuple(start + 11 + 2 * i for i in range(len(dims)))]
    for degree in range(2, max_degree + 1):
        grids = [[start + i for i in range(degree + 1)] for _ in dims]
        polys: dict[str, Polynomial] = {}
        for f in FORMULA_FIELDS:
            vals = {idx: Fraction(getattr(at(tuple(g[i] for g, i in zip(grids, idx))).total, f))
                    for idx in product(range(degree + 1), repeat=len(dims))}
            polys[f] = Polynomial(dims, _fit(dims, grids, vals))
        ok = all(
            polys[f](dict(zip(dims, p))) == getattr(at(p).total, f) for p in checks for f in FORMULA_FIELDS
        )
        if ok:
            return Formula(dims, polys, degree, True, partial, len(cache))
    return Formula(
        dims, polys, max_degree, False, partial, len(cache),
        note=f"the totals are not a polynomial of degree <= {max_degree} per dim "
        "(strided or ceil-mode shapes give floors): the formula holds only on the grid",
    )


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


def declared_dims(model: onnx.ModelProto) -> list[str]:
    """Every symbolic dim name the main graph declares (inputs first, then outputs and
    value_info), in order of appearance: the names ``--dim`` may bind."""
    seen: dict[str, None] = {}
    g = model.graph
    for v in (*g.input, *g.output, *g.value_info):
        if v.type.HasField("tensor_type"):
            for d in v.type.tensor_type.shape.dim:
                if d.HasField("dim_param") and d.dim_param:
                    seen.setdefault(d.dim_param, None)
    return list(seen)


def check_dims(model: onnx.ModelProto, names: Sequence[str], flag: str) -> None:
    """BindingError naming the first of ``names`` the model does not declare, with the
    names it does declare."""
    have = declared_dims(model)
    for n in names:
        if n not in have:
            listed = ", ".join(have[:20]) + (", ..." if len(have) > 20 else "")
            raise BindingError(
                f"{flag} {n}: the model has no dim of that name "
                + (f"(its symbolic dims: {listed})" if have else "(it has no symbolic dims)")
            )
