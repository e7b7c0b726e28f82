"""``onnx-cost llm``: formats, -o, exit codes, escaping, --measure (tests/llm_models.py decoders)."""

from __future__ import annotations

import json
from pathlib import Path

import onnx
import pytest
from llm_models import decoder
from onnx import TensorProto, helper
from typer.testing import CliRunner

from onnx_cost.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture()
def model(tmp_path: Path) -> str:
    path = tmp_path / "decoder.onnx"
    onnx.save(decoder(), str(path))
    return str(path)


def test_table_shows_prefill_decode_kv_and_ideal(model: str) -> None:
    r = run("llm", model, "--prompt", "4", "--context", "8", "--batch", "2")
    assert r.exit_code == 0, r.output
    out = r.output
    assert "prefill (4 tokens)" in out and "decode (context 8)" in out
    assert "6,272" in out  # decode MACs: tests/test_llm.py derives it
    assert "KV cache: 256 B per token of one sequence; at context 8: 2.05 KB (2,048 B); batch 2: 4.1 KB (4,096 B)" \
        in out.replace("\n  ", " ")
    assert "ideal 17 KB (16,952 B)" in out.replace("\n  ", " ")


def test_json_is_the_library_result(model: str, tmp_path: Path) -> None:
    out = tmp_path / "llm.json"
    r = run("llm", model, "--prompt", "4", "--context", "8", "--batch", "2", "--json", "-o", str(out))
    assert r.exit_code == 0, r.output
    d = json.loads(out.read_text(encoding="utf-8"))
    assert d["schema"] == "onnx-cost.llm/1"
    assert d["decode"]["macs"] == 6272 and d["prefill"]["new_tokens"] == 4
    assert d["roles"]["past_dim"] == "past_sequence_length"
    assert d["memory"] is None and d["device"] is None  # no --device


def test_device_and_markdown(model: str) -> None:
    r = run("llm", model, "--context", "8", "--prompt", "4", "--device", "h100-sxm", "--format", "markdown")
    assert r.exit_code == 0, r.output
    assert r.output.startswith("## LLM view: ")
    # h100-sxm has no efficiency table: the view's prediction, uncalibrated, is the latency (docs/hardware.md)
    assert "| latency (predicted) |" in r.output and "to first token" in r.output
    assert "| latency floor (a lower bound) |" in r.output and "uncalibrated prediction for NVIDIA H100" in r.output
    assert "longest context that fits" in r.output and "Tokens/s by batch" in r.output


def test_decode_only_says_so(tmp_path: Path) -> None:
    path = tmp_path / "decode.onnx"
    onnx.save(decoder(decode_only=True), str(path))
    r = run("llm", str(path), "--context", "8")
    assert r.exit_code == 0, r.output
    assert "no prefill" in r.output and "decode-only export" in r.output


def test_no_kv_cache_is_exit_2_one_line(tmp_path: Path) -> None:
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    path = tmp_path / "relu.onnx"
    onnx.save(helper.make_model(g), str(path))
    r = run("llm", str(path))
    assert r.exit_code == 2
    lines = [ln for ln in r.output.splitlines() if ln]
    assert len(lines) == 1 and lines[0].startswith("onnx-cost: error: no KV cache")


def test_usage_errors(model: str) -> None:
    for args in (["--format", "csv"], ["--batch", "0"], ["--context", "-1"]):
        r = run("llm", model, *args)
        assert r.exit_code == 2, args
    r = run("llm", model, "--past-dim", "nope")
    assert r.exit_code == 2 and "has no 'nope' dim" in r.output
    r = run("llm", model, "-o", model)
    assert r.exit_code == 2  # never over the model


def test_hostile_names_are_escaped(tmp_path: Path) -> None:
    m = decoder()
    bad = "past_key_values.0.key\x1b[31m"
    for v in m.graph.input:
        if v.name == "past_key_values.0.key":
            v.name = bad
    for n in m.graph.node:
        for i, x in enumerate(n.input):
            if x == "past_key_values.0.key":
                n.input[i] = bad
    path = tmp_path / "bad.onnx"
    onnx.save(m, str(path))
    for fmt in ("table", "markdown"):
        r = run("llm", str(path), "--context", "8", "--format", fmt)
        assert r.exit_code == 0, r.output
        assert "\x1b" not in r.output and "\\x1b" in r.output


def test_measure_runs_the_decode_step(model: str) -> None:
    pytest.importorskip("onnxruntime")
    r = run("llm", model, "--context", "8", "--prompt", "4", "--measure", "--device", "h100-sxm", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    me = d["measured"]
    # achieved bandwidth = the decode step's bytes / the median time; MBU = ideal bytes / time / bandwidth
    assert me["achieved_bytes_per_s"] == pytest.approx(d["decode"]["bytes"] / me["latency_s"], rel=1e-12)
    assert me["mbu"] == pytest.approx(d["ideal"]["ideal_bytes"] / me["latency_s"] / 3.35e12, rel=1e-12)
    assert any("runs on this CPU" in n for n in d["notes"])


def test_help_lists_the_subcommand() -> None:
    r = run("--help")
    assert r.exit_code == 0 and "llm" in r.output
    r = run("llm", "--help")
    assert r.exit_code == 0 and "--past-dim" in r.output
