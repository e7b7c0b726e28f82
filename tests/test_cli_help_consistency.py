"""Review 19, findings 25-27: a subcommand's --help offers exactly the formats it accepts,
check and conventions take --json as --format json, and an option that means the same
thing in several commands (--device, --measure's extra) is described the same way."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from onnx_cost.cli import app

CNN = str(Path(__file__).resolve().parent.parent / "fixtures" / "tiny_cnn.onnx")
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def option(command: str, flag: str):
    """The click parameter behind ``flag`` of ``command`` ('': the analysis, the default command)."""
    import click

    root = typer.main.get_command(app)
    cmd = root.get_command(click.Context(root), command or "analyze")  # type: ignore[attr-defined]
    return next(p for p in cmd.params if flag in getattr(p, "opts", ()))


def test_conventions_help_lists_exactly_the_formats_it_accepts():
    helptext = run("conventions", "--help").stdout
    assert "--format table|markdown|json " in helptext
    for name in ("table", "markdown", "json"):
        assert run("conventions", "--format", name).exit_code == 0, name
    for name in ("csv", "html", "netron", "model-explorer"):
        r = run("conventions", "--format", name)
        assert r.exit_code == 2 and r.stderr.count("\n") == 1, name
        assert name not in helptext.split("--format", 1)[1].split("\n", 1)[0]


def test_conventions_json_is_format_json():
    a, b = run("conventions", "--json"), run("conventions", "--format", "json")
    assert a.exit_code == 0 and a.stdout == b.stdout
    assert {p["name"] for p in json.loads(a.stdout)["profiles"]} >= {"exact", "fvcore"}
    assert run("conventions", "--json", "--format", "markdown").exit_code == 2


def test_check_json_is_format_json():
    args = ("check", CNN, "--budget", "params<=1G", "--no-config")
    a, b = run(*args, "--json"), run(*args, "--format", "json")
    assert a.exit_code == 0, a.output
    assert a.stdout == b.stdout and json.loads(a.stdout)
    r = run(*args, "--json", "--format", "junit")
    assert r.exit_code == 2 and "exclusive" in r.stderr


def test_every_device_option_is_said_one_way():
    opts = [option(c, "--device") for c in ("", "diff", "check", "llm")]
    assert {o.metavar for o in opts} == {"NAME|FILE.toml|local"}
    for o in opts:  # each help names the three kinds of value
        assert "a preset (onnx-cost devices), a device file (docs/hardware.md) or 'local'" in o.help, o.help


def test_measure_names_its_extra_the_same_way():
    helps = [option(c, "--measure").help for c in ("", "llm")]
    assert all("(onnx-cost[runtime])" in h for h in helps), helps
    assert not any("extra:" in h for h in helps)


def test_the_top_level_format_help_lists_its_formats():
    from onnx_cost.cli.common import FORMATS

    h = option("", "--format").help
    assert all(name in h for name in FORMATS) and h.startswith("Output format: table, csv, json")


def test_batch_and_diff_say_how_dim_applies():
    for command in ("diff", "batch"):
        assert "in each model that declares it" in option(command, "--dim").help


def test_metavars_are_written_one_way():
    # upper-case names, choices joined by '|' as --format writes them: no '<int range>', no '<a|b>'
    assert option("batch", "--jobs").metavar == "N"
    assert option("", "--by").metavar == "module|op|node"
    assert option("", "--sort").metavar.startswith("flops|macs|")
    assert "[OPTIONS] [NAME]" in run("devices", "--help").stdout
    for command in ("", "batch", "diff", "check", "llm"):
        helptext = run(*([command] if command else []), "--help").stdout
        assert "<" not in helptext.replace("<=", ""), command
