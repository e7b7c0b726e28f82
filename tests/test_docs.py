"""Docs stay in step with the code: the op table, the README's commands, the JSON doc."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from onnx_cost.rules import REGISTRY, load_all

ROOT = Path(__file__).resolve().parent.parent


def test_counting_doc_is_current():
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_counting_doc.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_counting_doc_has_a_row_for_every_registered_op():
    load_all()
    doc = (ROOT / "docs" / "counting.md").read_text(encoding="utf-8")
    for (domain, op), e in REGISTRY.items():
        assert f"| {domain or 'ai.onnx'} | {op} |" in doc, (domain, op)
        assert e.doc.strip(), (domain, op)


def test_readme_first_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first = text[: text.index("## ")] if "## " in text else text
    assert "make demo" in first and "make test" in first


def test_json_doc_lists_every_top_level_key():
    import onnx_cost
    from onnx_cost.render import report as render

    d = render.to_dict(onnx_cost.analyze(ROOT / "fixtures" / "tiny_cnn.onnx"))
    doc = (ROOT / "docs" / "json.md").read_text(encoding="utf-8")
    for key in d:
        assert f"`{key}`" in doc, key
    for key in d["total"]:
        assert f"`{key}`" in doc, key
    for key in d["nodes"][0]:
        assert f"`{key}`" in doc, key
    for key in d["coverage"]:
        assert f"`{key}`" in doc, key
