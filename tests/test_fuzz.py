"""Property-based fuzzing (issue 5): mutated valid models never crash onnx-cost.

Seeds are the committed fixtures (fixtures/*.onnx) plus a few in-memory models
(a local function, an If). Mutations: bit flips, truncation, inserted/deleted
bytes on the file; shuffled nodes, random dims, attributes, element types, opsets,
op types and rewired inputs on the protobuf. Every run must end within a bound,
with exit code 0, 1 or 2, and a stderr without a traceback (one line when the
exit code is not 0); through the Python API, only OnnxCostError may escape.

CI runs a short derandomized pass (well under a minute). The long, random run:

    FUZZ_EXAMPLES=2000 .venv/bin/python -m pytest tests/test_fuzz.py -q    # make fuzz
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import helper

import onnx_cost
from onnx_cost.cli import app

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0"))
LONG = EXAMPLES > 0
TIME_LIMIT_S = 20  # one analysis of a mutated few-KB model; a hang fails the test

SETTINGS = settings(
    max_examples=EXAMPLES or 120,
    deadline=None,
    derandomize=not LONG,  # CI: the same examples every run, never flaky
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


# -- seeds --------------------------------------------------------------------------------


def _function_model() -> onnx.ModelProto:
    ops = [helper.make_opsetid("", 18), helper.make_opsetid("local", 1)]
    fn = helper.make_function(
        "local", "Gelu2", ["a"], ["b"],
        [helper.make_node("Mul", ["a", "a"], ["sq"]), helper.make_node("Tanh", ["sq"], ["t"]), helper.make_node("Add", ["a", "t"], ["b"])],
        ops,
    )
    g = helper.make_graph(
        [helper.make_node("Gelu2", ["x"], ["h"], name="call", domain="local"), helper.make_node("Relu", ["h"], ["y"], name="relu")],
        "fn", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", 8])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)],
    )
    return helper.make_model(g, opset_imports=ops, ir_version=8, functions=[fn])


def _if_model() -> onnx.ModelProto:
    f = onnx.TensorProto.FLOAT
    then = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["t"])], "then", [], [helper.make_tensor_value_info("t", f, [2, 4])])
    other = helper.make_graph([helper.make_node("Sigmoid", ["x"], ["e"])], "else", [], [helper.make_tensor_value_info("e", f, [2, 4])])
    g = helper.make_graph(
        [
            helper.make_node("If", ["c"], ["y"], name="if", then_branch=then, else_branch=other),
            helper.make_node("Shape", ["y"], ["s"], name="shape"),
            helper.make_node("ConstantOfShape", ["s"], ["z"], name="cos"),
            helper.make_node("Reshape", ["z", "flat"], ["r"], name="reshape"),
        ],
        "iff",
        [helper.make_tensor_value_info("x", f, [2, 4]), helper.make_tensor_value_info("c", onnx.TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("r", f, None)],
        initializer=[
            onnx.numpy_helper.from_array(np.ones((4, 4), np.float32), "w"),
            onnx.numpy_helper.from_array(np.array([-1], np.int64), "flat"),
        ],
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)], ir_version=8)


def _seeds() -> list[tuple[str, bytes]]:
    out = [(p.stem, p.read_bytes()) for p in sorted((ROOT / "fixtures").glob("*.onnx"))]
    out += [("function", _function_model().SerializeToString()), ("if", _if_model().SerializeToString())]
    return out


SEEDS = _seeds()
seeds = st.sampled_from(SEEDS)

# -- mutations ----------------------------------------------------------------------------

INTERESTING = [-(2**63), -(2**31), -7, -2, -1, 0, 1, 2, 3, 5, 64, 2**31 - 1, 2**31, 2**40, 2**62, 2**63 - 1]
ints = st.one_of(st.sampled_from(INTERESTING), st.integers(-(2**63), 2**63 - 1), st.integers(-4, 16))
# Values written into small int64 initializers (Reshape targets, trip counts, repeats). Not
# 2^26..2^36: the value evaluation's own size guards are tested in test_errors.py, and the
# fuzz must not try a real multi-GB allocation on a CI machine.
VALUES = [-(2**63), -(2**40), -7, -1, 0, 1, 2, 3, 64, 2**40, 2**62, 2**63 - 1]
floats = st.one_of(st.sampled_from([0.0, -0.0, 1e-30, 1e30, math.inf, -math.inf, math.nan]), st.floats(width=32))
OP_POOL = sorted(
    {"Conv", "Relu", "Gemm", "MatMul", "Reshape", "Transpose", "Concat", "Gather", "Slice", "Einsum", "Softmax",
     "LSTM", "Loop", "If", "Scan", "Resize", "Pad", "Expand", "Tile", "Range", "ConstantOfShape", "Split",
     "Squeeze", "Unsqueeze", "TopK", "NonZero", "Where", "Attention", "LayerNormalization", "Cast", "Frobnicate"}
)


def _all_nodes(g: onnx.GraphProto) -> list[onnx.NodeProto]:
    out, stack = [], [g]
    while stack:
        cur = stack.pop()
        for n in cur.node:
            out.append(n)
            for a in n.attribute:
                if a.HasField("g"):
                    stack.append(a.g)
                stack.extend(a.graphs)
    return out


def _value_infos(m: onnx.ModelProto) -> list[onnx.ValueInfoProto]:
    g = m.graph
    return [v for v in (*g.input, *g.output, *g.value_info) if v.type.HasField("tensor_type")]


@st.composite
def proto_mutation(draw: st.DrawFn, m: onnx.ModelProto) -> str:
    """Apply one random structural mutation to ``m`` in place; return its name."""
    nodes = _all_nodes(m.graph)
    kind = draw(st.sampled_from(
        ["shuffle", "dim", "attr_int", "attr_ints", "attr_float", "attr_type", "elem_type", "opset", "op_type",
         "rewire", "drop_node", "drop_initializer", "init_dims", "init_value", "duplicate_node", "domain",
         "ir_version", "drop_input"]
    ))
    if kind == "shuffle" and len(m.graph.node) > 1:
        order = draw(st.permutations(list(range(len(m.graph.node)))))
        copy = [onnx.NodeProto.FromString(m.graph.node[i].SerializeToString()) for i in order]
        del m.graph.node[:]
        m.graph.node.extend(copy)
    elif kind == "dim" and _value_infos(m):
        v = draw(st.sampled_from(_value_infos(m)))
        dims = v.type.tensor_type.shape.dim
        if len(dims):
            d = dims[draw(st.integers(0, len(dims) - 1))]
            if draw(st.booleans()):
                d.dim_value = draw(ints)
            else:
                d.dim_param = draw(st.sampled_from(["N", "", "batch", "x" * 300]))
        else:
            v.type.tensor_type.shape.dim.add().dim_value = draw(ints)
    elif kind.startswith("attr") and nodes:
        n = draw(st.sampled_from(nodes))
        if not len(n.attribute):
            n.attribute.add(name=draw(st.sampled_from(["axis", "group", "pads", "perm", "strides"])), type=onnx.AttributeProto.INT, i=1)
        a = n.attribute[draw(st.integers(0, len(n.attribute) - 1))]
        if kind == "attr_int":
            a.type, a.i = onnx.AttributeProto.INT, draw(ints)
        elif kind == "attr_ints":
            del a.ints[:]
            long = draw(st.booleans()) and draw(st.booleans())
            a.type = onnx.AttributeProto.INTS
            a.ints.extend([draw(ints)] * 10_000 if long else draw(st.lists(ints, max_size=12)))
        elif kind == "attr_float":
            a.type, a.f = onnx.AttributeProto.FLOAT, draw(floats)
        else:
            a.type = draw(st.sampled_from(sorted(onnx.AttributeProto.AttributeType.values())))
    elif kind == "elem_type":
        vs = _value_infos(m)
        if vs:
            draw(st.sampled_from(vs)).type.tensor_type.elem_type = draw(st.integers(0, 30))
    elif kind == "opset":
        m.opset_import[0].version = draw(st.sampled_from([1, 6, 7, 9, 11, 13, 17, 18, 21, 23, 28, 29, 1000]))
    elif kind == "op_type" and nodes:
        draw(st.sampled_from(nodes)).op_type = draw(st.sampled_from(OP_POOL))
    elif kind == "rewire" and nodes:
        n = draw(st.sampled_from(nodes))
        names = [o for x in nodes for o in x.output] + [i.name for i in m.graph.input] + ["", "ghost"]
        if len(n.input):
            n.input[draw(st.integers(0, len(n.input) - 1))] = draw(st.sampled_from(names))
        else:
            n.input.append(draw(st.sampled_from(names)))
    elif kind == "drop_node" and len(m.graph.node):
        del m.graph.node[draw(st.integers(0, len(m.graph.node) - 1))]
    elif kind == "drop_initializer" and len(m.graph.initializer):
        del m.graph.initializer[draw(st.integers(0, len(m.graph.initializer) - 1))]
    elif kind == "drop_input" and len(m.graph.input):
        del m.graph.input[draw(st.integers(0, len(m.graph.input) - 1))]
    elif kind == "init_dims" and len(m.graph.initializer):
        t = m.graph.initializer[draw(st.integers(0, len(m.graph.initializer) - 1))]
        del t.dims[:]
        t.dims.extend(draw(st.lists(ints, max_size=5)))
    elif kind == "init_value":
        small = [t for t in m.graph.initializer if t.data_type in (6, 7) and 0 < len(t.raw_data or t.int64_data or t.int32_data) <= 128]
        if small:
            t = draw(st.sampled_from(small))
            arr = onnx.numpy_helper.to_array(t).copy().reshape(-1)
            arr[draw(st.integers(0, arr.size - 1))] = draw(st.sampled_from(VALUES)) if t.data_type == 7 else draw(st.integers(-(2**31), 2**31 - 1))
            t.CopyFrom(onnx.numpy_helper.from_array(arr.reshape(onnx.numpy_helper.to_array(t).shape), t.name))
    elif kind == "duplicate_node" and len(m.graph.node):
        m.graph.node.append(m.graph.node[draw(st.integers(0, len(m.graph.node) - 1))])
    elif kind == "domain" and nodes:
        draw(st.sampled_from(nodes)).domain = draw(st.sampled_from(["com.microsoft", "ai.onnx.ml", "local", "nowhere"]))
    elif kind == "ir_version":
        m.ir_version = draw(st.sampled_from([0, 1, 3, 7, 10, 14, 99, -1]))
    return kind


@st.composite
def mutated_model(draw: st.DrawFn) -> tuple[str, onnx.ModelProto, list[str]]:
    name, data = draw(seeds)
    m = onnx.ModelProto.FromString(data)
    done = [draw(proto_mutation(m)) for _ in range(draw(st.integers(1, 4)))]
    return name, m, done


class Blob(bytes):
    """Bytes that print short in hypothesis' failure report (the full file is saved)."""

    def __repr__(self) -> str:
        return f"<{len(self)} bytes>"


