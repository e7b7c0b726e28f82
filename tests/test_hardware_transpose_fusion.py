"""Which Transposes onnxruntime folds into a MatMul (matmul_transpose_fusion.cc: a swap of
the last two axes only), on built graphs. Nothing is timed."""

from __future__ import annotations

from onnx import helper

from onnx_cost.views.hardware.efficiency import kernel_class
from onnx_cost.views.hardware.fusion import kernels

from helpers import analyze_model, make_model


def _kernels(perm: list[int], k_shape: list[int]):  # type: ignore[no-untyped-def]
    """q [1,2,16,8] · Transpose(k, perm) -> [1,2,16,4]."""
    report = analyze_model(make_model(
        [helper.make_node("Transpose", ["k"], ["kt"], name="t", perm=perm),
         helper.make_node("MatMul", ["q", "kt"], ["s"], name="scores")],
        [("q", "float32", [1, 2, 16, 8]), ("k", "float32", k_shape)], [("s", "float32", [1, 2, 16, 4])], opset=17))
    return {k.head.name: k for k in kernels(report) if not k.folded}


def test_a_swap_of_the_last_two_axes_is_folded_into_the_matmul() -> None:
    ks = _kernels([0, 1, 3, 2], [1, 2, 4, 8])
    assert list(ks) == ["scores"] and ks["scores"].fusion == "matmul_transpose"
    assert [m.name for m in ks["scores"].members] == ["t", "scores"]


def test_a_head_split_transpose_stays_a_kernel_of_its_own() -> None:
    # k [1,4,2,8] -> [0,2,3,1] -> [1,2,8,4]: not a swap of the last two axes (onnxruntime keeps it)
    ks = _kernels([0, 2, 3, 1], [1, 4, 2, 8])
    assert set(ks) == {"t", "scores"} and ks["scores"].fusion == ""
    assert kernel_class(ks["t"]) == "movement" and kernel_class(ks["scores"]) == "gemm_act"
