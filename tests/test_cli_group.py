"""The command group: the analysis as the default command, one --format option,
options that do not apply refused, subcommands added in one line, library entry points."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import onnx_cost
from onnx_cost import cli
from onnx_cost.cli import app

ROOT = Path(__file__).resolve().parent.parent
CNN = str(ROOT / "fixtures" / "tiny_cnn.onnx")
ATT = str(ROOT / "fixtures" / "tiny_attention.onnx")
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_default_command_and_explicit_analyze_give_the_same_bytes():
    a, b = run(CNN, "--csv"), run("analyze", CNN, "--csv")
    assert a.exit_code == b.exit_code == 0
    assert a.stdout == b.stdout and a.stdout.startswith("node,op_type,")


@pytest.mark.parametrize("alias", [["--csv"], ["--format", "csv"], ["--format", "CSV"]])
def test_format_aliases_are_the_same_output(alias):
    assert run(CNN, *alias).stdout == run(CNN, "--csv").stdout


def test_json_alias():
    assert run(CNN, "--json").stdout == run(CNN, "--format", "json").stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--csv", "--format", "json"], "--csv, --json and --format are exclusive (asked for csv and json)"),
        (["--csv", "--top", "3"], "--top does not apply to --format csv"),
        (["--json", "--nodes"], "--nodes does not apply to --format json"),
        (["--formula", "--top", "3"], "--top does not apply to --sweep or --formula (they print totals only)"),
        (["--formula", "--csv"], "--format csv does not apply to --formula"),
        (["--sweep", "seq=1,2", "--formula"], "--sweep and --formula are exclusive"),
    ],
)
def test_options_that_do_not_apply_are_usage_errors(args, message):
    r = run(ATT, *args)
    assert r.exit_code == 2
    assert r.stderr == f"onnx-cost: error: {message}\n"


def test_formats_without_a_renderer_say_so(monkeypatch):
    from onnx_cost.cli import common as cli_common

    monkeypatch.setitem(cli_common.FORMATS, "html", cli_common.OutputFormat(None))
    r = run(CNN, "--format", "html")
    assert r.exit_code == 2 and r.stderr == "onnx-cost: error: --format html: not available yet in this version\n"


def test_a_subcommand_is_one_line_in_the_table(monkeypatch, tmp_path: Path):
    mod = tmp_path / "my_sub.py"
    mod.write_text(
        "import typer\n"
        "def hello(name: str = typer.Argument(...)) -> None:\n"
        "    '''Say hello.'''\n"
        "    print(f'hello {name}')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(cli, "SUBCOMMANDS", (("hello", "my_sub:hello", "Say hello."),))
    r = run("hello", "world")
    assert r.exit_code == 0 and r.stdout == "hello world\n"
    help_text = run("--help").stdout
    assert "hello" in help_text and "Say hello." in help_text


def test_help_shows_the_analysis_options_global_options_and_commands():
    r = run("--help")
    assert r.exit_code == 0
    for text in ("--format", "--csv", "--json", "--install-completion", "--show-completion", "--version",
                 "Commands:", "analyze", "Exit codes", "141"):
        assert text in r.stdout, text


def test_help_and_version_import_neither_the_analyzer_nor_rich():
    code = (
        "import sys; from onnx_cost.cli import app\n"
        "try:\n    app(['--help'], prog_name='onnx-cost')\nexcept SystemExit:\n    pass\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('onnx', 'rich', 'numpy') or m.startswith('onnx_cost.analyzer'))\n"
        "print(bad, file=sys.stderr)"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.stderr.strip().splitlines()[-1] == "[]"


def test_show_completion_prints_a_bash_script():
    p = subprocess.run(
        [str(Path(sys.executable).parent / "onnx-cost"), "--show-completion", "bash"],
        capture_output=True, text=True, timeout=60,
    )
    assert p.returncode == 0 and "_onnx_cost_completion" in p.stdout and "complete " in p.stdout


def test_library_sweep_and_formula_match_the_cli():
    rows = onnx_cost.sweep(ATT, "seq", [4, 8])
    # tiny_attention: flops = 37·seq^2 + 350·seq -> 37·16 + 350·4 = 1992; 37·64 + 350·8 = 5168
    assert [r.total.flops for r in rows] == [1992, 5168]
    f = onnx_cost.formula(ATT)
    assert f.dims == ("seq",) and f.verified
    assert f.polys["flops"].to_str() == "37·seq^2 + 350·seq"


def test_unknown_sweep_dim_lists_the_real_ones():
    with pytest.raises(onnx_cost.BindingError, match=r"--sweep seqq: the model has no dim of that name \(its symbolic dims: seq\)"):
        onnx_cost.sweep(ATT, "seqq", [1])
    r = run(ATT, "--sweep", "seqq=1,2")
    assert r.exit_code == 2
    assert r.stderr == "onnx-cost: error: --sweep seqq: the model has no dim of that name (its symbolic dims: seq)\n"
