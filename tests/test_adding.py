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


def option_sentences(doc: str) -> list[str]:
    """The sentences of ``doc`` that say where an option alias (``Annotated``) is declared."""
    return [s for s in re.split(r"\.\s+(?=[A-Z])", " ".join(doc.split())) if "`Annotated`" in s]


def test_the_doc_puts_an_option_where_options_are_declared():
    # the one module that declares options (tests/test_cli_options.py) is the only CLI module
    # the page may name for an option alias
    import ast

    def declares(path: Path) -> bool:
        return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                   and n.func.attr in ("Option", "Argument") for n in ast.walk(ast.parse(path.read_text("utf-8"))))

    declaring = {f"onnx_cost/cli/{p.name}" for p in sorted((ROOT / "onnx_cost" / "cli").glob("*.py")) if declares(p)}
    assert declaring == {"onnx_cost/cli/options.py"}
    sentences = option_sentences(DOC)
    assert sentences, "docs/adding-a-rule.md no longer says where a view's option is declared"
    for s in sentences:
        named = set(re.findall(r"`(onnx_cost/cli/[\w/]+\.py)`", s))
        assert named == declaring, f"docs/adding-a-rule.md puts an option in {sorted(named)}: {s}"


def test_the_option_check_can_fail():
    old = ("a view that needs a command-line option takes one `Annotated` option alias and one "
           "parameter line in `onnx_cost/cli/__init__.py` `analyze`.")
    (s,) = option_sentences(old)
    assert set(re.findall(r"`(onnx_cost/cli/[\w/]+\.py)`", s)) == {"onnx_cost/cli/__init__.py"}
