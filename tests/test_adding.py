"""docs/adding-a-rule.md stays true: the touch points it names exist, and every output
format is one FORMATS entry whose renderer resolves (issue 19)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from onnx_cost.cli.common import FORMATS, Format, renderer

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "adding-a-rule.md").read_text(encoding="utf-8")


def test_every_path_the_doc_names_exists():
    named = set(re.findall(r"`(onnx_cost/[\w/]+\.py)`", DOC))
    assert "onnx_cost/cli/common.py" in named
    missing = [p for p in sorted(named) if not (ROOT / p).exists()]
    assert not missing, f"docs/adding-a-rule.md names files that do not exist: {missing}"


def test_the_rule_decorators_the_doc_names_exist():
    registry = importlib.import_module("onnx_cost.rules.registry")
    for name in ("rule", "zero_compute", "shape_of"):
        assert f"`@{name}(" in DOC or f"`{name}(" in DOC, name
        assert callable(getattr(registry, name)), name


def test_a_format_is_one_formats_entry():
    # --format's choices are exactly FORMATS' keys, and each resolves to a function
    assert [f.value for f in Format] == list(FORMATS)
    for name in FORMATS:
        assert callable(renderer(name)), name
