"""--plot: the files are produced and well-formed (SVG parses, PNG decodes), one point
per node, and model strings with '$' do not turn into mathtext."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from onnx import helper

from onnx_cost.render.plot import POINTS_GID, PlotError, label, save
from onnx_cost.views.hardware import Device, Figure, roofline

from helpers import analyze_model, init, make_model

pytest.importorskip("matplotlib", reason="matplotlib cannot be installed on this platform")

DEV = Device("d", "Dev $x$", {"fp32": Figure(1e12), "fp16": Figure(4e12)}, bandwidth=Figure(1e11))


def _roof():
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["y"], name="mm $\\alpha$"),
        helper.make_node("Relu", ["y"], ["z"], name="relu"),
        helper.make_node("Sigmoid", ["z"], ["s"], name="sig"),
    ]
    m = make_model(nodes, [("x", "float32", [8, 64])], [("s", "float32", [8, 32])], [init("W", "float32", [64, 32])])
    return roofline(analyze_model(m), DEV)


def test_label_escapes_mathtext() -> None:
    assert label("a$b$") == r"a\$b\$"
    assert label("line\nbreak") == "line\\nbreak"


def test_svg_parses_and_holds_one_point_per_node(tmp_path: Path) -> None:
    p = tmp_path / "r.svg"
    roof = _roof()
    save(roof, str(p))
    root = ET.parse(p).getroot()  # well-formed XML
    groups = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("id") == POINTS_GID]
    assert len(groups) == 1
    marks = [e for e in groups[0].iter() if e.tag.endswith(("use", "path"))]
    assert len(marks) >= 3  # MatMul, Relu, Sigmoid: all have ops and bytes


def test_png_decodes(tmp_path: Path) -> None:
    import matplotlib.image

    p = tmp_path / "r.png"
    save(_roof(), str(p))
    img = matplotlib.image.imread(str(p))
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_measured_points_and_bad_extension(tmp_path: Path) -> None:
    roof = _roof()
    save(roof, str(tmp_path / "m.svg"), measured_s={"relu": 1e-6})
    with pytest.raises(PlotError, match=r"\.svg or \.png"):
        save(roof, str(tmp_path / "r.gif"))
    assert not (tmp_path / "r.gif").exists()
