"""--format model-explorer and --format netron: keys and values against the JSON report's
node records, the keys against Model Explorer's real ONNX adapter, the CLI around them.

The adapter check needs the test extra (ai-edge-model-explorer, model-explorer-onnx): it
skips without it locally and fails in CI (``CI`` set), where ``make install`` puts it in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import onnx
import pytest
from onnx import helper
from typer.testing import CliRunner

import onnx_cost
from onnx_cost.analyzer.functions import CALL_KEY
from onnx_cost.cli import app
from onnx_cost.render.overlays import COUNTS, Overlay, model_explorer_data, netron_data, thresholds

from helpers import init, make_model, vi

FIX = Path(__file__).resolve().parent.parent / "fixtures"
FIXTURES = sorted(p.name for p in FIX.glob("*.onnx"))
XSS = "<script>alert(1)</script>"
N = helper.make_node


def expected_value(metric: str, node: dict) -> int:
    """A count as docs/json.md defines it from a JSON node record."""
    if metric == "ops":
        return node["flops"] + node["int_ops"]
    if metric == "bytes":
        return node["read_bytes"] + node["write_bytes"]
    return node[metric]


# -- models built here: what the adapter does to names, written out by hand -------------------


def unnamed_model() -> onnx.ModelProto:
    """An empty graph name, two unnamed nodes, a name used twice and a markup name."""
    m = make_model(
        [N("MatMul", ["x", "w"], ["h"]), N("Relu", ["h"], ["a"], "dup"), N("Sigmoid", ["a"], ["b"], "dup"),
         N("Add", ["b", "h"], ["c"]), N("Tanh", ["c"], ["y"], XSS)],
        [("x", "float32", [2, 4])], [("y", "float32", [2, 3])], [init("w", "float32", [4, 3])])
    m.graph.name = ""
    return m


# NameFixPass: the unnamed MatMul is "node", the second "dup" is "dup_1", the unnamed Add "node_1"
UNNAMED_KEYS = {("", "h"): "node", ("dup", "a"): "dup", ("dup", "b"): "dup_1", ("", "c"): "node_1", (XSS, "y"): XSS}


def if_model() -> onnx.ModelProto:
    """An unnamed If on a data condition: the adapter flattens its branches into the main graph."""
    then = helper.make_graph([N("MatMul", ["x", "w"], ["t"])], "then", [], [vi("t", "float32", [2, 3])])
    other = helper.make_graph([N("Relu", ["x3"], ["e"], "r")], "else", [], [vi("e", "float32", [2, 3])])
    nodes = [N("ReduceSum", ["x"], ["s"], "sum", keepdims=0), N("Greater", ["s", "zero"], ["c"], "gt"),
             N("If", ["c"], ["y"], then_branch=then, else_branch=other)]
    m = make_model(nodes, [("x", "float32", [2, 4]), ("x3", "float32", [2, 3])], [("y", "float32", [2, 3])],
                   [init("w", "float32", [4, 3]), init("zero", "float32", [], [0.0])])
    return m


# graph "g": the If is the third node and unnamed: "node"; its branches' nodes "node/<branch>/<name>"
IF_KEYS = {("sum", "s"): "sum", ("gt", "c"): "gt", ("", "y"): "node", ("", "t"): "node/then_branch/node",
           ("r", "e"): "node/else_branch/r"}


def function_model() -> onnx.ModelProto:
    """A local function called twice, once by an unnamed node: our analysis inlines the calls."""
    body = [N("MatMul", ["a", "w"], ["m"], "mm"), N("Add", ["m", "b"], ["o"])]
    f = helper.make_function("custom", "Lin", ["a", "w", "b"], ["o"], body, [helper.make_opsetid("", 21)])
    nodes = [N("Lin", ["x", "w1", "b1"], ["h"], "call_a", domain="custom"), N("Relu", ["h"], ["r"], "relu"),
             N("Lin", ["r", "w2", "b2"], ["y"], domain="custom")]
    m = make_model(nodes, [("x", "float32", [2, 4])], [("y", "float32", [2, 4])],
                   [init("w1", "float32", [4, 4]), init("b1", "float32", [4]), init("w2", "float32", [4, 4]),
                    init("b2", "float32", [4])], extra_opsets={"custom": 1})
    m.functions.append(f)
    return m


BUILT = {"unnamed": unnamed_model, "if": if_model, "function": function_model}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """The built models as files (the viewers, and our writers, read the file)."""
    d = tmp_path_factory.mktemp("overlays")
    out = {}
    for name, make in BUILT.items():
        out[name] = d / f"{name}.onnx"
        onnx.save(make(), out[name])
    return out


def overlay(path: Path) -> tuple[Overlay, dict]:
    report = onnx_cost.analyze(path)
    return Overlay(report, onnx.load(path, load_external_data=False)), report.to_dict()


def expected_keys(path: Path, json_nodes: list[dict], graph_name: str) -> list[tuple[str, str]]:
    """(graph id, node id) of every JSON node record, by the adapter's rules written by hand."""
    out = []
    for n in json_nodes:
        key = (n["name"], n["output_names"][0])
        if path.stem == "unnamed":
            out.append((graph_name, UNNAMED_KEYS[key]))
        elif path.stem == "if":
            out.append((graph_name, IF_KEYS[key]))
        elif path.stem == "tiny_control_flow":  # a Loop whose body holds an If (flattened into the body)
            body = {"/body/Tanh": "/body/Tanh", "/body/If": "/body/If", "/body/Identity": "/body/Identity",
                    "/then/MatMul": "/body/If/then_branch//then/MatMul", "/else/Relu": "/body/If/else_branch//else/Relu"}
            out.append((graph_name, n["name"]) if n["graph"] == "" else ("/Loop/body", body[n["name"]]))
        else:
            assert n["graph"] == "" and CALL_KEY not in n["metadata"]
            out.append((graph_name, n["name"]))
    return out


