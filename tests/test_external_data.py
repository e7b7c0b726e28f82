"""External data and huge models: weights are never read, sizes come from dims.

The models here reference gigabytes of external weights that are never written:
the data file is missing, or a sparse file (``truncate``) that takes no disk space.
Every expected number is worked out by hand from the shapes.
"""

from __future__ import annotations

import builtins
import importlib.util
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import onnx_cost

ROOT = Path(__file__).resolve().parent.parent
DATA = "weights.bin"


def ext(name: str, dims: list[int], dtype: int = TensorProto.FLOAT, offset: int = 0, location: str = DATA) -> TensorProto:
    """An initializer whose bytes live in ``location`` at ``offset``: dims only, no data here."""
    itemsize = np.dtype(helper.tensor_dtype_to_np_dtype(dtype)).itemsize
    t = TensorProto(name=name, data_type=dtype, dims=dims, data_location=TensorProto.EXTERNAL)
    n = 1
    for d in dims:
        n *= d
    for k, v in (("location", location), ("offset", str(offset)), ("length", str(n * itemsize))):
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


def model(nodes, inputs, outputs, inits, opset: int = 18) -> onnx.ModelProto:
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=9)


def save(m: onnx.ModelProto, folder: Path, data_bytes: int | None) -> Path:
    """Write the graph (no weight bytes in it); a sparse data file of ``data_bytes`` or none."""
    path = folder / "model.onnx"
    path.write_bytes(m.SerializeToString())
    if data_bytes is not None:
        with open(folder / DATA, "wb") as f:
            f.truncate(data_bytes)
    return path


def mlp() -> onnx.ModelProto:
    """x[batch,1024] · W1[1024,4096] (external) + b1[4096] (external) -> Relu -> · W2[4096,10] (embedded)."""
    w2 = numpy_helper.from_array(np.zeros((4096, 10), np.float32), "w2")
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
        helper.make_node("Add", ["h", "b1"], ["hb"], name="bias1"),
        helper.make_node("Relu", ["hb"], ["r"], name="relu"),
        helper.make_node("MatMul", ["r", "w2"], ["y"], name="fc2"),
    ]
    return model(
        nodes,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 1024])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [ext("w1", [1024, 4096]), ext("b1", [4096], offset=1024 * 4096 * 4), w2],
    )


# 1024·4096 + 4096 + 4096·10 = 4,194,304 + 4,096 + 40,960 = 4,239,360 params, 4 bytes each
MLP_PARAMS = 4_239_360
MLP_PARAM_BYTES = 16_957_440
# fc1 at batch 2: 2·4096 outputs × 1024 = 8,388,608 MACs, dots 8,192: 2·8,388,608 − 8,192 = 16,769,024 FLOPs
FC1_FLOPS = 16_769_024


def test_missing_data_file_still_analyzes_from_dims(tmp_path):
    path = save(mlp(), tmp_path, data_bytes=None)
    assert not (tmp_path / DATA).exists()
    r = onnx_cost.analyze(path, dims={"batch": 2})
    assert r.coverage.complete and not r.partial
    assert r.total.params == MLP_PARAMS
    assert r.total.param_bytes == MLP_PARAM_BYTES
    fc1 = next(n for n in r.nodes if n.name == "fc1")
    assert fc1.status == "counted" and fc1.flops == FC1_FLOPS
    assert fc1.params == 1024 * 4096  # 4,194,304: the external weight, counted from its dims


def test_missing_data_file_with_symbolic_dims_runs_onnx_inference(tmp_path):
    # batch left symbolic: the analyzer runs onnx's inference on a weightless copy,
    # which must not choke on external tensors whose file is missing.
    path = save(mlp(), tmp_path, data_bytes=None)
    r = onnx_cost.analyze(path, bind="none")
    assert not any("inference failed" in w for w in r.warnings), r.warnings
    assert r.missing_dims == ["batch"]
    assert r.total.params == MLP_PARAMS


def test_missing_data_file_is_reported_as_weights_not_checked(tmp_path):
    path = save(mlp(), tmp_path, data_bytes=None)
    r = onnx_cost.analyze(path, dims={"batch": 2})
    assert any(DATA in w and "missing" in w for w in r.warnings), r.warnings
    assert r.total.params == MLP_PARAMS  # and the counts do not suffer


