"""onnx-cost check, the library side: every verdict derived by hand from the formulas of
docs/counting.md and the fixtures' shapes, never from numbers the code printed.

tiny_mlp (scripts/make_fixtures.py): x [batch, 16] -> MatMul w1 (16x16) -> Add b1 (16)
-> Relu -> MatMul w1 (the same weight) -> Add b1. Per batch row:
  MatMul: M·N·K = 16·16 = 256 MACs, 16 dots: 2·256 - 16 = 496 FLOPs; twice: 992
  Add: 16 FLOPs, twice: 32; Relu: 16 compares = 16 FLOPs
  flops = (992 + 32 + 16)·batch = 1040·batch; params = 16·16 + 16 = 272 (w1 and b1 once each)
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import onnx
import pytest
from onnx import helper

from onnx_cost.errors import BindingError
from onnx_cost.runners.check import check
from onnx_cost.views.check.decide import FAIL, PASS, UNKNOWN
from onnx_cost.views.check.expr import ExprError, parse_budget, parse_dims, parse_increase, parse_value

from helpers import init, make_model

FIX = Path(__file__).resolve().parent.parent / "fixtures"
MLP = str(FIX / "tiny_mlp.onnx")
n = helper.make_node


def verdicts(model: str, *budgets: str, **kw):
    res = check(model, [parse_budget(b) for b in budgets], **kw)
    return [(c.verdict, c.value, c.where) for c in res.checks], res


def mlp(tmp_path: Path, rows: int | str, relu: bool = True, name: str = "m") -> str:
    """tiny_mlp's layers (without the tied second weight) on x [rows, 16]: MatMul + Add (+ Relu)."""
    nodes = [n("MatMul", ["x", "w"], ["h"], "mm"), n("Add", ["h", "b"], ["a"], "add")]
    nodes.append(n("Relu", ["a"], ["y"], "relu") if relu else n("Identity", ["a"], ["y"], "id"))
    m = make_model(nodes, [("x", "float32", [rows, 16])], [("y", "float32", [rows, 16])],
                   [init("w", "float32", [16, 16]), init("b", "float32", [16])])
    path = tmp_path / f"{name}.onnx"
    onnx.save(m, path)
    return str(path)


# -- values and expressions ------------------------------------------------------------------

@pytest.mark.parametrize(("text", "metric", "value"), [
    ("4G", "flops", 4 * 10**9), ("12M", "params", 12 * 10**6), ("512MiB", "peak_memory", 512 * 2**20),
    ("1.5e9", "macs", 1_500_000_000), ("2KiB", "read_bytes", 2048), ("100%", "coverage", 100),
    ("10ms", "latency", Fraction(1, 100)), ("250us", "latency", Fraction(1, 4000)), ("7", "nodes", 7),
    ("0.5k", "params", 500),
])
def test_values_with_suffixes_and_units_are_exact(text, metric, value):
    assert parse_value(text, metric, "t") == value


@pytest.mark.parametrize("text", [
    "flopz<=3", "flops<3G", "flops<=3ms", "params<=2MiB", "latency<=3", "coverage<=90", "flops<=", "flops<=x",
    "coverage>=90%%", "latency<=3Gs",
])
def test_a_malformed_budget_is_a_usage_error_naming_the_metrics(text):
    with pytest.raises(ExprError) as e:
        parse_budget(text)
    assert e.value.exit_code == 2
    if text.startswith("flopz"):
        assert "flops" in str(e.value) and "peak_memory" in str(e.value)


def test_dims_bind_or_range():
    assert parse_dims(["batch=8", "seq=1:2048", "n=3:3"]) == ({"batch": 8, "n": 3}, {"seq": (1, 2048)})
    for bad in ("seq=9:2", "seq=a", "seq", "seq=-1:4"):
        with pytest.raises(ExprError):
            parse_dims([bad])


def test_increase_parses_with_or_without_the_percent_sign():
    assert parse_increase("flops=5%").percent == 5
    assert parse_increase("params=0").percent == 0
    with pytest.raises(ExprError):
        parse_increase("flops<=5%")


# -- budgets at one point --------------------------------------------------------------------

def test_a_budget_just_above_and_just_below_the_exact_total():
    got, _ = verdicts(MLP, "flops<=1040", "flops<=1039", "flops>=1040", "flops>=1041", "params<=272",
                      "params<=271", dims={"batch": 1})
    assert [v for v, _, _ in got] == [PASS, FAIL, PASS, FAIL, PASS, FAIL]
    assert got[0][1] == 1040 and got[4][1] == 272


