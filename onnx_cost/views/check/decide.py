"""Verdicts: each budget and each increase over a baseline, decided for every point of
the box (pass or fail, proved), or unknown with the reason, never a pass by default.

- An upper budget holds when the exact maximum over the box is within it
  (``boxmax.maximize``); a lower budget, the exact minimum. The extreme is confirmed
  by a direct analysis at the point where it sits (a fitted polynomial that disagrees
  with the analysis is unknown, never believed).
- Lower bounds (a partial report): an upper budget fails when a lower bound already
  exceeds it (proved); a lower budget passes when a lower bound of a single analysis
  already meets it; anything else is unknown.
- An increase: ``value <= baseline·(1 + PCT/100)`` at every point; a baseline of 0 and a
  non-zero value is an increase (fail), never a pass by accident.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from onnx_cost.views.check.boxmax import Extremum, evaluate, maximize, minimize
from onnx_cost.views.check.expr import UPPER, Budget, Increase, show_value
from onnx_cost.views.check.metrics import Unknown, Value
from onnx_cost.views.check.space import MAX_POINTS, Fn, Point, Space, at_point

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"


@dataclass
class Check:
    """One budget or increase, decided."""

    metric: str
    op: str  # "<=" or ">="
    limit: Fraction | None  # the budget's limit; for an increase, the baseline's value times (1 + PCT/100)
    value: Fraction | None  # the model's value where it was decided (the maximum over the box for "<=")
    verdict: str  # PASS, FAIL or UNKNOWN
    reason: str
    where: dict[str, int] = field(default_factory=dict)  # the point of the box the value is at
    baseline: Fraction | None = None
    level: str = "error"  # "warning": a --warn budget, never fails the run
    text: str = ""  # as written: "flops<=4G", "flops=5%"
    kind: str = "budget"  # "budget" or "increase"
    percent: Fraction | None = None  # the increase allowed (kind "increase")

    @property
    def name(self) -> str:
        """One line naming the check: ``flops <= 4,000,000,000`` or ``flops +5% over baseline``."""
        if self.kind == "increase":
            return f"{self.metric} at most +{_pct(self.percent)} over the baseline"
        return f"{self.metric} {self.op} {show_value(self.limit, self.metric)}"


def _pct(p: Fraction | None) -> str:
    return "-" if p is None else f"{float(p):g}%"


def _where_text(space: Space, ext: Extremum | None, point: Point, what: str) -> str:
    if not space.rdims:
        return ""
    at = ", ".join(f"{d}={v}" for d, v in zip(space.rdims, point))
    box = ", ".join(f"{d}={a}:{b}" for d, (a, b) in space.ranges.items())
    kind = "" if ext is None else (" (a corner)" if ext.corner else " (an inner point, not a corner)")
    return f"; {what} over {box} at {at}{kind}"


def _extreme(fn: Fn, space: Space, upper: bool) -> tuple[Extremum | None, str]:
    """The maximum (upper) or minimum of ``fn`` over the box, exactly; (None, why) when not had."""
    if fn.terms is not None:
        if not space.rdims:
            return Extremum(evaluate(fn.terms, ()), (), True), ""
        ext = (maximize if upper else minimize)(fn.terms, space.lo, space.hi)
        if ext is None:
            return None, "the exact search over the box needed too many steps"
        return ext, ""
    assert fn.points is not None
    pick = max if upper else min
    pt = pick(fn.points, key=lambda p: fn.points[p].value)  # type: ignore[index]
    corner = all(x in (a, b) for x, (a, b) in zip(pt, (space.ranges[d] for d in space.rdims)))
    return Extremum(fn.points[pt].value, pt, corner), ""


def _confirm(space: Space, metric: str, ext: Extremum, fn: Fn) -> tuple[Value | None, str]:
    """The direct analysis at the extreme's point; (None, why) when it disagrees with the polynomial."""
    if fn.terms is None or not space.rdims:
        return None, ""
    v = space.value(metric, ext.point, space.free_point())
    if isinstance(v, Unknown):
        return None, v.reason
    if v.exact and not fn.lower and v.value != ext.value:
        return None, (f"the fitted polynomial gives {ext.value} at {dict(zip(space.rdims, ext.point))}, "
                      f"the analysis {v.value}: not a polynomial over the box")
    return v, ""


def budget(space: Space, b: Budget) -> Check:
    """Decide one budget (or warning) over the model's box."""
    base = Check(b.metric, b.op, b.limit, None, UNKNOWN, "", level=b.level, text=b.text)
    fn = space.function(b.metric)
    if isinstance(fn, Unknown):
        base.reason = fn.reason
        return base
    upper = b.op == UPPER
    ext, why = _extreme(fn, space, upper)
    if ext is None:
        base.reason = why
        return base
    direct, why = _confirm(space, b.metric, ext, fn)
    if why and direct is None and fn.terms is not None and space.size() <= MAX_POINTS:
        # the polynomial missed the analysis (an If decided by a dim of the box: the counts
        # are piecewise); a box this small is decided point by point instead
        points = space.enumerate(b.metric)
        if not isinstance(points, Unknown):
            fn = points
            ext, why = _extreme(fn, space, upper)
            assert ext is not None  # every point has its value
    if why:
        base.reason = why
        return base
    value = ext.value
    lower = fn.lower or (direct is not None and not direct.exact)
    if direct is not None:
        value = direct.value
    flat = fn.terms is not None and not any(any(e) for e in fn.terms)  # no dim of the box in it
    base.value, base.where = value, ({} if flat else dict(zip(space.rdims, ext.point)))
    where = "" if flat else _where_text(space, ext, ext.point, "maximum" if upper else "minimum")
    shown = f"{show_value(value, b.metric)} {b.op} {show_value(b.limit, b.metric)}"
    holds = value <= b.limit if upper else value >= b.limit
    if not lower:
        base.verdict = PASS if holds else FAIL
        base.reason = (f"{show_value(value, b.metric)} {'within' if holds else 'exceeds'} "
                       f"{show_value(b.limit, b.metric)}" if upper else
                       f"{show_value(value, b.metric)} {'meets' if holds else 'is below'} "
                       f"{show_value(b.limit, b.metric)}") + where
        return base
    why = fn.why or (direct.why if direct is not None else "")
    if upper and not holds:
        base.verdict = FAIL
        base.reason = (f"a lower bound {show_value(value, b.metric)} already exceeds "
                       f"{show_value(b.limit, b.metric)} ({why}){where}")
    elif not upper and holds and not space.rdims:
        base.verdict = PASS
        base.reason = f"a lower bound {shown} already meets it ({why})"
    else:
        base.reason = f"only a lower bound is known: {show_value(value, b.metric)} ({why}){where}"
    return base


