"""A Report is frozen: a view comes back from ``with_view``, a new report sharing the records;
nothing mutates a report after the analysis made it (issue 19)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import onnx_cost
from onnx_cost.model.report import View
from onnx_cost.model.totals import Totals

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "tiny_cnn.onnx"


@pytest.fixture(scope="module")
def report():
    return onnx_cost.analyze(FIXTURE)


def test_fields_cannot_be_assigned(report):
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.total = Totals()
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.dynamic = None


def test_views_cannot_be_mutated(report):
    with pytest.raises(TypeError):
        report.views["mine"] = View("mine", Totals())
    with pytest.raises(AttributeError):
        report.views.pop("qdq_fused", None)
    assert "mine" not in report.views


def test_with_view_returns_a_new_report_and_leaves_the_old_one(report):
    view = View("three MACs", Totals(macs=3))
    before = dict(report.views)
    out = report.with_view("mine", view)
    assert out is not report
    assert out.views["mine"] is view
    assert dict(report.views) == before and "mine" not in report.views
    # the records are shared, not copied
    assert out.nodes is report.nodes and out.total is report.total and out.model is report.model
    # a second view keeps the first; the same name replaces it
    two = out.with_view("other", View("other", Totals()))
    assert set(two.views) - set(before) == {"mine", "other"}
    again = two.with_view("mine", View("again", Totals(macs=5)))
    assert again.views["mine"].total.macs == 5 and two.views["mine"] is view


def test_a_view_report_serializes_its_view(report):
    out = report.with_view("mine", View("three MACs", Totals(macs=3), data={"k": 1}))
    d = out.to_dict()
    assert d["views"]["mine"] == {"description": "three MACs", "total": Totals(macs=3).as_dict(), "data": {"k": 1}}
    assert "mine" not in report.to_dict()["views"]


def test_a_report_with_views_still_pickles(report):
    import pickle

    out = pickle.loads(pickle.dumps(report.with_view("mine", View("three MACs", Totals(macs=3)))))
    assert out.views["mine"].total.macs == 3 and out.total == report.total
