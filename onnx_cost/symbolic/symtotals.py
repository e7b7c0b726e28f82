"""The library's totals of a report whose counts stay polynomials in symbolic dims: a count
that depends on one of them is None, as the JSON's ``null`` (never the 0 of the nodes the
default binding left unknown), and its polynomial is in ``Report.total_formula``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from onnx_cost.model.totals import TOTAL_FIELDS, Totals

if TYPE_CHECKING:
    from onnx_cost.model.report import Report


@dataclass(frozen=True, slots=True)
class SymbolicTotals(Totals):
    """``Totals`` whose counts that depend on a symbolic dim are None (the JSON's null):
    every field, ``flops`` and ``ops`` included, is the number ``to_dict()["total"]`` gives.
    Arithmetic on a None count raises TypeError: a polynomial is never summed as 0."""

    derived: tuple[tuple[str, int | None], ...] = ()  # flops, ops (as the JSON), memory_bytes

    @property
    def flops(self) -> int | None:  # type: ignore[override]
        return dict(self.derived)["flops"]

    @property
    def ops(self) -> int | None:  # type: ignore[override]
        return dict(self.derived)["ops"]

    @property
    def memory_bytes(self) -> int | None:  # type: ignore[override]
        return dict(self.derived)["memory_bytes"]


def _of(values: dict[str, int | None]) -> SymbolicTotals:
    stored = {k: v for k, v in values.items() if k not in ("flops", "ops")}
    r, w = values["read_bytes"], values["write_bytes"]
    derived = (("flops", values["flops"]), ("ops", values["ops"]),
               ("memory_bytes", None if r is None or w is None else r + w))
    return SymbolicTotals(**stored, derived=derived)  # type: ignore[arg-type]  # None where symbolic


def library_totals(report: Report) -> Report:
    """``report`` with ``total`` and ``by_op_type`` as ``to_dict()`` gives them, when its
    counts stay polynomials in symbolic dims (``Report.symbolic``); else unchanged."""
    if not report.symbolic:
        return report
    from onnx_cost.model.schema import _op_type_part, symbolic_totals

    dyn = report.dynamic
    total = symbolic_totals(report, dyn)
    by_op = {k: symbolic_totals(report, dyn, _op_type_part(k)) for k in report.by_op_type}
    assert set(total) == set(TOTAL_FIELDS)
    # a new report (Report is frozen); the polynomials travel in the shared ``dynamic``
    return replace(report, total=_of(total), by_op_type={k: _of(v) for k, v in by_op.items()})
