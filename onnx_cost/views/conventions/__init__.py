"""Counting conventions: the numbers other tools would print for the same model.

Each profile is a table from op family to the peer tool's formula (profiles/), applied
to the report's node records; decomposed PyTorch modules are recognized first
(patterns.py). ``exact`` is onnx-cost's own counting. Sources: docs/conventions.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from onnx_cost.model.report import Report
from onnx_cost.views.conventions.engine import Profile, Result, check_table, run
from onnx_cost.views.conventions.families import family_of
from onnx_cost.views.conventions.profiles import (
    calflops,
    exact,
    fvcore,
    onnx_tool,
    ptflops,
    thop,
    torch_counter,
    torchvision,
)

__all__ = ["DEFAULT", "PROFILES", "Profile", "Result", "names", "get", "apply", "apply_all", "exact_result"]

DEFAULT = "exact"

PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        exact.PROFILE,
        torchvision.PROFILE,
        fvcore.PROFILE,
        thop.PROFILE,
        ptflops.PROFILE,
        ptflops.PROFILE_ATEN,
        calflops.PROFILE,
        torch_counter.PROFILE,
        onnx_tool.PROFILE,
    )
}
ALIASES = {"mmengine": "fvcore", "torch.utils.flop_counter": "torch", "onnx_tool": "onnx-tool"}

for _p in PROFILES.values():
    check_table(_p)


def names() -> list[str]:
    """Every profile name, ``exact`` first, then the aliases."""
    return [*PROFILES, *ALIASES]


def get(name: str) -> Profile:
    """The profile called ``name`` (or an alias); ValueError names the choices."""
    key = ALIASES.get(name, name)
    if key not in PROFILES:
        raise ValueError(f"unknown convention '{name}' (choose from: {', '.join(names())}, all)")
    return PROFILES[key]


def apply(report: Report, name: str, attrs: Mapping[str, Mapping[str, Any]] | None = None) -> Result:
    """The counts of ``report`` under convention ``name``."""
    return run(get(name), report, attrs)


def exact_result(report: Report, by_family: bool = True) -> Result:
    """The ``exact`` convention from the report's own totals, ``by_family`` by the report's
    group-by (skipped when False: one pass less); ``nodes`` is left empty, the report's
    records being the exact ones."""
    t = report.total
    fams = report.group(lambda r: family_of(r.op_type, r.domain, r.status)) if by_family else {}
    per = {f: {"flops": g.flops, "macs": g.macs} for f, g in fams.items()}
    return Result(PROFILES[DEFAULT], {"flops": t.flops, "macs": t.macs}, t.params, per, [], partial=report.partial)


def apply_all(report: Report, attrs: Mapping[str, Mapping[str, Any]] | None = None) -> list[Result]:
    """One result per profile, in ``PROFILES`` order."""
    return [run(p, report, attrs) for p in PROFILES.values()]
