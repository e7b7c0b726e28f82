"""Issue 19: one truth on every path. The library, ``--json``, the table, CSV's summed rows,
Markdown, HTML's embedded data and ``analyze_many`` give the same numbers for the same
model, static or dynamic, and ``--strict`` exits the same under every format.

The generated models' counts are derived by hand in comments; the fixtures' are pinned by
their goldens (tests/test_e2e_fixtures.py), so here they are compared path against path."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh
from typer.testing import CliRunner

import onnx_cost
from onnx_cost.cli import app

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
runner = CliRunner()


def cli(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def _save(tmp_path: Path, name: str, nodes: list, inputs: list, outputs: list, inits: list) -> str:
    g = h.make_graph(nodes, "g", inputs, outputs, inits)
    path = tmp_path / f"{name}.onnx"
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 17)]), path)
    return str(path)


def conv_dynbatch(tmp_path: Path) -> str:
    """Conv 3->4, 3x3, pad 1 on [batch, 3, 8, 8], then Relu. At batch=1 (the default):
    MACs = 4·8·8 outputs × 27 taps = 6,912; FLOPs = 2·6,912 (bias adds complete the
    27-term dots) = 13,824 for the conv + 256 for the Relu = 14,080; params 4·27 + 4 = 112."""
    w = nh.from_array(np.ones((4, 3, 3, 3), np.float32), "w")
    b = nh.from_array(np.ones((4,), np.float32), "b")
    nodes = [h.make_node("Conv", ["x", "w", "b"], ["c"], name="/conv/Conv", pads=[1, 1, 1, 1]),
             h.make_node("Relu", ["c"], ["y"], name="/act/Relu")]
    return _save(tmp_path, "conv_dynbatch", nodes, [h.make_tensor_value_info("x", T.FLOAT, ["batch", 3, 8, 8])],
                 [h.make_tensor_value_info("y", T.FLOAT, ["batch", 4, 8, 8])], [w, b])


def mlp_batch_seq(tmp_path: Path) -> str:
    """x[batch, seq, 8] @ w[8, 8]: batch defaults to 1, seq has no default. Per row 8
    outputs of 8-term dots: MACs 64·seq, FLOPs 8·15·seq = 120·seq; params 64."""
    w = nh.from_array(np.ones((8, 8), np.float32), "w")
    nodes = [h.make_node("MatMul", ["x", "w"], ["y"], name="/fc/MatMul")]
    return _save(tmp_path, "mlp_batch_seq", nodes, [h.make_tensor_value_info("x", T.FLOAT, ["batch", "seq", 8])],
                 [h.make_tensor_value_info("y", T.FLOAT, ["batch", "seq", 8])], [w])


def models(tmp_path: Path) -> list[str]:
    return [str(p) for p in sorted(FIXTURES.glob("*.onnx"))] + [conv_dynbatch(tmp_path), mlp_batch_seq(tmp_path)]


KEYS = ("partial", "total", "symbolic_dims", "free_dims", "default_binding", "total_formula", "coverage",
        "by_op_type", "by_precision")


def _table_totals(text: str) -> dict[str, str]:
    """The Totals section's 'value' column by row label (the polynomials' text, or the exact
    integer where the table gives one)."""
    out = {}
    block = text.split("\nTotals", 1)[1].split("\n\n", 1)[0]
    for line in block.splitlines()[1:]:
        m = re.match(r"\s+(FLOPs|MACs \(multiply-accumulates\)|params)\s{2,}(.+?)(?:\s{2,}([\d,]+))?$", line)
        if m:
            out[m.group(1).split(" ")[0]] = (m.group(3) or m.group(2)).strip()
    return out


def _md_totals(text: str) -> dict[str, str]:
    out = {}
    for line in text.split("## Totals", 1)[1].split("## By op type", 1)[0].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] in ("FLOPs", "MACs", "params"):
            out[cells[0]] = cells[2] or cells[1].replace("\\", "")
    return out


def _html_data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="onnx-cost-data">(.*?)</script>', page, re.S)
    assert m, "the page embeds its data"
    return json.loads(m.group(1))


def _expected_text(report, d: dict, name: str) -> str:
    """What a text format shows for one total: the integer with separators, or the library's
    polynomial at the stated default binding (``total_formula`` is over every free dim)."""
    v = d["total"][name]
    if v is not None:
        return f"{v:,}"
    dyn = report.dynamic
    return dyn.at_defaults(dyn.total(name)).to_str()


def test_every_path_gives_the_same_numbers(tmp_path):
    for path in models(tmp_path):
        report = onnx_cost.analyze(path)
        lib = report.to_dict()
        r = cli(path, "--json")
        assert r.exit_code == 0, (path, r.output)
        js = json.loads(r.stdout)
        for key in KEYS:
            assert lib[key] == js[key], (path, key)
        # the library's own attributes are the JSON's numbers too: None (null) for a count
        # that depends on a symbolic dim, never the default binding's partial sum
        for key, v in js["total"].items():
            assert getattr(report.total, key) == v, (path, key)
        for op, counts in js["by_op_type"].items():
            assert {k: getattr(report.by_op_type[op], k) for k in counts} == counts, (path, op)
        fields = (js["total_formula"] or {}).get("fields", {})
        assert {k: p.to_str("*") for k, p in (report.total_formula or {}).items()} == {
            k: f["text"] for k, f in fields.items()}, path

        # the table
        r = cli(path)
        assert r.exit_code == 0, (path, r.output)
        tab = _table_totals(r.stdout)
        assert tab["FLOPs"] == _expected_text(report, js, "flops"), path
        assert tab["MACs"] == _expected_text(report, js, "macs"), path
        assert tab["params"] == _expected_text(report, js, "params"), path
        assert ("PARTIAL" in r.stdout) == js["partial"], path
        assert f"({js['coverage']['percent']:.1f}%)" in r.stdout, path

        # Markdown
        r = cli(path, "--format", "markdown")
        assert r.exit_code == 0, (path, r.output)
        md = _md_totals(r.stdout)
        assert md["FLOPs"] == _expected_text(report, js, "flops"), path
        assert md["MACs"] == _expected_text(report, js, "macs"), path
        assert ("**Partial**" in r.stdout) == js["partial"], path

        # HTML's embedded data
        r = cli(path, "--format", "html")
        assert r.exit_code == 0, (path, r.output)
        data = _html_data(r.stdout)
        assert data["total"] == js["total"] and data["partial"] == js["partial"], path
        assert data["coverage"]["percent"] == js["coverage"]["percent"], path

        # CSV: its rows are the records at the stated binding; summed (each × its weight) they
        # are the totals wherever the totals are numbers
        r = cli(path, "--csv")
        assert r.exit_code == 0, (path, r.output)
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        for field in ("flops", "macs"):
            if js["total"][field] is not None:
                assert sum(int(x[field]) * int(x["weight"]) for x in rows) == js["total"][field], (path, field)


def test_analyze_many_agrees_with_the_json(tmp_path):
    paths = models(tmp_path)
    rows = onnx_cost.analyze_many(paths, jobs=1)
    for path, row in zip(paths, rows):
        report = onnx_cost.analyze(path)
        d = report.to_dict()
        # the same numbers, None (null) where a total depends on a symbolic dim, the same status
        assert row.status == ("partial" if d["partial"] else "ok"), path
        assert row.totals == {k: d["total"][k] for k in row.totals}, path
        assert row.default_binding == d["default_binding"] and row.symbolic_dims == d["symbolic_dims"], path
        assert row.coverage_percent == d["coverage"]["percent"], path
        # each missing number's polynomial, at the binding the row states (batch=1*)
        assert row.formulas == {k: _expected_text(report, d, k).replace("·", "*")
                                for k, v in row.totals.items() if v is None}, path
    # mlp_batch_seq by hand: at batch=1, 64·seq MACs and 120·seq FLOPs; params 64
    mlp = rows[-1]
    assert mlp.status == "ok" and mlp.symbolic_dims == ["seq"] and mlp.totals["params"] == 64
    assert (mlp.formulas["macs"], mlp.formulas["flops"]) == ("64*seq", "120*seq")


def test_hand_derived_numbers_on_the_dynamic_models(tmp_path):
    conv = onnx_cost.analyze(conv_dynbatch(tmp_path))
    assert conv.dynamic.defaults == {"batch": 1} and not conv.partial and conv.symbolic == ()
    assert (conv.total.macs, conv.total.flops, conv.total.params) == (6912, 14080, 112)
    # the engine alone leaves batch free: nothing that needs it is counted
    raw = onnx_cost.analyze(conv_dynbatch(tmp_path), bind="none")
    assert raw.partial and raw.total.macs == 0

    mlp = onnx_cost.analyze(mlp_batch_seq(tmp_path))
    assert mlp.symbolic == ("seq",) and not mlp.partial
    d = mlp.to_dict()
    assert d["total"]["macs"] is None and d["total"]["params"] == 64
    # the library says the same: no number for what needs seq; the polynomial at batch=1
    assert (mlp.total.macs, mlp.total.flops, mlp.total.params) == (None, None, 64)
    assert mlp.by_op_type["MatMul"].macs is None
    assert mlp.dynamic.at_defaults(mlp.total_formula["macs"]).to_str("*") == "64*seq"
    assert mlp.dynamic.at_defaults(mlp.total_formula["flops"]).to_str("*") == "120*seq"
    # total_formula is over every free dim; at batch=1 it is 64·seq and 120·seq
    assert d["total_formula"]["fields"]["macs"]["text"] == "64*batch*seq"
    assert d["total_formula"]["fields"]["flops"]["text"] == "120*batch*seq"
    assert d["coverage"]["percent"] == 100.0
    # bound, the same model is numbers: seq=5 -> 320 MACs, 600 FLOPs
    bound = onnx_cost.analyze(mlp_batch_seq(tmp_path), dims={"seq": 5})
    assert (bound.total.macs, bound.total.flops) == (320, 600) and bound.symbolic == ()


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown", "html"])
def test_strict_exits_the_same_under_every_format(tmp_path, fmt):
    # seq free but counted exactly as polynomials: --strict passes in every format
    assert cli(mlp_batch_seq(tmp_path), "--format", fmt, "--strict").exit_code == 0
    # an op no rule knows: --strict fails in every format
    nodes = [h.make_node("Mystery", ["x"], ["y"], domain="acme", name="m")]
    path = tmp_path / "unknown.onnx"
    g = h.make_graph(nodes, "g", [h.make_tensor_value_info("x", T.FLOAT, [2])],
                     [h.make_tensor_value_info("y", T.FLOAT, [2])])
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 17), h.make_opsetid("acme", 1)]), path)
    assert cli(str(path), "--format", fmt, "--strict").exit_code == 1


def if_on_seq(tmp_path: Path) -> str:
    """x[batch, seq, 64]; If(seq > 8): then MatMul(x, W[64, 64]), else Relu(x). The counts
    are piecewise in seq: at seq=16 (batch=1) 16·64·64 = 65,536 MACs; at seq=4 none, and the
    Relu's 4·64 = 256 FLOPs."""
    w = nh.from_array(np.ones((64, 64), np.float32), "w")
    then = h.make_graph([h.make_node("MatMul", ["x", "w"], ["t"], name="/then/MatMul")], "then", [],
                        [h.make_tensor_value_info("t", T.FLOAT, None)])
    other = h.make_graph([h.make_node("Relu", ["x"], ["e"], name="/else/Relu")], "else", [],
                         [h.make_tensor_value_info("e", T.FLOAT, None)])
    one = nh.from_array(np.array([1], np.int64), "one")
    eight = nh.from_array(np.array(8, np.int64), "eight")
    nodes = [h.make_node("Shape", ["x"], ["s"], name="/Shape"),
             h.make_node("Gather", ["s", "one"], ["n"], name="/Gather", axis=0),
             h.make_node("Squeeze", ["n"], ["n0"], name="/Squeeze"),
             h.make_node("Greater", ["n0", "eight"], ["c"], name="/Greater"),
             h.make_node("If", ["c"], ["y"], name="/If", then_branch=then, else_branch=other)]
    return _save(tmp_path, "if_on_seq", nodes, [h.make_tensor_value_info("x", T.FLOAT, ["batch", "seq", 64])],
                 [h.make_tensor_value_info("y", T.FLOAT, None)], [w, one, eight])


