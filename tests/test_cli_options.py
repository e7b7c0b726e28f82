"""Issue 19: the CLI declares every option and argument in one module (onnx_cost/cli/options.py);
the commands' modules import them. A `typer.Option(` or `typer.Argument(` anywhere else in the
CLI is a second place to keep in step, and fails here."""

from __future__ import annotations

import ast
from pathlib import Path

CLI = Path(__file__).resolve().parent.parent / "onnx_cost" / "cli"


def declarations(source: str) -> list[int]:
    """Lines of ``source`` that call typer.Option or typer.Argument."""
    return [n.lineno for n in ast.walk(ast.parse(source))
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and n.func.attr in ("Option", "Argument")
            and isinstance(n.func.value, ast.Name) and n.func.value.id == "typer"]


def test_only_the_options_module_declares_options() -> None:
    found = {p.name: declarations(p.read_text(encoding="utf-8"))
             for p in sorted(CLI.glob("*.py")) if p.name != "options.py"}
    assert {k: v for k, v in found.items() if v} == {}
    assert len(declarations((CLI / "options.py").read_text(encoding="utf-8"))) > 50


def test_the_check_can_fail() -> None:
    src = 'import typer\nX = typer.Option("--x")\ndef f():\n    return typer.Argument()\n'
    assert declarations(src) == [2, 4]


def test_a_repeated_flag_is_declared_once() -> None:
    # --rules means the same for every command: one declaration
    text = (CLI / "options.py").read_text(encoding="utf-8")
    assert text.count('"--rules"') == 1
