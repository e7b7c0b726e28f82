"""The exact maximum of a polynomial over an integer box (onnx_cost/views/check/boxmax.py):
hand-worked cases, and brute force over every point of small boxes."""

from __future__ import annotations

from fractions import Fraction
from itertools import product

from hypothesis import given, settings
from hypothesis import strategies as st

from onnx_cost.views.check.boxmax import evaluate, maximize, minimize, shift

F = Fraction


def test_shift_expands_exactly():
    # (2 + t)^2 = 4 + 4t + t^2
    assert shift({(2,): F(1)}, (2,)) == {(0,): F(4), (1,): F(4), (2,): F(1)}


def test_nonnegative_coefficients_peak_at_the_upper_corner():
    # 1040·b + 7 on b = 1..64: 1040·64 + 7 = 66,567 at b = 64
    m = maximize({(1,): F(1040), (0,): F(7)}, (1,), (64,))
    assert (m.value, m.point, m.corner) == (66_567, (64,), True)


def test_a_parabola_peaks_inside():
    # 800n - 8n^2 on 1..99: 8·50·50 = 20,000 at n = 50; minimum 792 at a corner
    p = {(1,): F(800), (2,): F(-8)}
    m = maximize(p, (1,), (99,))
    assert (m.value, m.point, m.corner) == (20_000, (50,), False)
    lo = minimize(p, (1,), (99,))
    assert lo.value == 792 and lo.point in ((1,), (99,))


def test_an_even_parabola_has_its_integer_maximum_between_two_points():
    # n·(101 - n): real maximum at 50.5; the integers 50 and 51 both give 2,550
    m = maximize({(1,): F(101), (2,): F(-1)}, (0,), (101,))
    assert m.value == 2550 and m.point in ((50,), (51,))


def test_two_dims_with_a_saddle_free_inner_peak():
    # -(x - 3)^2 - (y - 7)^2 + x·y on x, y in 0..10: brute force says where
    p = {(2, 0): F(-1), (1, 0): F(6), (0, 2): F(-1), (0, 1): F(14), (0, 0): F(-58), (1, 1): F(1)}
    best = max(evaluate(p, pt) for pt in product(range(11), range(11)))
    assert maximize(p, (0, 0), (10, 10)).value == best


terms = st.dictionaries(
    st.tuples(st.integers(0, 3), st.integers(0, 2)),
    st.fractions(min_value=-50, max_value=50, max_denominator=7),
    max_size=6,
)


@settings(max_examples=150, deadline=None)
@given(terms, st.integers(-5, 5), st.integers(0, 12), st.integers(-5, 5), st.integers(0, 12))
def test_the_maximum_is_the_brute_force_maximum(p, x0, wx, y0, wy):
    pts = list(product(range(x0, x0 + wx + 1), range(y0, y0 + wy + 1)))
    hi = max(evaluate(p, pt) for pt in pts)
    lo = min(evaluate(p, pt) for pt in pts)
    m = maximize(p, (x0, y0), (x0 + wx, y0 + wy))
    assert m.value == hi and evaluate(p, m.point) == hi
    assert minimize(p, (x0, y0), (x0 + wx, y0 + wy)).value == lo