def test_an_if_decided_by_a_dim_is_never_called_exact(tmp_path):
    path = if_on_seq(tmp_path)
    r = onnx_cost.analyze(path)
    assert not r.dynamic.formula.verified and "piecewise" in r.dynamic.formula.note
    assert r.symbolic == ()  # no exact polynomials: counted at the default binding, partial
    assert r.partial
    out = cli(path, "--formula")
    assert out.exit_code == 0 and "# NOT exact" in out.stdout and "piecewise" in out.stdout
    assert onnx_cost.analyze(path, dims={"seq": 16}).total.macs == 65536
    small = onnx_cost.analyze(path, dims={"seq": 4})
    assert (small.total.macs, small.total.flops) == (0, 256)


@pytest.mark.parametrize("flags", [["--device", "h100"], ["--by", "op"], ["--convention", "fvcore"],
                                   ["--sort", "name"], ["--sweep", "batch=1,2"]])
def test_outputs_of_numbers_refuse_a_symbolic_dim(tmp_path, flags):
    # seq has no default: per-node and per-value numbers do not exist; one line, exit 2
    r = cli(mlp_batch_seq(tmp_path), *flags)
    assert r.exit_code == 2
    assert r.stderr.startswith(f"onnx-cost: error: {flags[0]}") and "--dim seq=N" in r.stderr
    assert r.stdout == ""


