"""A profile is a table: op family -> the peer tool's formula. Running it over a
report's node records gives the numbers that tool would print for the same model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from onnx_cost.model.report import COUNTED, ZERO, NodeRecord, Report
from onnx_cost.views.conventions.families import FAMILIES, family_of
from onnx_cost.views.conventions.params import learnable_params
from onnx_cost.views.conventions.patterns import find_groups
from onnx_cost.views.conventions.site import Site, Unknown

Values = tuple[int, ...]


@dataclass(frozen=True)
class F:
    """One formula of a profile: ``doc`` is what the conventions table prints."""

    doc: str
    fn: Callable[[Site], int | Values]


@dataclass(frozen=True)
class Ignored:
    """The tool counts this family as 0 by design (documented, or silently)."""

    why: str = "0"


@dataclass(frozen=True)
class Unsupported:
    """The tool has no rule for this family: it counts 0 and names the op (fvcore's
    "unsupported operator" warning, thop's "cannot find rule")."""

    why: str = "0, listed as unsupported"


Entry = F | Ignored | Unsupported


class NotHandled(Exception):
    """Raised by a formula for a variant the tool has no handle for (fvcore's bicubic
    upsample): the node counts 0 and is listed as unsupported, under ``name`` when given
    (thop names the module class it found no rule for) or its op type."""

    def __init__(self, what: str = "", name: str = "") -> None:
        super().__init__(what)
        self.name = name


@dataclass(frozen=True)
class Profile:
    """A peer tool's counting convention."""

    name: str
    tool: str  # the tool and version the formulas were read from
    columns: tuple[str, ...]  # what the tool prints, in its own words ("macs", "flops")
    summary: str  # one line: the table header and JSON carry it
    table: Mapping[str, Entry]  # family -> entry; a family absent here is not modelled
    params: str = "learnable"  # "learnable" (nn.Module parameters) or "stored" (every weight in the file)
    patterns: bool = True  # recognize decomposed PyTorch modules (False for ONNX-native tools)
    notes: tuple[str, ...] = ()

    def entry(self, family: str) -> Entry | None:
        return self.table.get(family)


@dataclass
class Result:
    """What one profile counts for one report."""

    profile: Profile
    totals: dict[str, int]  # column -> total
    params: int
    by_family: dict[str, dict[str, int]]  # family -> column -> total
    nodes: list[tuple[NodeRecord, str, Values]]  # (record, family, values) per node
    unsupported: dict[str, int] = field(default_factory=dict)  # op type -> nodes the tool would name
    not_modelled: dict[str, int] = field(default_factory=dict)  # op type -> nodes this profile cannot count
    patterns: dict[str, int] = field(default_factory=dict)  # family -> decomposed modules recognized
    partial: bool = False  # the report is partial, or some node could not be counted here

    def as_dict(self) -> dict[str, Any]:
        p = self.profile
        return {
            "name": p.name,
            "tool": p.tool,
            "summary": p.summary,
            "columns": list(p.columns),
            "total": dict(self.totals),
            "params": self.params,
            "by_family": {k: dict(v) for k, v in self.by_family.items()},
            "unsupported": dict(self.unsupported),
            "not_modelled": dict(self.not_modelled),
            "patterns": dict(self.patterns),
            "partial": self.partial,
        }


def run(profile: Profile, report: Report, attrs: Mapping[str, Mapping[str, Any]] | None = None) -> Result:
    """Count ``report`` the way ``profile``'s tool counts.

    ``attrs``: first output tensor name -> string attributes of that node (Resize's mode),
    when the caller has the model (``modes.string_attrs``).
    """
    nodes = report.nodes
    head: dict[int, Site] = {}
    member: dict[int, str] = {}  # node index -> the family of the group it belongs to
    patterns: dict[str, int] = {}
    for g in find_groups(report) if profile.patterns else ():
        first, rest = g.nodes[0], g.nodes[1:]
        head[first] = Site(nodes[first], g.family, [nodes[i] for i in rest], g.affine, g.bias)
        member.update(dict.fromkeys(rest, g.family))
        if g.family != "linear" or rest:
            patterns[g.family] = patterns.get(g.family, 0) + 1
    res = Result(profile, dict.fromkeys(profile.columns, 0), 0, {}, [], patterns=patterns, partial=report.partial)
    zero = (0,) * len(profile.columns)
    for i, r in enumerate(nodes):
        if i in member:
            res.nodes.append((r, member[i], zero))
            continue
        site = head.get(i) or Site(r, family_of(r.op_type, r.domain, r.status), attrs=_attrs(attrs, r))
        vals = _count(profile, site, res) if r.status in (COUNTED, ZERO) else _not_counted(res, r, zero)
        res.nodes.append((r, site.family, vals))
        fam = res.by_family.setdefault(site.family, dict.fromkeys(profile.columns, 0))
        for c, v in zip(profile.columns, vals):
            res.totals[c] += v * r.weight
            fam[c] += v * r.weight
    res.params = report.total.params if profile.params == "stored" else learnable_params(report)
    return res


def _attrs(attrs: Mapping[str, Mapping[str, Any]] | None, r: NodeRecord) -> Mapping[str, Any]:
    if not attrs or not r.output_names:
        return {}
    return attrs.get(r.output_names[0], {})


def _count(profile: Profile, site: Site, res: Result) -> Values:
    n = len(profile.columns)
    e = profile.entry(site.family)
    key = f"{site.family} (decomposed)" if site.members else _key(site.rec)
    if e is None:
        if site.family != "movement":
            res.not_modelled[key] = res.not_modelled.get(key, 0) + 1
        return (0,) * n
    if isinstance(e, Unsupported):
        res.unsupported[key] = res.unsupported.get(key, 0) + 1
        return (0,) * n
    if isinstance(e, Ignored):
        return (0,) * n
    try:
        v = e.fn(site)
    except NotHandled as err:
        key = err.name or key
        res.unsupported[key] = res.unsupported.get(key, 0) + 1
        return (0,) * n
    except Unknown:
        res.partial = True
        res.not_modelled[key] = res.not_modelled.get(key, 0) + 1
        return (0,) * n
    vals = (v,) if isinstance(v, int) else tuple(v)
    if len(vals) != n:
        raise RuntimeError(f"profile {profile.name}: formula for {site.family} gave {len(vals)} values for {n} columns")
    return vals


def _not_counted(res: Result, r: NodeRecord, zero: Values) -> Values:
    """A node onnx-cost itself could not count (uncounted, shape-unknown, invalid): 0 here
    too, named, and the result is partial."""
    res.partial = True
    key = _key(r)
    res.not_modelled[key] = res.not_modelled.get(key, 0) + 1
    return zero


def _key(r: NodeRecord) -> str:
    return f"{r.domain}::{r.op_type}" if r.domain else r.op_type


def check_table(profile: Profile) -> None:
    """Every family a profile names exists (a typo would silently drop a formula)."""
    bad = sorted(set(profile.table) - set(FAMILIES))
    if bad:
        raise RuntimeError(f"profile {profile.name}: unknown families {bad}")
