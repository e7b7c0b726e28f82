"""The model layer: what an analysis produces, as data (node records, ``Report``, ``Totals``,
the graph index, the byte sizes of ONNX types, the ``--json`` schema). It imports only the
rules and the root helpers (docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from onnx_cost.model.report import Report

# The views every analysis attaches to its report: ``analyzer.analyze`` calls each on the report
# it made (``fn(report) -> report``, ``Report.with_view`` inside). The layer that sees both the
# analyzer and the views registers them (api.py: the QDQ fused view), so the analyzer names no
# view and the layers stay one-way (docs/architecture.md). Here, not in report.py: registering
# must not import the records (and numpy) when ``import onnx_cost`` runs.
REPORT_VIEWS: list[Callable[[Report], Report]] = []


# What the layers above add to ``Report.to_dict()``/``to_json()`` (``fn(report, d)``, in place),
# so that the library's JSON is the command's ``--json``: api.py registers the conventions part
# (``convention``, ``conventions``), which the model layer cannot compute (it is a view's).
JSON_PARTS: list[Callable[[Report, dict[str, Any]], None]] = []
