#!/usr/bin/env python
"""The broken-model zoo (issue 5): every class of hostile or broken input, each a
tiny file (or folder) with the exit code and the stderr line onnx-cost must give.

    python scripts/make_broken_models.py OUT_DIR     # write every case under OUT_DIR/<case>/
    python scripts/make_broken_models.py --list      # the table of cases and expectations

tests/test_errors.py imports ``CASES`` and ``MEMORY_CASES`` from here and checks
each one through the CLI (exit code, one stderr line matching ``pattern``, no
traceback) and through the Python API (the exception type, or the report's node
statuses and warnings). Nothing here is committed as a binary: every file is
built on demand, most in well under a millisecond.
"""

from __future__ import annotations

import argparse
import math
import os
import struct
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from onnx_cost.errors import (
    ExternalDataError,
    InvalidGraphError,
    ModelFileError,
    NotOnnxError,
    OnnxCostError,
    ResourceLimitError,
    UnsupportedModelError,
)

OPSET = 21
IR = 10
F = TensorProto.FLOAT
I64 = TensorProto.INT64


@dataclass(frozen=True)
class Case:
    """One broken input and what onnx-cost must say about it."""

    name: str
    group: str  # file | graph | absurd | bomb | external
    build: Callable[[Path], Path]  # writes into an empty folder; returns the path to analyze
    exit_code: int
    pattern: str  # regex the one stderr line must match (exit 2); for exit 0, a warning's regex or ""
    error: type[OnnxCostError] | None = None  # what analyze(path) raises; None: it returns a report
    nodes: dict[str, tuple[str, str]] = field(default_factory=dict)  # node -> (status, detail regex)
    posix_only: bool = False  # needs symlinks / FIFOs


@dataclass(frozen=True)
class MemoryCase:
    """A ModelProto that cannot be a file (the protobuf parser would refuse it first)."""

    name: str
    build: Callable[[], onnx.ModelProto]
    error: type[OnnxCostError]
    pattern: str


# -- building blocks --------------------------------------------------------------------


def vi(name: str, dtype: int = F, shape: list | None = None) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, dtype, shape)


def model(
    nodes: list[onnx.NodeProto],
    inputs: list[onnx.ValueInfoProto],
    outputs: list[onnx.ValueInfoProto],
    inits: list[onnx.TensorProto] = (),  # type: ignore[assignment]
    opsets: dict[str, int] | None = None,
    ir: int = IR,
    functions: list[onnx.FunctionProto] = (),  # type: ignore[assignment]
) -> onnx.ModelProto:
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    ops = [helper.make_opsetid(d, v) for d, v in (opsets or {"": OPSET}).items()]
    m = helper.make_model(g, opset_imports=ops, functions=list(functions))
    m.ir_version = ir
    return m


def relu_model() -> onnx.ModelProto:
    """x[1,3,8,8] -> Relu -> y: the smallest valid model, to corrupt."""
    return model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", F, [1, 3, 8, 8])], [vi("y")])


def init(name: str, dims: list[int], value: list | None = None, dtype=np.float32) -> onnx.TensorProto:
    arr = np.zeros(dims, dtype) if value is None else np.asarray(value, dtype).reshape(dims)
    return numpy_helper.from_array(arr, name)


def write_model(m: onnx.ModelProto, name: str = "model.onnx") -> Callable[[Path], Path]:
    def build(d: Path) -> Path:
        p = d / name
        p.write_bytes(m.SerializeToString())
        return p

    return build


def write_bytes(data: bytes, name: str = "model.onnx") -> Callable[[Path], Path]:
    def build(d: Path) -> Path:
        p = d / name
        p.write_bytes(data)
        return p

    return build


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


# -- 1. not a model file ------------------------------------------------------------------


def _missing(d: Path) -> Path:
    return d / "nowhere.onnx"


def _directory(d: Path) -> Path:
    (d / "models").mkdir()
    return d / "models"


def _directory_with_model(d: Path) -> Path:
    (d / "bundle").mkdir()
    (d / "bundle" / "model.onnx").write_bytes(relu_model().SerializeToString())
    return d / "bundle"


def _broken_symlink(d: Path) -> Path:
    (d / "model.onnx").symlink_to(d / "gone.onnx")
    return d / "model.onnx"


def _fifo(d: Path) -> Path:
    os.mkfifo(d / "model.onnx")  # opening it would block: it must never be opened
    return d / "model.onnx"


def _zip(entries: dict[str, bytes], name: str = "model.pt") -> Callable[[Path], Path]:
    def build(d: Path) -> Path:
        p = d / name
        with zipfile.ZipFile(p, "w") as z:
            for k, v in entries.items():
                z.writestr(k, v)
        return p

    return build


def _savedmodel(d: Path) -> Path:
    sm = d / "resnet_savedmodel"
    (sm / "variables").mkdir(parents=True)
    (sm / "saved_model.pb").write_bytes(b"\x08\x01")
    return sm


def _too_big(d: Path) -> Path:
    p = d / "model.onnx"
    with open(p, "wb") as f:  # sparse: no disk used
        f.truncate(3 * 2**30)
    return p


# -- 2. not a valid ModelProto ------------------------------------------------------------


