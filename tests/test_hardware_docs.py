"""docs/json.md documents every key of the hardware view."""

from __future__ import annotations

from pathlib import Path

from onnx import helper

from onnx_cost.views.hardware import hardware_dict, load_device

from helpers import analyze_model, init, make_model

ROOT = Path(__file__).resolve().parent.parent


def test_json_doc_lists_every_hardware_key() -> None:
    m = make_model([helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")], [("x", "float32", [4, 8])],
                   [("y", "float32", [4, 8])], [init("W", "float32", [8, 8])])
    d = hardware_dict(analyze_model(m), load_device("t4"), measured_s=1e-3)
    doc = (ROOT / "docs" / "json.md").read_text(encoding="utf-8")
    section = doc[doc.index("## `hardware`"):]
    for key in [*d, *d["device"], *d["nodes"][0], *d["footprint"], *d["measured"]]:
        assert f"`{key}`" in section, key


def test_cli_start_stays_light() -> None:
    import subprocess
    import sys

    code = "import sys, onnx_cost.cli, onnx_cost.views.hardware; print('onnx' in sys.modules or 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert out.strip() == "False"
