"""The exact maximum (and minimum) of a polynomial with rational coefficients over a box
of integer points, by branch and bound with exact bounds; no sampling, no floats.

Why not just the corners: our totals are polynomials in the dims, but their
coefficients can be negative (a Conv's output is ``H - k + 1``, a shape computed as
``100 - n``), and a product such as ``n·(100 - n)`` peaks inside the box
(docs/ci.md, "Ranges"). The bound used on a box ``lo <= x <= hi``: write
``P(lo + t) = Σ c_e·t^e`` with ``0 <= t <= w = hi - lo``; then
``c_0 + Σ_{e≠0} min(0, c_e)·w^e <= P <= c_0 + Σ_{e≠0} max(0, c_e)·w^e``, and when
every ``c_e`` (``e ≠ 0``) is ``>= 0``, P does not decrease in any variable on the box,
so its maximum there is ``P(hi)`` exactly. Boxes whose upper bound cannot beat the best
value found are dropped; others are halved along their widest side, down to single
points, which are evaluated exactly: the search is finite and its answer exact.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import comb

Terms = dict[tuple[int, ...], Fraction]  # exponents (one per variable) -> coefficient
Point = tuple[int, ...]
MAX_BOXES = 200_000  # past this many boxes the search gives up (None): never seen on a real model


@dataclass(frozen=True)
class Extremum:
    """Where a polynomial is largest (or smallest) on a box, and its exact value there."""

    value: Fraction
    point: Point
    corner: bool  # the point is a corner of the box (every coordinate at its lo or hi)


def evaluate(terms: Terms, point: Sequence[int]) -> Fraction:
    """P(point), exactly."""
    total = Fraction(0)
    for exps, c in terms.items():
        t = c
        for x, e in zip(point, exps):
            if e:
                t *= x**e
        total += t
    return total


def shift(terms: Terms, origin: Sequence[int]) -> Terms:
    """The coefficients of Q(t) = P(origin + t) (binomial expansion, exact)."""
    out: Terms = {}
    for exps, c in terms.items():
        parts: list[list[tuple[int, int]]] = [
            [(k, comb(e, k) * o ** (e - k)) for k in range(e + 1)] for e, o in zip(exps, origin)
        ]
        acc: list[tuple[tuple[int, ...], Fraction]] = [((), c)]
        for choices in parts:
            acc = [(key + (k,), v * f) for key, v in acc for k, f in choices]
        for key, v in acc:
            if v:
                out[key] = out.get(key, Fraction(0)) + v
    return {k: v for k, v in out.items() if v}


def _bounds(terms: Terms, lo: Point, hi: Point) -> tuple[Fraction, bool]:
    """(an upper bound of P on the box, whether P is non-decreasing in every variable there)."""
    q = shift(terms, lo)
    width = [h - lo_ for lo_, h in zip(lo, hi)]
    upper, monotone = Fraction(0), True
    for exps, c in q.items():
        if not any(exps):
            upper += c
            continue
        if c < 0:
            monotone = False
            continue
        w = 1
        for x, e in zip(width, exps):
            w *= x**e
        upper += c * w
    return upper, monotone


def maximize(terms: Terms, lo: Sequence[int], hi: Sequence[int], max_boxes: int = MAX_BOXES) -> Extremum | None:
    """The exact maximum of P over the integer points of [lo, hi] (one value per variable,
    lo <= hi), or None when more than ``max_boxes`` boxes would be needed."""
    lo_t, hi_t = tuple(lo), tuple(hi)
    if any(a > b for a, b in zip(lo_t, hi_t)):
        raise ValueError("an empty box: lo > hi")
    best_val, best_pt = evaluate(terms, hi_t), hi_t
    v_lo = evaluate(terms, lo_t)
    if v_lo > best_val:
        best_val, best_pt = v_lo, lo_t
    heap: list[tuple[Fraction, int, Point, Point]] = []
    seen = 0

    def push(a: Point, b: Point) -> None:
        nonlocal best_val, best_pt, seen
        seen += 1
        up, monotone = _bounds(terms, a, b)
        v = evaluate(terms, b)
        if v > best_val:
            best_val, best_pt = v, b
        if a != b and not monotone and up > best_val:
            heapq.heappush(heap, (-up, seen, a, b))

    push(lo_t, hi_t)
    while heap:
        neg_up, _, a, b = heapq.heappop(heap)
        if -neg_up <= best_val:
            break  # best first: no box left can beat the best value
        if seen > max_boxes:
            return None
        axis = max(range(len(a)), key=lambda i: b[i] - a[i])
        mid = (a[axis] + b[axis]) // 2
        left_hi = b[:axis] + (mid,) + b[axis + 1:]
        right_lo = a[:axis] + (mid + 1,) + a[axis + 1:]
        v = evaluate(terms, a)
        if v > best_val:
            best_val, best_pt = v, a
        push(a, left_hi)
        push(right_lo, b)
    corner = all(x in (p, q) for x, p, q in zip(best_pt, lo_t, hi_t))
    return Extremum(best_val, best_pt, corner)


def minimize(terms: Terms, lo: Sequence[int], hi: Sequence[int], max_boxes: int = MAX_BOXES) -> Extremum | None:
    """The exact minimum of P over the integer points of [lo, hi]: minus the maximum of -P."""
    m = maximize({k: -v for k, v in terms.items()}, lo, hi, max_boxes)
    return None if m is None else Extremum(-m.value, m.point, m.corner)


def as_terms(dims: Sequence[str], poly_dims: Sequence[str], poly_terms: Mapping[tuple[int, ...], Fraction]) -> Terms:
    """A polynomial over ``poly_dims`` re-indexed over ``dims`` (a superset); a dim of
    ``poly_dims`` outside ``dims`` raises ValueError."""
    index = [list(dims).index(d) if d in dims else -1 for d in poly_dims]
    out: Terms = {}
    for exps, c in poly_terms.items():
        key = [0] * len(dims)
        for i, e in zip(index, exps):
            if e and i < 0:
                raise ValueError("the polynomial depends on a dim outside the box")
            if i >= 0:
                key[i] = e
        out[tuple(key)] = out.get(tuple(key), Fraction(0)) + c
    return {k: v for k, v in out.items() if v}
