"""diff and batch count dynamic models as the analysis does: --dim binds dims, the free
ones get the default binding (a batch dim is 1), the output says which binding was used,
and a model left partial says so. Their help lists only what they write; -o is refused
onto a model's external data."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper
from typer.testing import CliRunner

from onnx_cost.cli import app

from helpers import make_model

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent


def matmul(path: Path, rows: str) -> str:
    """x[rows, 8] · W[8, 4] -> y[rows, 4]: MACs = rows·8·4 = 32·rows, FLOPs = rows·4·(2·8 − 1) = 60·rows."""
    w = numpy_helper.from_array(np.zeros((8, 4), np.float32), "W")
    m = make_model([helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")], [("x", "float32", [rows, 8])],
                   [("y", "float32", [rows, 4])], [w])
    onnx.save(m, path)
    return str(path)


@pytest.fixture
def models(tmp_path):
    d = tmp_path / "m"
    d.mkdir()
    return matmul(d / "batched.onnx", "batch"), matmul(d / "seq.onnx", "seq")


def test_batch_applies_the_default_binding_and_says_so(models):
    batched, _ = models
    r = runner.invoke(app, ["batch", batched, "-j", "1", "--json"])
    assert r.exit_code == 0, r.output
    row = json.loads(r.stdout)["rows"][0]
    assert row["status"] == "ok" and row["totals"]["macs"] == 32 and row["totals"]["flops"] == 60  # batch = 1
    assert row["free_dims"] == ["batch"] and row["default_binding"] == {"batch": 1} and row["dims"] == {}
    table = runner.invoke(app, ["batch", batched, "-j", "1"], env={"COLUMNS": "100"}).stdout
    assert "batch=1*" in table and "* the default binding" in table


def test_batch_dim_binds_each_model_that_declares_it(models):
    batched, seq = models
    r = runner.invoke(app, ["batch", batched, seq, "-j", "1", "--csv", "--dim", "batch=3"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert rows[0]["macs"] == str(32 * 3) and rows[0]["dims"] == "batch=3" and rows[0]["default_binding"] == ""
    # seq has no default: left symbolic, as in the analysis's JSON: no number (empty), its
    # polynomial 32·seq MACs, 60·seq FLOPs at the stated binding, and not partial
    assert rows[1]["status"] == "ok" and rows[1]["macs"] == "" and rows[1]["free_dims"] == "seq"
    assert rows[1]["symbolic_dims"] == "seq" and "flops=60*seq;macs=32*seq;" in rows[1]["formulas"]
    table = runner.invoke(app, ["batch", seq, "-j", "1"], env={"COLUMNS": "100"}).stdout
    assert "seq=?" in table and re.search(r"60·seq\s+32·seq\s", table) and "exact polynomials" in table
    both = runner.invoke(app, ["batch", batched, seq, "-j", "1", "--json", "--dim", "seq=5", "--dim", "batch=2"])
    assert [x["totals"]["macs"] for x in json.loads(both.stdout)["rows"]] == [32 * 2, 32 * 5]


def test_batch_refuses_a_dim_no_model_declares(models, tmp_path):
    # as analyze and diff refuse it: one line, exit 2, nothing written
    out = tmp_path / "rows.csv"
    r = runner.invoke(app, ["batch", models[0], "-j", "1", "--csv", "--dim", "bacth=2", "-o", str(out)])
    assert r.exit_code == 2 and not out.exists()
    assert r.stderr == "onnx-cost: error: --dim bacth: no model analyzed has a dim of that name\n"
    # a dim one model declares (seq) and the other not stays fine: it binds the one that does
    r = runner.invoke(app, ["batch", *models, "-j", "1", "--json", "--dim", "seq=7"])
    assert r.exit_code == 0, r.output
    assert [x["totals"]["macs"] for x in json.loads(r.stdout)["rows"]] == [32 * 1, 32 * 7]


def test_diff_refuses_a_dim_neither_model_declares(models):
    r = runner.invoke(app, ["diff", models[0], models[0], "--dim", "bacth=2"])
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    assert r.stderr.startswith("onnx-cost: error: --dim bacth: the model has no dim of that name")


def test_diff_applies_the_default_binding_and_dim(models):
    batched, _ = models
    j = json.loads(runner.invoke(app, ["diff", batched, batched, "--json"]).stdout)
    assert j["total"]["macs"]["before"] == 32 and j["total"]["flops"]["after"] == 60
    assert j["before"]["default_binding"] == {"batch": 1} and j["after"]["partial"] is False
    j = json.loads(runner.invoke(app, ["diff", batched, batched, "--json", "--dim", "batch=4"]).stdout)
    assert j["total"]["macs"]["before"] == 32 * 4 and j["before"]["dims"] == {"batch": 4}
    text = runner.invoke(app, ["diff", batched, batched], env={"COLUMNS": "100"}).stdout
    assert "  dims: batch=1*" in text and "PARTIAL" not in text


def test_batch_json_rows_are_the_analysis_json(models):
    _, seq = models
    row = json.loads(runner.invoke(app, ["batch", seq, "-j", "1", "--json"]).stdout)["rows"][0]
    js = json.loads(runner.invoke(app, [seq, "--json"]).stdout)
    assert row["totals"] == {k: js["total"][k] for k in row["totals"]}
    assert row["totals"]["macs"] is None and row["totals"]["params"] == 32  # W is 8x4
    assert row["formulas"]["macs"] == "32*seq" and row["formulas"]["flops"] == "60*seq"
    assert row["symbolic_dims"] == js["symbolic_dims"] == ["seq"] and row["coverage_percent"] == 100.0


def test_diff_refuses_a_dim_left_symbolic(models):
    # a diff is numbers per node and op type; with seq free there are none: one line, exit 2
    batched, seq = models
    r = runner.invoke(app, ["diff", batched, seq])
    assert r.exit_code == 2 and r.stdout == "" and r.stderr.count("\n") == 1
    assert r.stderr.startswith("onnx-cost: error: diff shows numbers, but seq stays free") and "--dim seq=N" in r.stderr
    j = json.loads(runner.invoke(app, ["diff", batched, seq, "--json", "--dim", "seq=3"]).stdout)
    assert j["total"]["macs"]["after"] == 32 * 3 and j["after"]["dims"] == {"seq": 3}


def test_diff_labels_a_partial_model(models, tmp_path):
    batched, _ = models
    # x[seq, 8] · W then an op no rule knows: partial at seq=5 (the MatMul's 160 MACs counted)
    w = numpy_helper.from_array(np.zeros((8, 4), np.float32), "W")
    m = make_model([helper.make_node("MatMul", ["x", "W"], ["h"], name="mm"),
                    helper.make_node("Mystery", ["h"], ["y"], name="my", domain="acme")],
                   [("x", "float32", ["seq", 8])], [("y", "float32", ["seq", 4])], [w])
    m.opset_import.append(helper.make_opsetid("acme", 1))
    seq = str(tmp_path / "unknown.onnx")
    onnx.save(m, seq)
    r = runner.invoke(app, ["diff", batched, seq, "--dim", "seq=5"], env={"COLUMNS": "100"})
    assert r.exit_code == 0, r.output
    after = r.stdout[r.stdout.index("after:"):]
    assert after.startswith(f"after:  {seq}\n  dims: seq=5\n  PARTIAL: some nodes could not be counted")
    j = json.loads(runner.invoke(app, ["diff", batched, seq, "--json", "--dim", "seq=5"]).stdout)
    assert j["after"]["partial"] is True and j["total"]["macs"]["after"] == 32 * 5
    csv_out = runner.invoke(app, ["diff", batched, seq, "--csv", "--dim", "seq=5"]).stdout
    rows = list(csv.DictReader(io.StringIO(csv_out)))
    assert [(x["key"], x["change"], x["fields"]) for x in rows if x["section"] == "model"] == [
        ("before", "ok", "batch=1*"), ("after", "partial", "seq=5")]
    md = runner.invoke(app, ["diff", batched, seq, "--format", "markdown", "--dim", "seq=5"]).stdout
    assert "PARTIAL: some nodes could not be counted" in md and "batch=1\\*" in md


@pytest.mark.parametrize("flag, why", [("bacth=2", "--dim bacth: the model has no dim of that name"),
                                       ("batch=x", "--dim batch=x: the value must be a non-negative integer"),
                                       ("batch", "--dim batch: expected NAME=VALUE")])
def test_dim_is_checked_as_the_analysis_checks_it(models, flag, why):
    for args in (["diff", models[0], models[1]], [models[0]]):  # diff says what the analysis says
        r = runner.invoke(app, [*args, "--dim", flag])
        assert r.exit_code == 2 and r.stderr.startswith(f"onnx-cost: error: {why}") and r.stderr.count("\n") == 1


def test_help_lists_only_the_formats_each_command_writes():
    for cmd, formats in (("diff", "table|csv|json|markdown"), ("batch", "table|csv|json|markdown"),
                         ("devices", "table|json")):
        text = runner.invoke(app, [cmd, "--help"], env={"COLUMNS": "200"}).stdout
        assert re.search(rf"--format {re.escape(formats)}\s", text), cmd
        assert "html" not in text and "one row per node" not in text, cmd
    assert "--dim NAME=N" in runner.invoke(app, ["batch", "--help"]).stdout
    md = runner.invoke(app, ["diff", "--format", "Markdown", str(ROOT / "fixtures" / "tiny_cnn.onnx"),
                             str(ROOT / "fixtures" / "tiny_cnn.onnx")])
    assert md.exit_code == 0 and md.stdout.startswith("# onnx-cost diff:")  # case-insensitive, as before


@pytest.mark.parametrize("args", [["diff", "A", "A"], ["batch", "A"], ["devices"]])
@pytest.mark.parametrize("fmt", ["html", "HTML", "xml"])
def test_an_unsupported_format_is_one_line_and_exit_2(models, args, fmt):
    # one line naming only the formats the command writes (click's own error listed html)
    args = [models[0] if a == "A" else a for a in args]
    r = runner.invoke(app, [*args, "--format", fmt])
    assert r.exit_code == 2 and r.stderr.count("\n") == 1, r.stderr
    assert f"--format {fmt} does not apply to {args[0]} (use table, " in r.stderr and "html)" not in r.stderr


def external(tmp_path: Path) -> tuple[Path, Path]:
    """A model whose weight W lives in m.data beside it."""
    m = make_model([helper.make_node("MatMul", ["x", "W"], ["y"])], [("x", "float32", [1, 8])],
                   [("y", "float32", [1, 4])], [numpy_helper.from_array(np.ones((8, 4), np.float32), "W")])
    path = tmp_path / "m.onnx"
    onnx.save_model(m, path, save_as_external_data=True, location="m.data", size_threshold=0)
    return path, tmp_path / "m.data"


def test_o_onto_a_models_external_data_is_refused(tmp_path):
    model, data = external(tmp_path)
    other = tmp_path / "elsewhere"
    other.mkdir()
    os.link(data, other / "link.csv")  # a hard link to the data file, in a folder no model is in
    before = data.read_bytes()
    for args in (["diff", str(model), str(model), "--csv", "-o", str(data)],
                 ["batch", str(model), "-j", "1", "--csv", "-o", str(data)],
                 ["batch", str(model), "-j", "1", "--csv", "-o", str(other / "link.csv")]):
        r = runner.invoke(app, args)
        assert r.exit_code == 2, r.output
        assert "that is the model's external data file m.data; refused (nothing written)" in r.stderr
        assert r.stderr.count("\n") == 1 and data.read_bytes() == before
    assert runner.invoke(app, ["batch", str(model), "-j", "1", "--csv", "-o", str(tmp_path / "s.csv")]).exit_code == 0


def test_analyze_many_takes_dims_on_our_pool_and_any_executor(models):
    from concurrent.futures import ThreadPoolExecutor

    import onnx_cost

    assert onnx_cost.analyze_many([models[0]], jobs=1, dims={"batch": 2})[0].totals["macs"] == 32 * 2
    with ThreadPoolExecutor(1) as ex:
        row = onnx_cost.analyze_many([models[1]], ex, dims={"seq": 7})[0]
    assert row.totals["macs"] == 32 * 7 and row.dims == {"seq": 7} and row.status == "ok"


def test_by_markdown_and_html_of_the_analysis_use_and_say_the_default_binding(models, tmp_path):
    batched = models[0]
    by = runner.invoke(app, [batched, "--by", "op"], env={"COLUMNS": "100"}).stdout
    assert "\ndims: batch=1*\n" in by and re.search(r"^  MatMul\s+60\s+32\s", by, re.M)  # FLOPs 60·1, MACs 32·1
    md = runner.invoke(app, [batched, "--format", "markdown"]).stdout
    assert "Dims: batch=1\\*" in md and "| MACs | 32 | 32 |" in md
    page = tmp_path / "r.html"
    assert runner.invoke(app, [batched, "--format", "html", "-o", str(page)]).exit_code == 0
    text = page.read_text(encoding="utf-8")
    data = json.loads(text.split('id="onnx-cost-data">', 1)[1].split("</script>", 1)[0])
    assert data["total"]["macs"] == 32 and data["binding"].startswith("batch=1* (* the default binding")
    bound = runner.invoke(app, [batched, "--format", "markdown", "--dim", "batch=2"]).stdout
    assert "Dims:" not in bound and "| MACs | 64 | 64 |" in bound  # bound by the user: nothing to say
