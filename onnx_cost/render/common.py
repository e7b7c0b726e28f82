"""Lines every human format shares (the table, Markdown, HTML, the module tables)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from onnx_cost.model.report import Report


def coverage_line(report: Report) -> str:
    cov = report.counted_coverage
    text = f"{cov.covered}/{cov.nodes} nodes counted or zero-compute ({100.0 * cov.fraction:.1f}%)"
    parts = []
    if cov.uncounted:
        parts.append(f"{cov.uncounted} uncounted")
    if cov.shape_unknown:
        parts.append(f"{cov.shape_unknown} shape-unknown")
    if cov.invalid:
        parts.append(f"{cov.invalid} invalid")
    if cov.per_iteration_loops:
        parts.append(f"{cov.per_iteration_loops} loop(s) counted per iteration")
    if cov.not_taken:
        parts.append(f"{cov.not_taken} in If branches not taken")
    upper = sum(1 for d in report.data_ifs if d.weight)
    if upper:  # first: a narrow table shortens the line's end
        parts.insert(0, f"{upper} If(s) on data: upper bound")
    return text + (": " + ", ".join(parts) if parts else "")
