"""onnx-cost batch / onnx_cost.analyze_many: worker processes, failures as rows,
a per-model time limit, atomic output, any concurrent.futures.Executor."""

from __future__ import annotations

import csv
import io
import json
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import onnx
import pytest
from onnx import helper
from typer.testing import CliRunner

import onnx_cost
from onnx_cost.cli import app
from onnx_cost.render import batch as batch_render
from onnx_cost.runners.batch import CRASHED, ERROR, OK, TIMEOUT, find_models
from onnx_cost.runners.many import analyze_many

from helpers import make_model

FIX = Path(__file__).resolve().parent.parent / "fixtures"
GOOD = [FIX / "tiny_cnn.onnx", FIX / "tiny_lstm.onnx", FIX / "tiny_resnet.onnx"]
RULES = """\
import os, time
from onnx_cost.rules import Cost, rule

@rule("Hang", domain="test.batch")
def hang(view):
    '''Never finishes in time: the batch's time limit must stop it.'''
    time.sleep(60)
    return Cost()

@rule("Die", domain="test.batch")
def die(view):
    '''Kills the process counting it: the batch must go on without it.'''
    os._exit(3)
"""


def custom(tmp_path: Path, op: str) -> Path:
    m = make_model([helper.make_node(op, ["x"], ["y"], domain="test.batch")], [("x", "float32", [2])],
                   [("y", "float32", [2])], extra_opsets={"test.batch": 1})
    p = tmp_path / f"{op.lower()}.onnx"
    onnx.save(m, p)
    return p


@pytest.fixture
def zoo(tmp_path):
    """Three good models, a text file named .onnx, a model that hangs, one that kills its worker."""
    d = tmp_path / "zoo"
    d.mkdir()
    for g in GOOD:
        shutil.copy(g, d / g.name)
    (d / "broken.onnx").write_text("not a model\n")
    rules = tmp_path / "rules.py"
    rules.write_text(RULES)
    return d, custom(d, "Hang"), custom(d, "Die"), str(rules)


def test_failures_are_rows_and_the_others_go_on(zoo):
    d, _hang, _die, rules = zoo
    rows = analyze_many(find_models([str(d)]), jobs=2, timeout=1.5, rules=[rules])
    by = {Path(r.path).name: r for r in rows}
    assert sorted(by) == ["broken.onnx", "die.onnx", "hang.onnx", "tiny_cnn.onnx", "tiny_lstm.onnx", "tiny_resnet.onnx"]
    assert by["hang.onnx"].status == TIMEOUT and "1.5 s" in by["hang.onnx"].error
    assert by["die.onnx"].status == CRASHED and "exit code 3" in by["die.onnx"].error
    assert by["broken.onnx"].status == ERROR and "not an ONNX model" in by["broken.onnx"].error
    for g in GOOD:
        row, report = by[g.name], onnx_cost.analyze(g)
        assert row.status == OK and row.totals["flops"] == report.total.flops and row.nodes == report.coverage.nodes
    assert by["tiny_cnn.onnx"].precision == {"fp32": 10}  # 11 nodes, Flatten does no arithmetic


def test_any_executor_a_local_process_pool(zoo):
    _d, hang, _die, rules = zoo
    paths = [*map(str, GOOD), str(hang)]
    with ProcessPoolExecutor(2) as ex:
        rows = onnx_cost.analyze_many(paths, ex, timeout=1.0, rules=[rules])
    assert [r.path for r in rows] == paths  # input order, whatever order they finished in
    assert [r.status for r in rows] == [OK, OK, OK, TIMEOUT]  # the alarm in the worker's main thread
    assert rows[0].totals == analyze_many([paths[0]], jobs=1)[0].totals


def test_dask_distributed_local_cluster():
    distributed = pytest.importorskip("distributed")
    # threads in this process: a local cluster that starts in a second (worker processes take ten)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        rows = onnx_cost.analyze_many([str(g) for g in GOOD], client.get_executor())
    assert [r.status for r in rows] == [OK] * 3
    assert rows[2].totals["flops"] == onnx_cost.analyze(GOOD[2]).total.flops


def test_find_models_folders_globs_files(tmp_path):
    assert find_models([str(FIX / "tiny_cnn.onnx"), str(FIX / "tiny_cnn.onnx")]) == [str(FIX / "tiny_cnn.onnx")]
    found = find_models([str(FIX / "tiny_res*.onnx")])
    assert [Path(p).name for p in found] == ["tiny_resnet.onnx", "tiny_resnet_dynamo.onnx"]
    with pytest.raises(onnx_cost.ModelFileError, match=r"no \.onnx model"):
        find_models([str(tmp_path)])


def test_progress_bar_only_after_the_delay(capsys):
    quiet = batch_render.ProgressBar(True, delay=60)
    quiet(1, 2)
    quiet.close()
    assert capsys.readouterr().err == ""
    bar = batch_render.ProgressBar(True, delay=0)
    bar(1, 2)
    bar.close()
    assert "1/2" in capsys.readouterr().err


def test_cli_batch_csv_to_a_file_and_exit_codes(zoo, tmp_path):
    d, _hang, _die, rules = zoo
    out = tmp_path / "summary.csv"
    r = CliRunner().invoke(app, ["batch", str(d / "tiny_*.onnx"), str(d / "broken.onnx"), "--format", "csv",
                                 "-o", str(out), "-j", "2", "--rules", rules])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [Path(x["path"]).name for x in rows] == ["tiny_cnn.onnx", "tiny_lstm.onnx", "tiny_resnet.onnx", "broken.onnx"]
    assert rows[0]["flops"] == str(onnx_cost.analyze(GOOD[0]).total.flops) and rows[0]["precision"] == "fp32=10"
    assert rows[3]["status"] == "error" and rows[3]["flops"] == ""
    r = CliRunner().invoke(app, ["batch", str(d / "broken.onnx"), "--json", "--strict"])
    assert r.exit_code == 1 and json.loads(r.stdout)["status"] == {"error": 1}
    assert CliRunner().invoke(app, ["batch", str(tmp_path / "none*.onnx")]).exit_code == 2
    assert CliRunner().invoke(app, ["batch", str(d), "--format", "html"]).exit_code == 2
