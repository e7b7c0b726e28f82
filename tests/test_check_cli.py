"""onnx-cost check on the command line: exit codes, the four formats (JUnit parsed with
xml.etree, Markdown with markdown-it-py), GitHub Actions, the config file, and the
workflow and pre-commit hook of docs/ci.md run on a fixture.

tiny_mlp: flops = 1040·batch, params = 272 (tests/test_check.py derives them)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from onnx_cost.cli import app

ROOT = Path(__file__).resolve().parent.parent
ATTENTION = str(ROOT / "fixtures" / "tiny_attention.onnx")
MLP = str(ROOT / "fixtures" / "tiny_mlp.onnx")
runner = CliRunner()
CLEAN = {"GITHUB_ACTIONS": "", "GITHUB_STEP_SUMMARY": ""}


def run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, ["check", *args], env={**CLEAN, **(env or {})})


@pytest.fixture(autouse=True)
def _no_config_here(tmp_path, monkeypatch):
    """Run in an empty folder: the repository's own pyproject.toml has no check table, but a
    test must not depend on that."""
    monkeypatch.chdir(tmp_path)


def test_exit_0_1_2():
    assert run(MLP, "--dim", "batch=1", "--budget", "flops<=1040").exit_code == 0
    r = run(MLP, "--dim", "batch=1", "--budget", "flops<=1039")
    assert r.exit_code == 1 and "fail" in r.stdout and "1,040 exceeds 1,039" in r.stdout
    r = run(MLP, "--budget", "flopz<=1")
    assert r.exit_code == 2 and "unknown metric 'flopz'" in r.stderr and "peak_memory" in r.stderr
    assert r.stderr.count("\n") == 1
    assert run(MLP, "--budget", "flops<=1", "--format", "html").exit_code == 2
    assert run(str(ROOT / "README.md"), "--budget", "flops<=1").exit_code == 2  # not a model
    assert run(MLP, "--budget", "latency<=1ms").exit_code == 2  # needs --device
    assert run(MLP, "--budget", "flops<=1", "--convention", "all").exit_code == 2
    assert run(MLP, "--max-increase", "flops=5%").exit_code == 2  # needs --baseline


def test_unknown_fails_unless_allowed():
    r = run(ATTENTION, "--budget", "flops<=1G")  # seq is free, with no default
    assert r.exit_code == 1 and "unknown" in r.stdout and "--dim seq=" in r.stdout
    assert run(ATTENTION, "--budget", "flops<=1G", "--allow-unknown").exit_code == 0
    # batch has a default (1): checked at it, and the table says so
    r = run(MLP, "--budget", "flops<=1040")
    assert r.exit_code == 0 and "batch=1*" in r.stdout
    # a warning never fails: 66,560 over batch 1..64 exceeds 1K, exit 0
    r = run(MLP, "--dim", "batch=1:64", "--warn", "flops<=1K")
    assert r.exit_code == 0 and "warn" in r.stdout


def test_json_format():
    r = run(MLP, "--dim", "batch=1:64", "--budget", "flops<=66560", "--budget", "params<=271", "--format", "json")
    assert r.exit_code == 1
    d = json.loads(r.stdout)
    assert d["verdict"] == "fail" and d["convention"] == "exact" and d["ranges"] == {"batch": [1, 64]}
    first, second = d["checks"]
    assert {k: first[k] for k in ("metric", "op", "limit", "value", "baseline", "verdict", "where")} == {
        "metric": "flops", "op": "<=", "limit": 66_560, "value": 66_560, "baseline": None, "verdict": "pass",
        "where": {"batch": 64}}
    assert (second["verdict"], second["value"], second["limit"]) == ("fail", 272, 271)
    assert set(first) >= {"metric", "op", "limit", "value", "baseline", "verdict", "reason", "where"}


def test_junit_parses_with_one_testcase_per_budget():
    r = run(MLP, "--dim", "batch=1", "--budget", "flops<=1040", "--budget", "flops<=1039", "--budget",
            "read_bytes<=1G", "--format", "junit")
    root = ET.fromstring(r.stdout.split("\n", 1)[1])  # after the XML declaration
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == 3 and suite.get("failures") == "1"
    assert [c.find("failure") is not None for c in cases] == [False, True, False]
    assert cases[1].find("failure").get("type") == "fail"
    # unknown is a failure too; with --allow-unknown, skipped
    r = run(ATTENTION, "--budget", "flops<=1G", "--format", "junit")
    assert ET.fromstring(r.stdout.split("\n", 1)[1]).find("testsuite/testcase/failure").get("type") == "unknown"
    r = run(ATTENTION, "--budget", "flops<=1G", "--format", "junit", "--allow-unknown")
    assert ET.fromstring(r.stdout.split("\n", 1)[1]).find("testsuite/testcase/skipped") is not None


def test_markdown_parses_verdict_first_then_a_table_then_details(monkeypatch):
    from markdown_it import MarkdownIt

    monkeypatch.chdir(ROOT)

    r = run(MLP, "--dim", "batch=1", "--budget", "flops<=1039", "--budget", "params<=272", "--format", "markdown")
    tokens = MarkdownIt("commonmark").enable("table").parse(r.stdout)
    types = [t.type for t in tokens]
    assert types[0] == "paragraph_open"
    assert "fail" in tokens[1].content and "tiny\\_mlp.onnx" in tokens[1].content
    assert types.index("table_open") > types.index("paragraph_close")
    cells = [t.content for t in tokens if t.type == "inline"]
    assert "flops &lt;= 1,039" in cells and "1,040" in cells
    html = [t.content for t in tokens if t.type == "html_block"]
    assert any("<details>" in h for h in html)
    assert str(ROOT) not in r.stdout  # paths relative


def test_markdown_escapes_dim_names_from_the_model(tmp_path):
    import onnx
    from onnx import helper

    from helpers import init, make_model

    m = make_model([helper.make_node("MatMul", ["x", "w"], ["y"], "mm")], [("x", "float32", ["<b>|evil", 4])],
                   [("y", "float32", None)], [init("w", "float32", [4, 4])])
    path = tmp_path / "evil.onnx"
    onnx.save(m, path)
    r = run(str(path), "--budget", "flops<=1", "--format", "markdown")
    assert "<b>" not in r.stdout and "&lt;b&gt;\\|evil" in r.stdout


def test_github_actions_step_summary_and_annotations(tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    r = run(MLP, "--dim", "batch=1", "--budget", "flops<=1039", "--warn", "params<=1", "--budget", "params<=272",
            env=env)
    assert r.exit_code == 1
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n") and "onnx-cost check: fail" in text  # appended
    lines = r.stderr.splitlines()
    assert [ln.split("::")[1].split(" ")[0] for ln in lines] == ["error", "warning"]
    assert "flops <= 1,039" in lines[0]


def test_output_file_and_no_github_outside_actions(tmp_path):
    out = tmp_path / "check.xml"
    r = run(MLP, "--dim", "batch=1", "--budget", "flops<=1040", "--format", "junit", "-o", str(out))
    assert r.exit_code == 0 and r.stdout == "" and r.stderr == ""
    assert ET.parse(out).getroot().tag == "testsuites"
    assert run(MLP, "--budget", "flops<=1", "-o", MLP).exit_code == 2  # never over the model


CONFIG = """[tool.onnx-cost.check]
budgets = ["flops<=66560"]
warn = ["params<=1"]
dims = {batch = "1:64"}
"""


def test_the_nearest_pyproject_config(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    r = run(MLP, "--format", "json")
    d = json.loads(r.stdout)
    assert r.exit_code == 0 and d["ranges"] == {"batch": [1, 64]} and d["config"].endswith("pyproject.toml")
    assert [c["verdict"] for c in d["checks"]] == ["pass", "fail"]  # the warning fails, exit 0
    # the command line adds budgets and replaces a dim of the same name
    r = run(MLP, "--dim", "batch=1", "--budget", "flops<=1039")
    assert r.exit_code == 1
    assert run(MLP, "--no-config", "--budget", "params<=272").exit_code == 0


def test_onnx_cost_toml_and_bad_configs(tmp_path):
    (tmp_path / "onnx-cost.toml").write_text('[check]\nbudgets = ["params<=271"]\n', encoding="utf-8")
    assert run(MLP).exit_code == 1
    bad = tmp_path / "bad.toml"
    bad.write_text('[tool.onnx-cost.check]\nbudget = ["flops<=1"]\n', encoding="utf-8")
    r = run(MLP, "--config", str(bad))
    assert r.exit_code == 2 and "unknown key(s) budget" in r.stderr
    bad.write_text("[tool.onnx-cost.check\n", encoding="utf-8")
    assert run(MLP, "--config", str(bad)).exit_code == 2


# -- docs/ci.md: the config, the workflow's commands and the hook's entry, run ----------------

DOC = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")


def _block(lang: str, marker: str) -> str:
    blocks = re.findall(rf"```{lang}\n(.*?)```", DOC, re.S)
    return next(b for b in blocks if marker in b)


def _repo(tmp_path: Path) -> Path:
    """A repository with the doc's pyproject config, models/model.onnx (tiny_mlp) and its
    release copy as the baseline."""
    (tmp_path / "models").mkdir()
    shutil.copy(MLP, tmp_path / "models" / "model.onnx")
    shutil.copy(MLP, tmp_path / "models" / "release.onnx")
    (tmp_path / "pyproject.toml").write_text(_block("toml", "[tool.onnx-cost.check]"), encoding="utf-8")
    return tmp_path


def _exe() -> str:
    return str(Path(sys.executable).parent / "onnx-cost")


def test_the_docs_config_passes_on_the_fixture(tmp_path):
    # over batch 1..64: flops 66,560 <= 100K; params 272 <= 1K; peak 1,088 + 128·64 = 9,280 <= 16 KiB;
    # coverage 100%; +0% over the release copy
    repo = _repo(tmp_path)
    r = subprocess.run([_exe(), "check", "models/model.onnx", "--format", "json"], cwd=repo, capture_output=True,
                       text=True, env={**os.environ, **CLEAN})
    assert r.returncode == 0, r.stdout + r.stderr
    d = json.loads(r.stdout)
    assert [c["verdict"] for c in d["checks"] if c["level"] == "error"] == ["pass"] * 6


def test_the_workflow_commands_run_on_a_fixture(tmp_path):
    workflow = _block("yaml", "runs-on")
    commands = [m.strip() for m in re.findall(r"- run: (onnx-cost .*)", workflow)]
    assert len(commands) == 2
    repo = _repo(tmp_path)
    summary = repo / "summary.md"
    env = {**os.environ, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    for cmd in commands:
        argv = shlex.split(cmd)
        r = subprocess.run([_exe(), *argv[1:]], cwd=repo, capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stdout + r.stderr
    assert ET.parse(repo / "onnx-cost-check.xml").getroot().find("testsuite").get("failures") == "0"
    assert (repo / "onnx-cost-check.md").read_text(encoding="utf-8").startswith("**✅ onnx-cost check: pass**")
    assert summary.read_text(encoding="utf-8").count("onnx-cost check: pass") == 2
    # a budget exceeded fails the job: flops<=66559 fails at batch 64 (1040·64 = 66,560)
    text = (repo / "pyproject.toml").read_text(encoding="utf-8").replace("flops<=100K", "flops<=66559")
    (repo / "pyproject.toml").write_text(text, encoding="utf-8")
    r = subprocess.run([_exe(), *shlex.split(commands[0])[1:]], cwd=repo, capture_output=True, text=True, env=env)
    assert r.returncode == 1 and "::error title=onnx-cost check::flops <= 66,559" in r.stderr


def test_the_pre_commit_hook_entry_runs_on_a_fixture(tmp_path):
    hook = _block("yaml", "hooks:")
    entry = re.search(r"entry: (.*)", hook).group(1).strip()
    assert re.search(r"files: (.*)", hook).group(1).strip() == r"\.onnx$"
    repo = _repo(tmp_path)
    env = {**os.environ, **CLEAN, "PATH": f"{Path(_exe()).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    # pre-commit runs the entry with the staged files as arguments
    r = subprocess.run(f"{entry} models/model.onnx models/release.onnx", shell=True, cwd=repo, capture_output=True,
                       text=True, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("verdict: PASS") == 2
    text = (repo / "pyproject.toml").read_text(encoding="utf-8").replace("params<=1K", "params<=271")
    (repo / "pyproject.toml").write_text(text, encoding="utf-8")
    r = subprocess.run(f"{entry} models/model.onnx", shell=True, cwd=repo, capture_output=True, text=True, env=env)
    assert r.returncode == 1 and "272 exceeds 271" in r.stdout


def test_json_doc_lists_every_check_key():
    r = run(MLP, "--dim", "batch=1", "--budget", "flops<=1", "--format", "json")
    d = json.loads(r.stdout)
    doc = (ROOT / "docs" / "json.md").read_text(encoding="utf-8")
    section = doc[doc.index("## `check`"):]
    for key in [*d, *d["checks"][0]]:
        assert f"`{key}`" in section, key


def test_annotations_escape_percent_and_newlines():
    from onnx_cost.render.check import gh_annotations
    from onnx_cost.runners.check import Result
    from onnx_cost.views.check.decide import Check

    c = Check("flops", "<=", None, None, "fail", "+6% over\nthe baseline", text="flops=5%", kind="increase")
    line = gh_annotations(Result("m.onnx", [c]))
    assert line.count("\n") == 1 and "+6%25 over" in line and line.startswith("::error title=onnx-cost check::")


def test_onnx_cost_toml_with_a_dims_table(tmp_path):
    (tmp_path / "onnx-cost.toml").write_text('[check]\nbudgets = ["flops<=66560"]\ndims = {batch = "1:64"}\n',
                                             encoding="utf-8")
    r = run(MLP, "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)["checks"][0]["where"] == {"batch": 64}