def _truncated() -> bytes:
    data = relu_model().SerializeToString()
    return data[: len(data) * 2 // 3]


def _bad_tag() -> bytes:
    data = bytearray(relu_model().SerializeToString())
    data[0] = 0x0F  # field 1, wire type 7: no such wire type
    return bytes(data)


def _corrupt_inside_graph() -> bytes:
    m = relu_model()
    graph = bytearray(m.graph.SerializeToString())
    graph[0] = 0x0F  # the graph's first tag broken; the top level stays well formed
    m.ClearField("graph")
    return m.SerializeToString() + b"\x3a" + varint(len(graph)) + bytes(graph)


def _graph_alone() -> bytes:
    return relu_model().graph.SerializeToString()


def _tensor_alone() -> bytes:
    return numpy_helper.from_array(np.ones((1, 3, 4, 4), np.float32), "input_0").SerializeToString()


def _other_protobuf() -> bytes:
    from google.protobuf import descriptor_pb2

    fd = descriptor_pb2.FileDescriptorProto(name="other.proto", package="not.onnx")
    fd.message_type.add(name="Thing")
    return fd.SerializeToString()


# -- 3. structurally wrong graphs -------------------------------------------------------


def _cycle() -> onnx.ModelProto:
    return model(
        [helper.make_node("Add", ["x", "b"], ["a"], name="n1"), helper.make_node("Relu", ["a"], ["b"], name="n2")],
        [vi("x", F, [2])],
        [vi("b")],
    )


def _dangling() -> onnx.ModelProto:
    return model([helper.make_node("Add", ["x", "ghost"], ["y"], name="add")], [vi("x", F, [2])], [vi("y")])


def _duplicate_output() -> onnx.ModelProto:
    return model(
        [helper.make_node("Relu", ["x"], ["y"], name="r1"), helper.make_node("Neg", ["x"], ["y"], name="r2")],
        [vi("x", F, [2])],
        [vi("y")],
    )


def _output_twice_in_one_node() -> onnx.ModelProto:
    return model(
        [helper.make_node("Split", ["x"], ["y", "y"], name="split", axis=0, num_outputs=2)], [vi("x", F, [4])], [vi("y")]
    )


def _no_opset() -> onnx.ModelProto:
    m = relu_model()
    del m.opset_import[:]
    o = m.opset_import.add()
    o.domain, o.version = "com.example", 1
    return m


def _opset_version(version: int, ir: int = IR) -> onnx.ModelProto:
    m = relu_model()
    m.opset_import[0].version = version
    m.ir_version = ir
    return m


def _conflicting_opsets() -> onnx.ModelProto:
    m = relu_model()
    o = m.opset_import.add()
    o.domain, o.version = "ai.onnx", 13
    return m


def _undeclared_domain() -> onnx.ModelProto:
    return model([helper.make_node("Frob", ["x"], ["y"], name="frob", domain="com.example")], [vi("x", F, [2])], [vi("y")])


def _recursive_function() -> onnx.ModelProto:
    fn = helper.make_function(
        "local", "Loopy", ["a"], ["b"], [helper.make_node("Loopy", ["a"], ["b"], domain="local")],
        [helper.make_opsetid("", OPSET), helper.make_opsetid("local", 1)],
    )
    return model(
        [helper.make_node("Loopy", ["x"], ["y"], name="call", domain="local")],
        [vi("x", F, [2])], [vi("y")], opsets={"": OPSET, "local": 1}, functions=[fn],
    )


def _subgraph_dangling() -> onnx.ModelProto:
    then = helper.make_graph([helper.make_node("Relu", ["nowhere"], ["t"])], "then", [], [vi("t", F, [2])])
    other = helper.make_graph([helper.make_node("Relu", ["x"], ["e"])], "else", [], [vi("e", F, [2])])
    return model(
        [helper.make_node("If", ["c"], ["y"], name="if", then_branch=then, else_branch=other)],
        [vi("x", F, [2]), vi("c", TensorProto.BOOL, [])], [vi("y")],
    )


# -- 4. absurd shapes and attributes: the node is reported, the rest still counted --------


def _dims_model(dims: list) -> onnx.ModelProto:
    """x[dims] -> Relu -> y, and an independent z[2,2] -> Neg -> w that must stay counted."""
    return model(
        [helper.make_node("Relu", ["x"], ["y"], name="relu"), helper.make_node("Neg", ["z"], ["w"], name="neg")],
        [vi("x", F, dims), vi("z", F, [2, 2])],
        [vi("y"), vi("w")],
    )


def _huge_initializer() -> onnx.ModelProto:
    w = TensorProto(name="w", data_type=F, dims=[2**62, 2**62])  # dims, no data: nothing may allocate them
    return model(
        [helper.make_node("Add", ["x", "w"], ["y"], name="add"), helper.make_node("Neg", ["z"], ["v"], name="neg")],
        [vi("x", F, [1]), vi("z", F, [2, 2])], [vi("y"), vi("v")], [w],
    )


def _conv(x: list[int], w: list[int], **attrs) -> onnx.ModelProto:
    """Conv(x, W) beside Relu(x): the Conv is wrong, the Relu must still be counted."""
    return model(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="conv", **attrs), helper.make_node("Relu", ["x"], ["r"], name="relu")],
        [vi("x", F, x)], [vi("y"), vi("r")], [init("w", w)],
    )