@st.composite
def mutated_bytes(draw: st.DrawFn) -> tuple[str, bytes, str]:
    name, data = draw(seeds)
    buf = bytearray(data)
    kind = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "overwrite"]))
    if kind == "flip":
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, len(buf) - 1))
            buf[i] ^= 1 << draw(st.integers(0, 7))
    elif kind == "truncate":
        buf = buf[: draw(st.integers(1, len(buf) - 1))]
    elif kind == "insert":
        i = draw(st.integers(0, len(buf)))
        buf[i:i] = draw(st.binary(min_size=1, max_size=16))
    elif kind == "delete":
        i = draw(st.integers(0, len(buf) - 1))
        del buf[i : i + draw(st.integers(1, 16))]
    else:
        i = draw(st.integers(0, len(buf) - 1))
        chunk = draw(st.binary(min_size=1, max_size=16))
        buf[i : i + len(chunk)] = chunk
    return name, Blob(bytes(buf) or b"\0"), kind


# -- harness ---------------------------------------------------------------------------------


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail (rather than hang) when the body runs past ``seconds``."""

    def expired(signum, frame):
        raise TimeoutError(f"analysis ran past {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def check_cli(path: Path, args: list[str], what: str) -> None:
    from typer.testing import CliRunner

    t = time.monotonic()
    with time_limit(TIME_LIMIT_S):
        r = CliRunner().invoke(app, [str(path), *args])
    elapsed = time.monotonic() - t
    err = r.stderr
    assert r.exit_code in (0, 1, 2), f"{what}: exit {r.exit_code}: {err.strip()[:500]}"
    assert "Traceback" not in err and "Traceback" not in r.stdout, f"{what}: traceback\n{err[-2000:]}"
    if r.exit_code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("onnx-cost: error: "), f"{what}: stderr {err[:500]!r}"
    elif r.exit_code == 1:  # --strict; its one-line form with odd op names: test_errors.py
        assert err.startswith("onnx-cost: --strict: "), f"{what}: stderr {err[:500]!r}"
    assert elapsed < TIME_LIMIT_S, f"{what}: {elapsed:.1f} s"


FLAGS = st.sampled_from([["--csv"], ["--json"], [], ["--strict"], ["--csv", "--dim", "N=3"], ["--json", "--nodes"]])


@SETTINGS
@given(case=mutated_bytes(), flags=FLAGS)
def test_mutated_files_exit_cleanly(tmp_path_factory: pytest.TempPathFactory, case, flags) -> None:
    name, data, kind = case
    path = tmp_path_factory.mktemp("fuzz") / "model.onnx"
    path.write_bytes(data)
    check_cli(path, flags, f"{name} after {kind}")


@SETTINGS
@given(case=mutated_model(), flags=FLAGS)
def test_mutated_protos_exit_cleanly(tmp_path_factory: pytest.TempPathFactory, case, flags) -> None:
    name, m, done = case
    path = tmp_path_factory.mktemp("fuzz") / "model.onnx"
    path.write_bytes(m.SerializeToString())
    check_cli(path, flags, f"{name} after {done}")


@SETTINGS
@given(case=mutated_model())
def test_mutated_protos_raise_only_typed_errors(case) -> None:
    _name, m, _done = case
    with time_limit(TIME_LIMIT_S), suppress(onnx_cost.OnnxCostError):
        onnx_cost.analyze(m)


def test_subprocess_runs_end_within_bounds(tmp_path: Path) -> None:
    """A few mutated files through the real executable, under a wall-clock timeout."""
    exe = Path(sys.executable).parent / "onnx-cost"
    rng = np.random.default_rng(5)
    for k, (name, data) in enumerate(SEEDS[:4]):
        buf = bytearray(data)
        for i in rng.integers(0, len(buf), size=3):
            buf[i] ^= 1 << int(rng.integers(0, 8))
        p = tmp_path / f"m{k}.onnx"
        p.write_bytes(bytes(buf))
        r = subprocess.run([str(exe), str(p), "--csv"], capture_output=True, text=True, timeout=60)
        assert r.returncode in (0, 1, 2), f"{name}: {r.returncode} {r.stderr[-1000:]}"
        assert "Traceback" not in r.stderr, r.stderr


# -- structure-aware strategy (issue 15) ------------------------------------------------------
# Parse, mutate one typed field through the protobuf API, re-serialize: attribute types
# swapped, inf/NaN/huge values, lists of the wrong length, ref_attr_name outside a function,
# Scan/Loop/If attributes, declared dims and constant sizes. Each file runs through the real
# CLI in a forked child under a memory cap; the parent asserts the exit code, one stderr
# line, no death by signal, a time bound and the child's peak RSS.

A = onnx.AttributeProto
RSS_BOUND_KB = 1024 * 1024  # 1 GiB for files under 1 MB
CHILD_AS = 3 * 2**30  # address space the child may grow by (the cap; RSS is what is asserted)


def _loop_model() -> onnx.ModelProto:
    f = onnx.TensorProto.FLOAT
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond"], ["cond_out"]), helper.make_node("MatMul", ["v", "w"], ["v_out"]),
         helper.make_node("Relu", ["v_out"], ["scan_out"])],
        "body", [helper.make_tensor_value_info("i", onnx.TensorProto.INT64, []),
                 helper.make_tensor_value_info("cond", onnx.TensorProto.BOOL, []), helper.make_tensor_value_info("v", f, [2, 4])],
        [helper.make_tensor_value_info("cond_out", onnx.TensorProto.BOOL, []), helper.make_tensor_value_info("v_out", f, [2, 4]),
         helper.make_tensor_value_info("scan_out", f, [2, 4])],
    )
    g = helper.make_graph(
        [helper.make_node("Loop", ["M", "", "x"], ["y", "ys"], name="loop", body=body),
         helper.make_node("Shape", ["ys"], ["s"], name="shape", start=1),
         helper.make_node("Slice", ["ys", "st", "en", "ax"], ["sl"], name="slice"),
         helper.make_node("Conv", ["img", "k"], ["c"], name="conv", strides=[1, 1], pads=[1, 1, 1, 1], group=1)],
        "loop", [helper.make_tensor_value_info("x", f, [2, 4]), helper.make_tensor_value_info("img", f, [1, 2, 6, 6])],
        [helper.make_tensor_value_info(n, f, None) for n in ("y", "sl", "c")] + [helper.make_tensor_value_info("s", onnx.TensorProto.INT64, None)],
        initializer=[onnx.numpy_helper.from_array(a, n) for n, a in (
            ("M", np.array(3, np.int64)), ("w", np.eye(4, dtype=np.float32)), ("st", np.array([0], np.int64)),
            ("en", np.array([2], np.int64)), ("ax", np.array([1], np.int64)), ("k", np.ones((4, 2, 3, 3), np.float32)))],
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)], ir_version=8)


def _scan_model(opset: int) -> onnx.ModelProto:
    f = onnx.TensorProto.FLOAT
    body = helper.make_graph(
        [helper.make_node("Add", ["s", "xi"], ["s2"]), helper.make_node("Identity", ["s2"], ["yo"])], "body",
        [helper.make_tensor_value_info("s", f, [4]), helper.make_tensor_value_info("xi", f, [4])],
        [helper.make_tensor_value_info("s2", f, [4]), helper.make_tensor_value_info("yo", f, [4])],
    )
    lead = [1] if opset < 9 else []
    ins = ["", "s0", "xs"] if opset < 9 else ["s0", "xs"]
    g = helper.make_graph(
        [helper.make_node("Scan", ins, ["sf", "ys"], name="scan", body=body, num_scan_inputs=1),
         helper.make_node("LayerNormalization", ["ys", "gamma"], ["ln"], name="ln", axis=-1),
         helper.make_node("Relu", ["sf"], ["r"], name="relu")],
        "scan", [helper.make_tensor_value_info("s0", f, lead + [4]), helper.make_tensor_value_info("xs", f, lead + [5, 4])],
        [helper.make_tensor_value_info(n, f, None) for n in ("r", "ln")],
        initializer=[onnx.numpy_helper.from_array(np.ones(4, np.float32), "gamma")],
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", max(opset, 17) if opset >= 9 else opset)], ir_version=8)


STRUCT_SEEDS = SEEDS + [(n, m.SerializeToString()) for n, m in (
    ("loop", _loop_model()), ("scan", _scan_model(17)), ("scan8", _scan_model(8)))]
HUGE = [math.inf, -math.inf, math.nan, 2**40, 2**62, 2**63 - 1, -(2**63), 2**31, -(2**31), 2**28, -1, 0]
TYPES = [A.INT, A.FLOAT, A.STRING, A.INTS, A.FLOATS, A.STRINGS, A.TENSOR, A.GRAPH, A.UNDEFINED]


def _set_attr(a: onnx.AttributeProto, kind: int, v: float | int, n: int) -> None:
    """Give ``a`` the type ``kind`` and a value built from ``v`` (n elements for lists)."""
    for f in ("f", "i", "s", "t", "g"):
        a.ClearField(f)
    for f in ("floats", "ints", "strings"):
        a.ClearField(f)
    a.type = kind
    iv = int(v) if isinstance(v, int) or math.isfinite(v) else 2**62
    if kind == A.INT:
        a.i = max(min(iv, 2**63 - 1), -(2**63))
    elif kind == A.FLOAT:
        a.f = float(v) if abs(float(v)) < 3e38 or not math.isfinite(float(v)) else math.inf
    elif kind == A.STRING:
        a.s = repr(v).encode()
    elif kind == A.INTS:
        a.ints.extend([max(min(iv, 2**63 - 1), -(2**63))] * n)
    elif kind == A.FLOATS:
        a.floats.extend([float(v) if abs(float(v)) < 3e38 or not math.isfinite(float(v)) else math.inf] * n)
    elif kind == A.STRINGS:
        a.strings.extend([b"x"] * n)
    elif kind == A.TENSOR:
        a.t.CopyFrom(onnx.TensorProto(name="t", data_type=7, dims=[min(max(iv, 0), 2**40)]))
    elif kind == A.GRAPH:
        a.g.name = "empty"


@st.composite
def typed_mutation(draw: st.DrawFn, m: onnx.ModelProto) -> str:
    """One mutation of a typed field; returns what it did."""
    nodes = _all_nodes(m.graph)
    kind = draw(st.sampled_from(["attr_type", "attr_value", "list_length", "ref_attr", "control", "declared_dim",
                                 "constant_size"]))
    if kind in ("attr_type", "attr_value", "list_length", "ref_attr") and nodes:
        n = draw(st.sampled_from(nodes))
        if not len(n.attribute) or (draw(st.booleans()) and kind != "list_length"):
            n.attribute.add(name=draw(st.sampled_from(["axis", "group", "strides", "num_scan_inputs", "start", "perm", "alpha",
                                                       "kernel_shape", "batch_dims", "scan_input_axes", "to", "mode"])), type=A.INT, i=1)
        a = n.attribute[draw(st.integers(0, len(n.attribute) - 1))]
        if kind == "attr_type":
            _set_attr(a, draw(st.sampled_from(TYPES)), draw(st.sampled_from(HUGE)), draw(st.sampled_from([0, 1, 2, 5])))
        elif kind == "attr_value":
            t = a.type if a.type in (A.INT, A.FLOAT, A.INTS, A.FLOATS) else A.INT
            _set_attr(a, t, draw(st.sampled_from(HUGE)), draw(st.sampled_from([0, 1, 2, 3, 4, 8])))
        elif kind == "list_length":
            t = a.type if a.type in (A.INTS, A.FLOATS, A.STRINGS) else A.INTS
            _set_attr(a, t, draw(st.sampled_from([0, 1, 2, 3, -1, 2**40])), draw(st.sampled_from([0, 1, 3, 7, 10_000])))
        else:
            a.ref_attr_name = draw(st.sampled_from(["alpha", "", "x" * 50]))
        return f"{kind} {n.op_type}.{a.name}"
    if kind == "control":
        flow = [n for n in nodes if n.op_type in ("Scan", "Loop", "If")]
        if not flow:
            return "control (none)"
        n = draw(st.sampled_from(flow))
        what = draw(st.sampled_from(["num_scan_inputs", "axes", "drop_body", "swap_body", "body_input", "body_output"]))
        graphs = [a for a in n.attribute if a.type == A.GRAPH]
        if what == "num_scan_inputs":
            a = next((a for a in n.attribute if a.name == "num_scan_inputs"), None) or n.attribute.add(name="num_scan_inputs")
            _set_attr(a, draw(st.sampled_from([A.INT, A.INT, A.FLOAT, A.INTS, A.STRING])), draw(st.sampled_from(HUGE)), 2)
        elif what == "axes":
            a = n.attribute.add(name=draw(st.sampled_from(["scan_input_axes", "scan_output_axes", "scan_input_directions", "directions"])))
            _set_attr(a, A.INTS, draw(st.sampled_from([0, -1, 5, 2**31, -(2**62)])), draw(st.integers(0, 4)))
        elif what == "drop_body" and graphs:
            n.attribute.remove(draw(st.sampled_from(graphs)))
        elif what == "swap_body" and graphs:
            a = draw(st.sampled_from(graphs))
            a.g.CopyFrom(helper.make_graph([], "empty", [], []))
        elif what in ("body_input", "body_output") and graphs:
            g = draw(st.sampled_from(graphs)).g
            field = g.input if what == "body_input" else g.output
            if len(field) and draw(st.booleans()):
                del field[draw(st.integers(0, len(field) - 1))]
            else:
                field.add().CopyFrom(helper.make_tensor_value_info("extra", onnx.TensorProto.FLOAT, [draw(st.sampled_from([-1, 2**40, 3]))]))
        return f"control {n.op_type} {what}"
    if kind == "declared_dim":
        vs = _value_infos(m)
        for g in (a.g for n in nodes for a in n.attribute if a.type == A.GRAPH):
            vs += [v for v in (*g.input, *g.output) if v.type.HasField("tensor_type")]
        if not vs:
            return "declared_dim (none)"
        v = draw(st.sampled_from(vs))
        d = v.type.tensor_type.shape.dim.add() if not len(v.type.tensor_type.shape.dim) else \
            v.type.tensor_type.shape.dim[draw(st.integers(0, len(v.type.tensor_type.shape.dim) - 1))]
        d.dim_value = draw(st.sampled_from([-1, -3, -(2**31), 0, 2**25, 2**40, 2**62, 2**63 - 1]))
        return f"declared_dim {v.name}"
    # constant_size: an initializer or Constant declaring many elements, with or without its data
    big = draw(st.sampled_from([2**20, 2**25, 2**40, 2**62]))
    consts = [a for n in nodes if n.op_type == "Constant" for a in n.attribute if a.type == A.TENSOR]
    if len(m.graph.initializer) and (not consts or draw(st.booleans())):
        t = m.graph.initializer[draw(st.integers(0, len(m.graph.initializer) - 1))]
    elif consts:
        t = draw(st.sampled_from(consts)).t
    else:
        return "constant_size (none)"
    keep = list(t.dims)[:-1]
    del t.dims[:]
    t.dims.extend(keep + [big])
    return f"constant_size {t.name} -> {big}"


@st.composite
def typed_model(draw: st.DrawFn) -> tuple[str, bytes, list[str]]:
    name, data = draw(st.sampled_from(STRUCT_SEEDS))
    m = onnx.ModelProto.FromString(data)
    done = [draw(typed_mutation(m)) for _ in range(draw(st.integers(1, 3)))]
    return name, Blob(m.SerializeToString()), done


def run_forked(path: Path, args: list[str], seconds: float,
               argv: list[str] | None = None) -> tuple[int | None, int | None, str, int, float]:
    """The CLI on ``path`` (or with ``argv``: a subcommand's words; stderr beside ``path``)
    in a forked child under an address-space cap:
    (exit code, killing signal, stderr, peak RSS in KB, seconds)."""
    import resource

    err_path = path.with_suffix(".err")
    t = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: the real entry point, its exit code, nothing else
        code = 3
        try:
            out = os.open(os.devnull, os.O_WRONLY)
            err = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(out, 1)
            os.dup2(err, 2)
            sys.stdout, sys.stderr = open(1, "w"), open(2, "w")  # noqa: SIM115 (live until os._exit)
            with open("/proc/self/statm") as f:
                vm = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
            resource.setrlimit(resource.RLIMIT_AS, (vm + CHILD_AS, resource.RLIM_INFINITY))
            import faulthandler

            faulthandler.disable()
            from onnx_cost.cli import main

            sys.argv = ["onnx-cost", *(argv if argv is not None else [str(path), *args])]
            try:
                main()
                code = 0
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else 2
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)
    deadline = t + seconds
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
            break
        time.sleep(0.005)
    elapsed = time.monotonic() - t
    err_text = err_path.read_text(errors="replace") if err_path.exists() else ""
    if os.WIFSIGNALED(status):
        return None, os.WTERMSIG(status), err_text, usage.ru_maxrss, elapsed
    return os.WEXITSTATUS(status), None, err_text, usage.ru_maxrss, elapsed


STRUCT_SETTINGS = settings(SETTINGS, max_examples=EXAMPLES or 60)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@STRUCT_SETTINGS
@given(case=typed_model(), flags=st.sampled_from([[], ["--csv"], ["--json"]]))
def test_typed_mutations_exit_cleanly_in_bounded_memory(tmp_path_factory: pytest.TempPathFactory, case, flags) -> None:
    name, data, done = case
    path = tmp_path_factory.mktemp("typed") / "model.onnx"
    path.write_bytes(data)
    what = f"{name} after {done}"
    code, sig, err, rss_kb, seconds = run_forked(path, flags, TIME_LIMIT_S)
    assert sig is None, f"{what}: killed by signal {sig} after {seconds:.1f} s: {err[-500:]}"
    assert code in (0, 1, 2), f"{what}: exit {code}: {err.strip()[-500:]}"
    lines = err.strip().splitlines()
    if code == 0:  # at most the one note on free dims that CSV cannot show (cli.py)
        assert len(lines) <= 1 and all(s.startswith("onnx-cost: note: ") for s in lines), f"{what}: stderr {err[:500]!r}"
    else:
        assert len(lines) == 1 and lines[0].startswith(("onnx-cost: error: ", "onnx-cost: --strict: ")), f"{what}: stderr {err[:500]!r}"
    assert len(data) >= 2**20 or rss_kb < RSS_BOUND_KB, f"{what}: peak RSS {rss_kb // 1024} MiB"


# -- the surfaces past one model file (issue 25) ---------------------------------------------
# Subcommands (diff, batch, --sweep, --by module, html), --device files built from hostile
# pieces, --rules plugins that misbehave, --plot and -o paths aimed at the model and its
# data, and the Python API with arguments of the wrong type. Each CLI case runs forked
# under the memory cap, as above; a file that is not ours to write must be left byte for
# byte as it was.

DEVICE_VALUES = ["1e308", "5e-324", "9" * 400, "-1", "0", "nan", "inf", '"x"', "[1]", "true", "10", "1e-6", "1e9"]
DEVICE_PIECES = [
    "[peaks]\nfp32 = {v}\n", "[peaks]\nfp32 = {{ value = {v}, source = \"s\" }}\n", "[memory]\nbandwidth = {v}\n",
    "[memory]\ncapacity = {v}\ncache = {v}\n", "z = " + "[" * 40 + "]" * 40 + "\n", ".".join(["k"] * 400) + " = 1\n",
    "aliases = [{v}]\n", "note = {v}\n", "[not_found]\nfp64 = {v}\n", "unknown = 1\n", "[peaks]\nfp23 = 1\n",
]
PLUGIN_BODIES = [
    'raise ValueError("boom\\x1b[2J")', "return None", "return 5", 'return {"macs": 1}', 'return Cost(arith=float("nan"))',
    'return Cost(arith=float("inf"))', "return Cost(macs=-3)", "return Cost(compare=10**400)", "raise SystemExit(9)",
    "return Cost(arith=view.out_numel(0))", "raise KeyError(view.name)",
]
PLUGIN_FILE = ('from onnx_cost.rules import Cost, rule\n\n\n@rule({op!r}, domain="", override=True)\ndef r(view):\n'
               '    """Fuzz."""\n    {body}\n')
LOAD_BODIES = ["raise SystemExit(0)", "raise SystemExit(7)", "raise GeneratorExit", "import nonexistent_module_x",
               "def f(:\n    pass", "class E(BaseException):\n    pass\nraise E('\\x1b]0;t\\x07')"]


@st.composite
def device_file(draw: st.DrawFn) -> str:
    pieces = [draw(st.sampled_from(DEVICE_PIECES)).format(v=draw(st.sampled_from(DEVICE_VALUES)))
              for _ in range(draw(st.integers(1, 3)))]
    name = draw(st.sampled_from(['name = "Fuzz"\n', 'name = "a\\u001b[31m"\n', "", 'name = 5\n']))
    return name + "".join(pieces)


@st.composite
def surface_case(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """(kind, what the case needs): one hostile use of a surface past the model file."""
    kind = draw(st.sampled_from(["device", "plugin", "plugin_load", "plot", "output", "diff", "batch", "sweep",
                                 "formats"]))
    seed = draw(st.sampled_from(STRUCT_SEEDS))
    case: dict[str, Any] = {"seed": seed[0], "model": seed[1]}
    if kind == "device":
        case["toml"] = draw(device_file())
        case["args"] = draw(st.sampled_from([[], ["--json"], ["--format", "html"]]))
    elif kind == "plugin":
        case["op"] = draw(st.sampled_from(["Relu", "Conv", "MatMul", "Add", "Gemm", "Loop"]))
        case["body"] = draw(st.sampled_from(PLUGIN_BODIES))
        case["args"] = draw(st.sampled_from([[], ["--json"], ["--csv"]]))
    elif kind == "plugin_load":
        case["body"] = draw(st.sampled_from(LOAD_BODIES))
    elif kind in ("plot", "output"):
        case["target"] = draw(st.sampled_from(["model", "data", "link", "hardlink", "dotdot", "long", "deep", "dir",
                                               "missing_dir", "fresh"]))
    elif kind == "diff":
        case["other"] = draw(st.sampled_from(STRUCT_SEEDS))[1]
        case["args"] = draw(st.sampled_from([[], ["--json"], ["--format", "markdown"], ["--dim", "N=²"],
                                             ["--dim", "N=" + "9" * 5000], ["--depth", "40"]]))
    elif kind == "batch":
        case["args"] = draw(st.sampled_from([["--csv"], ["--json"], ["--dim", "N=١"], ["--format", "markdown"]]))
        case["loop"] = draw(st.booleans())
    elif kind == "sweep":
        case["args"] = draw(st.sampled_from([["--sweep", "N=1,2"], ["--sweep", "N=1,²"], ["--sweep", "N=" + "9" * 30],
                                             ["--sweep", "\x1b[31m=1,2"], ["--formula"], ["--input", "x=²x4"]]))
    else:
        case["args"] = draw(st.sampled_from([["--by", "module", "--depth", "99"], ["--format", "html"],
                                             ["--format", "markdown"], ["--by", "op"], ["--nodes", "--sort", "name"]]))
    return kind, case


def _surface_argv(kind: str, case: dict[str, Any], d: Path) -> tuple[list[str], dict[Path, bytes]]:
    """The argv of one surface case, its files written under ``d``, and the files (with
    their bytes) the run must leave as they were."""
    model = d / "m.onnx"
    data = case["model"]
    m = onnx.ModelProto.FromString(data)
    if kind in ("plot", "output") and case["target"] == "data":
        onnx.save(m, str(model), save_as_external_data=True, location="w.svg", size_threshold=0,
                  all_tensors_to_one_file=True)
        if not (d / "w.svg").exists():
            (d / "w.svg").write_bytes(b"")
    else:
        model.write_bytes(data)
    keep = {p: p.read_bytes() for p in d.iterdir() if p.is_file()}
    if kind == "device":
        (d / "d.toml").write_text(case["toml"], encoding="utf-8")
        return [str(model), "--device", str(d / "d.toml"), *case["args"]], keep
    if kind == "plugin":
        (d / "r.py").write_text(PLUGIN_FILE.format(op=case["op"], body=case["body"]))
        return [str(model), "--rules", str(d / "r.py"), *case["args"]], keep
    if kind == "plugin_load":
        (d / "r.py").write_text(case["body"] + "\n")
        return [str(model), "--rules", str(d / "r.py")], keep
    if kind in ("plot", "output"):
        t = case["target"]
        if t == "link":
            os.symlink(model, d / "link.svg")
        elif t == "hardlink":
            os.link(model, d / "hard.svg")
        elif t == "dir":
            (d / "x.svg").mkdir()
        (d / "sub").mkdir()
        target = {"model": model, "data": d / "w.svg", "link": d / "link.svg", "hardlink": d / "hard.svg",
                  "dotdot": d / "sub" / ".." / "m.onnx", "long": d / ("é" * 150 + ".svg"),
                  "deep": d / "/".join(["q" * 200] * 21) / "r.svg", "dir": d / "x.svg",
                  "missing_dir": d / "nope" / "r.svg", "fresh": d / "r.svg"}[t]
        flag = ["--device", "t4", "--plot", str(target)] if kind == "plot" else ["--csv", "-o", str(target)]
        return [str(model), *flag], keep
    if kind == "diff":
        (d / "b.onnx").write_bytes(case["other"])
        keep[d / "b.onnx"] = case["other"]
        return ["diff", str(model), str(d / "b.onnx"), *case["args"]], keep
    if kind == "batch":
        if case["loop"]:
            os.symlink(".", d / "self")
        return ["batch", f"{d}/**/*.onnx", "-j", "1", "--timeout", str(TIME_LIMIT_S), *case["args"]], keep
    return [str(model), *case["args"]], keep


SURFACE_SETTINGS = settings(SETTINGS, max_examples=EXAMPLES or 36)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@SURFACE_SETTINGS
@given(case=surface_case())
def test_surfaces_exit_cleanly_and_leave_inputs_whole(tmp_path_factory: pytest.TempPathFactory, case) -> None:
    kind, spec = case
    d = tmp_path_factory.mktemp("surface")
    argv, keep = _surface_argv(kind, spec, d)
    what = f"{kind} on {spec['seed']}: {[a[:60] for a in argv]}"
    code, sig, err, rss_kb, seconds = run_forked(d / "run", [], TIME_LIMIT_S, argv=argv)
    assert sig is None, f"{what}: killed by signal {sig} after {seconds:.1f} s: {err[-500:]}"
    assert code in (0, 1, 2), f"{what}: exit {code}: {err.strip()[-500:]}"
    lines = err.strip().splitlines()
    if code == 2:
        assert len(lines) == 1 and lines[0].startswith("onnx-cost: error: "), f"{what}: stderr {err[:500]!r}"
    assert "Traceback" not in err and "\x1b" not in err, f"{what}: stderr {err[:500]!r}"
    assert rss_kb < RSS_BOUND_KB, f"{what}: peak RSS {rss_kb // 1024} MiB"
    for p, before in keep.items():  # never over the model, its data or the other model
        assert p.read_bytes() == before, f"{what}: {p.name} was overwritten"


API_ARGS = [
    {"inputs": 5}, {"inputs": [("x", 1)]}, {"inputs": {"x": 5}}, {"inputs": {"x": (None, 2)}}, {"inputs": {3: (1,)}},
    {"inputs": {"x": "²x4"}}, {"inputs": {"x": (-1, 4)}}, {"inputs": {"x": (2**70,)}}, {"dims": 5}, {"dims": {"N": "x"}},
    {"dims": {"N": 1.5}}, {"dims": {"N": True}}, {"dims": {"N": -1}}, {"dims": {"N": 2**80}}, {"rules": 5},
    {"rules": [None]}, {"rules": "/nonexistent/r.py"}, {},
]


@SETTINGS
@given(seed=st.sampled_from(STRUCT_SEEDS), kwargs=st.sampled_from(API_ARGS),
       func=st.sampled_from(["analyze", "sweep", "formula"]))
def test_api_wrong_arguments_raise_only_documented_errors(seed, kwargs, func) -> None:
    m = onnx.ModelProto.FromString(seed[1])
    call = {"analyze": lambda: onnx_cost.analyze(m, **kwargs), "sweep": lambda: onnx_cost.sweep(m, "N", [1, 2], **kwargs),
            "formula": lambda: onnx_cost.formula(m, **kwargs)}[func]
    with time_limit(TIME_LIMIT_S):
        try:
            call()
        except onnx_cost.OnnxCostError:
            pass
        except TypeError as e:  # a wrong type: named at the boundary, the public module's own frame
            import traceback

            assert traceback.extract_tb(e.__traceback__)[-1].filename.endswith(os.path.join("onnx_cost", "api.py")), e
