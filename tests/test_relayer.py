"""scripts/relayer.py, which the lead runs on other branches after merging the layer move:
relative imports resolved against a file's OLD package, names that moved apart split, dotted
strings rewritten, and a second run changes nothing."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("relayer", ROOT / "scripts" / "relayer.py")
assert _spec is not None and _spec.loader is not None
relayer = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(relayer)

OLD_STYLE = '''from __future__ import annotations

from . import calibrate
from ..analyzer.render import si, to_dict
from ..reports import batch, markdown
from .devices import Device  # a comment stays
from ..output import refuse_model, refuse_model_data

X = "onnx_cost.analyzer.dynamic.analyze_bound"


def f():
    from ..analyzer.report import Report

    return Report
'''

NEW_STYLE = '''from __future__ import annotations

from onnx_cost.runners import calibrate
from onnx_cost.render.report import si, to_dict
from onnx_cost.runners import batch
from onnx_cost.render import markdown
from onnx_cost.views.hardware.devices import Device  # a comment stays
from onnx_cost.output import refuse_model
from onnx_cost.analyzer.external import refuse_model_data

X = "onnx_cost.symbolic.dynamic.analyze_bound"


def f():
    from onnx_cost.model.report import Report

    return Report
'''


def test_a_file_at_its_old_place_resolves_against_its_old_package():
    assert relayer.rewrite_python(OLD_STYLE, ROOT / "onnx_cost" / "hardware" / "new_thing.py") == NEW_STYLE


def test_a_file_already_moved_resolves_against_the_package_it_had():
    # git's rename detection carried a branch's edit to views/hardware/: its relative imports
    # were written in onnx_cost/hardware/
    assert relayer.rewrite_python(OLD_STYLE, ROOT / "onnx_cost" / "views" / "hardware" / "new_thing.py") == NEW_STYLE


def test_a_second_run_changes_nothing():
    path = ROOT / "onnx_cost" / "views" / "hardware" / "new_thing.py"
    assert relayer.rewrite_python(NEW_STYLE, path) == NEW_STYLE
    text = "see `onnx_cost.hardware.devices.load_device` and onnx_cost/reports/html.py, hardware/cli.py"
    once = relayer.rewrite_text(text)
    assert once == ("see `onnx_cost.views.hardware.devices.load_device` and onnx_cost/render/html.py, "
                    "hardware/cli.py")
    assert relayer.rewrite_text(once) == once


def test_every_new_module_exists_and_maps_to_itself():
    for old, new in relayer.MAPPING.items():
        path = ROOT / new.replace(".", "/")
        assert path.with_suffix(".py").is_file() or (path / "__init__.py").is_file(), (old, new)
        assert relayer.new_name(new) == new, new