def _reshape_inconsistent() -> onnx.ModelProto:
    return model(
        [helper.make_node("Reshape", ["x", "s"], ["y"], name="reshape"), helper.make_node("Relu", ["x"], ["r"], name="relu")],
        [vi("x", F, [2, 3])], [vi("y"), vi("r")], [init("s", [2], [4, 4], np.int64)],
    )


# -- 4b. malformed attributes (issue 15): decoded once against the schema, the node invalid --


A = onnx.AttributeProto


def attr(name: str, kind: int, value) -> onnx.AttributeProto:  # type: ignore[no-untyped-def]
    """An attribute of any type, whatever the schema says (helper.make_attribute infers it)."""
    a = A(name=name, type=kind)
    field = {A.INT: "i", A.FLOAT: "f", A.STRING: "s"}.get(kind)
    if field:
        setattr(a, field, value)
    else:
        getattr(a, {A.INTS: "ints", A.FLOATS: "floats", A.STRINGS: "strings"}[kind]).extend(value)
    return a


def _with(node: onnx.NodeProto, *attrs: onnx.AttributeProto) -> onnx.NodeProto:
    node.attribute.extend(attrs)
    return node


def _neg() -> onnx.NodeProto:
    return helper.make_node("Neg", ["z"], ["zn"], name="neg")  # independent: must stay counted


def _bad_conv(*attrs: onnx.AttributeProto) -> onnx.ModelProto:
    conv = _with(helper.make_node("Conv", ["x", "w"], ["y"], name="conv"), *attrs)
    return model([conv, _neg()], [vi("x", F, [1, 3, 8, 8]), vi("z", F, [2, 2])], [vi("y"), vi("zn")],
                 [init("w", [4, 3, 3, 3])])


def _bad_scan(*attrs: onnx.AttributeProto, opset: int = OPSET) -> onnx.ModelProto:
    """Scan summing 5 rows of x[5,4] into s (opset 8: a leading batch axis and sequence_lens)."""
    body = helper.make_graph(
        [helper.make_node("Add", ["s", "xi"], ["s2"]), helper.make_node("Identity", ["s2"], ["yo"])], "body",
        [vi("s", F, [4]), vi("xi", F, [4])], [vi("s2", F, [4]), vi("yo", F, [4])],
    )
    ins = ["", "s0", "xs"] if opset < 9 else ["s0", "xs"]
    scan = _with(helper.make_node("Scan", ins, ["sf", "ys"], name="scan", body=body), *attrs)
    lead = [1] if opset < 9 else []
    return model([scan, _neg()], [vi("s0", F, lead + [4]), vi("xs", F, lead + [5, 4]), vi("z", F, [2, 2])],
                 [vi("sf"), vi("ys"), vi("zn")], opsets={"": opset})


def _one(op: str, ins: list[str], shapes: dict[str, list], *attrs: onnx.AttributeProto,
         inits: list[onnx.TensorProto] = ()) -> onnx.ModelProto:  # type: ignore[assignment]
    node = _with(helper.make_node(op, ins, ["y"], name=op.lower()), *attrs)
    return model([node, _neg()], [vi(n, F, d) for n, d in shapes.items()] + [vi("z", F, [2, 2])],
                 [vi("y"), vi("zn")], list(inits))


def _ref_attr_outside() -> onnx.ModelProto:
    a = A(name="alpha", type=A.FLOAT, ref_attr_name="slope")
    return _one("LeakyRelu", ["x"], {"x": [2, 3]}, a)


def _shape_slice_big_ends() -> onnx.ModelProto:
    """Shape -> Slice whose `ends` declares 2^25 int64 elements (no data: a 131-byte file);
    onnx's data propagation would build vectors of that size."""
    ends = TensorProto(name="ends", data_type=I64, dims=[2**25])
    return model(
        [helper.make_node("Shape", ["x"], ["s"], name="shape"), helper.make_node("Slice", ["s", "st", "ends"], ["sl"], name="slice"), _neg()],
        [vi("x", F, ["N", 3]), vi("z", F, [2, 2])], [vi("sl", I64), vi("zn")], [init("st", [1], [0], np.int64), ends],
    )


def _slice_of_negative_dim() -> onnx.ModelProto:
    """A Slice over an input declared [-3, 4]: onnx's Slice inference asserts (SIGABRT) on it."""
    return _one("Slice", ["x", "st", "en", "ax"], {"x": [-3, 4]},
                inits=[init("st", [1], [0], np.int64), init("en", [1], [2], np.int64), init("ax", [1], [0], np.int64)])


def _conv_kernel_too_big_then_slice() -> onnx.ModelProto:
    """All dims static; onnx infers dim -1 for a 7x7 kernel over a 4x4 input, and its Slice
    inference asserts on that -1 (SIGABRT) in the whole-graph pass."""
    return model(
        [helper.make_node("Conv", ["x", "w"], ["c"], name="conv"),
         helper.make_node("Slice", ["c", "st", "en", "ax"], ["y"], name="slice"), _neg()],
        [vi("x", F, [1, 3, 4, 4]), vi("z", F, [2, 2])], [vi("y"), vi("zn")],
        [init("w", [8, 3, 7, 7]), init("st", [1], [0], np.int64), init("en", [1], [2], np.int64), init("ax", [1], [2], np.int64)],
    )


def _duplicate_initializer() -> onnx.ModelProto:
    return model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [vi("x", F, [2])], [vi("y")],
                 [init("w", [2]), init("w", [2], [1, 1])])


