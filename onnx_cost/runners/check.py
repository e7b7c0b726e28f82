"""``onnx-cost check`` as a library call: the model (and its baseline) analyzed over the
box, every budget and increase decided, one ``Result`` that every format renders."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from onnx_cost.views.check.decide import FAIL, PASS, UNKNOWN, Check, budget, increase
from onnx_cost.views.check.expr import Budget, ExprError, Increase
from onnx_cost.views.check.metrics import FLOOR, PREDICTED, Context, latency_source
from onnx_cost.views.check.space import Space


@dataclass
class Result:
    """Every check of one model, and what they were decided under."""

    model: str
    checks: list[Check]
    convention: str = "exact"
    device: str | None = None  # the device's key
    dims: dict[str, int] = field(default_factory=dict)
    ranges: dict[str, tuple[int, int]] = field(default_factory=dict)
    free: tuple[str, ...] = ()
    defaults: dict[str, int] = field(default_factory=dict)  # the default binding applied (as the analysis does)
    baseline: str | None = None
    latency: str | None = None  # "predicted_s" or "floor_s": which latency the hardware view gave
    allow_unknown: bool = False
    config: str = ""

    @property
    def verdict(self) -> str:
        """fail when an error-level check failed, else unknown when one is unknown, else pass."""
        errors = [c.verdict for c in self.checks if c.level == "error"]
        if FAIL in errors:
            return FAIL
        return UNKNOWN if UNKNOWN in errors else PASS

    @property
    def exit_code(self) -> int:
        """0 when every budget holds (unknowns too with ``allow_unknown``), else 1."""
        v = self.verdict
        return 1 if v == FAIL or (v == UNKNOWN and not self.allow_unknown) else 0


def load_baseline(path: str, rules: Sequence[str], inputs: Mapping[str, Any], dims: Mapping[str, int],
                  ranges: Mapping[str, tuple[int, int]], ctx: Context) -> Space | dict[str, Any]:
    """An .onnx baseline as a Space over the same dims, or a JSON report as its dict."""
    from onnx_cost import api

    try:
        with open(path, "rb") as f:
            head = f.read(1)
    except OSError:
        head = b""  # the model loader says what is wrong with the path, in its words
    if head in (b"{", b" ", b"\n", b"\t", b"\r"):
        try:
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
        except (OSError, ValueError) as e:
            raise ExprError(f"--baseline {path}: not a JSON report ({e})") from None
        if not isinstance(d, dict) or "total" not in d:
            raise ExprError(f"--baseline {path}: a JSON file, but not a report of onnx-cost --json (no 'total')")
        return d
    src = api._prepare(path, list(rules))
    from onnx_cost.analyzer.dims import declared_dims

    have = set(declared_dims(src.proto.graph))
    shapes = {k: v for k, v in inputs.items() if k in {i.name for i in src.proto.graph.input}}
    return Space(src, shapes, {k: v for k, v in dims.items() if k in have}, ranges, Context(ctx.device, ctx.convention,
                                                                                           src.proto))


def check(
    model: str,
    budgets: Sequence[Budget] = (),
    increases: Sequence[Increase] = (),
    *,
    baseline: str | None = None,
    dims: Mapping[str, int] | None = None,
    ranges: Mapping[str, tuple[int, int]] | None = None,
    inputs: Mapping[str, Sequence[int | str]] | None = None,
    device: Any = None,
    convention: str = "exact",
    rules: Sequence[str] = (),
    allow_unknown: bool = False,
) -> Result:
    """Decide ``budgets`` (warnings included: their ``level``) and ``increases`` over
    ``baseline`` for ``model`` at ``dims`` over the box ``ranges``."""
    from onnx_cost import api
    from onnx_cost.analyzer.dims import check_dims

    if increases and baseline is None:
        raise ExprError("--max-increase needs --baseline (an .onnx model or a JSON report of onnx-cost --json)")
    dims, ranges, inputs = dict(dims or {}), dict(ranges or {}), dict(inputs or {})
    src = api._prepare(model, list(rules))
    check_dims(src.proto, [*dims, *ranges], "--dim")
    from onnx_cost.symbolic.dynamic import defaults_applied

    # the one policy of the analysis (symbolic/dynamic.py): a free dim with a default (batch=1)
    # is counted at it, and the verdict says so; a dim without one stays free (unknown)
    defaults = defaults_applied(src, inputs, {**dims, **{k: lo for k, (lo, _) in ranges.items()}})
    dims = {**defaults, **dims}
    ctx = Context(device, convention, src.proto)
    space = Space(src, inputs, dims, ranges, ctx)
    checks = [budget(space, b) for b in budgets]
    if increases:
        assert baseline is not None
        base = load_baseline(baseline, rules, inputs, dims, ranges, ctx)
        checks += [increase(space, inc, base) for inc in increases]
    latency = None
    if device is not None and any(c.metric == "latency" for c in checks):
        from onnx_cost.views.hardware.view import hardware_dict

        data = hardware_dict(space.report(space.lo, space.free_point()), device)
        latency = latency_source(data)
        said = {PREDICTED: "latency: the hardware view's predicted time (predicted_s)",
                FLOOR: "latency: the hardware view's roofline floor (floor_s), no prediction in this version"}[latency]
        if latency == PREDICTED and not data.get("calibrated"):  # never a bare middle of a range
            said += ", uncalibrated on this device: the middle of a x0.5-x2 range"
        for c in checks:
            if c.metric == "latency":
                c.reason = f"{c.reason}; {said}" if c.reason else said
    return Result(os.fspath(model), checks, convention, getattr(device, "key", None), dims, ranges, space.free,
                  defaults, baseline, latency, allow_unknown)