def test_missing_data_file_cli_exit_0_and_json(tmp_path):
    from typer.testing import CliRunner

    from onnx_cost.cli import app

    path = save(mlp(), tmp_path, data_bytes=None)
    res = CliRunner().invoke(app, [str(path), "--json", "--dim", "batch=2"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["total"]["params"] == MLP_PARAMS


def test_data_file_is_never_opened(tmp_path, monkeypatch):
    # The data file exists, but any attempt to open it (Python's open, os.open, onnx's
    # external-data loaders) fails the test.
    path = save(mlp(), tmp_path, data_bytes=1024 * 4096 * 4 + 4096 * 4)
    data = str(tmp_path / DATA)
    opened: list[str] = []

    def guard(real):
        def wrapped(file, *a, **k):
            if isinstance(file, (str, bytes, os.PathLike)) and os.path.abspath(os.fsdecode(file)) == data:
                opened.append(os.fsdecode(file))
                raise AssertionError(f"the analyzer opened the external data file {file}")
            return real(file, *a, **k)

        return wrapped

    monkeypatch.setattr(builtins, "open", guard(builtins.open))
    monkeypatch.setattr(io, "open", guard(io.open))
    monkeypatch.setattr(os, "open", guard(os.open))

    def refuse(*a, **k):
        raise AssertionError("the analyzer loaded external data")

    import onnx.external_data_helper as edh

    monkeypatch.setattr(edh, "load_external_data_for_model", refuse)
    monkeypatch.setattr(edh, "load_external_data_for_tensor", refuse)
    monkeypatch.setattr(onnx, "load_external_data_for_model", refuse, raising=False)
    r = onnx_cost.analyze(path, dims={"batch": 2})
    r2 = onnx_cost.analyze(path)  # the symbolic path (onnx inference) too
    assert opened == []
    assert r.total.params == MLP_PARAMS and r2.total.params == MLP_PARAMS


def test_data_path_that_is_a_directory_does_not_matter(tmp_path):
    path = save(mlp(), tmp_path, data_bytes=None)
    (tmp_path / DATA).mkdir()
    r = onnx_cost.analyze(path, dims={"batch": 2})
    assert r.total.params == MLP_PARAMS


def test_in_memory_model_with_external_references(tmp_path):
    # A ModelProto whose tensors point at a file that exists nowhere.
    r = onnx_cost.analyze(mlp(), dims={"batch": 2})
    assert r.total.params == MLP_PARAMS
    assert next(n for n in r.nodes if n.name == "fc1").flops == FC1_FLOPS


def big() -> onnx.ModelProto:
    """x[batch,16384] · W1[16384,24576] · W2[24576,16384]: two 1.5 GiB fp32 weights, 3 GiB in all."""
    w1_bytes = 16384 * 24576 * 4  # 1,610,612,736
    return model(
        [
            helper.make_node("MatMul", ["x", "w1"], ["h"], name="up"),
            helper.make_node("MatMul", ["h", "w2"], ["y"], name="down"),
        ],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16384])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [ext("w1", [16384, 24576]), ext("w2", [24576, 16384], offset=w1_bytes)],
    )


BIG_DATA = 2 * 16384 * 24576 * 4  # 3,221,225,472 bytes: past protobuf's 2 GiB limit
# 16384·24576 = 402,653,184 elements per weight; two of them
BIG_PARAMS = 805_306_368
# batch 1: up: 24576 outputs × 16384 = 402,653,184 MACs, dots 24,576 -> 805,281,792 FLOPs;
# down: 16384 outputs × 24576 = 402,653,184 MACs, dots 16,384 -> 805,289,984 FLOPs
BIG_FLOPS = 805_281_792 + 805_289_984  # 1,610,571,776


@pytest.mark.parametrize("present", [True, False], ids=["sparse-file", "missing-file"])
def test_over_2gb_of_external_weights(tmp_path, present):
    path = save(big(), tmp_path, data_bytes=BIG_DATA if present else None)
    r = onnx_cost.analyze(path, dims={"batch": 1})
    if present:  # the sparse file is exactly as long as the tensors need: nothing to warn about
        assert not any(DATA in w for w in r.warnings), r.warnings
    assert r.total.params == BIG_PARAMS
    assert r.total.param_bytes == BIG_DATA
    assert r.total.flops == BIG_FLOPS
    r = onnx_cost.analyze(path, bind="none")  # batch symbolic: onnx inference runs on the weightless copy
    assert not any("inference failed" in w for w in r.warnings), r.warnings
    assert r.missing_dims == ["batch"] and r.total.params == BIG_PARAMS


