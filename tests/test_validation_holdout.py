"""The validation models of `make validate` are held out of the calibration: no benchmark
has a compute node (MatMul, Gemm, convolution, LSTM, in any precision) with the operand
shapes of a validation model's node (docs/hardware.md, Validation)."""

from __future__ import annotations

import sys
from math import prod
from pathlib import Path
from typing import Any

import onnx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from validate_models import MODELS

from onnx_cost.runners.calibrate import benchmarks

_MATMUL = {"MatMul", "MatMulInteger", "Gemm"}
_CONV = {"Conv", "ConvInteger"}


def _shapes(m: onnx.ModelProto) -> dict[str, tuple[int, ...]]:
    g = m.graph
    out: dict[str, tuple[int, ...]] = {t.name: tuple(t.dims) for t in g.initializer}
    for v in [*g.input, *g.value_info, *g.output]:
        dims = v.type.tensor_type.shape.dim
        if dims and all(d.HasField("dim_value") for d in dims):
            out[v.name] = tuple(d.dim_value for d in dims)
    return out


def signatures(m: onnx.ModelProto) -> set[tuple[Any, ...]]:
    """(family, shape...) of every compute node: a GEMM as (batch, M, K, N), a convolution
    as its input and weight shapes, a recurrent cell as its input and recurrent weights'."""
    shapes = _shapes(m)
    sigs: set[tuple[Any, ...]] = set()
    for n in m.graph.node:
        a, b = (shapes.get(t) for t in (list(n.input) + ["", ""])[:2])
        if a is None or b is None:
            continue
        if n.op_type in _MATMUL and len(a) >= 2 and len(b) >= 2:
            trans_b = any(at.name == "transB" and at.i for at in n.attribute)
            k, nn = (b[-1], b[-2]) if trans_b else (b[-2], b[-1])
            sigs.add(("gemm", prod(a[:-2]), a[-2], k, nn))
        elif n.op_type in _CONV:
            sigs.add(("conv", a, b))
        elif n.op_type == "LSTM":
            r = shapes.get(n.input[2])
            sigs.add(("lstm", a[1:], r))
    return sigs


@pytest.fixture(scope="module")
def validation_sigs() -> dict[str, set[tuple[Any, ...]]]:
    # the quantized twins have their float model's shapes: the float models suffice
    return {name: signatures(build()) for name, (build, _twins) in MODELS.items()}


def test_the_signatures_see_a_validation_models_layers(validation_sigs: dict[str, set[tuple[Any, ...]]]) -> None:
    # encoder-small: d = 128 over 64 tokens, feed-forward 4·d: its linear layers by hand
    assert ("gemm", 1, 64, 128, 128) in validation_sigs["encoder-small"]
    assert ("gemm", 1, 64, 128, 512) in validation_sigs["encoder-small"]
    assert ("gemm", 1, 64, 512, 128) in validation_sigs["encoder-small"]
    # decoder-step: one token, d = 512
    assert ("gemm", 1, 1, 512, 2048) in validation_sigs["decoder-step"]
    # lstm: 128 units over 32 steps, batch 1; recurrent weights [1, 4·128, 128]
    assert ("lstm", (1, 64), (1, 512, 128)) in validation_sigs["lstm"]


def test_no_benchmark_has_a_validation_models_shapes(validation_sigs: dict[str, set[tuple[Any, ...]]]) -> None:
    held_out = set().union(*validation_sigs.values())
    seen = {name: signatures(m) & held_out for name, _cls, m, _feeds in benchmarks()}
    assert {n: s for n, s in seen.items() if s} == {}
