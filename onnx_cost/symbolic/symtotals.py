"""The library's totals of a report whose counts stay polynomials in symbolic dims: a count
that depends on one of them is None, as the JSON's ``null`` (never the 0 of the nodes the
default binding left unknown), and its polynomial is in ``Report.total_formula``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from onnx_cost.model.totals import TOTAL_FIELDS, symbolic_of

if TYPE_CHECKING:
    from onnx_cost.model.report import Report


def library_totals(report: Report) -> Report:
    """``report`` with ``total``, ``by_op_type``, ``group()``, ``coverage`` and ``not_counted``
    as ``to_dict()`` gives them, when its counts stay polynomials in symbolic dims
    (``Report.symbolic``); else unchanged."""
    if not report.symbolic:
        return report
    from onnx_cost.model.schema import _op_type_part, symbolic_totals

    dyn = report.dynamic
    total = symbolic_totals(report, dyn)
    by_op = {k: symbolic_totals(report, dyn, _op_type_part(k)) for k in report.by_op_type}
    assert set(total) == set(TOTAL_FIELDS)
    fitted = next(iter(dyn.formula.reports.values()))  # an analysis the polynomials were fitted on
    # a new report (Report is frozen); the polynomials travel in the shared ``dynamic``. Its
    # coverage is the one every output states (a node whose count is a polynomial is counted)
    return replace(report, total=symbolic_of(total), by_op_type={k: symbolic_of(v) for k, v in by_op.items()},
                   coverage=report.counted_coverage, not_counted=list(fitted.not_counted),
                   _none_where_symbolic=True)
