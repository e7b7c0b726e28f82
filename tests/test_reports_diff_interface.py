"""diff: interface changes (declared inputs and outputs) and --device."""

from __future__ import annotations

import json
from pathlib import Path

import onnx
import pytest
from onnx import helper
from typer.testing import CliRunner

from onnx_cost.cli import app
from onnx_cost.views.interface import interface_changes

from helpers import init, make_model

n = helper.make_node
runner = CliRunner()
MLP = str(Path(__file__).resolve().parent.parent / "fixtures" / "tiny_mlp.onnx")


def relu(x=("x", "float32", [1, 16]), y=("y", "float32", [1, 16]), extra=None):
    nodes = [n("Relu", [x[0]], [y[0]], "relu")]
    outs = [y]
    if extra:
        nodes.append(n("Identity", [y[0]], [extra[0]], "id"))
        outs.append(extra)
    return make_model(nodes, [x], outs)


def kinds(a, b):
    return [(c.side, c.kind, c.what, c.note) for c in interface_changes(a, b)]


def test_same_interface_no_change():
    assert kinds(relu(), relu()) == []


def test_static_batch_to_dynamic_is_a_change():
    after = relu(("x", "float32", ["batch", 16]), ("y", "float32", ["batch", 16]))
    assert kinds(relu(), after) == [
        ("input", "changed", ("shape",), "static -> dynamic: batch"),
        ("output", "changed", ("shape",), "static -> dynamic: batch"),
    ]


def test_dtype_rename_added_removed():
    after = relu(("x", "float16", [1, 16]), ("out", "float16", [1, 16]), extra=("copy", "float16", [1, 16]))
    before = relu(y=("y", "float16", [1, 16]))
    got = kinds(before, after)
    assert ("input", "changed", ("dtype",), "") in got
    assert ("output", "renamed", ("name",), "") in got  # y -> out: same place, dtype and shape
    assert ("output", "added", (), "") in got  # copy
    got = kinds(after, before)
    assert ("output", "removed", (), "") in got


def test_initializers_listed_as_inputs_are_not_the_interface():
    a = make_model([n("Add", ["x", "b"], ["y"], "add")], [("x", "float32", [4])], [("y", "float32", [4])],
                   [init("b", "float32", [4])])
    b = onnx.ModelProto()
    b.CopyFrom(a)
    b.graph.input.append(helper.make_tensor_value_info("b", onnx.TensorProto.FLOAT, [4]))
    assert kinds(a, b) == []


def test_cli_diff_reports_the_interface_and_the_device(tmp_path):
    before = tmp_path / "static.onnx"
    onnx.save(relu(), before)
    after = tmp_path / "dynamic.onnx"
    onnx.save(relu(("x", "float32", ["batch", 16]), ("y", "float32", ["batch", 16])), after)
    r = runner.invoke(app, ["diff", str(before), str(after)])
    assert r.exit_code == 0
    # the counts are the same at the default binding (batch = 1), the interface is not
    assert "static -> dynamic: batch" in r.stdout and "x 1x16 float32" in r.stdout and "x batchx16" in r.stdout
    r = runner.invoke(app, ["diff", str(before), str(after), "--json", "--device", "a100-40gb"])
    d = json.loads(r.stdout)
    assert [c["kind"] for c in d["interface"]] == ["changed", "changed"]
    assert d["interface"][0]["after"]["shape"] == ["batch", 16]
    # Relu on 16 floats: one kernel reading 64 B and writing 64 B, 16 ops. The a100-40gb preset has no
    # efficiency table: the view predicts, uncalibrated (docs/hardware.md): on a GPU 20 us per run, 5 us
    # per kernel, an elementwise kernel under 10 kB at 10 % of the 1.555e12 B/s bandwidth. Floor: the
    # 128 B fit the 40 MB L2, whose bandwidth the preset lacks, so no memory term: 16 ops / 19.5e12
    dev = d["device"]
    assert dev["device"] == "a100-40gb" and dev["latency_source"] == "predicted_s"
    predicted = 20e-6 + 5e-6 + 128 / (0.1 * 1.555e12)
    assert dev["before"]["latency_s"] == pytest.approx(predicted, rel=1e-12)
    assert dev["after"]["latency_s"] == pytest.approx(predicted, rel=1e-12)
    assert dev["before"]["floor_s"] == dev["after"]["floor_s"] == pytest.approx(16 / 19.5e12, rel=1e-12)
    assert dev["before"]["peak_memory_bytes"] == 128  # no weights; x and y, 64 B each, live at once
    r = runner.invoke(app, ["diff", str(before), str(after), "--format", "markdown", "--device", "a100-40gb"])
    assert "## Interface (declared inputs and outputs)" in r.stdout and "## Device NVIDIA A100" in r.stdout
    r = runner.invoke(app, ["diff", str(before), str(after), "--csv"])
    assert "interface,x,changed,input,shape: x 1x16 float32 -> x batchx16 float32 (static -> dynamic: batch)" in r.stdout
    r = runner.invoke(app, ["diff", str(before), str(after), "--csv", "--device", "a100-40gb"])
    assert r.exit_code == 2


def test_model_strings_in_the_interface_are_escaped(tmp_path):
    before = tmp_path / "a.onnx"
    onnx.save(relu(("x\x1b[31m", "float32", [1, 16])), before)
    r = runner.invoke(app, ["diff", str(before), MLP])
    assert "\x1b" not in r.stdout