def increase(space: Space, inc: Increase, baseline: Any) -> Check:
    """Decide one ``--max-increase`` against ``baseline``: a Space (an .onnx) or a dict (a JSON report)."""
    from onnx_cost.views.check.metrics import from_json

    k = 1 + inc.percent / 100
    base = Check(inc.metric, UPPER, None, None, UNKNOWN, "", text=inc.text, kind="increase", percent=inc.percent)
    fn = space.function(inc.metric)
    if isinstance(fn, Unknown):
        base.reason = fn.reason
        return base
    if isinstance(baseline, dict):
        bv: Fn | Value | Unknown = from_json(baseline, inc.metric, space.ctx)
        bound = _json_binding_mismatch(baseline, space)
        if bound:
            bv = Unknown(bound)
    else:
        bv = baseline.function(inc.metric)
    if isinstance(bv, Unknown):
        base.reason = f"baseline: {bv.reason}"
        return base
    if isinstance(bv, Value):
        bv = Fn(terms={(): bv.value} if bv.value else {}, lower=not bv.exact, why=bv.why)
    if bv.lower:
        base.reason = f"baseline: {bv.why or 'only a lower bound is known'}"
        return base
    btf = _baseline_terms(bv, space, baseline)
    if isinstance(btf, Unknown):
        base.reason = f"baseline: {btf.reason}"
        return base
    # the margin D = value - k·baseline, maximized over the box: the increase holds when D <= 0
    if fn.terms is not None:
        d_terms = dict(fn.terms)
        for e, c in btf.items():
            d_terms[e] = d_terms.get(e, Fraction(0)) - k * c
        d_fn = Fn(terms={e: c for e, c in d_terms.items() if c}, lower=fn.lower, why=fn.why)
    else:
        assert fn.points is not None
        d_fn = Fn(points={p: Value(v.value - k * evaluate(btf, p), v.exact, v.why) for p, v in fn.points.items()},
                  lower=fn.lower, why=fn.why)
    ext, why = _extreme(d_fn, space, True)
    if ext is None:
        base.reason = why
        return base
    value = at_point(fn, ext.point)
    bval = evaluate(btf, ext.point)
    direct, why = _confirm(space, inc.metric, Extremum(value, ext.point, ext.corner), fn)
    if why:
        base.reason = why
        return base
    if direct is not None:
        value = direct.value
    base.value, base.baseline, base.limit = value, bval, k * bval
    flat = d_fn.terms is not None and not any(any(e) for e in d_fn.terms)
    base.where = {} if flat else dict(zip(space.rdims, ext.point))
    where = "" if flat else _where_text(space, ext, ext.point, "largest increase")
    grew = _growth(value, bval)
    holds = value <= k * bval
    if fn.lower and holds:
        base.reason = f"only a lower bound is known: {show_value(value, inc.metric)} ({fn.why}){where}"
        return base
    base.verdict = PASS if holds else FAIL
    verb = "within" if holds else "over"
    base.reason = (f"{show_value(value, inc.metric)} vs baseline {show_value(bval, inc.metric)}: {grew}, "
                   f"{verb} +{_pct(inc.percent)}" + (" (a lower bound)" if fn.lower else "") + where)
    return base


def _growth(value: Fraction, base: Fraction) -> str:
    if base == 0:
        return "no change" if value == 0 else ("up from 0 (an unbounded increase)" if value > 0 else "down from 0")
    pct = (value - base) / base * 100
    return f"{'+' if pct >= 0 else ''}{float(pct):.4g}%"


def _baseline_terms(bv: Fn, space: Space, baseline: Any) -> dict[Point, Fraction] | Unknown:
    """The baseline as a polynomial over the model's ranged dims (a JSON report: a constant)."""
    if bv.terms is None:
        return Unknown("it is not a polynomial over the box and cannot be compared point by point here")
    if isinstance(baseline, Space) and baseline.rdims:
        from onnx_cost.views.check.boxmax import as_terms

        return as_terms(space.rdims, baseline.rdims, bv.terms)
    return {(0,) * len(space.rdims): c for c in bv.terms.values()} if bv.terms else {}


def _json_binding_mismatch(d: dict[str, Any], space: Space) -> str:
    """'' when the JSON baseline was counted where the model is checked, else why not."""
    defaults = d.get("default_binding") or {}
    for name, v in defaults.items():
        if name in space.ranges:
            return (f"the JSON report holds one point ({name}={v}); "
                    "give the baseline as an .onnx to compare over a range")
        mine = space.fixed.get(name)
        if mine is not None and mine != v:
            return f"the JSON report was counted at {name}={v}, the model at {name}={mine}"
    return ""
