"""Text for the conventions: the header line, the per-profile table that
`onnx-cost conventions` prints, the `--convention all` comparison, JSON and CSV parts.

Op types in ``unsupported``/``not_modelled`` come from the model file: they are escaped
with ``errors.printable`` before they reach a terminal.
"""

from __future__ import annotations

from typing import Any

from onnx_cost.errors import printable
from onnx_cost.model.report import Report
from onnx_cost.text import si
from onnx_cost.views.conventions.engine import F, Ignored, Profile, Result, Unsupported
from onnx_cost.views.conventions.families import FAMILIES
from onnx_cost.views.conventions.views import header  # the CLI prints it too


def cell(p: Profile, family: str) -> str:
    """What ``p`` counts for ``family``: its formula, or why it counts 0."""
    e = p.entry(family)
    if e is None:
        return "not modelled"
    if isinstance(e, F):
        return e.doc
    if isinstance(e, (Ignored, Unsupported)):
        return e.why
    return "?"


def profile_text(p: Profile) -> str:
    """What one profile counts, family by family."""
    lines = [f"{p.name}: {p.summary}", f"  source: {p.tool}", f"  prints: {', '.join(p.columns)}; params: {p.params}"]
    width = max(len(f) for f in FAMILIES)
    lines += [f"  {fam:<{width}}  {cell(p, fam)}" for fam in FAMILIES]
    lines += [f"  note: {n}" for n in p.notes]
    return "\n".join(lines) + "\n"


def conventions_text(profiles: list[Profile]) -> str:
    """The `onnx-cost conventions` output: every peer profile, then the families' contents."""
    out = [
        "exact (the default): onnx-cost's own counts, every operation of every node (docs/counting.md)\n",
        *(profile_text(p) for p in profiles if p.name != "exact"),
    ]
    width = max(len(f) for f in FAMILIES)
    out.append("families:\n" + "\n".join(f"  {f:<{width}}  {ops}" for f, ops in FAMILIES.items()) + "\n")
    return "\n".join(out)


def conventions_markdown(profiles: list[Profile]) -> str:
    """The same as one Markdown table: a row per family, a column per peer profile."""
    profiles = [p for p in profiles if p.name != "exact"]
    rows = ["| family | " + " | ".join(p.name for p in profiles) + " |", "|---" * (len(profiles) + 1) + "|"]
    for fam in FAMILIES:
        rows.append(f"| {fam} | " + " | ".join(cell(p, fam).replace("|", "\\|") for p in profiles) + " |")
    return "\n".join(rows) + "\n"


def _ops(counts: dict[str, int]) -> str:
    return ", ".join(f"{printable(k, 60)}×{v}" for k, v in sorted(counts.items()))


def comparison_text(report: Report, results: list[Result]) -> str:
    """`--convention all`: one row per profile with its totals."""
    head = ("convention", "macs", "flops", "params", "zero here (tool has no rule)")
    rows = [head]
    for r in results:
        t = r.totals
        rows.append(
            (
                r.profile.name,
                f"{t['macs']:,}" if "macs" in t else "",
                f"{t['flops']:,}" if "flops" in t else "",
                f"{r.params:,}",
                _ops({**r.unsupported, **r.not_modelled}),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    partial = "  (partial: some nodes not counted)" if report.partial else ""
    lines = [f"model: {printable(report.model.path, 200)}{partial}"]
    for i, row in enumerate(rows):
        cells = [c.ljust(widths[j]) if j in (0, 4) else c.rjust(widths[j]) for j, c in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def result_dict(result: Result) -> dict[str, Any]:
    """The JSON ``convention`` object (docs/json.md)."""
    return result.as_dict()


CSV_COLUMNS = ("convention", "convention_family", "convention_macs", "convention_flops")


def csv_cells(result: Result) -> list[dict[str, Any]]:
    """Per node (in report order) the CSV cells a convention adds."""
    cols = result.profile.columns
    out = []
    for _rec, fam, vals in result.nodes:
        d = dict(zip(cols, vals))
        out.append(
            {
                "convention": result.profile.name,
                "convention_family": fam,
                "convention_macs": d.get("macs", ""),
                "convention_flops": d.get("flops", ""),
            }
        )
    return out



def result_text(result: Result) -> str:
    """The block a single non-exact convention puts above the exact report."""
    p, t = result.profile, result.totals
    lines = [header(result)]
    if result.partial:
        lines.append("PARTIAL: some nodes could not be counted here; totals are lower bounds")
    lines += [f"  {c:<6} {si(t[c]):>12}  {t[c]:>20,}" for c in p.columns]
    lines.append(f"  {'params':<6} {si(result.params):>12}  {result.params:>20,}  ({p.params})")
    fams = [(f, v) for f, v in result.by_family.items() if any(v.values())]
    if fams:
        width = max(len(f) for f, _ in fams)
        lines.append("  by family:")
        for f, v in sorted(fams, key=lambda kv: -kv[1][p.columns[-1]]):
            lines.append(f"    {f:<{width}}  " + "  ".join(f"{c} {v[c]:,}" for c in p.columns))
    if result.patterns:
        lines.append("  modules recognized: " + ", ".join(f"{k}×{v}" for k, v in sorted(result.patterns.items())))
    if result.unsupported:
        lines.append(f"  0 here, the tool has no rule for: {_ops(result.unsupported)}")
    if result.not_modelled:
        lines.append(f"  not modelled by this profile (counted 0): {_ops(result.not_modelled)}")
    return "\n".join(lines) + "\n\n"
