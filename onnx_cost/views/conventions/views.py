"""A profile's result as a view of the report (``Report.views``, the report layer's
one way to carry an alternative counting of the same records).

The view's ``total`` holds the tool's numbers in our fields: ``macs`` = the MACs the
tool prints (0 when it prints none) and ``flops`` = the FLOPs it prints (2·MACs when it
prints MACs only), with ``params`` its params; ``data`` is the whole result
(``Result.as_dict``: per-family totals, unsupported and unmodelled ops, patterns).
"""

from __future__ import annotations

from onnx_cost.model.report import Report, View
from onnx_cost.model.totals import Totals
from onnx_cost.views.conventions.engine import Result

PREFIX = "convention:"


def header(result: Result) -> str:
    """The line every report under a convention starts with."""
    p = result.profile
    return f"convention: {p.name} ({p.summary}; source: {p.tool})"


def as_view(result: Result) -> View:
    t = result.totals
    macs = t.get("macs", 0)
    flops = t.get("flops", 2 * macs)
    # flops = 2·macs + arith for a Totals without dots: arith carries what the tool adds to 2·MACs.
    total = Totals(macs=macs, arith=flops - 2 * macs, params=result.params, nodes=len(result.nodes))
    return View(header(result), total, (), result.as_dict())


def register(report: Report, result: Result) -> Report:
    """``report`` with ``result`` as a view (``views["convention:<name>"]``): a new report."""
    return report.with_view(PREFIX + result.profile.name, as_view(result))