# Runs the command in a fresh interpreter and reports that interpreter's own peak RSS
# (VmHWM belongs to the new address space: the test process's size does not leak in).
_PEAK = """\
import sys
from onnx_cost.cli import main
sys.argv = ["onnx-cost", *sys.argv[1:]]
try:
    main()
finally:
    sys.stdout.flush()
    hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
    sys.stderr.write(f"\\nVmHWM_KB {hwm}\\n")
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak RSS from /proc (Linux)")
def test_over_2gb_command_memory_does_not_grow_with_weights(tmp_path):
    # The whole command on 3 GiB of (sparse) weights: peak RSS stays a few hundred MB,
    # which it could not if any weight byte were read.
    path = save(big(), tmp_path, data_bytes=BIG_DATA)
    p = subprocess.run([sys.executable, "-c", _PEAK, str(path), "--json", "--dim", "batch=1"],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["total"]["params"] == BIG_PARAMS
    peak_mb = int(p.stderr.split("VmHWM_KB")[-1]) / 1024
    assert peak_mb < 400, f"peak RSS {peak_mb:.0f} MB for a graph whose weights are on disk"


# -- a Llama-7B-shaped decoder (the benchmark's builder), few layers ---------------------


def _bench():
    spec = importlib.util.spec_from_file_location("onnx_cost_bench", ROOT / "scripts" / "bench.py")
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["onnx_cost_bench"] = mod
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def test_llama7b_shaped_layers_from_external_references():
    bench = _bench()
    layers = 2
    b = bench.Builder(external="llama.data")  # references only: the file never exists
    bench.llama(b, layers=layers)
    m = b.model()
    assert all(t.data_location == TensorProto.EXTERNAL for t in m.graph.initializer)
    r = onnx_cost.analyze(m, dims={"batch": 1, "sequence": 8})
    assert r.coverage.complete, r.uncounted
    h, ff, vocab, heads, dh, s, max_pos = 4096, 11008, 32000, 32, 128, 8, 4096
    per_layer = 4 * h * h + 3 * h * ff + 2 * h  # q,k,v,o; gate, up, down; two RMSNorm weights
    # embed + lm_head: 2·32000·4096; cos/sin caches 2·4096·128; final norm 4096. The float
    # Constant nodes (2.0, ε, 1.0 in each norm, √dh, the mask fill value) reach no weight slot:
    # they are constants, not params (docs/counting.md, "params").
    weights = 2 * vocab * h + 2 * max_pos * dh + h + layers * per_layer  # fp16 initializers
    assert r.total.params == weights
    assert r.total.param_bytes == 2 * weights
    # MatMul FLOPs at batch 1, sequence 8 (a [s,K]·[K,N] product: (2K − 1)·N·s):
    proj = 4 * (2 * h - 1) * h * s + 2 * (2 * h - 1) * ff * s + (2 * ff - 1) * h * s
    attn = heads * s * s * (2 * dh - 1) + heads * s * dh * (2 * s - 1)  # Q·Kᵀ and P·V
    lm_head = (2 * h - 1) * vocab * s
    assert r.by_op_type["MatMul"].flops == layers * (proj + attn) + lm_head


def test_small_shape_tensor_stored_externally(tmp_path):
    # x[2,64]·W[64,64] -> Reshape to [0,8,8] -> Softmax; onnx's writer puts both the weight and
    # the int64 target shape in m.data. The shape is 3 int64s, not a weight.
    w = numpy_helper.from_array(np.ones((64, 64), np.float32), "w")
    shp = numpy_helper.from_array(np.array([0, 8, 8], np.int64), "shp")
    m = model(
        [
            helper.make_node("MatMul", ["x", "w"], ["h"], name="mm"),
            helper.make_node("Reshape", ["h", "shp"], ["r"], name="reshape"),
            helper.make_node("Softmax", ["r"], ["y"], name="softmax"),
        ],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [w, shp],
    )
    path = tmp_path / "m.onnx"
    onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True, location="m.data", size_threshold=0)
    r = onnx_cost.analyze(path)
    soft = next(n for n in r.nodes if n.name == "softmax")
    assert soft.outputs == ((2, 8, 8),)
    assert soft.status == "counted"
