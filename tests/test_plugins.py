"""--rules files: the documented example counts its ops; a built-in rule is replaced only
with override=True, otherwise a clear usage error (exit 2)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper
from typer.testing import CliRunner

import onnx_cost
from onnx_cost.analyzer import plugins
from onnx_cost.cli import app
from onnx_cost.rules import REGISTRY, load_all

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "my_rules.py"
runner = CliRunner()


@pytest.fixture
def registry():
    """Leave the registry, and the plugin loader's memory, as other tests expect them."""
    load_all()
    saved = dict(REGISTRY)
    files = set(plugins._loaded_files)
    yield
    REGISTRY.clear()
    REGISTRY.update(saved)
    plugins._loaded_files.clear()
    plugins._loaded_files.update(files)


def _model(tmp_path: Path, op: str, domain: str) -> str:
    g = helper.make_graph(
        [helper.make_node(op, ["x"], ["y"], name="n", domain=domain)], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 5])],
    )
    imports = [helper.make_opsetid("", 17)] + ([helper.make_opsetid(domain, 1)] if domain else [])
    path = tmp_path / f"{op}.onnx"
    onnx.save(helper.make_model(g, opset_imports=imports), path)
    return str(path)


def test_the_example_in_the_docs_is_the_file_and_counts(tmp_path, registry):
    doc = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", doc, re.S).group(1)  # type: ignore[union-attr]
    assert block.strip() in EXAMPLE.read_text(encoding="utf-8")
    r = runner.invoke(app, [_model(tmp_path, "FastGelu", "com.example"), "--csv", "--rules", str(EXAMPLE)])
    assert r.exit_code == 0, r.stderr
    row = next(csv.DictReader(io.StringIO(r.stdout)))
    # 2·5 = 10 elements × 6 operations (5 arith, 1 transcendental) = 60
    assert (row["status"], row["flops"], row["arith"], row["transcendental"]) == ("counted", "60", "50", "10")


def test_api_rules_argument(tmp_path, registry):
    r = onnx_cost.analyze(_model(tmp_path, "Swish", "com.example"), rules=EXAMPLE)
    assert r.total.flops == 50  # 10 elements × 5 (sigmoid 4 + 1 mul)


def test_replacing_a_built_in_rule_without_override_is_exit_2(tmp_path, registry):
    f = tmp_path / "bad.py"
    f.write_text("from onnx_cost.rules import Cost, rule\n"
                 "@rule('Relu')\ndef relu(view):\n    '''free.'''\n    return Cost()\n")
    r = runner.invoke(app, [_model(tmp_path, "Relu", ""), "--rules", str(f)])
    assert r.exit_code == 2
    assert r.stderr == (f"onnx-cost: error: --rules {f}: Relu already has a rule (in activation); "
                        "pass override=True to @rule to replace it\n")


def test_override_true_replaces_the_built_in_rule(tmp_path, registry):
    model = _model(tmp_path, "Relu", "")
    assert onnx_cost.analyze(model).total.flops == 10  # 1 compare per element
    f = tmp_path / "free_relu.py"
    f.write_text("from onnx_cost.rules import Cost, rule\n"
                 "@rule('Relu', override=True)\ndef relu(view):\n    '''Relu counted as free.'''\n    return Cost()\n")
    r = onnx_cost.analyze(model, rules=[f])
    assert r.total.flops == 0 and r.nodes[0].status == "counted"


def _plugin_dist(site: Path, group: str) -> None:
    """An installed distribution in folder ``site`` declaring one entry point in ``group``:
    a module whose rule counts com.example's Tanh2 as 3 transcendental ops an element."""
    dist = site / "tanh2_plugin-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tanh2-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[{group}]\ntanh2 = tanh2_plugin_mod\n")
    (site / "tanh2_plugin_mod.py").write_text(
        "from onnx_cost.rules import Cost, rule\n"
        "@rule('Tanh2', domain='com.example')\ndef tanh2(view):\n    '''3 per element.'''\n"
        "    return Cost(transcendental=3 * view.out_numel(0))\n")


def test_an_installed_plugin_is_found_and_loaded(tmp_path, registry, monkeypatch):
    """may_have_plugins reads the entry_points.txt files of sys.path's distributions: one that
    names the group makes load_entry_points import it (2·5 elements × 3 = 30 ops)."""
    site = tmp_path / "site"
    _plugin_dist(site, plugins.ENTRY_POINT_GROUP)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(plugins, "_entry_points_loaded", False)
    assert plugins.may_have_plugins()
    plugins.load_entry_points()
    assert onnx_cost.analyze(_model(tmp_path, "Tanh2", "com.example")).total.flops == 30


def test_no_plugin_in_sight_skips_the_metadata_scan(tmp_path, monkeypatch):
    """A distribution of another group, or none: nothing could register a rule. A zip archive
    on sys.path is not looked into here: importlib.metadata decides."""
    site = tmp_path / "site"
    _plugin_dist(site, "some.other.group")
    monkeypatch.setattr("sys.path", [str(site), str(tmp_path / "absent")])
    assert not plugins.may_have_plugins()
    egg_info = tmp_path / "old_plugin-0.1.egg" / "EGG-INFO"  # an old egg on sys.path, its metadata inside
    egg_info.mkdir(parents=True)
    (egg_info / "entry_points.txt").write_text(f"[{plugins.ENTRY_POINT_GROUP}]\nold = old_mod\n")
    monkeypatch.setattr("sys.path", [str(site), str(egg_info.parent)])
    assert plugins.may_have_plugins()
    upper = tmp_path / "upper" / "Tanh2_Plugin-0.1.DIST-INFO"  # importlib.metadata matches names in any case
    upper.mkdir(parents=True)
    (upper / "entry_points.txt").write_text(f"[{plugins.ENTRY_POINT_GROUP}]\ntanh2 = tanh2_plugin_mod\n")
    monkeypatch.setattr("sys.path", [str(site), str(upper.parent)])
    assert plugins.may_have_plugins()
    archive = tmp_path / "plugins.zip"
    archive.write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip archive
    monkeypatch.setattr("sys.path", [str(site), str(archive)])
    assert plugins.may_have_plugins()
