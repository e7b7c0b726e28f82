"""The hardware text fits the terminal: at COLUMNS=80 no line of the --device section,
the hardware sweep, --measure's table or `onnx-cost devices` is wider than 80 columns,
nothing is lost (a source wraps, whole) and device-file text stays escaped."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

from typer.testing import CliRunner

from onnx_cost.cli import app
from onnx_cost.cli.hardware import _run_text

ROOT = Path(__file__).resolve().parent.parent
CNN = str(ROOT / "fixtures" / "tiny_cnn.onnx")
ATTN = str(ROOT / "fixtures" / "tiny_attention.onnx")
RAW = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
runner = CliRunner()


def widest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


def test_device_section_and_sweep_fit_80_columns():
    # before: 93 (the footprint line), 90 (latency floor), 83 (floor by op type), 82 (the sweep header)
    for args in ([CNN, "--device", "t4"], [CNN, "--device", "t4", "--measured-ms", "1"],
                 [ATTN, "--sweep", "seq=128,512,2048", "--device", "a100-40gb"]):
        r = runner.invoke(app, args, env={"COLUMNS": "80"})
        assert r.exit_code == 0, r.output
        assert widest(r.stdout) <= 80, args
    text = runner.invoke(app, [CNN, "--device", "t4"], env={"COLUMNS": "80"}).stdout
    # the footprint line wraps between words: both halves there, the node name whole
    # the same bytes as in binary units before (1,672 B, 65,536 B, 67,208 B), in the totals decimal units
    assert "  weights 1.67 KB + peak activations 65.5 KB (at\n    /features/bn1/BatchNormalization) = 67.2 KB" in text


def test_devices_listing_fits_80_columns_with_every_source_whole():
    r = runner.invoke(app, ["devices"], env={"COLUMNS": "80"})
    assert r.exit_code == 0 and widest(r.stdout) <= 80  # before: source lines up to 194 columns
    full = json.loads(runner.invoke(app, ["devices", "--json"]).stdout)
    words = " ".join(r.stdout.split())  # the wrapped text, as one line of words
    for dev in full.values():
        for fig in [*dev["peaks_ops_per_s"].values(), *dev["memory"].values()]:
            assert fig["source"] in words
    one = runner.invoke(app, ["devices", "a100-40gb"], env={"COLUMNS": "80"}).stdout
    # the source continues under its own column (31 = 2 + 12 + 1 + 9 + ' T/s   ')
    assert "  fp64              19.5 T/s   NVIDIA A100 Tensor Core GPU datasheet (2021):\n" + " " * 31 + "FP64" in one


def test_device_file_text_is_escaped_when_wrapped(tmp_path: Path):
    p = tmp_path / "evil.toml"
    p.write_text('name = "Chip\\u001b[2J"\n[peaks]\nfp32 = { value = 1, source = "'
                 + "a long source " * 10 + '\\u001b]0;pwned\\u0007" }\n')
    r = runner.invoke(app, ["devices", str(p)], env={"COLUMNS": "60"})
    assert r.exit_code == 0, r.output
    assert not RAW.search(r.stdout) and widest(r.stdout) <= 60
    assert "Chip\\x1b[2J" in r.stdout and "\\x1b]0;pwned\\x07" in r.stdout


def test_measure_table_fits_and_escapes():
    run = SimpleNamespace(onnxruntime="1.20", median_s=0.001, runs=5, warmup=1, per_node_s={"a": 1, "b": 2})
    rows = [{"name": "/encoder/layer.11/attention/self/query/MatMul\x1b[2J", "op_type": "MatMul", "measured_s": 2e-4,
             "floor_s": 1e-5, "ratio": 20.0}]
    text = _run_text(run, rows, width=60)
    assert widest(text) <= 60 and not RAW.search(text)
    # 2e-4 s / 1e-5 s = 20.0 times the floor; the name shortened in the middle, its tail kept
    assert re.search(r"^  /encoder/…/MatMul\\x1b\[2J\s+MatMul\s+200 us\s+10 us\s+20\.0$", text, re.M)
    assert "(2 kernels profiled, mapped by name onto 1 kernels of ours)" in " ".join(text.split())