def test_a_total_on_a_free_dim_is_unknown_never_a_pass():
    # tiny_attention's seq has no default: flops = 37·seq² + 350·seq has no value to check
    got, res = verdicts(str(FIX / "tiny_attention.onnx"), "flops<=1G", "params<=192")
    assert got[0][0] == UNKNOWN
    assert "seq" in res.checks[0].reason and "--dim seq=" in res.checks[0].reason
    assert got[1][0] == PASS  # params do not depend on seq: 8·8·3 = 192
    assert res.verdict == UNKNOWN and res.exit_code == 1
    res.allow_unknown = True
    assert res.exit_code == 0


def test_a_free_dim_with_a_default_is_checked_at_it_and_says_so():
    # the analysis's one policy: batch has a default (1), so flops = 1040·1 is decided
    got, res = verdicts(MLP, "flops<=1040", "flops<=1039")
    assert [v for v, _, _ in got] == [PASS, FAIL]
    assert res.defaults == {"batch": 1} and res.dims == {"batch": 1} and res.free == ()


def test_an_unknown_dim_name_is_a_binding_error():
    with pytest.raises(BindingError):
        check(MLP, [parse_budget("flops<=1")], dims={"batc": 1})


def test_peak_memory_weights_plus_peak_live_activations():
    # weights: w1 16·16·4 = 1,024 B + b1 16·4 = 64 B = 1,088 B; at batch 1 every step holds one
    # 16-float input and one 16-float output (64 + 64 B): peak 128 B; total 1,216 B
    got, _ = verdicts(MLP, "peak_memory<=1216", "peak_memory<=1215", dims={"batch": 1})
    assert got == [(PASS, 1216, {}), (FAIL, 1216, {})]


def test_coverage_is_exact_in_percent():
    got, _ = verdicts(MLP, "coverage>=100%", dims={"batch": 1})
    assert got == [(PASS, 100, {})]


def test_latency_reads_the_floor_and_says_so(monkeypatch):
    # a hardware view with no prediction (predicted_s null): the check reads floor_s, exactly,
    # and says so. The view's floor is set to 1.81 ns here: the check is what is under test.
    from onnx_cost.views.hardware import view

    real = view.hardware_dict

    def floor_only(*a, **k):
        d = real(*a, **k)
        d["predicted_s"], d["floor_s"] = None, 1.81e-9
        return d

    monkeypatch.setattr(view, "hardware_dict", floor_only)
    from onnx_cost.views.hardware.devices import load_device

    got, res = verdicts(MLP, "latency<=1.81ns", "latency<=1.80ns", dims={"batch": 1},
                        device=load_device("a100-40gb"))
    assert [v for v, _, _ in got] == [PASS, FAIL]
    assert float(got[0][1]) == pytest.approx(1.81e-9, rel=1e-12)
    assert res.latency == "floor_s" and "floor_s" in res.checks[0].reason


def test_latency_prefers_a_prediction_when_the_view_has_one(monkeypatch):
    from onnx_cost.views.check import metrics
    from onnx_cost.views.hardware import view

    real = view.hardware_dict

    def with_prediction(*a, **k):
        d = real(*a, **k)
        d["predicted_s"] = 0.004
        return d

    monkeypatch.setattr(view, "hardware_dict", with_prediction)
    from onnx_cost.views.hardware.devices import load_device

    got, res = verdicts(MLP, "latency<=4ms", "latency<=3.9ms", dims={"batch": 1}, device=load_device("a100-40gb"))
    assert [v for v, _, _ in got] == [PASS, FAIL]
    assert res.latency == metrics.PREDICTED and "predicted_s" in res.checks[0].reason


# -- partial models --------------------------------------------------------------------------

def partial(tmp_path: Path) -> str:
    """tiny_mlp's first layer, then an op no rule knows (com.example Mystery): not counted."""
    nodes = [n("MatMul", ["x", "w"], ["h"], "mm"), n("Add", ["h", "b"], ["a"], "add"),
             n("Mystery", ["a"], ["y"], "mystery", domain="com.example")]
    m = make_model(nodes, [("x", "float32", [1, 16])], [("y", "float32", None)],
                   [init("w", "float32", [16, 16]), init("b", "float32", [16])], extra_opsets={"com.example": 1})
    path = tmp_path / "partial.onnx"
    onnx.save(m, path)
    return str(path)


def test_a_partial_model_is_unknown_unless_its_lower_bound_already_fails(tmp_path):
    # counted: MatMul 2·256 - 16 = 496 FLOPs + Add 16 = 512 FLOPs, a lower bound (Mystery not counted)
    got, res = verdicts(partial(tmp_path), "flops<=10G", "flops<=511", "flops>=500", "flops>=600", "coverage>=100%")
    assert got[0][0] == UNKNOWN and "lower bound" in res.checks[0].reason
    assert got[1] == (FAIL, 512, {})  # 512 > 511 already: proved
    assert got[2][0] == PASS  # a lower bound of 512 already meets >= 500
    assert got[3][0] == UNKNOWN
    assert got[4][0] == FAIL and got[4][1] == Fraction(200, 3)  # 2 of 3 nodes counted: 66.7%
    assert res.verdict == FAIL


