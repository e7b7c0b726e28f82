"""What ``onnx-cost check`` is asked: budgets (``flops<=4G``), increases over a baseline
(``flops=5%``) and dim ranges (``seq=1:2048``), parsed exactly (values are Fractions:
``1.5e9`` and ``10ms`` are what they say, never a float's approximation).

A malformed expression raises ``ExprError`` (exit 2), naming what is allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from onnx_cost.errors import OnnxCostError

# Every total of the JSON report (docs/json.md, `total`), in its order.
TOTAL_METRICS = (
    "flops", "ops", "macs", "dots", "bias_adds", "arith", "transcendental", "compare", "int_macs", "int_ops",
    "params", "param_bytes", "constants", "constant_bytes", "read_bytes", "write_bytes", "nodes",
)
BYTE_METRICS = frozenset({"param_bytes", "constant_bytes", "read_bytes", "write_bytes", "memory_bytes", "peak_memory"})
# The metrics beyond the totals: memory access (read + write), weights + peak live
# activations, the hardware view's latency (needs --device), coverage in percent.
EXTRA_METRICS = ("memory_bytes", "peak_memory", "latency", "coverage")
METRICS = TOTAL_METRICS + EXTRA_METRICS
UPPER, LOWER = "<=", ">="

_SI = {"": 1, "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15,
       "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50}
_TIME = {"s": Fraction(1), "ms": Fraction(1, 10**3), "us": Fraction(1, 10**6), "µs": Fraction(1, 10**6),
         "ns": Fraction(1, 10**9)}
_NUMBER = r"[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?"
_VALUE = re.compile(rf"^({_NUMBER})\s*(Ki|Mi|Gi|Ti|Pi|k|K|M|G|T|P)?\s*(B|s|ms|us|µs|ns|%)?$")
_BUDGET = re.compile(r"^\s*([A-Za-z_]+)\s*(<=|>=|=<|=>|<|>|==|=)\s*(.*?)\s*$")


class ExprError(OnnxCostError):
    """A malformed budget, increase or range (exit 2)."""


@dataclass(frozen=True)
class Budget:
    """``metric op limit``: a limit the model must keep (``level`` error) or is warned about."""

    metric: str
    op: str  # UPPER or LOWER
    limit: Fraction  # in the metric's unit: operations, elements, bytes, seconds, percent
    text: str  # as written
    level: str = "error"  # "error" (--budget) or "warning" (--warn)


@dataclass(frozen=True)
class Increase:
    """``metric=PCT``: the model may exceed the baseline by at most PCT percent."""

    metric: str
    percent: Fraction
    text: str


def metrics_line() -> str:
    return "metrics: " + ", ".join(METRICS)


def check_metric(name: str, what: str) -> str:
    """``name`` when it is a metric; ExprError naming the metrics otherwise."""
    if name not in METRICS:
        raise ExprError(f"{what}: unknown metric '{name}' ({metrics_line()})")
    return name


def parse_value(text: str, metric: str, what: str) -> Fraction:
    """A value with an optional SI/IEC suffix and unit, checked against ``metric``:
    ``B`` only on byte metrics, time units only on latency, ``%`` only on coverage."""
    m = _VALUE.match(text.strip())
    if not m:
        raise ExprError(f"{what}: '{text}' is not a value (examples: 4G, 12M, 512MiB, 10ms, 1.5e9, 100%)")
    number, prefix, unit = m.group(1), m.group(2) or "", m.group(3) or ""
    value = Fraction(number)
    if unit in _TIME:
        if metric != "latency" or prefix:
            raise ExprError(f"{what}: a time ({text}) applies to latency only, without a K/M/G prefix")
        return value * _TIME[unit]
    if metric == "latency":
        raise ExprError(f"{what}: give latency a time unit (s, ms, us, ns), not '{text}'")
    if unit == "%":
        if metric != "coverage" or prefix:
            raise ExprError(f"{what}: a percentage ({text}) applies to coverage only")
        return value
    if metric == "coverage":
        raise ExprError(f"{what}: give coverage in percent (100%), not '{text}'")
    if unit == "B" and metric not in BYTE_METRICS:
        raise ExprError(f"{what}: '{text}' is bytes, but {metric} is not a byte count")
    return value * _SI[prefix]


def parse_budget(text: str, level: str = "error") -> Budget:
    """``METRIC<=VALUE`` or ``METRIC>=VALUE``."""
    flag = "--budget" if level == "error" else "--warn"
    what = f"{flag} {text}"
    m = _BUDGET.match(text)
    if not m or m.group(2) not in (UPPER, LOWER):
        raise ExprError(f"{what}: expected METRIC<=VALUE or METRIC>=VALUE ({metrics_line()})")
    metric = check_metric(m.group(1), what)
    return Budget(metric, m.group(2), parse_value(m.group(3), metric, what), text.strip(), level)


def parse_increase(text: str) -> Increase:
    """``METRIC=PCT`` (``flops=5%``; the % sign may be left out; 0 allowed)."""
    what = f"--max-increase {text}"
    name, sep, pct = text.partition("=")
    m = re.match(rf"^\s*({_NUMBER})\s*%?\s*$", pct)
    if not sep or not m:
        raise ExprError(f"{what}: expected METRIC=PCT, as flops=5% ({metrics_line()})")
    metric = check_metric(name.strip(), what)
    return Increase(metric, Fraction(m.group(1)), text.strip())


def parse_dims(items: list[str]) -> tuple[dict[str, int], dict[str, tuple[int, int]]]:
    """``--dim NAME=N`` (bound) and ``--dim NAME=LO:HI`` (a range, LO <= HI)."""
    fixed: dict[str, int] = {}
    ranges: dict[str, tuple[int, int]] = {}
    for it in items:
        name, sep, val = (p.strip() for p in it.partition("="))
        lo, colon, hi = val.partition(":")
        ok = bool(sep and name) and lo.strip().isdigit() and (not colon or hi.strip().isdigit())
        if not ok:
            raise ExprError(f"--dim {it}: expected NAME=N or NAME=LO:HI (non-negative integers)")
        if name in fixed or name in ranges:
            raise ExprError(f"--dim {it}: {name} is given twice")
        if colon:
            a, b = int(lo), int(hi)
            if a > b:
                raise ExprError(f"--dim {it}: the range is empty (LO > HI)")
            if a == b:
                fixed[name] = a
            else:
                ranges[name] = (a, b)
        else:
            fixed[name] = int(lo)
    return fixed, ranges


def show_value(value: Fraction | None, metric: str) -> str:
    """A value for people: exact integers with thousands separators, times in ms/us,
    coverage in percent."""
    if value is None:
        return "-"
    if metric == "latency":
        s = float(value)
        for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us")):
            if s >= scale:
                return f"{s / scale:.4g} {unit}"
        return f"{s * 1e9:.4g} ns"
    if metric == "coverage":
        return f"{float(value):.4g}%"
    if value.denominator == 1:
        return f"{value.numerator:,}" + (" B" if metric in BYTE_METRICS else "")
    return f"{float(value):.6g}"


def json_number(value: Fraction | None) -> int | float | None:
    """An exact integer when the value is one, else a float (JSON has no fractions)."""
    if value is None:
        return None
    return value.numerator if value.denominator == 1 else float(value)
