"""The public API, pinned: what ``onnx_cost`` exports and the documented fields of a report.

Adding to the API is fine: add the name to the table below (and to the docs). Removing or
renaming one breaks users: this test makes that a decision, never an accident.
"""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import pytest

import onnx_cost
from onnx_cost.model.report import Coverage, ModelInfo, NodeRecord, Report, View
from onnx_cost.model.totals import Totals
from onnx_cost.views.llm import LlmResult, Step

ROOT = Path(__file__).resolve().parent.parent

EXPORTS = {
    "__version__", "analyze", "analyze_many", "sweep", "formula", "llm", "Report", "View", "Totals",
    "OnnxCostError", "ModelFileError", "NotOnnxError", "InvalidGraphError", "BindingError",
    "UnsupportedModelError", "ExternalDataError", "OutputError", "ResourceLimitError", "InternalError",
}  # fmt: skip

# Dataclass fields in order (NodeRecord and Totals are built positionally by some callers).
FIELDS: dict[type, tuple[str, ...]] = {
    Report: (
        "model", "nodes", "total", "by_op_type", "coverage", "uncounted", "not_counted", "missing_dims",
        "warnings", "views", "tensors", "initializers", "param_sizes", "constant_sizes", "unused_params",
        "dynamic", "quant_params", "data_ifs", "derived_dims",
    ),
    NodeRecord: (
        "name", "op_type", "domain", "scope", "graph", "input_names", "output_names", "inputs", "outputs",
        "dtype", "status", "cost", "params", "param_bytes", "learned_params", "learned_param_bytes", "weight",
        "detail", "missing", "bytes_partial", "per_iteration", "metadata", "scope_path", "scope_classes",
        "precision", "branch", "trips",
    ),
    Totals: (
        "macs", "dots", "bias_adds", "arith", "transcendental", "compare", "int_macs", "int_ops", "params",
        "param_bytes", "constants", "constant_bytes", "read_bytes", "write_bytes", "nodes",
    ),
    Coverage: (
        "nodes", "counted", "zero", "uncounted", "shape_unknown", "invalid", "unknown_tensors",
        "per_iteration_loops", "not_taken",
    ),
    View: ("description", "total", "nodes", "data"),
    ModelInfo: ("path", "ir_version", "opsets", "producer", "inputs", "outputs"),
    LlmResult: (
        "model", "roles", "prompt", "context", "batch", "prefill", "prefill_note", "decode", "kv", "weight_bytes",
        "ideal", "device", "memory", "batch_scan", "measured", "notes",
    ),
    Step: (
        "phase", "new_tokens", "past_tokens", "batch", "dims", "macs", "flops", "ops", "read_bytes", "write_bytes",
        "not_counted", "latency_s", "latency_basis", "floor_s", "bound", "share_by_op_type",
    ),
}  # fmt: skip

# Public methods and properties, beside the fields.
MEMBERS: dict[type, set[str]] = {
    Report: {"partial", "bound", "symbolic", "counted_coverage", "group", "graph_index"},
    NodeRecord: {"flops", "macs", "read_bytes", "write_bytes", "runs"},
    Totals: {"flops", "ops", "memory_bytes", "as_dict", "as_cost"},
    Coverage: {"covered", "fraction", "complete"},
    LlmResult: {"to_dict"},
    Step: {"bytes", "tokens_per_s", "to_dict"},
}

ANALYZE_PARAMETERS = ("model", "inputs", "dims", "rules", "bind")


def test_package_exports():
    assert set(onnx_cost.__all__) == EXPORTS
    for name in onnx_cost.__all__:
        assert hasattr(onnx_cost, name), name


@pytest.mark.parametrize("cls", list(FIELDS), ids=lambda c: c.__name__)
def test_documented_fields_in_order(cls):
    public = tuple(f.name for f in dataclasses.fields(cls) if not f.name.startswith("_"))
    assert public == FIELDS[cls]


@pytest.mark.parametrize("cls", list(MEMBERS), ids=lambda c: c.__name__)
def test_public_members(cls):
    have = {m for m in dir(cls) if not m.startswith("_")} - set(FIELDS[cls])
    assert MEMBERS[cls] <= have, MEMBERS[cls] - have


def test_analyze_signature():
    params = inspect.signature(onnx_cost.analyze).parameters
    assert tuple(params)[: len(ANALYZE_PARAMETERS)] == ANALYZE_PARAMETERS
    assert all(p.kind is p.KEYWORD_ONLY for n, p in params.items() if n != "model")
    assert onnx_cost.analyze.__doc__


LLM_PARAMETERS = ("model", "prompt", "context", "batch", "device", "seq_dim", "past_dim", "dims", "tf32", "measure",
                  "rules")


def test_llm_signature():
    params = inspect.signature(onnx_cost.llm).parameters
    assert tuple(params) == LLM_PARAMETERS
    assert all(p.kind is p.KEYWORD_ONLY for n, p in params.items() if n != "model")
    assert dataclasses.is_dataclass(LlmResult) and LlmResult.__dataclass_params__.frozen  # type: ignore[attr-defined]


def test_the_architecture_doc_names_every_report_field():
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for name in ("NodeRecord", "Totals", "group", "GraphIndex", "views", "tensors", *FIELDS[Report][9:]):
        assert name in doc, name


def test_llm_and_analyze_many_are_the_runners_own_and_load_on_first_use() -> None:
    """One signature each: the package's names are the runners' functions, not copies, and
    ``import onnx_cost`` loads no runner (the pool, onnxruntime's) until one is asked for."""
    import subprocess
    import sys

    code = ("import sys, onnx_cost\n"
            "before = sorted(m for m in sys.modules if m.startswith('onnx_cost.runners'))\n"
            "from onnx_cost import llm, analyze_many\n"
            "from onnx_cost.runners.llm import llm as l2\n"
            "from onnx_cost.runners.many import analyze_many as a2\n"
            "print(before, llm is l2, analyze_many is a2)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] True True"


def test_a_dim_out_of_range_is_a_binding_error(tmp_path):
    """Review of issue 19, finding 16: dims={'seq': -1} is the caller's binding, not the graph,
    that is wrong: BindingError (still an InvalidGraphError, as before)."""
    import onnx
    from onnx import TensorProto, helper

    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["seq", 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["seq", 4])])
    path = tmp_path / "relu.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
    with pytest.raises(onnx_cost.BindingError, match="out of range"):
        onnx_cost.analyze(path, dims={"seq": -1})
    assert issubclass(onnx_cost.BindingError, onnx_cost.InvalidGraphError)
