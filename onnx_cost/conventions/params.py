"""Parameters as PyTorch counts them: learnable tensors only.

``sum(p.numel() for p in model.parameters())`` (torchvision's ``num_params``, thop,
ptflops, calflops, fvcore's parameter_count) sees a BatchNorm's weight and bias but not
its running mean and variance, which are buffers. The ONNX file stores all four; the
learnable count is the stored count less the mean and var inputs of every
BatchNormalization whose statistics are weights (initializers or Constants), each
tensor once by name. Other buffers (a registered positional table, a mask) look like
weights in the file and stay counted: the file does not say which tensors were learned.
"""

from __future__ import annotations

from ..analyzer.report import Report
from .site import numel

_MEAN, _VAR = 3, 4  # BatchNormalization inputs: X, scale, B, input_mean, input_var


def running_stats(report: Report) -> dict[str, int]:
    """BatchNorm running mean/var tensors that the file stores as weights -> elements."""
    sizes = getattr(report, "param_sizes", None)
    weights = _weights(report) if sizes is None else {k: v[0] for k, v in sizes.items()}
    out: dict[str, int] = {}
    for r in report.nodes:
        if r.op_type != "BatchNormalization" or r.domain:
            continue
        for i in (_MEAN, _VAR):
            name = r.input_names[i] if len(r.input_names) > i else ""
            if name in weights:
                out[name] = weights[name]
    return out


def _weights(report: Report) -> dict[str, int]:
    """Weights of reports built before ``Report.param_sizes``: tensors no node but a Constant
    writes, not graph inputs, by the elements of their shape."""
    produced = {t: r.op_type for r in report.nodes for t in r.output_names if t}
    graph_inputs = {n for n, _d, _s in report.model.inputs}
    out: dict[str, int] = {}
    for r in report.nodes:
        for name, shape in zip(r.input_names, r.inputs):
            if name and name not in graph_inputs and produced.get(name, "Constant") == "Constant":
                out[name] = numel(shape) or 0
    return out


def learnable_params(report: Report) -> int:
    """Stored params less BatchNorm running statistics."""
    return report.total.params - sum(running_stats(report).values())
