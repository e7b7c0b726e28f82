"""The hardware options of the CLI and the devices subcommand: happy paths with
hand-derived numbers, and every usage error with its exit code."""

from __future__ import annotations

import json
import math
from pathlib import Path

import onnx
import pytest
from onnx import helper
from typer.testing import CliRunner

from onnx_cost.cli import app

from helpers import init, make_model

ROOT = Path(__file__).resolve().parent.parent
CNN = str(ROOT / "fixtures" / "tiny_cnn.onnx")
runner = CliRunner()
# 1 TFLOP/s fp32, 100 GB/s, 1 GB: the fake device of the hand-derived numbers below
FAKE_TOML = 'name = "Fake"\n[peaks]\nfp32 = { value = 1, source = "test" }\n[memory]\nbandwidth = 100\ncapacity = 1\n'


def run(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture()
def fake(tmp_path: Path) -> str:
    p = tmp_path / "fake.toml"
    p.write_text(FAKE_TOML)
    return str(p)


@pytest.fixture()
def matmul(tmp_path: Path) -> str:
    """y[batch,512] = x[batch,512] @ W[512,512] (fp32)."""
    m = make_model(
        [helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")],
        [("x", "float32", ["batch", 512])], [("y", "float32", ["batch", 512])], [init("W", "float32", [512, 512])],
    )
    p = tmp_path / "mm.onnx"
    onnx.save(m, str(p))
    return str(p)


def test_table_gets_the_hardware_view() -> None:
    r = run(CNN, "--device", "t4")
    assert r.exit_code == 0, r.output
    assert "Device: NVIDIA Tesla T4" in r.output and "\n  floor " in r.output and "\n  predicted " in r.output
    assert "Memory footprint:" in r.output and "fits" in r.output


def test_json_hardware_key_by_hand(matmul: str, fake: str) -> None:
    r = run(matmul, "--dim", "batch=1", "--device", fake, "--json", "--measured-ms", "0.1")
    assert r.exit_code == 0, r.output
    hw = json.loads(r.output)["views"]["hardware"]["data"]
    # ops = 2*512*512 - 512 dots = 523,776; bytes = 2,048 + 1,048,576 + 2,048 = 1,052,672
    (node,) = hw["nodes"]
    assert (node["ops"], node["bytes"], node["bound"]) == (523_776, 1_052_672, "memory")
    assert math.isclose(hw["floor_s"], 1_052_672 / 100e9)  # memory term: 1.052672e-5 s
    assert math.isclose(hw["device"]["ridge_ops_per_byte"], 10.0)
    assert hw["footprint"]["weight_bytes"] == 1_048_576 and hw["footprint"]["fits"] is True
    # utilization = (523,776 / 1e-4) / 1e12 = 0.00523776
    assert math.isclose(hw["measured"]["utilization"], 0.00523776)
    assert hw["device"]["sources"]["peaks.fp32"] == "test"


def test_sweep_finds_where_it_turns_compute_bound(matmul: str, fake: str) -> None:
    r = run(matmul, "--sweep", "batch=1,8,64", "--device", fake, "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    # intensity 523,776 b / (4,096 b + 1,048,576): b=1 0.50, b=8 3.88, b=64 25.6 op/B; ridge 10
    assert [row["bound"] for row in d["rows"]] == ["memory", "memory", "compute"]
    assert d["compute_bound_from"] == 64
    # b=64: compute 64 * 523,776 / 1e12 = 3.3521664e-5 s
    assert math.isclose(d["rows"][2]["floor_s"], 3.3521664e-5)
    r = run(matmul, "--sweep", "batch=1,8,64", "--device", fake)
    assert r.exit_code == 0 and "turns compute-bound at batch=64" in r.output


def test_devices_lists_presets_with_sources() -> None:
    r = run("devices")
    assert r.exit_code == 0
    for key in ("p100", "t4", "hi3519av100", "h100-sxm", "rpi5"):
        assert f"{key}: " in r.output
    assert "NVIDIA T4 Tensor Core GPU datasheet (2019)" in r.output
    r = run("devices", "h100", "--json")
    d = json.loads(r.output)
    assert d["h100-sxm"]["peaks_ops_per_s"]["fp16"]["value"] == 989.5e12
    assert "halved" in d["h100-sxm"]["peaks_ops_per_s"]["fp16"]["source"]


@pytest.mark.parametrize(
    "args,msg",
    [
        (["--plot", "x.svg"], "--plot needs --device"),
        (["--measured-ms", "3"], "--measured-ms needs --device"),
        (["--tf32"], "--tf32 needs --device"),
        (["--device", "t4", "--measured-ms", "-1"], "positive time"),
        (["--device", "t4", "--csv"], "table, JSON, Markdown and HTML formats"),
        (["--device", "t4", "--format", "html", "--measured-ms", "2"], "not --format html"),
        (["--device", "t4", "--formula"], "does not apply to --formula"),
        (["--device", "t4", "--plot", "x.gif"], ".svg or .png"),
        (["--device", "nope"], "no such preset"),
        (["--measure", "--measured-ms", "2", "--device", "t4"], "exclusive"),
    ],
)
def test_usage_errors_exit_2(args: list[str], msg: str) -> None:
    r = run(CNN, *args)
    assert r.exit_code == 2 and msg in r.output, r.output


def test_bad_device_file_names_field(tmp_path: Path) -> None:
    p = tmp_path / "chip.toml"
    p.write_text('name = "C"\n[peaks]\nfp32 = { value = "x" }\n')
    r = run(CNN, "--device", str(p))
    assert r.exit_code == 2 and "peaks.fp32.value: expected a positive number" in r.output


def test_html_report_gets_the_roofline(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    r = run(CNN, "--device", "t4", "--format", "html", "-o", str(out))
    assert r.exit_code == 0, r.output
    assert "NVIDIA Tesla T4" in out.read_text()


def test_registered_as_a_view() -> None:
    r = run(CNN, "--device", "t4")
    # the table names it in its own section (Device: ...), not in a header line restating it
    assert "view hardware" not in r.output and "Device: NVIDIA Tesla T4" in r.output
    d = json.loads(run(CNN, "--device", "t4", "--json").output)
    v = d["views"]["hardware"]
    assert v["total"] == d["total"] and "latency floor" in v["description"]
    assert v["data"]["device"]["name"] == "NVIDIA Tesla T4"


def test_markdown_and_html_carry_the_view() -> None:
    # issue 19: every format that can show the view shows it: floor, prediction, footprint, fits
    md = run(CNN, "--device", "t4", "--format", "markdown")
    assert md.exit_code == 0, md.output
    body = md.stdout.split("## Hardware\n\n", 1)[1]
    assert body.startswith("```\nDevice: NVIDIA Tesla T4\n") and "\n  floor " in body and "\n  predicted " in body
    assert "Memory footprint:" in body and "fits" in body
    page = run(CNN, "--device", "t4", "--format", "html")
    assert page.exit_code == 0, page.output
    section = page.stdout.split('<section id="hardware-view"><h2>Hardware</h2><pre>', 1)[1].split("</pre>", 1)[0]
    assert section.startswith("Device: NVIDIA Tesla T4") and "Memory footprint:" in section and "fits" in section


def test_the_markdown_fence_outlasts_any_backticks_in_the_text() -> None:
    from onnx_cost.cli.hardware import _fenced

    assert _fenced("a\n") == "```\na\n```\n"
    # a name holding five backticks cannot close a fence of six
    assert _fenced("node x`````y\n") == "``````\nnode x`````y\n``````\n"


def test_sweep_and_diff_state_the_single_runs_verdict(matmul: str, fake: str) -> None:
    """Review of issue 19, finding 5: the sweep's row and diff's device section give the
    prediction's verdict and prediction the single run gives at the same binding (the floor's
    own bound is named apart, "floor bound")."""
    sweep = json.loads(run(matmul, "--sweep", "batch=1,8", "--device", fake, "--json").output)
    for row in sweep["rows"]:
        one = json.loads(run(matmul, "--dim", f"batch={row['value']}", "--device", fake, "--json").output)
        data = one["views"]["hardware"]["data"]
        assert row["verdict"] == data["verdict"] and row["predicted_s"] == data["predicted_s"]
        assert list(row["predicted_range_s"]) == data["predicted_range_s"] and row["floor_s"] == data["floor_s"]
    table = run(matmul, "--sweep", "batch=1,8", "--device", fake).output
    assert "floor bound" in table and "verdict" in table
    d = json.loads(run("diff", matmul, matmul, "--dim", "batch=8", "--device", fake, "--json").output)
    one = json.loads(run(matmul, "--dim", "batch=8", "--device", fake, "--json").output)["views"]["hardware"]["data"]
    assert d["device"]["before"]["verdict"] == one["verdict"] == d["device"]["after"]["verdict"]