# -- ranges: the exact maximum over the box --------------------------------------------------

def test_a_range_is_decided_at_its_exact_maximum():
    # flops = 1040·batch on batch 1..64: largest at 64, 66,560
    got, res = verdicts(MLP, "flops<=66560", "flops<=66559", "params<=272", dims={}, ranges={"batch": (1, 64)})
    assert got[0] == (PASS, 66_560, {"batch": 64})
    assert got[1] == (FAIL, 66_560, {"batch": 64})
    assert got[2] == (PASS, 272, {})  # params do not depend on batch: no point to name
    assert "a corner" in res.checks[0].reason


def interior(tmp_path: Path, cap: int = 100) -> str:
    """x [n, 8]; y = ones [cap - n, 8] (its shape computed from Shape(x)); z = x · yᵀ [n, cap - n].
    MatMul: M·N·K = n·(cap - n)·8 MACs: 8·n·(100 - n), a parabola peaking inside the box."""
    nodes = [
        n("Shape", ["x"], ["s"], "shape"),
        n("Gather", ["s", "zero"], ["len"], "take_n", axis=0),
        n("Sub", ["cap", "len"], ["rest"], "rest"),
        n("Concat", ["rest", "eight"], ["yshape"], "yshape", axis=0),
        n("Expand", ["one", "yshape"], ["y"], "expand"),
        n("Transpose", ["y"], ["yt"], "yt", perm=[1, 0]),
        n("MatMul", ["x", "yt"], ["z"], "mm"),
    ]
    inits = [init("zero", "int64", [1], [0]), init("cap", "int64", [1], [cap]), init("eight", "int64", [1], [8]),
             init("one", "float32", [1], [1.0])]
    m = make_model(nodes, [("x", "float32", ["n", 8])], [("z", "float32", None)], inits, opset=17)
    path = tmp_path / "interior.onnx"
    onnx.save(m, path)
    return str(path)


def test_a_maximum_at_an_inner_point_not_a_corner(tmp_path):
    # 8·n·(100 - n) on n = 1..99: 792 at both corners, 8·50·50 = 20,000 at n = 50
    got, res = verdicts(interior(tmp_path), "macs<=20000", "macs<=19999", "macs>=792", "macs>=793",
                        ranges={"n": (1, 99)})
    assert got[0] == (PASS, 20_000, {"n": 50})
    assert got[1] == (FAIL, 20_000, {"n": 50})
    assert "inner point" in res.checks[0].reason
    assert got[2][0] == PASS and got[2][1] == 792 and got[2][2]["n"] in (1, 99)
    assert got[3][0] == FAIL


def test_sampling_the_corners_would_have_passed(tmp_path):
    # the trap the exact maximum avoids: both corners are 792, far under 10,000
    got, _ = verdicts(interior(tmp_path), "macs<=10000", ranges={"n": (1, 99)})
    assert got[0][0] == FAIL and got[0][2] == {"n": 50}


def test_what_is_not_a_polynomial_is_enumerated_on_a_small_box_else_unknown():
    # peak memory at batch b: 1,088 B of weights + 2·(16·4·b) B live = 1,088 + 128·b; b = 64: 9,280
    got, _ = verdicts(MLP, "peak_memory<=9280", "peak_memory<=9279", ranges={"batch": (1, 64)})
    assert got == [(PASS, 9280, {"batch": 64}), (FAIL, 9280, {"batch": 64})]
    got, res = verdicts(MLP, "peak_memory<=1G", ranges={"batch": (1, 65)})  # 65 points: past the 64 enumerated
    assert got[0][0] == UNKNOWN and "65 points" in res.checks[0].reason


# -- baselines -------------------------------------------------------------------------------

def test_an_increase_of_5_percent_passes_5_percent_and_fails_6(tmp_path):
    # one layer on x [rows, 16]: MatMul 496·rows + Add 16·rows + Relu 16·rows = 528·rows FLOPs;
    # 100 -> 105 rows is +5% exactly, 100 -> 106 is +6%
    base = mlp(tmp_path, 100, name="base")
    five, six = mlp(tmp_path, 105, name="five"), mlp(tmp_path, 106, name="six")
    inc = [parse_increase("flops=5%")]
    r5, r6 = check(five, [], inc, baseline=base), check(six, [], inc, baseline=base)
    assert (r5.checks[0].verdict, r5.checks[0].value, r5.checks[0].baseline) == (PASS, 528 * 105, 528 * 100)
    assert (r6.checks[0].verdict, r6.checks[0].value) == (FAIL, 528 * 106)
    assert r6.checks[0].limit == 528 * 105 and "+6%" in r6.checks[0].reason