@pytest.mark.parametrize("name", [*FIXTURES, "unnamed", "if"])  # "function": the test after this one
@pytest.mark.parametrize("metric", list(COUNTS))
def test_model_explorer_values_are_the_json_records(name, metric, built):
    path = built.get(name, FIX / name)
    ov, doc = overlay(path)
    data = model_explorer_data(ov, metric)
    gname = onnx.load(path, load_external_data=False).graph.name
    keys = expected_keys(path, doc["nodes"], gname)
    assert len(set(keys)) == len(keys)  # one viewer node per record
    for (graph, key), node in zip(keys, doc["nodes"]):
        if node["status"] in ("counted", "zero"):
            assert data[graph]["results"][key] == {"value": expected_value(metric, node)}
        else:  # never a silent 0: a node we could not count has no value
            assert key not in data.get(graph, {}).get("results", {})
    placed = {(g, k) for g, d in data.items() for k in d["results"]}
    assert placed <= set(keys)


def test_function_calls_sum_their_inlined_nodes(built):
    ov, doc = overlay(built["function"])
    data = model_explorer_data(ov, "flops")
    by_call: dict[str, list[dict]] = {}
    for n in doc["nodes"]:
        if CALL_KEY in n["metadata"]:
            by_call.setdefault(n["metadata"][CALL_KEY], []).append(n)
    # the unnamed call is our inliner's "Lin_2" (second call) and the adapter's "node"
    assert sorted(by_call) == ["Lin_2", "call_a"]
    main = data["g"]["results"]
    assert main["call_a"]["value"] == sum(n["flops"] for n in by_call["call_a"])
    assert main["node"]["value"] == sum(n["flops"] for n in by_call["Lin_2"])
    assert main["relu"]["value"] == next(n["flops"] for n in doc["nodes"] if n["name"] == "relu")
    body = data["[function]custom::Lin"]["results"]  # each body node: its records over both calls
    assert body["mm"]["value"] == sum(n["flops"] for n in doc["nodes"] if n["name"].endswith("/mm"))
    assert body["node"]["value"] == sum(n["flops"] for n in doc["nodes"] if n["name"].endswith("/Add_1"))
    assert body["mm"]["value"] > 0 and body["node"]["value"] > 0


