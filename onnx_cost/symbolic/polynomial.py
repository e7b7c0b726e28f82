"""Exact polynomials in named dims, and exact interpolation on integer grids."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import pairwise

Monomial = tuple[int, ...]
_SI = ((10**15, "P"), (10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K"))


@dataclass
class Polynomial:
    """An exact polynomial in named dims: monomial exponents -> rational coefficient."""

    dims: tuple[str, ...]
    terms: dict[Monomial, Fraction] = field(default_factory=dict)
    # growth(), computed once: the table ranks every node by it, and repeated layers share polynomials
    _growth: tuple[Fraction, ...] | None = field(default=None, init=False, repr=False, compare=False)

    def __call__(self, point: Mapping[str, int]) -> Fraction:
        total = Fraction(0)
        for exps, c in self.terms.items():
            t = c
            for d, e in zip(self.dims, exps):
                t *= Fraction(point[d]) ** e
            total += t
        return total

    def __add__(self, other: Polynomial) -> Polynomial:
        if other.dims != self.dims:
            return NotImplemented
        out = dict(self.terms)
        for k, v in other.terms.items():
            out[k] = out.get(k, Fraction(0)) + v
        return Polynomial(self.dims, {k: v for k, v in out.items() if v})

    def substitute(self, point: Mapping[str, int]) -> Polynomial:
        """The polynomial with the dims of ``point`` replaced by their values."""
        keep = tuple(i for i, d in enumerate(self.dims) if d not in point)
        out: dict[Monomial, Fraction] = {}
        for exps, c in self.terms.items():
            for i, (d, e) in enumerate(zip(self.dims, exps)):
                if i not in keep and e:
                    c *= Fraction(point[d]) ** e
            key = tuple(exps[i] for i in keep)
            out[key] = out.get(key, Fraction(0)) + c
        return Polynomial(tuple(self.dims[i] for i in keep), {k: v for k, v in out.items() if v})

    @property
    def constant(self) -> Fraction | None:
        """The value when no dim is left, else None."""
        if any(any(e) for e in self.terms):
            return None
        return sum(self.terms.values(), Fraction(0))

    def growth(self) -> tuple[Fraction, ...]:
        """A sort key for "grows faster": coefficients by total degree, highest first."""
        if self._growth is None:
            top = max((sum(e) for e in self.terms), default=0)
            by_degree = [Fraction(0)] * (top + 1)
            for exps, c in self.terms.items():
                by_degree[top - sum(exps)] += c
            self._growth = (Fraction(top), *by_degree)
        return self._growth

    def _ordered(self) -> list[tuple[Monomial, Fraction]]:
        return sorted(self.terms.items(), key=lambda kv: (-sum(kv[0]), tuple(-e for e in kv[0])))

    def to_str(self, sep: str = "·", compact: bool = False) -> str:
        """'12·batch·seq + 4·batch·seq^2 + 7', highest degree first, exact coefficients;
        ``compact``: coefficients with SI prefixes, 3 digits (for tables)."""
        if not self.terms:
            return "0"
        parts = []
        for exps, c in self._ordered():
            syms = [d if e == 1 else f"{d}^{e}" for d, e in zip(self.dims, exps) if e]
            coef = _compact(c) if compact else _exact(c)
            parts.append(sep.join(syms) if syms and c == 1 else sep.join([coef, *syms]))
        return " + ".join(parts).replace("+ -", "- ")

    def terms_text(self, sep: str = "·") -> list[str]:
        """The terms of ``to_str`` one by one (with their sign), for wrapping long formulas."""
        text = self.to_str(sep)
        out: list[str] = []
        for part in text.replace(" - ", " + -").split(" + "):
            out.append(part if not out else ("- " + part[1:] if part.startswith("-") else "+ " + part))
        return out

    def as_json(self) -> list[dict[str, object]]:
        out = []
        for exps, c in sorted(self.terms.items()):
            coef: object = c.numerator if c.denominator == 1 else f"{c.numerator}/{c.denominator}"
            out.append({"coefficient": coef, "powers": {d: e for d, e in zip(self.dims, exps) if e}})
        return out

    def as_terms(self) -> list[dict[str, object]]:
        """[{"exponents": [1, 2], "coefficient": 255}, ...]: exponents in ``dims`` order,
        the coefficient an exact integer (or "p/q" when not one)."""
        out = []
        for exps, c in self._ordered():
            coef: object = c.numerator if c.denominator == 1 else f"{c.numerator}/{c.denominator}"
            out.append({"exponents": list(exps), "coefficient": coef})
        return out


def _exact(c: Fraction) -> str:
    return str(c.numerator) if c.denominator == 1 else f"({c.numerator}/{c.denominator})"


def _compact(c: Fraction) -> str:
    if c.denominator != 1:
        return f"{float(c):.3g}"
    n = c.numerator
    for scale, prefix in _SI:
        if abs(n) >= scale:
            return f"{n / scale:.3g}{prefix}"
    return str(n)


def interp_1d(xs: Sequence[int], ys: Sequence[Fraction]) -> list[Fraction]:
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


def _interp_consecutive(x0: int, ys: Sequence[int]) -> list[int]:
    """Monomial coefficients of (n-1)!·P where P goes through (x0 + i, ys[i]): all
    integers (forward differences, then falling factorials), no fraction until the end."""
    n = len(ys)
    diffs, row = [], list(ys)
    for _ in range(n):
        diffs.append(row[0])
        row = [b - a for a, b in pairwise(row)]
    scale = math.factorial(n - 1)
    out = [0] * n
    basis = [1]  # (x - x0)(x - x0 - 1)...(x - x0 - k + 1), integer coefficients
    for k in range(n):
        c = diffs[k] * (scale // math.factorial(k))
        for p, b in enumerate(basis):
            out[p] += c * b
        nxt = [0] * (len(basis) + 1)
        for p, b in enumerate(basis):
            nxt[p + 1] += b
            nxt[p] -= b * (x0 + k)
        basis = nxt
    return out


def fit(
    dims: tuple[str, ...], grids: Sequence[Sequence[int]], values: Mapping[tuple[int, ...], int | Fraction]
) -> Polynomial:
    """Tensor-product interpolation of grid values (keys: index tuples into ``grids``)."""
    first = next(iter(values.values()), 0)
    if all(v == first for v in values.values()):  # most quantities do not depend on the dims
        return Polynomial(dims, {(0,) * len(dims): Fraction(first)} if first else {})
    consecutive = all(list(g) == list(range(g[0], g[0] + len(g))) for g in grids)
    if consecutive and all(isinstance(v, int) for v in values.values()):
        return _fit_integers(dims, grids, values)  # type: ignore[arg-type]  # all int, checked above
    table: dict[tuple[int, ...], Fraction] = {k: Fraction(v) for k, v in values.items()}
    for axis in range(len(dims)):
        new: dict[tuple[int, ...], Fraction] = {}
        others = {key[:axis] + key[axis + 1 :] for key in table}
        for rest in others:
            ys = [table[rest[:axis] + (i,) + rest[axis:]] for i in range(len(grids[axis]))]
            for e, c in enumerate(interp_1d(grids[axis], ys)):
                new[rest[:axis] + (e,) + rest[axis:]] = c
        table = new
    return Polynomial(dims, {m: c for m, c in table.items() if c != 0})


def _fit_integers(
    dims: tuple[str, ...], grids: Sequence[Sequence[int]], values: Mapping[tuple[int, ...], int]
) -> Polynomial:
    """``fit`` on consecutive-integer grids and integer values: integer arithmetic, each
    pass scaling by (n-1)!, one division per coefficient at the end."""
    table = dict(values)
    scale = 1
    for axis in range(len(dims)):
        new: dict[tuple[int, ...], int] = {}
        others = {key[:axis] + key[axis + 1 :] for key in table}
        for rest in others:
            ys = [table[rest[:axis] + (i,) + rest[axis:]] for i in range(len(grids[axis]))]
            for e, c in enumerate(_interp_consecutive(grids[axis][0], ys)):
                new[rest[:axis] + (e,) + rest[axis:]] = c
        scale *= math.factorial(len(grids[axis]) - 1)
        table = new
    return Polynomial(dims, {m: Fraction(c, scale) for m, c in table.items() if c != 0})