# -- 5. resource bombs ----------------------------------------------------------------------


def nested_ifs(depth: int) -> onnx.ModelProto:
    """If inside If ``depth`` levels deep (built in place: helper's copies would hit the
    parser's depth limit first); the innermost branch returns Relu(x)."""
    m = onnx.ModelProto(ir_version=IR)
    m.opset_import.add(domain="", version=OPSET)
    g = m.graph
    g.name = "main"
    g.input.extend([vi("x", F, [2]), vi("c", TensorProto.BOOL, [])])
    g.output.extend([vi("y1", F, [2])])
    _nest(g, depth).node.add(op_type="Relu", input=["x"], output=[f"y{depth + 1}"])
    return m


def _nest(holder, depth: int):  # type: ignore[no-untyped-def]
    """Add to ``holder`` (a graph or function) an If whose then-branch holds an If...
    ``depth`` levels; return the innermost holder, where the caller adds the node
    producing y<depth+1>."""
    cur = holder
    for k in range(1, depth + 1):
        n = cur.node.add(op_type="If", name=f"if{k}", input=["c"], output=[f"y{k}"])
        then = n.attribute.add(name="then_branch", type=onnx.AttributeProto.GRAPH)
        other = n.attribute.add(name="else_branch", type=onnx.AttributeProto.GRAPH)
        other.g.name = f"else{k}"
        other.g.node.add(op_type="Neg", input=["x"], output=[f"e{k}"])
        other.g.output.extend([vi(f"e{k}", F, [2])])
        cur = then.g
        cur.name = f"then{k}"
        cur.output.extend([vi(f"y{k + 1}", F, [2])])
    return cur


def deep_through_function(outer: int, inner: int) -> onnx.ModelProto:
    """``outer`` levels of If whose innermost branch calls a local function holding
    ``inner`` levels: outer + inner levels once inlined, neither deep on its own."""
    m = nested_ifs(0)
    m.opset_import.add(domain="local", version=1)
    fn = m.functions.add(domain="local", name="deep", input=["x", "c"], output=["y1"])
    fn.opset_import.add(domain="", version=OPSET)
    _nest(fn, inner).node.add(op_type="Relu", input=["x"], output=[f"y{inner + 1}"])
    del m.graph.node[:]
    _nest(m.graph, outer).node.add(op_type="deep", domain="local", input=["x", "c"], output=[f"y{outer + 1}"])
    return m


def function_bomb(levels: int) -> onnx.ModelProto:
    """f0 = Relu; f_k calls f_{k-1} twice: 2^levels nodes once inlined, from a few KB."""
    ops = [helper.make_opsetid("", OPSET), helper.make_opsetid("local", 1)]
    fns = [helper.make_function("local", "f0", ["a"], ["b"], [helper.make_node("Relu", ["a"], ["b"])], ops)]
    for k in range(1, levels + 1):
        body = [
            helper.make_node(f"f{k - 1}", ["a"], ["m"], domain="local"),
            helper.make_node(f"f{k - 1}", ["m"], ["b"], domain="local"),
        ]
        fns.append(helper.make_function("local", f"f{k}", ["a"], ["b"], body, ops))
    return model(
        [helper.make_node(f"f{levels}", ["x"], ["y"], name="call", domain="local")],
        [vi("x", F, [2])], [vi("y")], opsets={"": OPSET, "local": 1}, functions=fns,
    )


def chain(n: int) -> onnx.ModelProto:
    """n tiny Relu nodes in a chain (built in place: fast even for millions)."""
    m = model([], [vi("t0", F, [1, 4])], [vi(f"t{n}")])
    g = m.graph
    for i in range(n):
        g.node.add(op_type="Relu", name=f"n{i}", input=[f"t{i}"], output=[f"t{i + 1}"])
    return m


def _long_attribute() -> onnx.ModelProto:
    """A 10,000-element kernel_shape on a 2-D Conv, and a Constant of 10,000 ints."""
    return model(
        [
            helper.make_node("Conv", ["x", "w"], ["y"], name="conv", kernel_shape=[3] * 10_000, strides=[1] * 10_000),
            helper.make_node("Constant", [], ["k"], name="const", value_ints=list(range(10_000))),
            helper.make_node("Relu", ["x"], ["r"], name="relu"),
        ],
        [vi("x", F, [1, 3, 8, 8])], [vi("y"), vi("k"), vi("r")], [init("w", [4, 3, 3, 3])],
    )


