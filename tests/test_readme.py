"""The README's examples run: every onnx-cost command in its code blocks exits 0 on the
shipped fixtures, and its Python block runs."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXE = str(Path(sys.executable).parent / "onnx-cost")


def _blocks() -> list[list[str]]:
    """Indented code blocks (4 spaces), as lists of lines."""
    blocks, current = [], []
    for line in README.splitlines() + [""]:
        if line.startswith("    "):
            current.append(line[4:])
        elif current:
            blocks.append(current)
            current = []
    return blocks


def _commands() -> list[str]:
    out = []
    for block in _blocks():
        for line in block:
            cmd = re.split(r"\s+#", line, maxsplit=1)[0].strip()
            if cmd.startswith(("onnx-cost ", "python -m onnx_cost")):
                out.append(cmd)
    return out


COMMANDS = _commands()


def test_the_readme_has_commands():
    assert len(COMMANDS) >= 15


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_exits_0(command, tmp_path: Path):
    for name in ("fixtures", "docs"):
        (tmp_path / name).symlink_to(ROOT / name)
    argv = shlex.split(command)
    argv = [EXE, *argv[1:]] if argv[0] == "onnx-cost" else [sys.executable, *argv[1:]]
    p = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""


def test_readme_python_block_runs(tmp_path: Path):
    block = next(b for b in _blocks() if b and b[0] == "import onnx_cost")
    p = subprocess.run([sys.executable, "-c", "\n".join(block)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    # tiny_mlp at batch=1: 2 MatMuls 1x16·16x16 (496 FLOPs, 256 MACs each), 2 Adds 16, Relu 16
    assert lines[0] == "1040 512 272 1.0"
    assert lines[2] == "37·seq^2 + 350·seq"


def test_readme_first_screen_gives_two_setup_commands_and_the_trust_facts():
    first = README.split("## Usage")[0]
    setup = [line.strip().split()[:2] for line in first.splitlines() if line.startswith("    ")]
    assert setup == [["make", "demo"], ["make", "test"]]
    assert "1,814,073,344" in first and "4,089,184,256" in first and "docs/counting.md" in first


def test_readme_sweep_example_prints_non_zero_numbers():
    cmd = next(c for c in COMMANDS if "--sweep" in c)
    p = subprocess.run([EXE, *shlex.split(cmd)[1:]], cwd=ROOT, capture_output=True, text=True, timeout=120)
    rows = [line.split() for line in p.stdout.splitlines()[1:4]]
    # tiny_attention: flops = 37·seq² + 350·seq: 37·16,384 + 44,800 = 651,008; 37·262,144 + 179,200
    # = 9,878,528; 37·4,194,304 + 716,800 = 155,906,048
    assert [r[:3] for r in rows] == [["128", "651", "K"], ["512", "9.88", "M"], ["2048", "156", "M"]]
