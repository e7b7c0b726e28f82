"""What a rule sees of a node: op, attributes (schema defaults filled in), and
the shapes, dtypes and small known values of its inputs and outputs.

Rules never touch a protobuf: the analyzer builds these views.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from math import prod
from typing import Any, cast

# A dimension: a known int, a symbolic name (str), or unknown (None).
Dim = int | str | None
Shape = tuple[Dim, ...]


class ShapeUnknown(Exception):
    """A rule needs a dim (or a value) that is symbolic or unknown."""

    def __init__(self, what: str, missing: Sequence[str] = ()) -> None:
        self.what = what
        self.missing = tuple(missing)  # symbolic dim names that would make it countable
        super().__init__(what)


class RuleError(Exception):
    """The node's attributes or shapes are inconsistent (a kernel larger than
    its input, a group not dividing the channels...)."""


def is_float_dtype(dtype: str) -> bool:
    """A floating-point element type (float*, bfloat16, complex*): the one definition."""
    return dtype.startswith(("float", "bfloat", "complex"))


def is_int_dtype(dtype: str) -> bool:
    """An integer element type (int*, uint*); bool is neither."""
    return dtype.startswith(("int", "uint"))


@dataclass(frozen=True, slots=True)
class TensorInfo:
    """One tensor as the analyzer knows it."""

    name: str
    shape: Shape | None  # None: not even the rank is known
    dtype: str = ""  # numpy-style name: float32, float16, bfloat16, int8, int4, ...; "" unknown
    bits: int = 0  # storage bits per element (int4: 4, float8: 8); 0 unknown
    value: Any = None  # numpy array when the value is small and known (shape tensors, axes)
    static: bool = False  # an initializer or a constant: known before any input arrives

    @property
    def is_float(self) -> bool:
        return is_float_dtype(self.dtype)

    @property
    def known(self) -> bool:
        """True when every dim is a known int."""
        s = self.shape
        if s is None:
            return False
        for d in s:  # noqa: SIM110 (all() over a generator costs twice as much, on the hottest path)
            if type(d) is not int:
                return False
        return True


def numel(shape: Sequence[int]) -> int:
    """Number of elements of a concrete shape."""
    return prod(shape)


def nbytes(count: int, bits: int) -> int:
    """Storage bytes of ``count`` elements of ``bits`` each (int4 packs two per byte)."""
    return (count * bits + 7) // 8


def bcast_dims(*shapes: Sequence[Dim]) -> tuple[Dim, ...]:
    """Numpy broadcast of shapes that may hold symbolic dims (None where undecidable)."""
    rank = max((len(s) for s in shapes), default=0)
    out: list[Dim] = []
    for i in range(rank):
        dims = [s[len(s) - rank + i] for s in shapes if len(s) - rank + i >= 0]
        ints = {d for d in dims if type(d) is int and d != 1}
        syms = {d for d in dims if type(d) is not int}
        if len(ints) > 1:
            raise RuleError(f"shapes {[list(s) for s in shapes]} do not broadcast")
        if ints:
            out.append(ints.pop())
        elif len(syms) == 1:
            out.append(syms.pop())
        elif syms:
            out.append(None)
        else:
            out.append(1)
    return tuple(out)


def broadcast(*shapes: Sequence[int]) -> tuple[int, ...]:
    """Numpy-style multidirectional broadcast of concrete shapes (``bcast_dims`` of known dims)."""
    return cast(tuple[int, ...], bcast_dims(*shapes))


@dataclass(frozen=True, slots=True)
class NodeView:
    """A node, as a pure function of which a rule computes its cost."""

    name: str
    op_type: str
    domain: str
    opset: int
    attrs: Mapping[str, Any]
    inputs: tuple[TensorInfo | None, ...]  # None where the input is absent ("")
    outputs: tuple[TensorInfo | None, ...]
    subgraph_costs: Mapping[str, Any] = field(default_factory=dict)

    # -- attributes ---------------------------------------------------------
    def attr(self, name: str, default: Any = None) -> Any:
        """Attribute value, the schema default already applied, else ``default``."""
        v = self.attrs.get(name)
        return default if v is None else v

    # -- inputs and outputs -------------------------------------------------
    def has_input(self, i: int) -> bool:
        return i < len(self.inputs) and self.inputs[i] is not None

    def has_output(self, i: int) -> bool:
        return i < len(self.outputs) and self.outputs[i] is not None

    def _dims(self, t: TensorInfo | None, where: str) -> tuple[int, ...]:
        if t is None:  # a required tensor the node lacks: the node is invalid, not unknown
            raise RuleError(f"{self.op_type} '{self.name}': required {where} is absent")
        if t.shape is None:
            raise ShapeUnknown(f"{where} '{t.name}' has unknown rank")
        missing = [d for d in t.shape if type(d) is not int]
        if missing:
            syms = [d for d in missing if isinstance(d, str)]
            shown = ",".join("?" if d is None else str(d) for d in t.shape)
            raise ShapeUnknown(f"{where} '{t.name}' has shape [{shown}]", syms)
        return t.shape  # type: ignore[return-value]  # every dim checked to be an int above

    def in_shape(self, i: int) -> tuple[int, ...]:
        """Concrete shape of input ``i``; raises ShapeUnknown when not known."""
        return self._dims(self.inputs[i] if i < len(self.inputs) else None, f"input {i}")

    def out_shape(self, i: int = 0) -> tuple[int, ...]:
        """Concrete shape of output ``i``; raises ShapeUnknown when not known."""
        return self._dims(self.outputs[i] if i < len(self.outputs) else None, f"output {i}")

    def in_numel(self, i: int) -> int:
        return numel(self.in_shape(i))

    def out_numel(self, i: int = 0) -> int:
        return numel(self.out_shape(i))

    def in_value(self, i: int) -> Any:
        """The known value (numpy array) of input ``i``; raises ShapeUnknown when not known."""
        t = self.inputs[i] if i < len(self.inputs) else None
        if t is None:
            raise RuleError(f"{self.op_type} '{self.name}': required input {i} is absent")
        if t.value is None:
            raise ShapeUnknown(f"value of input {i} '{t.name}' is not known statically")
        return t.value

    def in_dtype(self, i: int) -> str:
        t = self.inputs[i] if i < len(self.inputs) else None
        return t.dtype if t is not None else ""

    def out_dtype(self, i: int = 0) -> str:
        t = self.outputs[i] if i < len(self.outputs) else None
        return t.dtype if t is not None else ""

    def is_float(self) -> bool:
        """True when the node computes in floating point: some input is a float
        tensor (Where(bool, f, f), Equal(f, f)); with no typed input, judged by output 0."""
        typed = [t for t in self.inputs if t is not None and t.dtype]
        if typed:
            return any(t.is_float for t in typed)
        for t in self.outputs[:1]:
            if t is not None and t.dtype:
                return t.is_float
        return True