def test_thresholds_at_quantiles_of_the_positive_values():
    # positives 1..10 (n=10), nearest rank: q0.5 -> 5th (5), q0.75 -> 8th (8), q0.9 -> 9th (9),
    # q0.975 -> 10th (10), q1 -> 10th again: one threshold, in the darkest colour
    t = thresholds([0, *range(1, 11)])
    assert t == [{"value": 0, "bgColor": "#ffffff"}, {"value": 5, "bgColor": "#ffffb2"},
                 {"value": 8, "bgColor": "#fecc5c"}, {"value": 9, "bgColor": "#fd8d3c"},
                 {"value": 10, "bgColor": "#bd0026"}]
    assert thresholds([7])[-1] == {"value": 7, "bgColor": "#bd0026"}  # one value: every quantile is it
    assert thresholds([0, 0]) == [{"value": 0, "bgColor": "#ffffff"}]


def test_netron_attachment_is_the_json_records(built):
    path = FIX / "tiny_cnn.onnx"
    ov, doc = overlay(path)
    att = netron_data(ov)
    assert att["signature"] == "netron:attachment"
    got = {(m["kind"], m["target"], m["name"]): m["value"] for m in att["metrics"]}
    for n in doc["nodes"]:
        assert got[("node", n["name"], "status")] == n["status"]
        for metric in COUNTS:
            assert got[("node", n["name"], metric)] == expected_value(metric, n)
    for metric in ("flops", "macs", "params", "read_bytes", "write_bytes"):
        assert got[("model", "", metric)] == doc["total"][metric]
    assert got[("model", "", "coverage_percent")] == doc["coverage"]["percent"]


def test_netron_leaves_out_what_it_cannot_name(built):
    """Netron keys a node by its name alone: unnamed nodes and a repeated name are left out."""
    ov, _ = overlay(built["unnamed"])
    targets = {m["target"] for m in netron_data(ov)["metrics"] if m["kind"] == "node"}
    assert targets == {XSS}


