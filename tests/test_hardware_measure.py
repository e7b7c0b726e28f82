"""--measure with onnxruntime (the Makefile installs onnx-cost[runtime]; skipped only
where onnxruntime cannot be installed), and its error paths."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from onnx_cost.runners.measure import MeasureError, compare, measure, per_node_times
from onnx_cost.views.hardware import Device, Figure, roofline

from helpers import make_model

ROOT = Path(__file__).resolve().parent.parent


def _model(tmp_path: Path) -> tuple[str, onnx.ModelProto]:
    w = numpy_helper.from_array(np.ones((16, 16), np.float32), "W")
    m = make_model(
        [helper.make_node("MatMul", ["x", "W"], ["y"], name="mm"), helper.make_node("Relu", ["y"], ["z"], name="relu")],
        [("x", "float32", ["batch", 16])], [("z", "float32", ["batch", 16])], [w],
    )
    p = tmp_path / "m.onnx"
    onnx.save(m, str(p))
    return str(p), m


def test_per_node_times_take_the_median_over_runs() -> None:
    # three runs; node a: 10, 2, 4 us -> median 4 us; node b twice in run 2 (a loop): 1+1 -> runs 1, 2, 1 -> 1 us
    ev = [{"name": "model_run", "cat": "Session", "ts": t, "dur": 50} for t in (0, 100, 200)]
    ev += [{"name": "a_kernel_time", "cat": "Node", "ts": t, "dur": d} for t, d in ((5, 10), (105, 2), (205, 4))]
    ev += [{"name": "b_kernel_time", "cat": "Node", "ts": t, "dur": 1} for t in (10, 110, 120, 210)]
    ev += [{"name": "a_fence_before", "cat": "Node", "ts": 6, "dur": 99}]
    t = per_node_times(ev)
    assert t == pytest.approx({"a": 4e-6, "b": 1e-6})


def test_measure_runs_and_matches_nodes(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime", reason="onnxruntime cannot be installed on this platform")
    path, _ = _model(tmp_path)
    import onnx_cost

    report = onnx_cost.analyze(path, dims={"batch": 4})
    run = measure(path, report, warmup=1, repeats=3, profile_runs=2)
    assert run.median_s > 0 and run.runs == 3 and run.onnxruntime
    assert {"mm", "relu"} <= set(run.per_node_s)
    dev = Device("d", "D", {"fp32": Figure(1e12)}, bandwidth=Figure(1e11))
    rows = compare(report, run, roofline(report, dev))
    assert {r["name"] for r in rows} == {"mm", "relu"} and all(r["ratio"] > 0 for r in rows)


def test_cli_measure_uses_local_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("onnxruntime", reason="onnxruntime cannot be installed on this platform")
    from typer.testing import CliRunner

    from onnx_cost.cli import app

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    from test_hardware_local import write_fake_calibration

    write_fake_calibration()  # a cached fake calibration: the test times nothing of the machine
    path, _ = _model(tmp_path)
    r = CliRunner().invoke(app, [path, "--dim", "batch=2", "--measure", "--json"])
    assert r.exit_code == 0, r.output
    hw = json.loads(r.output)["views"]["hardware"]["data"]
    assert hw["device"]["measured"] is True and hw["device"]["key"] == "local"
    assert hw["run"]["nodes_matched"] == 2 and hw["measured"]["seconds"] == hw["run"]["median_s"]
    r = CliRunner().invoke(app, [path, "--dim", "batch=2", "--measure"])
    assert r.exit_code == 0 and "Measured with onnxruntime" in r.output and "x floor" in r.output


def test_unbound_dims_are_refused(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime", reason="onnxruntime cannot be installed on this platform")
    import onnx_cost

    path, _ = _model(tmp_path)
    with pytest.raises(MeasureError, match="bind its dims"):
        measure(path, onnx_cost.analyze(path, bind="none"))


def test_missing_external_weights_are_refused(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime", reason="onnxruntime cannot be installed on this platform")
    import onnx_cost

    _, m = _model(tmp_path)
    path = tmp_path / "ext.onnx"
    onnx.save(m, str(path), save_as_external_data=True, all_tensors_to_one_file=True, location="ext.bin", size_threshold=0)
    (tmp_path / "ext.bin").unlink()
    with pytest.raises(MeasureError, match=r"external file 'ext\.bin', missing"):
        measure(str(path), onnx_cost.analyze(str(path), dims={"batch": 1}))
