"""The CLI of the reports: --by/--depth/--sort, markdown and html formats, diff."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from onnx_cost.cli import app

FIX = Path(__file__).resolve().parent.parent / "fixtures"
RESNET = str(FIX / "tiny_resnet_dynamo.onnx")
CNN = str(FIX / "tiny_cnn.onnx")
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_by_module_prints_the_tree_to_the_depth():
    r = run(RESNET, "--by", "module", "--depth", "2")
    assert r.exit_code == 0, r.output
    assert "layer1.0 (BasicBlock)  [+5]" in r.output
    assert "conv2 (Conv2d)" not in r.output  # folded below depth 2


def test_top_and_sort_rank_modules_of_the_depth_cut():
    r = run(RESNET, "--by", "module", "--depth", "3", "--top", "2", "--sort", "flops")
    assert r.exit_code == 0, r.output
    assert "Top 2 modules at depth 3 by flops" in r.output
    # layer2.0's conv2 (73.2 K FLOPs) outranks layer1.0's convs (72.7 K each)
    assert r.output.index("layer2/layer2.0/") < r.output.index("layer1/layer1.0/")


def test_by_op_and_by_node():
    r = run(RESNET, "--by", "op")
    assert r.exit_code == 0 and "By op type" in r.output and "BatchNormalization" in r.output
    r = run(RESNET, "--by", "node", "--top", "1")
    assert r.exit_code == 0 and "node_conv2d_13 (Conv)" in r.output and "node_conv2d_3 " not in r.output


def test_report_shaping_options_are_refused_where_they_do_not_apply():
    for args in (["--csv", "--by", "module"], ["--json", "--depth", "3"], ["--format", "html", "--top", "3"]):
        r = run(CNN, *args)
        assert r.exit_code == 2, args
        assert "does not apply" in r.output


def test_markdown_and_html_formats(tmp_path):
    r = run(RESNET, "--format", "markdown", "--depth", "1")
    assert r.exit_code == 0 and "## By module (depth 1)" in r.output
    out = tmp_path / "r.html"
    r = run(RESNET, "--format", "html", "-o", str(out))
    assert r.exit_code == 0, r.output
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'id="onnx-cost-data"' in page


def test_diff_command_formats(tmp_path):
    r = run("diff", CNN, RESNET)
    assert r.exit_code == 0, r.output
    assert "Totals" in r.output and "removed" in r.output
    rows = list(csv.DictReader(io.StringIO(run("diff", CNN, CNN, "--csv").stdout)))
    assert rows[0]["section"] == "total" and rows[0]["flops_delta"] == "0"
    j = json.loads(run("diff", CNN, CNN, "--format", "json").stdout)
    assert j["nodes"]["counts"]["same"] == 11 and j["nodes"]["counts"]["changed"] == 0
    assert run("diff", CNN, CNN, "--format", "html").exit_code == 2
    assert run("diff", CNN, str(tmp_path / "missing.onnx")).exit_code == 2
    md = tmp_path / "d.md"
    assert run("diff", CNN, RESNET, "--format", "markdown", "-o", str(md)).exit_code == 0
    assert md.read_text(encoding="utf-8").startswith("# onnx-cost diff:")


def test_sort_without_by_ranks_nodes_and_nodes_lifts_top():
    # --sort by a count without --by ranks the default table (issue 8); --by node gives this table
    r = run(RESNET, "--by", "node", "--sort", "params", "--top", "1")
    assert r.exit_code == 0, r.output
    # the costliest node in params: layer2.0's conv2, 8·8·3·3 = 576 weights
    assert "By node" in r.output and "layer2/layer2.0/conv2/node_conv2d_13 (Conv)" in r.output
    everything = run(RESNET, "--by", "node", "--nodes")
    assert everything.exit_code == 0 and everything.output.count("(Conv)") == 6


def test_depth_is_refused_where_no_module_tree_is_shown():
    for args in ([], ["--by", "op"], ["--by", "node"]):
        r = run(RESNET, "--depth", "3", *args)
        assert r.exit_code == 2 and "--depth does not apply" in r.output, args
    assert run(RESNET, "--depth", "3", "--by", "module").exit_code == 0


def test_by_module_diff_and_batch_tables_fit_the_terminal(monkeypatch):
    # COLUMNS=80 binds these tables as it binds the default table: at the old fixed
    # widths (120, 140) the module tree was 91 columns, diff's node list 103, batch 103.
    # As in the default table, a long name is shortened in the middle, its tail kept.
    # Relative paths, as the README types them: a line that prints a path is as long as it.
    monkeypatch.chdir(FIX.parent)
    res, cnn = "fixtures/tiny_resnet_dynamo.onnx", "fixtures/tiny_cnn.onnx"
    for args in ([res, "--by", "module", "--depth", "2"], [res, "--by", "node"],
                 ["diff", cnn, res], ["batch", "fixtures", "-j", "1"]):
        r = runner.invoke(app, args, env={"COLUMNS": "80"})
        assert r.exit_code == 0, r.output
        ours = [line for line in r.stdout.splitlines() if not line.startswith("convention:")]
        assert max(len(line) for line in ours) <= 80, args
        assert not any(c in r.stdout for c in "┃│━─"), args  # plain text, no boxes
    r = runner.invoke(app, [res, "--by", "node"], env={"COLUMNS": "80"})
    assert "layer2/…/node_conv2d_13 (Conv)" in r.stdout  # layer2/layer2.0/conv2/ shortened, the tail whole


def test_diff_and_batch_refuse_o_onto_a_model(tmp_path):
    # as analyze does (README: -o is refused when it is the model itself): exit 2, and
    # the model stays byte-for-byte the same
    a, b = tmp_path / "a.onnx", tmp_path / "b.onnx"
    a.write_bytes(Path(CNN).read_bytes())
    b.write_bytes(Path(RESNET).read_bytes())
    for args, victim in ((["diff", str(a), str(b), "--csv", "-o", str(b)], b),
                         (["batch", str(tmp_path), "-j", "1", "--csv", "-o", str(a)], a)):
        before = victim.read_bytes()
        r = runner.invoke(app, args)
        assert r.exit_code == 2, r.output
        assert "that is the model file itself" in r.stderr
        assert victim.read_bytes() == before