def test_a_sweep_states_the_binding_it_applied(tmp_path):
    # seq swept, batch at its default: 120·seq FLOPs -> 480 and 960
    r = cli(mlp_batch_seq(tmp_path), "--sweep", "seq=4,8")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("other dims at their default binding: batch=1\n")
    r = cli(mlp_batch_seq(tmp_path), "--sweep", "seq=4,8", "--json")
    d = json.loads(r.stdout)
    assert d["default_binding"] == {"batch": 1}
    assert [row["flops"] for row in d["sweep"]["rows"]] == [480, 960]
    with pytest.raises(onnx_cost.BindingError, match="seq"):
        onnx_cost.sweep(mlp_batch_seq(tmp_path), "batch", [1, 2])


def test_by_precision_of_a_symbolic_model_names_its_precisions(tmp_path):
    # fp32 MatMul, Cast to fp16, fp16 MatMul on [batch, seq, 8]: both precisions, each in seq
    w = nh.from_array(np.ones((8, 8), np.float32), "w")
    w16 = nh.from_array(np.ones((8, 8), np.float16), "w16")
    nodes = [h.make_node("MatMul", ["x", "w"], ["a"], name="/a"),
             h.make_node("Cast", ["a"], ["b"], name="/cast", to=T.FLOAT16),
             h.make_node("MatMul", ["b", "w16"], ["y"], name="/b")]
    path = _save(tmp_path, "mixed", nodes, [h.make_tensor_value_info("x", T.FLOAT, ["batch", "seq", 8])],
                 [h.make_tensor_value_info("y", T.FLOAT16, ["batch", "seq", 8])], [w, w16])
    d = json.loads(cli(path, "--json").stdout)
    assert set(d["by_precision"]) == {"fp32", "fp16"}
    assert d["by_precision"]["fp32"]["macs"] is None  # 64·seq: no number without seq


