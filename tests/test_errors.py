"""Hostile and broken input (issue 5): every class gets one clear stderr line and its
exit code from the CLI, and its typed exception from the Python API.

The cases themselves live in scripts/make_broken_models.py (``CASES``): each is a
tiny file built on demand with the exit code, message pattern, exception type, and
for the cases that still analyze (exit 0) the node statuses and warning expected.
This file also checks the output safety of ``-o`` and that one process can analyze
many models, broken ones included, without one affecting the next.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from typer.testing import CliRunner

import onnx_cost
from onnx_cost import errors
from onnx_cost.analyzer import external, load
from onnx_cost.cli import app

ROOT = Path(__file__).resolve().parent.parent
EXE = Path(sys.executable).parent / "onnx-cost"


def _generator():
    spec = importlib.util.spec_from_file_location("make_broken_models", ROOT / "scripts" / "make_broken_models.py")
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["make_broken_models"] = mod
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


gen = _generator()
CASES = {c.name: c for c in gen.CASES}

# Checks that once waited for a core change (all landed): kept as the hook for the next one.
NEEDS_CORE: dict[str, str] = {}


def _core(name: str) -> list[pytest.MarkDecorator]:
    return [pytest.mark.xfail(strict=True, reason=NEEDS_CORE[name])] if name in NEEDS_CORE else []


def run(*args: str):
    return CliRunner().invoke(app, [*args])


def _params(cases, prefix: str = ""):
    out = []
    for c in cases:
        marks = _core(prefix + c.name)
        if c.posix_only and os.name != "posix":
            marks.append(pytest.mark.skip(reason="needs symlinks and FIFOs"))
        out.append(pytest.param(c, id=c.name, marks=marks))
    return out


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one stderr line, got {stderr!r}"
    assert lines[0].startswith("onnx-cost: error: "), lines[0]
    assert "Traceback" not in stderr
    return lines[0]


# -- every case through the CLI -------------------------------------------------------------


@pytest.mark.parametrize("case", _params(gen.CASES, "cli:"))
def test_cli_exit_code_and_message(case, tmp_path: Path) -> None:
    path = case.build(tmp_path)
    r = run(str(path), "--csv")
    assert r.exit_code == case.exit_code, r.stderr or r.stdout[-500:]
    if case.exit_code:
        line = _one_error_line(r.stderr)
        assert re.search(case.pattern, line), line
        return
    assert "Traceback" not in r.stderr
    rows = {row["node"]: row for row in csv.DictReader(io.StringIO(r.stdout))}
    for node, (status, detail) in case.nodes.items():
        assert rows[node]["status"] == status, (node, rows[node]["status"], rows[node]["detail"])
        assert re.search(detail, rows[node]["detail"]), (node, rows[node]["detail"])


# -- every case through the Python API ------------------------------------------------------


@pytest.mark.parametrize("case", _params(gen.CASES, "api:"))
def test_api_exception_or_report(case, tmp_path: Path) -> None:
    path = case.build(tmp_path)
    if case.error is not None:
        with pytest.raises(case.error) as info:
            onnx_cost.analyze(path)
        assert info.type is case.error  # the exact class, not a sibling
        assert info.value.exit_code == case.exit_code
        message = str(info.value)
        assert "\n" not in message and re.search(case.pattern, message), message
        return
    report = onnx_cost.analyze(path)
    by_name = {n.name: n for n in report.nodes}
    for node, (status, detail) in case.nodes.items():
        assert by_name[node].status == status, (node, by_name[node].detail)
        assert re.search(detail, by_name[node].detail), by_name[node].detail


WARNED = [c for c in gen.CASES if c.exit_code == 0 and c.pattern]


@pytest.mark.parametrize("case", _params(WARNED, "warnings:"))
def test_report_warns(case, tmp_path: Path) -> None:
    report = onnx_cost.analyze(case.build(tmp_path))
    assert any(re.search(case.pattern, w) for w in report.warnings), report.warnings


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name, marks=_core("memory:" + c.name)) for c in gen.MEMORY_CASES])
def test_in_memory_models(case) -> None:
    with pytest.raises(case.error, match=case.pattern):
        onnx_cost.analyze(case.build())


def test_the_generator_writes_every_case(tmp_path: Path) -> None:
    assert gen.main([str(tmp_path)]) == 0
    made = {p.name for p in tmp_path.iterdir()}
    assert {c.name for c in gen.CASES if not c.posix_only or os.name == "posix"} <= made


def test_every_class_of_the_issue_has_cases() -> None:
    groups = {c.group for c in gen.CASES}
    assert groups == {"file", "graph", "absurd", "bomb", "external"}
    raised = {c.error for c in gen.CASES if c.error} | {c.error for c in gen.MEMORY_CASES}
    expected = {errors.ModelFileError, errors.NotOnnxError, errors.InvalidGraphError,
                errors.UnsupportedModelError, errors.ResourceLimitError, errors.ExternalDataError}
    assert raised == expected


# -- the exception types and their documentation --------------------------------------------

ERROR_CLASSES = [
    cls for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.OnnxCostError)
]


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_error_classes_are_exported_and_documented(cls) -> None:
    assert cls.exit_code == 2 and cls.__doc__
    doc = (ROOT / "docs" / "errors.md").read_text()
    assert f"`{cls.__name__}`" in doc, f"docs/errors.md does not list {cls.__name__}"


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_error_classes_are_importable_from_the_package(cls, request) -> None:
    if cls.__name__ == "ResourceLimitError" and "export" in NEEDS_CORE:
        request.applymarker(pytest.mark.xfail(strict=True, reason=NEEDS_CORE["export"]))
    assert getattr(onnx_cost, cls.__name__) is cls


def test_errors_doc_lists_the_exit_codes() -> None:
    doc = (ROOT / "docs" / "errors.md").read_text()
    for code in ("| 0 |", "| 1 |", "| 2 |", "| 3 |", "| 130 |"):
        assert code in doc


# -- the limits ---------------------------------------------------------------------------


def test_nesting_up_to_our_limit_analyzes() -> None:
    r = onnx_cost.analyze(gen.nested_ifs(load.MAX_GRAPH_DEPTH))
    assert r.coverage.nodes == 2 * load.MAX_GRAPH_DEPTH + 1  # an If and an else-Neg per level, the Relu


def test_nesting_past_our_limit_is_refused_without_recursion_error() -> None:
    with pytest.raises(errors.ResourceLimitError, match="more than 31 levels"):
        onnx_cost.analyze(gen.nested_ifs(10 * load.MAX_GRAPH_DEPTH))


def test_node_limit(monkeypatch) -> None:
    monkeypatch.setattr(load, "MAX_NODES", 100)
    onnx_cost.analyze(gen.chain(100))
    with pytest.raises(errors.ResourceLimitError, match=r"101 nodes, past the limit of 100"):
        onnx_cost.analyze(gen.chain(101))


def test_function_bomb_is_refused_before_inlining() -> None:
    import time

    t = time.monotonic()
    with pytest.raises(errors.ResourceLimitError, match="inlined"):
        onnx_cost.analyze(gen.function_bomb(60))  # 2^60 nodes once inlined
    assert time.monotonic() - t < 5


@pytest.mark.xfail("functions" in NEEDS_CORE, strict=True, reason=NEEDS_CORE.get("functions", ""))
def test_functions_within_the_limit_are_inlined_and_counted() -> None:
    r = onnx_cost.analyze(gen.function_bomb(6))  # 2^6 = 64 Relu
    assert [n.op_type for n in r.nodes].count("Relu") == 64


def test_nesting_through_functions_within_the_limit_analyzes() -> None:
    assert load.MAX_GRAPH_DEPTH == 15 + 16
    r = onnx_cost.analyze(gen.deep_through_function(15, 16))
    assert [n.op_type for n in r.nodes].count("Relu") == 1


def test_absurd_dims_limit_matches_the_shape_engine() -> None:
    from onnx_cost.analyzer import infos

    assert infos._MAX_NUMEL == load.MAX_NUMEL


def test_value_bombs_allocate_nothing_big(tmp_path: Path, request) -> None:
    """Range/Tile/Expand to 2^26 elements: evaluating them would take a gigabyte; the
    values stay unknown and the peak memory of the whole run stays small."""
    if "value_bombs" in NEEDS_CORE:
        request.applymarker(pytest.mark.xfail(strict=True, reason=NEEDS_CORE["value_bombs"]))
    n = 2**26
    h = onnx.helper
    m = gen.model(
        [
            h.make_node("Range", ["zero", "big", "one"], ["r"], name="range"),
            h.make_node("Tile", ["one1", "bigs"], ["t"], name="tile"),
            h.make_node("Expand", ["one1", "bigs"], ["e"], name="expand"),
        ],
        [], [gen.vi("r", gen.I64), gen.vi("t", gen.I64), gen.vi("e", gen.I64)],
        [gen.init("zero", [], [0], np.int64), gen.init("big", [], [n], np.int64), gen.init("one", [], [1], np.int64),
         gen.init("one1", [1], [1], np.int64), gen.init("bigs", [1], [n], np.int64)],
    )
    path = tmp_path / "bomb.onnx"
    path.write_bytes(m.SerializeToString())
    code = (
        "import resource, sys, onnx_cost; r = onnx_cost.analyze(sys.argv[1]); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)"
    )
    p = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    assert int(p.stdout.strip()) < 400, f"peak RSS {p.stdout.strip()} MB"


@pytest.mark.parametrize("dim", [-1, 2**63, 10**30])
def test_absurd_user_dims_are_input_errors(dim, request) -> None:
    if "user_dims" in NEEDS_CORE:
        request.applymarker(pytest.mark.xfail(strict=True, reason=NEEDS_CORE["user_dims"]))
    with pytest.raises(errors.InvalidGraphError, match=str(dim)):
        onnx_cost.analyze(gen.relu_model(), inputs={"x": (dim, 3, 8, 8)})


def test_absurd_dim_on_the_command_line(request) -> None:
    if "user_dims" in NEEDS_CORE:
        request.applymarker(pytest.mark.xfail(strict=True, reason=NEEDS_CORE["user_dims"]))
    path = ROOT / "fixtures" / "tiny_attention.onnx"
    r = run(str(path), "--dim", f"seq={10**30}")
    assert r.exit_code == 2
    _one_error_line(r.stderr)


def test_long_invalid_detail_is_capped(tmp_path: Path, request) -> None:
    if "detail_cap" in NEEDS_CORE:
        request.applymarker(pytest.mark.xfail(strict=True, reason=NEEDS_CORE["detail_cap"]))
    r = onnx_cost.analyze(CASES["attribute_of_10000"].build(tmp_path))
    assert all(len(n.detail) <= 600 for n in r.nodes), max(len(n.detail) for n in r.nodes)


# -- load: no false positives, the precise messages ------------------------------------------


@pytest.mark.parametrize("path", sorted((ROOT / "fixtures").glob("*.onnx")), ids=lambda p: p.name)
def test_real_models_do_not_look_like_anything_else(path: Path) -> None:
    head = path.read_bytes()[:64]
    assert load.describe(head, path) is None
    assert load._scan_bytes(path.read_bytes()) == ""


def test_non_utf8_names_are_corrupt_input() -> None:
    m = gen.relu_model()
    data = m.SerializeToString().replace(b"Relu", b"R\xcdlu")
    with pytest.raises(errors.NotOnnxError, match="not valid UTF-8"):
        onnx_cost.analyze(onnx.ModelProto.FromString(data))


def test_unreadable_file(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads everything")
    p = tmp_path / "model.onnx"
    p.write_bytes(gen.relu_model().SerializeToString())
    p.chmod(0)
    with pytest.raises(errors.ModelFileError, match="permission denied"):
        onnx_cost.analyze(p)


# -- external data, unit level ---------------------------------------------------------------


def _ext(location: str, **entries: str) -> onnx.ModelProto:
    m = gen.ext_model(location)
    for k, v in entries.items():
        t = m.graph.initializer[0]
        found = [e for e in t.external_data if e.key == k]
        if found:
            found[0].value = v
        else:
            t.external_data.add(key=k, value=v)
    return m


@pytest.mark.parametrize(
    "location, why",
    [
        ("/etc/passwd", "absolute path"),
        ("C:\\weights.bin", "absolute path"),
        ("\\\\server\\share\\w.bin", "absolute path"),
        ("../w.bin", "'..'"),
        ("a/../../w.bin", "'..'"),
        ("a\\..\\..\\w.bin", "'..'"),
        ("w\x00.bin", "NUL"),
    ],
)
def test_unsafe_locations_are_refused_in_memory_too(location: str, why: str) -> None:
    with pytest.raises(errors.ExternalDataError, match=re.escape(why)):
        external.check_external_data(_ext(location), None)


def test_safe_locations_pass_and_are_not_statted_in_memory() -> None:
    assert external.check_external_data(_ext("weights/w.bin"), None) == []


def test_missing_files_give_one_warning_per_file(tmp_path: Path) -> None:
    m = gen.ext_model("w.bin")
    for k in range(5):
        t = m.graph.initializer.add()
        t.CopyFrom(m.graph.initializer[0])
        t.name = f"w{k}"
    warnings = external.check_external_data(m, tmp_path)
    assert len(warnings) == 1 and "6 tensors" in warnings[0] and "and 3 more" in warnings[0], warnings


def test_bad_offset_and_missing_location_are_warnings(tmp_path: Path) -> None:
    (tmp_path / "w.bin").write_bytes(b"\0" * 64)
    assert any("offset/length" in w for w in external.check_external_data(_ext("w.bin", offset="-4"), tmp_path))
    m = gen.ext_model("w.bin")
    del m.graph.initializer[0].external_data[:]
    m.graph.initializer[0].data_location = onnx.TensorProto.EXTERNAL
    assert any("without a location" in w for w in external.check_external_data(m, tmp_path))


def test_external_tensors_in_subgraphs_and_attributes_are_checked() -> None:
    t = gen.ext_tensor("c", [2], "/abs/c.bin")
    const = onnx.helper.make_node("Constant", [], ["k"], value=t)
    then = onnx.helper.make_graph([const], "then", [], [gen.vi("k", gen.F, [2])])
    other = onnx.helper.make_graph([onnx.helper.make_node("Neg", ["x"], ["e"])], "else", [], [gen.vi("e", gen.F, [2])])
    m = gen.model(
        [onnx.helper.make_node("If", ["c0"], ["y"], then_branch=then, else_branch=other)],
        [gen.vi("x", gen.F, [2]), gen.vi("c0", onnx.TensorProto.BOOL, [])], [gen.vi("y")],
    )
    with pytest.raises(errors.ExternalDataError, match="'c'"):
        external.check_external_data(m, None)


def test_exact_size_data_file_gives_no_warning(tmp_path: Path) -> None:
    (tmp_path / "w.bin").write_bytes(b"\0" * 64)  # 4x4 float32
    assert external.check_external_data(gen.ext_model("w.bin"), tmp_path) == []


def test_model_warnings_is_the_one_entry_point(tmp_path: Path) -> None:
    m = gen.ext_model("w.bin")
    m.graph.input[0].type.tensor_type.shape.dim[0].dim_value = -2
    ws = load.model_warnings(m, tmp_path)
    assert any("missing" in w for w in ws) and any("negative dim -2" in w for w in ws)


# -- output safety ---------------------------------------------------------------------------

GOOD = str(ROOT / "fixtures" / "tiny_mlp.onnx")


def test_unwritable_output_fails_before_any_work(tmp_path: Path) -> None:
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    r = run(str(broken), "-o", str(tmp_path / "no" / "such" / "out.csv"))
    assert r.exit_code == 2
    assert "does not exist" in _one_error_line(r.stderr)  # the output, not the (also broken) model


@pytest.mark.parametrize("target", ["dir", "readonly"])
def test_output_target_errors(tmp_path: Path, target: str) -> None:
    out = tmp_path / "out.csv"
    if target == "dir":
        out.mkdir()
        expected = "is a directory"
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes everywhere")
        out.write_text("old")
        out.chmod(0o444)
        expected = "not writable"
    r = run(GOOD, "--csv", "-o", str(out))
    assert r.exit_code == 2 and expected in _one_error_line(r.stderr)


def test_failed_run_leaves_the_previous_report_whole(tmp_path: Path) -> None:
    out = tmp_path / "cost.csv"
    out.write_text("the good report\n")
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(gen._truncated())
    r = run(str(broken), "--csv", "-o", str(out))
    assert r.exit_code == 2
    assert out.read_text() == "the good report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.onnx", "cost.csv"]  # no temp file left


def test_interrupted_write_leaves_the_previous_report_whole(tmp_path: Path, monkeypatch) -> None:
    from onnx_cost import output

    out = tmp_path / "cost.csv"
    out.write_text("the good report\n")

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(output.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        output.write_atomic(out, "half a report")
    assert out.read_text() == "the good report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["cost.csv"]


def test_write_error_is_an_output_error(tmp_path: Path, monkeypatch) -> None:
    from onnx_cost import output

    def full(*a: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.os, "replace", full)
    with pytest.raises(errors.OutputError, match="No space left"):
        output.write_atomic(tmp_path / "out.csv", "x")
    assert list(tmp_path.iterdir()) == []


def test_report_file_permissions(tmp_path: Path) -> None:
    new, old = tmp_path / "new.csv", tmp_path / "old.csv"
    old.write_text("x")
    old.chmod(0o640)
    assert run(GOOD, "--csv", "-o", str(new)).exit_code == 0
    assert run(GOOD, "--csv", "-o", str(old)).exit_code == 0
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~mask  # not mkstemp's 0600
    assert stat.S_IMODE(old.stat().st_mode) == 0o640
    assert old.read_text().startswith("node,")


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_output_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "reports" / "cost.csv"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "latest.csv"
    link.symlink_to(real)
    assert run(GOOD, "--csv", "-o", str(link)).exit_code == 0
    assert link.is_symlink() and real.read_text().startswith("node,")


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="no /dev/null")
def test_output_to_a_device_is_written_in_place() -> None:
    # Renaming a temp file over /dev/null (as root) would replace the device.
    assert run(GOOD, "--csv", "-o", "/dev/null").exit_code == 0
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


# -- many models in one process --------------------------------------------------------------


def _fingerprint(report) -> tuple:
    return (report.total, tuple((n.name, n.status, n.cost) for n in report.nodes), tuple(report.warnings))


def test_a_broken_model_leaves_no_state_behind(tmp_path: Path) -> None:
    seeds = sorted((ROOT / "fixtures").glob("*.onnx"))
    before = [_fingerprint(onnx_cost.analyze(p)) for p in seeds]
    for case in gen.CASES:
        if case.error is None or (case.posix_only and os.name != "posix") or case.name == "over_2gib":
            continue
        d = tmp_path / case.name
        d.mkdir()
        with pytest.raises(case.error):
            onnx_cost.analyze(case.build(d))
    for case in gen.MEMORY_CASES:
        if "memory:" + case.name in NEEDS_CORE:
            continue
        with pytest.raises(case.error):
            onnx_cost.analyze(case.build())
    after = [_fingerprint(onnx_cost.analyze(p)) for p in seeds]
    assert after == before


@pytest.mark.xfail("functions" in NEEDS_CORE, strict=True, reason=NEEDS_CORE.get("functions", ""))
def test_the_same_proto_analyzed_twice_is_unchanged() -> None:
    m = gen.function_bomb(3)
    data = m.SerializeToString()
    first = _fingerprint(onnx_cost.analyze(m))
    assert m.SerializeToString() == data  # analysis does not mutate the caller's proto
    assert _fingerprint(onnx_cost.analyze(m)) == first


# -- real processes ---------------------------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="FIFOs")
@pytest.mark.parametrize("name", ["fifo", "external_absolute", "truncated", "function_bomb"])
def test_real_subprocess(name: str, tmp_path: Path) -> None:
    """The installed command on inputs that would hang or explode a careless tool (the
    FIFOs block whoever opens them): one line, the exit code, within the timeout."""
    case = CASES[name]
    path = case.build(tmp_path)
    p = subprocess.run([str(EXE), str(path)], capture_output=True, text=True, timeout=60)
    assert p.returncode == case.exit_code
    assert re.search(case.pattern, _one_error_line(p.stderr))


def test_strict_line_stays_one_line_with_odd_op_names(tmp_path: Path, request) -> None:
    if "strict_line" in NEEDS_CORE:
        request.applymarker(pytest.mark.xfail(strict=True, reason=NEEDS_CORE["strict_line"]))
    m = gen.model([onnx.helper.make_node("Frob\r\nnicate", ["x"], ["y"], domain="my.ops")],
                  [gen.vi("x", gen.F, [2])], [gen.vi("y")], opsets={"": gen.OPSET, "my.ops": 1})
    path = tmp_path / "odd.onnx"
    path.write_bytes(m.SerializeToString())
    r = run(str(path), "--strict")
    assert r.exit_code == 1 and len(r.stderr.strip().splitlines()) == 1, r.stderr


# -- issue 15: our own resource errors, and bombs read from attributes ------------------


@pytest.mark.parametrize("exc", [MemoryError, RecursionError])
def test_memory_and_recursion_errors_are_ours(exc, monkeypatch, tmp_path: Path) -> None:
    """Past the limits we check, running out of memory or stack is our bug: exit 3, one line."""
    import onnx_cost.analyzer as analyzer

    def boom(*a, **k):
        raise exc()

    monkeypatch.setattr(analyzer, "analyze", boom)
    path = gen.write_model(gen.relu_model())(tmp_path)
    r = run(str(path))
    assert r.exit_code == 3
    line = _one_error_line(r.stderr)
    assert f"internal error ({exc.__name__} while analyzing" in line and "report it" in line, line


BOUNDED = ["scan_num_scan_inputs_2_28", "scan_num_scan_inputs_2_40", "shape_slice_ends_2_25", "conv_kernel_too_big_then_slice"]


@pytest.mark.parametrize("name", BOUNDED)
def test_attribute_and_declared_size_bombs_stay_small(name: str, tmp_path: Path) -> None:
    """A value read from the file never sizes an allocation: the real executable's peak RSS
    (its own and its hint child's) stays far below what the value would take (2.1 GB, 2.6 GB)."""
    path = CASES[name].build(tmp_path)
    proc = subprocess.Popen([str(EXE), str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode()  # type: ignore[union-attr]
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "Assertion" not in err, err
    assert usage.ru_maxrss < 400 * 1024, f"peak RSS {usage.ru_maxrss // 1024} MiB"
