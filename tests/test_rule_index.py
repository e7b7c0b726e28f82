"""The rule families are imported on first use, through the generated index rules/_index.py.

The index is derived again here (scripts/gen_rule_index.py --check imports every family
module in a fresh process and records what each registers): adding an op to a rule module
without regenerating the index fails this test, which names the command to run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from onnx_cost.rules import REGISTRY, SHAPES, load_all
from onnx_cost.rules._index import OPS
from onnx_cost.rules.registry import UNCOUNTABLE

ROOT = Path(__file__).resolve().parent.parent


def _fresh(code: str) -> str:
    """Run ``code`` in a fresh interpreter (no family module imported yet); its stdout."""
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_the_index_is_what_the_rule_modules_register() -> None:
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_rule_index.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_every_indexed_op_is_registered_by_its_module() -> None:
    load_all()
    for module, domains in OPS.items():
        for domain, ops in domains.items():
            for op in ops:
                key = (domain, op)
                entry = REGISTRY.get(key)
                found = (entry is not None and entry.fn is not None and entry.fn.__module__ == f"onnx_cost.rules.{module}") or (
                    entry is not None and entry.zero and entry.family in (module, "zero")
                ) or key in UNCOUNTABLE or (key in SHAPES and SHAPES[key].__module__ == f"onnx_cost.rules.{module}")
                assert found, (module, key)


def test_an_analysis_imports_only_the_families_of_its_ops() -> None:
    out = _fresh(
        """
        import json, sys
        import onnx_cost.analyzer as analyzer
        before = {m for m in sys.modules if m.startswith("onnx_cost.rules.")}
        r = analyzer.analyze("fixtures/tiny_cnn.onnx")
        after = {m for m in sys.modules if m.startswith("onnx_cost.rules.")}
        ops = sorted({(rec.domain, rec.op_type) for rec in r.nodes})
        print(json.dumps({"new": sorted(after - before), "ops": ops}))
        """
    )
    got = json.loads(out)
    ops = {tuple(k) for k in got["ops"]}
    wanted = {f"onnx_cost.rules.{m}" for m, ds in OPS.items() for d, names in ds.items() if any((d, o) in ops for o in names)}
    new_families = {m for m in got["new"] if not m.rpartition(".")[2].startswith("_")}
    assert new_families <= wanted  # matmul may be in before: the shape pass imports it
    assert len(new_families) < len(OPS) // 2  # not everything: tiny_cnn has a handful of op types


def test_lazy_and_eager_loading_give_the_same_report() -> None:
    code = """
        from onnx_cost.model.schema import to_json
        import onnx_cost.analyzer as analyzer
        {eager}
        for f in ("tiny_cnn", "tiny_attention", "tiny_decoder", "tiny_lstm", "tiny_control_flow"):
            print(to_json(analyzer.analyze(f"fixtures/{{f}}.onnx")))
        """
    lazy = _fresh(code.format(eager=""))
    eager = _fresh(code.format(eager="from onnx_cost.rules import load_all; load_all()"))
    assert lazy == eager


def test_a_rule_registered_in_process_meets_the_builtin_at_its_own_line() -> None:
    out = _fresh(
        """
        import sys
        from onnx_cost.rules import Cost, rule
        from onnx_cost.rules.registry import DuplicateRule, lookup
        assert "onnx_cost.rules.conv" not in sys.modules
        try:
            @rule("Conv")
            def mine(view):
                "Mine."
                return Cost()
        except DuplicateRule:
            print("duplicate")

        @rule("Conv", override=True)
        def mine2(view):
            "Mine."
            return Cost()
        print(lookup("", "Conv").fn is mine2)
        """
    )
    assert out.split() == ["duplicate", "True"]