@pytest.mark.parametrize("device", [[], ["--device", "h100"]])
def test_strict_exits_the_same_under_a_sweep_with_or_without_a_device(tmp_path, device):
    # an op no rule knows on x[seq]: every row is partial, and --strict says so either way
    nodes = [h.make_node("Relu", ["x"], ["r"], name="r"), h.make_node("Mystery", ["r"], ["y"], domain="acme", name="m")]
    g = h.make_graph(nodes, "g", [h.make_tensor_value_info("x", T.FLOAT, ["seq"])],
                     [h.make_tensor_value_info("y", T.FLOAT, ["seq"])])
    path = tmp_path / "unknown_seq.onnx"
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 17), h.make_opsetid("acme", 1)]), path)
    r = cli(str(path), "--sweep", "seq=2,4", *device, "--strict")
    assert r.exit_code == 1, r.output
    assert "--strict: some node(s) not counted at seq=2, seq=4" in r.stderr


def test_the_library_report_of_a_symbolic_model_says_the_same_everywhere(tmp_path):
    """Review of issue 19, findings 1, 2, 7 and 23: ``group``, ``coverage``, ``not_counted``,
    ``repr`` and arithmetic on the library's report of mlp_batch_seq (64·seq MACs, 120·seq
    FLOPs at batch=1, params 64) give what --json gives, never the default binding's zeros."""
    from onnx_cost.model.totals import by_op_type

    mlp = onnx_cost.analyze(mlp_batch_seq(tmp_path))
    g = mlp.group(by_op_type)
    assert set(g) == {"MatMul"}
    assert (g["MatMul"].macs, g["MatMul"].flops, g["MatMul"].params) == (None, None, 64)
    # one node, counted (its count is a polynomial in seq): 1/1, as to_dict says
    assert (mlp.coverage.counted, mlp.coverage.shape_unknown, mlp.not_counted) == (1, 0, [])
    assert mlp.to_dict()["coverage"]["counted"] == 1
    assert repr(mlp) == (f"<Report {mlp.model.path!r} at batch=1* (* default binding): 120·seq FLOPs, "
                         "64·seq MACs, 64 params, 1/1 nodes counted or zero-compute>")
    with pytest.raises(TypeError, match="dim left symbolic"):
        mlp.total + mlp.total
    # bound, the same report is numbers again: seq=3 -> 192 MACs, 360 FLOPs
    bound = onnx_cost.analyze(mlp_batch_seq(tmp_path), dims={"seq": 3})
    assert bound.group(by_op_type)["MatMul"].macs == 192 and (bound.total + bound.total).flops == 720