def _einsum_50() -> onnx.ModelProto:
    """Einsum contracting 50 letters: A has 25 of them, B 50, the output the other 25."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX"  # 50
    a, out = letters[:25], letters[25:]
    dims = {c: (2 if i % 10 == 0 else 1) for i, c in enumerate(letters)}
    return model(
        [helper.make_node("Einsum", ["A", "B"], ["Y"], name="einsum", equation=f"{a},{letters}->{out}")],
        [vi("A", F, [dims[c] for c in a]), vi("B", F, [dims[c] for c in letters])], [vi("Y")],
    )


def _huge_trip_count() -> onnx.ModelProto:
    """A Loop run 2^62 times around a Relu: the count is a Python int, nothing iterates."""
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond"], ["cond_out"]), helper.make_node("Relu", ["v"], ["v_out"])],
        "body", [vi("i", I64, []), vi("cond", TensorProto.BOOL, []), vi("v", F, [4])],
        [vi("cond_out", TensorProto.BOOL, []), vi("v_out", F, [4])],
    )
    return model(
        [helper.make_node("Loop", ["M", "", "x"], ["y"], name="loop", body=body)],
        [vi("x", F, [4])], [vi("y")], [init("M", [], [2**62], np.int64)],
    )


def _value_bomb() -> onnx.ModelProto:
    """Shape arithmetic whose *values* would be huge: Range to 2^40, Tile and Expand to 2^40,
    ConstantOfShape of [2^32, 2^32]. Evaluating any of them would allocate terabytes."""
    return model(
        [
            helper.make_node("Range", ["zero", "big", "one"], ["r"], name="range"),
            helper.make_node("Tile", ["one1", "bigs"], ["t"], name="tile"),
            helper.make_node("Expand", ["one1", "bigs"], ["e"], name="expand"),
            helper.make_node("ConstantOfShape", ["square"], ["c"], name="cos"),
        ],
        [], [vi("r", I64), vi("t", I64), vi("e", I64), vi("c")],
        [
            init("zero", [], [0], np.int64), init("big", [], [2**40], np.int64), init("one", [], [1], np.int64),
            init("one1", [1], [1], np.int64), init("bigs", [1], [2**40], np.int64),
            init("square", [2], [2**32, 2**32], np.int64),
        ],
    )


# -- 6. external data -------------------------------------------------------------------------


def ext_tensor(name: str, dims: list[int], location: str, offset: int = 0, length: int | None = None) -> TensorProto:
    t = TensorProto(name=name, data_type=F, dims=dims, data_location=TensorProto.EXTERNAL)
    n = int(np.prod(dims)) if dims else 1
    entries = {"location": location, "offset": str(offset), "length": str(n * 4 if length is None else length)}
    for k, v in entries.items():
        t.external_data.add(key=k, value=v)
    return t


def ext_model(location: str, dims: list[int] = [4, 4]) -> onnx.ModelProto:  # noqa: B006
    return model(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
        [vi("x", F, [1, dims[0]])], [vi("y")], [ext_tensor("w", dims, location)],
    )


def _ext_absolute(d: Path) -> Path:
    os.mkfifo(d / "secret")  # a FIFO: opening it would hang the run
    return write_model(ext_model(str(d / "secret")))(d)


def _ext_dotdot(d: Path) -> Path:
    (d / "m").mkdir()
    os.mkfifo(d / "outside.bin")
    return write_model(ext_model("../outside.bin"))(d / "m")


def _ext_symlink(d: Path) -> Path:
    (d / "m").mkdir()
    os.mkfifo(d / "outside.bin")
    (d / "m" / "w.bin").symlink_to(d / "outside.bin")
    return write_model(ext_model("w.bin"))(d / "m")


def _ext_missing(d: Path) -> Path:
    return write_model(ext_model("w.bin"))(d)


def _ext_short(d: Path) -> Path:
    (d / "w.bin").write_bytes(b"\0" * 10)  # the 4x4 float tensor needs 64 bytes
    return write_model(ext_model("w.bin"))(d)


def _ext_hf_cache(d: Path) -> Path:
    """A Hugging Face hub cache: snapshots/<rev>/ holds symlinks into blobs/ (allowed)."""
    repo = d / "models--org--net"
    (repo / "blobs").mkdir(parents=True)
    snap = repo / "snapshots" / "abc123"
    snap.mkdir(parents=True)
    (repo / "blobs" / "f00d").write_bytes(ext_model("model.onnx_data").SerializeToString())
    (repo / "blobs" / "beef").write_bytes(b"\0" * 64)
    (snap / "model.onnx").symlink_to("../../blobs/f00d")
    (snap / "model.onnx_data").symlink_to("../../blobs/beef")
    return snap / "model.onnx"


# -- the table --------------------------------------------------------------------------------

M = write_model
B = write_bytes
COUNTED = ("counted", r"")
PT = {"archive/data.pkl": b"\x80\x02}q\x00.", "archive/version": b"3\n", "archive/data/0": b"\0" * 16}

CASES: list[Case] = [
    # 1. not a file / not ONNX
    Case("missing", "file", _missing, 2, r"no such file", ModelFileError),
    Case("directory", "file", _directory, 2, r"is a directory", ModelFileError),
    Case("directory_with_model", "file", _directory_with_model, 2, r"is a directory holding 1 ONNX model", ModelFileError),
    Case("broken_symlink", "file", _broken_symlink, 2, r"broken symlink", ModelFileError, posix_only=True),
    Case("fifo", "file", _fifo, 2, r"not a regular file", ModelFileError, posix_only=True),
    Case("empty", "file", B(b""), 2, r"empty file", ModelFileError),
    Case("text", "file", B(b"hello, this is not a model\n"), 2, r"looks like a text file", NotOnnxError),
    Case("html", "file", B(b"<!DOCTYPE html><html><head><title>model.onnx</title>"), 2, r"HTML", NotOnnxError),
    Case("lfs_pointer", "file", B(b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 1234\n"), 2, r"Git LFS pointer.*git lfs pull", NotOnnxError),
    Case("json", "file", B(b'{"model": "resnet"}'), 2, r"JSON", NotOnnxError),
    Case("onnx_text", "file", B(b'<ir_version: 8, opset_import: ["" : 18]>\nagraph (float[N] x) => (float[N] y) { y = Relu(x) }'), 2, r"ONNX text", NotOnnxError),
    Case("png", "file", B(b"\x89PNG\r\n\x1a\n" + b"\0" * 32), 2, r"PNG image", NotOnnxError),
    Case("jpeg", "file", B(b"\xff\xd8\xff\xe0" + b"\0" * 32), 2, r"JPEG image", NotOnnxError),
    Case("pytorch_zip", "file", _zip(PT), 2, r"PyTorch checkpoint.*torch\.onnx\.export", NotOnnxError),
    Case("torchscript_zip", "file", _zip({"net/constants.pkl": b"\x80\x02.", "net/code/net.py": b"", "net/data.pkl": b"\x80\x02."}), 2, r"TorchScript", NotOnnxError),
    Case("keras_zip", "file", _zip({"config.json": b"{}", "model.weights.h5": b"\x89HDF"}, "model.keras"), 2, r"Keras", NotOnnxError),
    Case("zipped_onnx", "file", _zip({"resnet/model.onnx": b"\x08\x0a"}, "model.zip"), 2, r"holding resnet/model\.onnx.*unzip", NotOnnxError),
    Case("pickle", "file", B(b"\x80\x02}q\x00(X\x05\x00\x00\x00state"), 2, r"Python pickle", NotOnnxError),
    Case("safetensors", "file", B(struct.pack("<Q", 20) + b'{"w":{"dtype":"F32"}}'), 2, r"safetensors", NotOnnxError),
    Case("gguf", "file", B(b"GGUF\x03\x00\x00\x00" + b"\0" * 16), 2, r"GGUF", NotOnnxError),
    Case("tflite", "file", B(b"\x1c\x00\x00\x00TFL3" + b"\0" * 16), 2, r"TensorFlow Lite", NotOnnxError),
    Case("ort_format", "file", B(b"\x14\x00\x00\x00ORTM" + b"\0" * 16), 2, r"ONNX Runtime \.ort", NotOnnxError),
    Case("gzip", "file", B(b"\x1f\x8b\x08\x00" + b"\0" * 16), 2, r"gzip", NotOnnxError),
    Case("savedmodel_dir", "file", _savedmodel, 2, r"TensorFlow SavedModel folder", NotOnnxError),
    Case("over_2gib", "file", _too_big, 2, r"2 GiB limit", NotOnnxError),
    # 2. a protobuf, but not a valid ModelProto
    Case("truncated", "file", B(_truncated()), 2, r"truncated", NotOnnxError),
    Case("bad_tag", "file", B(_bad_tag()), 2, r"corrupt at byte 0", NotOnnxError),
    Case("zeros", "file", B(b"\0" * 256), 2, r"corrupt at byte 0", NotOnnxError),
    Case("corrupt_inside", "file", B(_corrupt_inside_graph()), 2, r"not a valid ONNX protobuf \(corrupt", NotOnnxError),
    Case("graph_alone", "file", B(_graph_alone()), 2, r"not an ONNX ModelProto.*GraphProto saved alone", NotOnnxError),
    Case("tensor_alone", "file", B(_tensor_alone(), "input_0.pb"), 2, r"not an ONNX ModelProto.*TensorProto", NotOnnxError),
    Case("other_protobuf", "file", B(_other_protobuf(), "model.pb"), 2, r"not an ONNX ModelProto \(no graph", NotOnnxError),
    # 3. structurally wrong graphs
    Case("cycle", "graph", M(_cycle()), 2, r"cycle through node", InvalidGraphError),
    Case("dangling_input", "graph", M(_dangling()), 2, r"reads 'ghost', which no node", InvalidGraphError),
    Case("dangling_in_subgraph", "graph", M(_subgraph_dangling()), 2, r"reads 'nowhere'", InvalidGraphError),
    Case("duplicate_output", "graph", M(_duplicate_output()), 2, r"'y' is produced twice", InvalidGraphError),
    Case("output_twice_in_one_node", "graph", M(_output_twice_in_one_node()), 2, r"'y' is produced twice", InvalidGraphError),
    Case("no_default_opset", "graph", M(_no_opset()), 2, r"declares no opset for the default ONNX domain", InvalidGraphError),
    Case("zero_opset", "graph", M(_opset_version(0)), 2, r"invalid version 0", InvalidGraphError),
    Case("conflicting_opsets", "graph", M(_conflicting_opsets()), 2, r"two versions", InvalidGraphError),
    Case("undeclared_domain", "graph", M(_undeclared_domain()), 2, r"domain 'com\.example'.*does not declare", InvalidGraphError),
    Case("recursive_function", "graph", M(_recursive_function()), 2, r"calls itself", InvalidGraphError),
    Case("future_opset", "graph", M(_opset_version(99)), 2, r"opset 99, newer than", UnsupportedModelError),
    Case("future_ir_version", "graph", M(_opset_version(OPSET, ir=99)), 2, r"IR version 99, newer than", UnsupportedModelError),
    # 4. absurd shapes and attributes: exit 0, the node says why, the rest is counted
    Case("negative_dim", "absurd", M(_dims_model([-3, 4])), 0, r"negative dim -3",
         nodes={"relu": ("shape_unknown", r""), "neg": ("counted", r"")}),
    Case("zero_dim", "absurd", M(_dims_model([0, 4])), 0, r"", nodes={"relu": ("counted", r""), "neg": ("counted", r"")}),
    Case("dims_near_2_63", "absurd", M(_dims_model([2**62, 2**62])), 0, r"declares 2.13e\+37 elements",
         nodes={"relu": ("shape_unknown", r""), "neg": ("counted", r"")}),
    Case("huge_initializer", "absurd", M(_huge_initializer()), 0, r"'w' declares",
         nodes={"add": ("shape_unknown", r""), "neg": ("counted", r"")}),
    Case("kernel_larger_than_input", "absurd", M(_conv([1, 3, 4, 4], [8, 3, 7, 7])), 0, r"",
         nodes={"conv": ("invalid", r"larger than the padded input"), "relu": ("counted", r"")}),
    Case("group_not_dividing", "absurd", M(_conv([1, 3, 8, 8], [8, 1, 3, 3], group=2)), 0, r"",
         nodes={"conv": ("invalid", r"group=2 does not divide"), "relu": ("counted", r"")}),
    Case("reshape_inconsistent", "absurd", M(_reshape_inconsistent()), 0, r"",
         nodes={"reshape": ("invalid", r"6 elements|16"), "relu": ("counted", r"")}),
    # 4b. malformed attributes: the node invalid, naming the attribute; the rest counted (exit 0)
    Case("conv_strides_floats_inf", "absurd", M(_bad_conv(attr("strides", A.FLOATS, [math.inf, math.inf]))), 0, r"",
         nodes={"conv": ("invalid", r"attribute 'strides' is FLOATS, where Conv \(opset 21\) declares INTS"), "neg": COUNTED}),
    Case("conv_group_float_inf", "absurd", M(_bad_conv(attr("group", A.FLOAT, math.inf))), 0, r"",
         nodes={"conv": ("invalid", r"attribute 'group' is FLOAT, where Conv .* declares INT"), "neg": COUNTED}),
    Case("scan_num_scan_inputs_ints", "absurd", M(_bad_scan(attr("num_scan_inputs", A.INTS, [1, 1]))), 0, r"",
         nodes={"scan": ("invalid", r"'num_scan_inputs' is INTS, where Scan .* declares INT"), "neg": COUNTED}),
    Case("scan_num_scan_inputs_string", "absurd", M(_bad_scan(attr("num_scan_inputs", A.STRING, b"one"))), 0, r"",
         nodes={"scan": ("invalid", r"'num_scan_inputs' is STRING"), "neg": COUNTED}),
    Case("scan_num_scan_inputs_inf", "absurd", M(_bad_scan(attr("num_scan_inputs", A.FLOAT, math.inf))), 0, r"",
         nodes={"scan": ("invalid", r"'num_scan_inputs' is FLOAT"), "neg": COUNTED}),
    Case("scan_num_scan_inputs_nan", "absurd", M(_bad_scan(attr("num_scan_inputs", A.FLOAT, math.nan))), 0, r"",
         nodes={"scan": ("invalid", r"'num_scan_inputs' is FLOAT"), "neg": COUNTED}),
    Case("scan_input_axes_short", "absurd", M(_bad_scan(attr("num_scan_inputs", A.INT, 1), attr("scan_input_axes", A.INTS, []))), 0, r"",
         nodes={"scan": ("invalid", r"'scan_input_axes' has 0 entries, the node has 1 scan input"), "neg": COUNTED}),
    Case("scan8_num_scan_inputs_string", "absurd", M(_bad_scan(attr("num_scan_inputs", A.STRING, b"x"), opset=8)), 0, r"",
         nodes={"scan": ("invalid", r"'num_scan_inputs' is STRING, where Scan \(opset 8\)"), "neg": COUNTED}),
    Case("scan_missing_num_scan_inputs", "absurd", M(_bad_scan()), 0, r"",
         nodes={"scan": ("invalid", r"required attribute 'num_scan_inputs' of Scan .* is missing"), "neg": COUNTED}),
    Case("shape_start_float", "absurd", M(_one("Shape", ["x"], {"x": [2, 3]}, attr("start", A.FLOAT, 1.5))), 0, r"",
         nodes={"shape": ("invalid", r"'start' is FLOAT, where Shape .* declares INT"), "neg": COUNTED}),
    Case("ref_attr_outside_function", "absurd", M(_ref_attr_outside()), 0, r"",
         nodes={"leakyrelu": ("invalid", r"'alpha' refers to 'slope' \(ref_attr_name\), which only a function body"), "neg": COUNTED}),
    Case("layernorm_axis_2_31", "absurd", M(_one("LayerNormalization", ["x", "g"], {"x": [2, 3], "g": [3]}, attr("axis", A.INT, 2**31))), 0, r"",
         nodes={"layernormalization": ("invalid", r"'axis' = 2147483648 is out of range"), "neg": COUNTED}),
    Case("gathernd_batch_dims_minus_2_31", "absurd", M(_one("GatherND", ["x", "i"], {"x": [2, 3], "i": [2, 1]}, attr("batch_dims", A.INT, -(2**31)))), 0, r"",
         nodes={"gathernd": ("invalid", r"'batch_dims' = -2147483648 is out of range"), "neg": COUNTED}),
    # 4c. what onnx's C++ inference would die on: kept from it, or run where its death costs only the hints
    Case("slice_of_negative_dim", "absurd", M(_slice_of_negative_dim()), 0, r"'x' has negative dim -3",
         nodes={"neg": COUNTED}),
    Case("conv_kernel_too_big_then_slice", "absurd", M(_conv_kernel_too_big_then_slice()), 0,
         r"onnx shape inference failed \(onnx's inference killed by signal 6\); shapes come from our own pass only",
         nodes={"conv": ("invalid", r"larger than the padded input"), "neg": COUNTED}),
    Case("duplicate_initializer", "graph", M(_duplicate_initializer()), 2, r"initializer 'w' is defined twice \(duplicate name", InvalidGraphError),
    # 5. resource bombs: bounded time and memory, a clear refusal past the limits
    Case("scan_num_scan_inputs_2_28", "bomb", M(_bad_scan(attr("num_scan_inputs", A.INT, 2**28))), 0, r"",
         nodes={"scan": ("invalid", r"'num_scan_inputs' = 268435456 is out of range \(the node has 2"), "neg": COUNTED}),
    Case("scan_num_scan_inputs_2_40", "bomb", M(_bad_scan(attr("num_scan_inputs", A.INT, 2**40))), 0, r"",
         nodes={"scan": ("invalid", r"'num_scan_inputs' = 1099511627776 is out of range"), "neg": COUNTED}),
    Case("scan8_num_scan_inputs_2_40", "bomb", M(_bad_scan(attr("num_scan_inputs", A.INT, 2**40), opset=8)), 0, r"",
         nodes={"scan": ("invalid", r"'num_scan_inputs' = 1099511627776 is out of range"), "neg": COUNTED}),
    Case("shape_slice_ends_2_25", "bomb", M(_shape_slice_big_ends()), 0, r"", nodes={"neg": COUNTED}),
    Case("nesting_at_parser_limit", "bomb", M(nested_ifs(30)), 0, r"", nodes={"if1": ("counted", r"")}),
    Case("nesting_past_parser_limit", "bomb", M(nested_ifs(40)), 2, r"nest deeper than the protobuf parser allows", ResourceLimitError),
    Case("function_bomb", "bomb", M(function_bomb(40)), 2, r"once its local functions are inlined", ResourceLimitError),
    Case("many_nodes", "bomb", M(chain(5_000)), 0, r"", nodes={"n4999": ("counted", r"")}),
    Case("attribute_of_10000", "bomb", M(_long_attribute()), 0, r"", nodes={"relu": ("counted", r"")}),
    Case("einsum_50_letters", "bomb", M(_einsum_50()), 0, r""),
    Case("huge_trip_count", "bomb", M(_huge_trip_count()), 0, r"", nodes={"loop": ("counted", r"x 4611686018427387904 iterations")}),
    Case("value_bomb", "bomb", M(_value_bomb()), 0, r""),
    # 6. external data: unsafe locations refused unopened; broken ones only warned about
    Case("external_absolute", "external", _ext_absolute, 2, r"location '/.*' is an absolute path; refused", ExternalDataError, posix_only=True),
    Case("external_dotdot", "external", _ext_dotdot, 2, r"'\.\./outside\.bin' leaves the model's folder", ExternalDataError, posix_only=True),
    Case("external_symlink_escape", "external", _ext_symlink, 2, r"'w\.bin' resolves \(through a symlink\) outside", ExternalDataError, posix_only=True),
    Case("external_missing", "external", _ext_missing, 0, r"external data file 'w\.bin' is missing", nodes={"mm": ("counted", r"")}),
    Case("external_short", "external", _ext_short, 0, r"'w\.bin' \(10 bytes\) is shorter than its tensors need", nodes={"mm": ("counted", r"")}),
    Case("external_hf_cache", "external", _ext_hf_cache, 0, r"", nodes={"mm": ("counted", r"")}, posix_only=True),
]

MEMORY_CASES: list[MemoryCase] = [
    MemoryCase("nesting_past_our_limit", lambda: nested_ifs(100), ResourceLimitError, r"more than 31 levels"),
    MemoryCase("nesting_through_functions", lambda: deep_through_function(40, 40), ResourceLimitError, r"more than 31 levels"),
    MemoryCase("external_absolute_in_memory", lambda: ext_model("/etc/passwd"), ExternalDataError, r"absolute path"),
    MemoryCase("external_dotdot_in_memory", lambda: ext_model("..\\..\\secrets.bin"), ExternalDataError, r"leaves the model's folder"),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", nargs="?", type=Path, help="folder to write every case into (OUT/<case>/)")
    ap.add_argument("--list", action="store_true", help="print the cases and their expectations")
    ap.add_argument("--nodes", type=int, default=0, help="also write a chain of this many nodes (e.g. 1000000)")
    a = ap.parse_args(argv)
    if a.list or a.out is None:
        for c in CASES:
            err = c.error.__name__ if c.error else "report"
            print(f"{c.group:9} {c.name:28} exit {c.exit_code}  {err:22} {c.pattern}")
        return 0
    for c in CASES:
        if c.posix_only and os.name != "posix":
            continue
        d = a.out / c.name
        d.mkdir(parents=True, exist_ok=True)
        p = c.build(d)
        print(f"{c.exit_code}  {p}")
    if a.nodes:
        d = a.out / f"chain_{a.nodes}"
        d.mkdir(parents=True, exist_ok=True)
        p = write_model(chain(a.nodes))(d)
        print(f"0  {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