def test_a_json_baseline_reads_the_report_of_onnx_cost_json(tmp_path):
    import onnx_cost

    base = mlp(tmp_path, 100, name="base")
    (tmp_path / "base.json").write_text(onnx_cost.analyze(base).to_json(), encoding="utf-8")
    inc = [parse_increase("flops=5%"), parse_increase("params=0%")]
    r5 = check(mlp(tmp_path, 105, name="five"), [], inc, baseline=str(tmp_path / "base.json"))
    r6 = check(mlp(tmp_path, 106, name="six"), [], inc, baseline=str(tmp_path / "base.json"))
    assert [c.verdict for c in r5.checks] == [PASS, PASS]  # params 16·16 + 16 = 272 both
    assert [c.verdict for c in r6.checks] == [FAIL, PASS]


def test_a_baseline_of_zero_and_a_new_nonzero_value_is_an_increase(tmp_path):
    # compare: 0 without the Relu, 16·100 = 1,600 with it; transcendental: 0 and 0
    base = mlp(tmp_path, 100, relu=False, name="base")
    res = check(mlp(tmp_path, 100, name="relu"), [], [parse_increase("compare=1000%"),
                                                      parse_increase("transcendental=0%")], baseline=base)
    assert (res.checks[0].verdict, res.checks[0].value, res.checks[0].baseline) == (FAIL, 1600, 0)
    assert "up from 0" in res.checks[0].reason
    assert (res.checks[1].verdict, res.checks[1].value) == (PASS, 0)


def test_an_increase_over_a_range_against_an_onnx_baseline(tmp_path):
    # the same model: flops 1040·b against itself, +0% at every b
    res = check(MLP, [], [parse_increase("flops=0%")], baseline=MLP, ranges={"batch": (1, 64)})
    assert res.checks[0].verdict == PASS


def test_an_increase_needs_a_baseline():
    with pytest.raises(ExprError):
        check(MLP, [], [parse_increase("flops=5%")])


# -- the convention is part of the verdict ----------------------------------------------------

def test_a_flops_budget_under_another_convention(tmp_path):
    # fvcore counts a MatMul as its MACs and leaves Add and Relu out: 2·256 = 512 "flops" at batch 1
    got, res = verdicts(MLP, "flops<=512", "flops<=511", dims={"batch": 1}, convention="fvcore")
    assert [(v, val) for v, val, _ in got] == [(PASS, 512), (FAIL, 512)]
    assert res.convention == "fvcore"


def test_a_json_baseline_holds_one_point(tmp_path):
    from typer.testing import CliRunner

    from onnx_cost.cli import app

    # `onnx-cost tiny_mlp.onnx --json` counts at the default binding batch=1: flops 1,040
    r = CliRunner().invoke(app, [MLP, "--json", "-o", str(tmp_path / "mlp.json")])
    assert r.exit_code == 0
    assert json.loads((tmp_path / "mlp.json").read_text(encoding="utf-8"))["default_binding"] == {"batch": 1}
    inc = [parse_increase("flops=0%")]
    same = check(MLP, [], inc, baseline=str(tmp_path / "mlp.json"), dims={"batch": 1})
    assert (same.checks[0].verdict, same.checks[0].value, same.checks[0].baseline) == (PASS, 1040, 1040)
    other = check(MLP, [], inc, baseline=str(tmp_path / "mlp.json"), dims={"batch": 2})
    assert other.checks[0].verdict == UNKNOWN and "batch=1" in other.checks[0].reason
    ranged = check(MLP, [], inc, baseline=str(tmp_path / "mlp.json"), ranges={"batch": (1, 4)})
    assert ranged.checks[0].verdict == UNKNOWN and ".onnx" in ranged.checks[0].reason


def test_a_partial_baseline_is_unknown(tmp_path):
    res = check(partial(tmp_path), [], [parse_increase("flops=5%")], baseline=partial(tmp_path))
    assert res.checks[0].verdict == UNKNOWN and "baseline" in res.checks[0].reason


def test_a_json_baseline_total_left_symbolic_is_unknown(tmp_path):
    # a report whose flops depend on a dim it left free carries null there (docs/json.md)
    (tmp_path / "b.json").write_text(json.dumps({"total": {"flops": None, "params": 272}, "partial": False}),
                                     encoding="utf-8")
    res = check(MLP, [], [parse_increase("flops=5%"), parse_increase("params=0%")],
                baseline=str(tmp_path / "b.json"), dims={"batch": 1})
    assert [c.verdict for c in res.checks] == [UNKNOWN, PASS]
    assert "left free" in res.checks[0].reason