def test_the_library_attaches_the_views_the_command_line_does(tmp_path):
    """Issue 19 item 1: ``analyze`` decides the views too. ``device=`` and ``convention=``
    give the same ``views`` as ``--device`` and ``--convention`` in ``--json``; with a dim
    left symbolic both refuse (there are no numbers to put on a device)."""
    conv = conv_dynbatch(tmp_path)
    lib = onnx_cost.analyze(conv, device="t4", convention="fvcore").to_dict()["views"]
    out = runner.invoke(app, [conv, "--device", "t4", "--convention", "fvcore", "--json"])
    assert out.exit_code == 0, out.output
    assert lib == json.loads(out.stdout)["views"]
    # fvcore counts one "flop" per MAC: the conv's 6,912 MACs at batch=1 (the Relu is not counted)
    assert lib["convention:fvcore"]["total"]["flops"] == 6912
    assert lib["hardware"]["data"]["device"]["name"]
    with pytest.raises(onnx_cost.BindingError, match="seq"):
        onnx_cost.analyze(mlp_batch_seq(tmp_path), device="t4")
    with pytest.raises(onnx_cost.BindingError, match="convention"):
        onnx_cost.analyze(conv, convention="no-such-tool")


def test_every_sweep_output_states_its_binding(tmp_path):
    """Review of issue 19, finding 8: --sweep's CSV (on stderr: CSV has no place for it) and
    the hardware sweep's JSON state the default binding the other dims were counted at."""
    mlp = mlp_batch_seq(tmp_path)
    r = runner.invoke(app, [mlp, "--sweep", "seq=2,3", "--csv"])
    assert r.exit_code == 0 and "default binding: batch=1" in r.stderr
    # seq=2 at batch=1: 64·2 = 128 MACs
    assert "128" in r.stdout.splitlines()[1]
    r = runner.invoke(app, [mlp, "--sweep", "seq=2,3", "--device", "t4", "--json"])
    d = json.loads(r.stdout)
    assert r.exit_code == 0 and d["default_binding"] == {"batch": 1} and d["onnx_cost_version"]
    plain = json.loads(runner.invoke(app, [mlp, "--sweep", "seq=2,3", "--json"]).stdout)
    assert plain["default_binding"] == d["default_binding"]


def test_bind_none_lists_the_dims_it_left_free(tmp_path):
    """Review of issue 19, finding 10: with bind="none" no default binding applies, and the
    JSON's free_dims (docs/json.md: symbolic input dims nothing binds) lists them, with the hint."""
    d = onnx_cost.analyze(mlp_batch_seq(tmp_path), bind="none").to_dict()
    assert d["free_dims"] == ["batch", "seq"] and d["bind_hint"] == "--dim batch=N --dim seq=N"
    d = onnx_cost.analyze(mlp_batch_seq(tmp_path), bind="none", dims={"seq": 4}).to_dict()
    assert d["free_dims"] == ["batch"] and d["default_binding"] == {}


def test_the_librarys_json_is_the_commands_json(tmp_path):
    """Review of issue 19, finding 17: analyze(...).to_json() is --json, key for key, the
    conventions' part included (it lacked "convention" and "conventions")."""
    for path in models(tmp_path):
        out = runner.invoke(app, [path, "--json"])
        assert out.exit_code in (0, 1), out.output
        assert json.loads(onnx_cost.analyze(path).to_json()) == json.loads(out.stdout), path
    d = onnx_cost.analyze(conv_dynbatch(tmp_path)).to_dict()
    # the exact profile at batch=1: the conv's 6,912 MACs, 14,080 FLOPs with the Relu (docstring above)
    assert d["convention"] == "exact" and d["conventions"][0]["total"] == {"flops": 14080, "macs": 6912}