def test_names_stay_json_strings(built, tmp_path):
    out = tmp_path / "me.json"
    r = subprocess.run([sys.executable, "-m", "onnx_cost", str(built["unnamed"]), "--format", "model-explorer",
                        "-o", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert XSS in json.loads(text)[""]["results"]  # the name, exactly, once parsed
    assert not set("<>&") & set(text) and text.isascii()  # and no markup character in the file


def test_hardware_metrics_are_the_views_rows(tmp_path):
    from onnx_cost.cli.hardware import plan

    path = FIX / "tiny_cnn.onnx"
    report = onnx_cost.analyze(path)
    report = plan("t4", False, None, False, None, "model-explorer", False).attach(report, str(path))
    ov = Overlay(report, onnx.load(path))
    rows = report.views["hardware"].data["nodes"]
    floor = model_explorer_data(ov, "floor_us")["tiny_cnn"]["results"]
    bound = model_explorer_data(ov, "bound")["tiny_cnn"]["results"]
    intensity = model_explorer_data(ov, "intensity")["tiny_cnn"]["results"]
    assert len(rows) == len(floor) == 11
    for row in rows:
        assert floor[row["name"]]["value"] == row["floor_s"] * 1e6
        assert bound[row["name"]]["value"] == row["bound"] and bound[row["name"]]["bgColor"]
        if row["bytes"]:
            assert intensity[row["name"]]["value"] == row["ops"] / row["bytes"] == row["intensity"]
        else:  # no bytes moved (Flatten is a view): the view's own intensity (0 or none)
            assert intensity.get(row["name"], {"value": None})["value"] == row["intensity"]
    assert ("predicted_us" in ov.metrics) == any("predicted_s" in r for r in rows)


def test_predicted_us_only_where_the_view_predicts():
    """Per node, the view's ``predicted_s`` (its kernel's time, on the node heading the kernel):
    the overlay reads it and leaves out a node fused into another (its time is its head's) and a
    node the view predicts nothing for. The rows' values are written here by hand into the view,
    to check how the overlay reads them."""
    from onnx_cost.cli.hardware import plan

    path = FIX / "tiny_cnn.onnx"
    report = onnx_cost.analyze(path)
    report = plan("t4", False, None, False, None, "model-explorer", False).attach(report, str(path))
    rows = report.views["hardware"].data["nodes"]
    for row in rows:
        row["predicted_s"], row["fused_into"] = None, None
    assert "predicted_us" not in Overlay(report, onnx.load(path)).metrics  # no prediction: no metric
    for i, row in enumerate(rows):
        row["predicted_s"] = None if i == 0 else 1e-6 * (i + 1)  # node 0: the view predicts nothing
    rows[2]["predicted_s"], rows[2]["fused_into"] = 0.0, rows[1]["name"]  # node 2 runs in node 1's kernel
    got = model_explorer_data(Overlay(report, onnx.load(path)), "predicted_us")["tiny_cnn"]["results"]
    assert rows[0]["name"] not in got and rows[2]["name"] not in got
    assert all(got[row["name"]]["value"] == pytest.approx(i + 1, rel=1e-12) for i, row in enumerate(rows)
               if i not in (0, 2))


def test_the_netron_model_has_the_floor_and_the_latency_the_view_gives():
    """The model's totals: floor_us from the view's floor_s, predicted_us from its predicted_s only
    when views/hardware/latency.py reads the latency there (both set here by hand)."""
    from onnx_cost.cli.hardware import plan

    path = FIX / "tiny_cnn.onnx"
    report = onnx_cost.analyze(path)
    report = plan("t4", False, None, False, None, "model-explorer", False).attach(report, str(path))
    data = report.views["hardware"].data
    data["floor_s"], data["predicted_s"] = 2e-6, 3e-5

    def model() -> dict:
        doc = netron_data(Overlay(report, onnx.load(path)))
        return {m["name"]: m["value"] for m in doc["metrics"] if m["kind"] == "model"}

    assert model()["floor_us"] == pytest.approx(2.0, rel=1e-12)
    assert model()["predicted_us"] == pytest.approx(30.0, rel=1e-12)
    data["predicted_s"] = None
    assert "predicted_us" not in model() and model()["floor_us"] == pytest.approx(2.0, rel=1e-12)


def test_measured_metrics_are_the_runs_rows(tmp_path, monkeypatch):
    pytest.importorskip("onnxruntime")  # the runtime extra
    from test_hardware_local import write_fake_calibration

    from onnx_cost.cli.hardware import plan

    # --measure's default device is local: a cached fake calibration, never this machine's
    # real one written into the user's cache (it took tens of seconds and left a file behind)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    write_fake_calibration()

    path = FIX / "tiny_cnn.onnx"
    report = onnx_cost.analyze(path)
    report = plan(None, False, None, True, None, "model-explorer", False).attach(report, str(path))  # --measure
    ov = Overlay(report, onnx.load(path))
    rows = report.views["hardware"].data["run"]["nodes"]  # onnxruntime's profile, matched by node name
    assert rows and {"measured_us", "measured_over_floor"} <= set(ov.metrics)
    measured = model_explorer_data(ov, "measured_us")["tiny_cnn"]["results"]
    ratio = model_explorer_data(ov, "measured_over_floor")["tiny_cnn"]["results"]
    over = model_explorer_data(ov, "measured_over_predicted")["tiny_cnn"]["results"]
    for row in rows:  # per kernel, under its head node: its time against the kernel's floor and prediction
        assert measured[row["name"]]["value"] == row["measured_s"] * 1e6
        if row["floor_s"]:
            assert ratio[row["name"]]["value"] == row["measured_s"] / row["floor_s"] == row["ratio"]
        if row.get("predicted_s"):
            assert over[row["name"]]["value"] == row["measured_s"] / row["predicted_s"] == row["predicted_ratio"]
        for name in row.get("fused", []):  # a node fused into the kernel has no time of its own
            assert name not in measured and name not in ratio


# -- the CLI -----------------------------------------------------------------------------------


def run(*args: str):
    """The CLI in process (typer's runner): ``returncode``, ``stdout`` and ``stderr`` as a process's."""
    r = CliRunner().invoke(app, list(args))
    r.returncode = r.exit_code
    return r


def test_metric_all_writes_one_file_per_metric(tmp_path):
    folder = tmp_path / "nodedata"
    r = run(str(FIX / "tiny_cnn.onnx"), "--format", "model-explorer", "--metric", "all", "-o", str(folder))
    assert r.returncode == 0, r.stderr
    assert sorted(p.stem for p in folder.iterdir()) == sorted(COUNTS)
    assert json.loads((folder / "macs.json").read_text())["tiny_cnn"]["results"]["/features/conv1/Conv"] == {
        "value": 221184}  # 8 out channels x 32x32 pixels x 3x3x3 taps


def test_cli_refusals(tmp_path):
    model = tmp_path / "m.onnx"
    model.write_bytes((FIX / "tiny_mlp.onnx").read_bytes())
    before = model.read_bytes()
    (tmp_path / "m.txt").write_text("a file")
    for args, says in [
        (["--format", "netron", "-o", str(model)], "model file itself"),
        (["--metric", "flops"], "--metric does not apply to --format table"),
        (["--format", "netron", "--metric", "flops"], "--metric does not apply to --format netron"),
        (["--format", "model-explorer", "--metric", "floor_us"], "--metric floor_us: needs --device"),
        (["--format", "model-explorer", "--metric", "nope"], "--metric nope: unknown"),
        (["--format", "model-explorer", "--metric", "all"], "give -o FOLDER"),
        (["--format", "model-explorer", "--metric", "all", "-o", str(tmp_path / "m.txt")], "writes a folder"),
        (["--format", "netron", "--convention", "fvcore"], "--convention does not apply"),
    ]:
        r = run(str(model), *args)
        assert r.returncode == 2 and says in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
    assert model.read_bytes() == before


def test_metric_all_never_writes_over_the_model(tmp_path):
    """One of the metric files is (a link to) the model: refused, nothing written."""
    folder = tmp_path / "out"
    folder.mkdir()
    model = tmp_path / "m.onnx"
    model.write_bytes((FIX / "tiny_cnn.onnx").read_bytes())
    (folder / "params.json").symlink_to(model)  # the last metric written: none may go first
    r = run(str(model), "--format", "model-explorer", "--metric", "all", "-o", str(folder))
    assert r.returncode == 2 and "model file itself" in r.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["params.json"]
    assert model.read_bytes() == (FIX / "tiny_cnn.onnx").read_bytes()


def test_device_metric_from_the_cli(tmp_path):
    out = tmp_path / "floor.json"
    r = run(str(FIX / "tiny_mlp.onnx"), "--format", "model-explorer", "--device", "t4", "--metric", "floor_us",
            "-o", str(out))
    assert r.returncode == 0, r.stderr
    doc = json.loads(run(str(FIX / "tiny_mlp.onnx"), "--json", "--device", "t4").stdout)
    want = {n["name"]: n["floor_s"] * 1e6 for n in doc["views"]["hardware"]["data"]["nodes"]}
    got = {k: v["value"] for k, v in json.loads(out.read_text())["tiny_mlp"]["results"].items()}
    assert got == pytest.approx(want, rel=1e-12)


# -- against Model Explorer's real ONNX adapter ------------------------------------------------


def adapter():
    try:
        from model_explorer_onnx.main import ONNXAdapter
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("model-explorer-onnx required in CI (the test extra)")
        pytest.skip("no model-explorer-onnx here (pip install -e '.[test]')")
    return ONNXAdapter()


SYNTHETIC = ("[value] ",)  # graph inputs and outputs the adapter draws as nodes


@pytest.mark.parametrize("name", FIXTURES + list(BUILT))
def test_keys_are_the_adapters_node_ids(name, built):
    path = built.get(name, FIX / name)
    graphs = {g.id: g for g in adapter().convert(str(path), {})["graphs"]}
    ov, _ = overlay(path)
    ours: dict[str, set[str]] = {}
    for t in ov.targets:
        if t.graph is not None and t.records:
            ours.setdefault(t.graph, set()).add(t.node)
    for gid, ids in ours.items():
        shown = {n.id for n in graphs[gid].nodes}
        assert ids <= shown, (gid, ids - shown)
    # and every op node the adapter shows carries records (none is forgotten)
    for gid, g in graphs.items():
        ops = {n.id for n in g.nodes if not n.id.startswith(SYNTHETIC) and n.label != "Initializer"
               and not n.label.startswith("(")}  # (Capture), (Phi): the adapter's own
        assert ops <= ours.get(gid, set()), (gid, ops - ours.get(gid, set()))
    data = model_explorer_data(ov, "ops")  # the file holds those keys only
    assert all(set(d["results"]) <= ours[gid] for gid, d in data.items())


def test_overlay_text_is_the_stdlib_indented_json() -> None:
    """_text writes json.dumps(indent=1)'s bytes itself (faster): the same text for every
    kind of value, and the stdlib's own refusal of a NaN (allow_nan=False)."""
    from onnx_cost.render.overlays import _text

    data = {"signature": "netron:attachment", "é\u2028<&>": [1, -2, 2**70, 0.1, 1e300, -0.0, True, False, None],
            "nested": {"a": {}, "b": [], "c": [{"x": "y"}, [[]], ()], "d": (1, "two")}, "n": 3, "f": 2.5,
            "flag": True, "none": None, "list": [{"kind": "node", "value": 7}]}
    want = json.dumps(data, indent=1, allow_nan=False)
    assert _text(data) == want.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"
    with pytest.raises(ValueError, match="not JSON compliant"):
        _text({"v": [float("nan")]})
    assert _text({1: "int key"}) == json.dumps({1: "int key"}, indent=1) + "\n"  # left to the stdlib


def _overlay(path, device):  # type: ignore[no-untyped-def]
    """The overlay of ``path`` analyzed with ``device``; skipped where a dim has no default
    (no numbers, so no device view)."""
    try:
        report = onnx_cost.analyze(path, device=device)
    except onnx_cost.BindingError:
        assert device is not None
        pytest.skip("free dims with no default")
    return Overlay(report, onnx.load(path, load_external_data=False))


@pytest.mark.parametrize("name", [*FIXTURES, "unnamed", "function"])
@pytest.mark.parametrize("device", [None, "t4"])
def test_netron_text_is_the_stdlib_text_of_its_data(name, device, built):
    """--format netron writes its file a column at a time (overlays._netron_text): the same
    bytes as json.dumps(indent=1) of netron_data, markup characters escaped, and a value of
    another type (a NaN here, set by hand) falls back to the generic writer."""
    from onnx_cost.render.overlays import _netron_text

    ov = _overlay(built.get(name, FIX / name), device)
    plain = json.dumps(netron_data(ov), indent=1, allow_nan=False)
    want = plain.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"
    assert _netron_text(ov) == want
    assert json.loads(want) == netron_data(ov)
    if name == "unnamed":
        assert "\\u003cscript\\u003e" in want and XSS not in want
    if device:
        ov.values["floor_us"][0] = float("nan")  # not finite: no entry, in both writers
        assert _netron_text(ov) == _text_of(netron_data(ov))


def _text_of(data: dict) -> str:
    plain = json.dumps(data, indent=1, allow_nan=False)
    return plain.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"


@pytest.mark.parametrize("name", [*FIXTURES, "unnamed", "function", "if"])
@pytest.mark.parametrize("device", [None, "t4"])
def test_model_explorer_text_is_the_stdlib_text_of_its_data(name, device, built):
    """--format model-explorer writes each node's result from a template (overlays._me_text):
    the same bytes as json.dumps(indent=1) of its data, for every metric, labels included."""
    from onnx_cost.render.overlays import _me_text

    ov = _overlay(built.get(name, FIX / name), device)
    for metric in ov.metrics:
        data = model_explorer_data(ov, metric)
        assert _me_text(data) == _text_of(data)
