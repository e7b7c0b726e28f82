"""The value of each check metric in one analysis (a Report at one binding) or in a
JSON report written earlier by ``onnx-cost --json`` (a baseline), with whether it is
exact or only a lower bound (a partial report: some node was not counted).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from onnx_cost.views.check.expr import TOTAL_METRICS
from onnx_cost.views.hardware.latency import FLOOR, PREDICTED, latency_source

__all__ = ["FLOOR", "PREDICTED", "Context", "Unknown", "Value", "from_json", "from_report", "latency_source"]

if TYPE_CHECKING:
    from onnx_cost.model.report import Report

POLYNOMIAL = frozenset(TOTAL_METRICS) | {"memory_bytes"}  # sums of per-node counts: polynomials in the dims
CONVENTION_METRICS = ("flops", "macs", "params")  # what a --convention other than exact recounts


@dataclass(frozen=True)
class Value:
    """One metric's value: exact, or a lower bound (``exact`` False) with the reason."""

    value: Fraction
    exact: bool = True
    why: str = ""  # why only a lower bound


@dataclass(frozen=True)
class Unknown:
    """A metric that cannot be had here, and why (the check is then unknown)."""

    reason: str


@dataclass(frozen=True)
class Context:
    """What turns a report into metric values: the device (for latency and the device's
    memory figures) and the counting convention of flops, macs and params."""

    device: Any = None  # hardware.devices.Device
    convention: str = "exact"
    proto: Any = None  # the onnx.ModelProto, for the conventions' string attributes


def _partial_why(report: Report) -> str:
    c = report.coverage
    n = c.uncounted + c.shape_unknown + c.invalid
    missing = f"; free dims: {', '.join(report.missing_dims)}" if report.missing_dims else ""
    return f"partial report: {n} node(s) not counted, its totals are lower bounds{missing}"


def from_report(report: Report, metric: str, ctx: Context) -> Value | Unknown:
    """``metric`` of one analysis."""
    partial = report.partial
    why = _partial_why(report) if partial else ""
    if metric == "coverage":
        c = report.coverage
        runs = c.nodes - c.not_taken
        return Value(Fraction(100) if runs == 0 else Fraction(100 * c.covered, runs))
    if metric in CONVENTION_METRICS and ctx.convention != "exact":
        from onnx_cost.views.conventions import apply
        from onnx_cost.views.conventions.modes import string_attrs

        res = apply(report, ctx.convention, string_attrs(ctx.proto) if ctx.proto is not None else None)
        got = res.params if metric == "params" else res.totals.get(metric)
        if got is None:
            return Unknown(f"the {ctx.convention} convention counts no {metric}")
        lower = res.partial
        return Value(Fraction(got), not lower, "some node is not counted under this convention" if lower else "")
    if metric in POLYNOMIAL:
        t = report.total
        v = t.memory_bytes if metric == "memory_bytes" else getattr(t, metric)
        return Value(Fraction(v), not partial, why)
    if metric == "peak_memory":
        from onnx_cost.views.hardware.footprint import footprint

        fp = footprint(report, ctx.device)
        lower = bool(fp.unknown_tensors) or partial
        return Value(Fraction(fp.total_bytes), not lower,
                     f"{fp.unknown_tensors} tensor(s) of unknown size left out" if fp.unknown_tensors else why)
    if metric == "latency":
        if ctx.device is None:
            return Unknown("latency needs --device (a preset, a device file or local)")
        from onnx_cost.views.hardware.view import hardware_dict

        data = hardware_dict(report, ctx.device)
        src = latency_source(data)
        skipped = data.get("skipped_nodes", 0)
        lower = bool(skipped) or partial
        said = f"{skipped} node(s) without a time: a lower bound" if skipped else why
        return Value(_decimal(data[src]), not lower, said)
    raise ValueError(f"not a metric: {metric}")  # expr.check_metric refused it first


def from_json(d: dict[str, Any], metric: str, ctx: Context) -> Value | Unknown:
    """``metric`` of a JSON report written by ``onnx-cost --json`` (docs/json.md)."""
    partial = bool(d.get("partial"))
    why = "the baseline report is partial: its totals are lower bounds" if partial else ""
    total = d.get("total") or {}
    if metric == "coverage":
        c = d.get("coverage") or {}
        runs = int(c.get("nodes", 0)) - int(c.get("not_taken", 0))
        return Value(Fraction(100) if runs <= 0 else Fraction(100 * int(c.get("covered", 0)), runs))
    if metric in CONVENTION_METRICS and ctx.convention != "exact":
        name = ctx.convention
        from onnx_cost.views.conventions import get

        key = get(name).name
        for r in d.get("conventions") or []:
            if r.get("name") == key:
                got = r.get("params") if metric == "params" else (r.get("total") or {}).get(metric)
                if got is None:
                    break
                return Value(Fraction(int(got)), not r.get("partial"), why)
        return Unknown(f"the baseline report has no {metric} under the {name} convention "
                       f"(write it with onnx-cost --json --convention {name})")
    if metric in POLYNOMIAL:
        if metric == "memory_bytes":
            rb, wb = total.get("read_bytes"), total.get("write_bytes")
            if rb is None or wb is None:
                return Unknown("the baseline report's bytes depend on a dim it left free (write it with --dim)")
            v = int(rb) + int(wb)
        elif metric in total and total[metric] is not None:
            v = int(total[metric])
        elif metric in total:  # null: it depends on a dim the report left symbolic
            return Unknown(f"the baseline report's {metric} depends on a dim it left free (write it with --dim)")
        else:
            return Unknown(f"the baseline report has no total '{metric}'")
        return Value(Fraction(v), not partial, why)
    data = ((d.get("views") or {}).get("hardware") or {}).get("data")
    if not isinstance(data, dict):
        return Unknown(f"the baseline report has no hardware view for {metric} (write it with --json --device)")
    if metric == "peak_memory":
        fp = data.get("footprint") or {}
        lower = bool(fp.get("unknown_tensors")) or partial
        return Value(Fraction(int(fp.get("total_bytes", 0))), not lower, why or "tensors of unknown size left out")
    dev_key = (data.get("device") or {}).get("key")
    if ctx.device is not None and dev_key != ctx.device.key:
        return Unknown(f"the baseline's latency is on device {dev_key}, not {ctx.device.key}")
    src = latency_source(data)
    lower = bool(data.get("skipped_nodes")) or partial
    return Value(_decimal(data[src]), not lower, why or "nodes without a time: a lower bound")


def _decimal(x: float) -> Fraction:
    """A time in seconds as the decimal Python prints for it (0.004, not the float's binary
    neighbour 0.00400000000000000008...): a budget of 4ms holds for a prediction of 4 ms."""
    return Fraction(repr(float(x)))
