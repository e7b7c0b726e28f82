"""The README's module-tree example is the command's real output (regenerate it by
pasting `onnx-cost fixtures/tiny_resnet_dynamo.onnx --by module --depth 2`)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from onnx_cost.cli import app

ROOT = Path(__file__).resolve().parent.parent


def test_readme_module_tree_is_current(monkeypatch):
    monkeypatch.chdir(ROOT)  # the README shows the fixture's relative path
    r = CliRunner().invoke(app, ["fixtures/tiny_resnet_dynamo.onnx", "--by", "module", "--depth", "2"])
    assert r.exit_code == 0, r.output
    shown = [line.rstrip() for line in r.output.splitlines() if not line.startswith("convention:")]
    readme = ROOT.joinpath("README.md").read_text(encoding="utf-8").splitlines()
    start = readme.index("    " + shown[0])
    assert [line[4:] for line in readme[start : start + len(shown)]] == shown
    assert ROOT.joinpath("docs", "html-report.png").stat().st_size < 200_000
