"""Parameters as PyTorch counts them: learnable tensors only.

``sum(p.numel() for p in model.parameters())`` (torchvision's ``num_params``, thop,
ptflops, calflops, fvcore's parameter_count) sees a BatchNorm's weight and bias but not
its running mean and variance, which are buffers. The ONNX file stores all four; the
learnable count is the stored count less the mean and var inputs of every
BatchNormalization whose statistics are weights (``Report.param_sizes``), each
tensor once by name. Other buffers (a registered positional table, a mask) look like
weights in the file and stay counted: the file does not say which tensors were learned.
"""

from __future__ import annotations

from onnx_cost.model.report import Report

_MEAN, _VAR = 3, 4  # BatchNormalization inputs: X, scale, B, input_mean, input_var


def running_stats(report: Report) -> dict[str, int]:
    """BatchNorm running mean/var tensors that the file stores as weights -> elements."""
    sizes = report.param_sizes
    out: dict[str, int] = {}
    for r in report.nodes:
        if r.op_type != "BatchNormalization" or r.domain:
            continue
        for i in (_MEAN, _VAR):
            name = r.input_names[i] if len(r.input_names) > i else ""
            if name in sizes:
                out[name] = sizes[name][0]
    return out


def learnable_params(report: Report) -> int:
    """Stored params less BatchNorm running statistics."""
    return report.total.params - sum(running_stats(report).values())
