"""What a profile's formula sees: one node, or one matched module, with the
quantities peers count by (elements in and out, contraction MACs, bias adds...).

Every quantity comes from the node's shapes or from its exact Cost (docs/counting.md):
a profile recombines our parts, it never recounts the op.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from math import prod
from typing import Any

from onnx_cost.model.report import NodeRecord
from onnx_cost.rules.node import Shape


def numel(shape: Shape | None) -> int | None:
    """Elements of a fully known shape, else None."""
    if shape is None or any(type(d) is not int for d in shape):
        return None
    return prod(shape)  # type: ignore[arg-type]


class Unknown(Exception):
    """A quantity the formula needs is not known (a symbolic or unknown dim)."""


@dataclass
class Site:
    """One node (or a matched module: ``members`` are its other nodes)."""

    rec: NodeRecord
    family: str
    members: list[NodeRecord] = field(default_factory=list)
    affine: bool = True  # norms: a scale is applied
    bias_elems: int | None = None  # linear groups: elements of the matched bias add
    attrs: Mapping[str, Any] = field(default_factory=dict)  # string attributes read from the model, if any

    def _n(self, shape: Shape | None) -> int:
        n = numel(shape)
        if n is None:
            raise Unknown(f"{self.rec.op_type}: a shape is not fully known")
        return n

    @property
    def module(self) -> str:
        """The class of the innermost PyTorch module the node ran in, when the exporter
        recorded it (torch's dynamo exporter: ``torch.nn.modules.linear.Linear``), else ""."""
        classes = self.rec.scope_classes
        return classes[-1] if classes else ""

    @property
    def inp(self) -> int:
        """Elements of the first input."""
        return self._n(self.rec.inputs[0] if self.rec.inputs else None)

    @property
    def out(self) -> int:
        """Elements of the module's output (the last member's first output)."""
        last = self.members[-1] if self.members else self.rec
        return self._n(last.outputs[0] if last.outputs else None)

    @property
    def macs(self) -> int:
        """Multiply-accumulates of the contraction, at any precision (float and integer)."""
        return self.rec.cost.macs  # float and integer alike (rules/cost.py)

    @property
    def bias(self) -> int:
        """Bias adds into the contraction output: Conv's B, Gemm's C, a matched bias Add."""
        if self.bias_elems is not None:
            return self.bias_elems
        if self.rec.cost.bias_adds:
            return self.rec.cost.bias_adds
        if self.family in ("conv", "conv_transpose") and self._has_input(2):
            return self.out
        return 0

    def _has_input(self, i: int) -> bool:
        return len(self.rec.input_names) > i and bool(self.rec.input_names[i])

    def shape(self, i: int) -> tuple[int, ...]:
        """The known shape of input ``i``."""
        s = self.rec.inputs[i] if len(self.rec.inputs) > i else None
        self._n(s)
        return s  # type: ignore[return-value]

    @property
    def out_shape(self) -> tuple[int, ...]:
        s = self.rec.outputs[0] if self.rec.outputs else None
        self._n(s)
        return s  # type: ignore[return-value]

    @property
    def window(self) -> int:
        """Elements of a pooling window, from the exact count (docs/counting.md:
        AveragePool arith = out·k, MaxPool compare = out·(k − 1))."""
        c, out = self.rec.cost, self.out
        if not out:
            return 0
        return c.arith // out if self.rec.op_type == "AveragePool" else c.compare // out + 1

    @property
    def resize_mode(self) -> str:
        """Resize's mode attribute ("nearest" when not read: the ONNX default)."""
        return str(self.attrs.get("mode", "nearest"))

    @property
    def resize_by_sizes(self) -> bool:
        """Resize given output sizes (input 3) rather than scales."""
        return self.rec.op_type == "Resize" and self._has_input(3)
