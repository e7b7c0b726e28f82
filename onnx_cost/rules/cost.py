"""The cost record every rule returns: a small frozen bag of exact integer counts.

The parts are kept apart so that a convention profile can recombine them
(fvcore counts only ``macs``; thop adds bias; the seeds count ``flops``).

``macs`` counts every multiply-accumulate of a contraction whatever its precision;
``int_macs`` is the integer part of it (so float MACs are ``macs - int_macs``).
``flops`` counts floating-point operations only, ``int_ops`` integer operations only,
and ``ops = flops + int_ops`` is every operation.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Cost:
    """Exact operation and byte counts of one node (or a sum of nodes)."""

    macs: int = 0  # multiply-accumulates of the op's contraction (conv, gemm, matmul, gates), any precision
    dots: int = 0  # dot products of the float contraction: n terms need n-1 adds, so each saves one add
    bias_adds: int = 0  # float adds of a bias (or Gemm's C) into contraction outputs
    arith: int = 0  # other float add/sub/mul/div/neg/abs/floor... one each
    transcendental: int = 0  # float exp/log/sqrt/pow/tanh/erf/sin/cos/reciprocal... one each
    compare: int = 0  # float max/min/compare/select (ReLU, MaxPool, Clip, Where...) one each
    int_macs: int = 0  # the integer part of macs (quantized conv/matmul); never more than macs
    int_ops: int = 0  # every integer operation, int_macs included as two each (minus dots)
    read_bytes: int | None = None  # bytes read: None lets the analyzer read every input once
    write_bytes: int | None = None  # bytes written: None lets the analyzer write every output once

    @property
    def flops(self) -> int:
        """Every floating-point operation: 2 per float MAC (``macs - int_macs``), less one add
        per dot, plus the rest. The one flops formula: totals use it too."""
        return (
            2 * (self.macs - self.int_macs)
            - self.dots
            + self.bias_adds
            + self.arith
            + self.transcendental
            + self.compare
        )

    @property
    def float_macs(self) -> int:
        """The floating-point part of ``macs``."""
        return self.macs - self.int_macs

    @property
    def ops(self) -> int:
        """Every operation, floating-point and integer: ``flops + int_ops``."""
        return self.flops + self.int_ops

    def __add__(self, other: Cost) -> Cost:
        if not isinstance(other, Cost):
            return NotImplemented
        # Spelled out: the generic fields() loop costs more than the arithmetic.
        return Cost(
            self.macs + other.macs,
            self.dots + other.dots,
            self.bias_adds + other.bias_adds,
            self.arith + other.arith,
            self.transcendental + other.transcendental,
            self.compare + other.compare,
            self.int_macs + other.int_macs,
            self.int_ops + other.int_ops,
            _add(self.read_bytes, other.read_bytes),
            _add(self.write_bytes, other.write_bytes),
        )

    def scaled(self, k: int) -> Cost:
        """This cost repeated ``k`` times (a loop body, a sequence step)."""
        return Cost(
            self.macs * k,
            self.dots * k,
            self.bias_adds * k,
            self.arith * k,
            self.transcendental * k,
            self.compare * k,
            self.int_macs * k,
            self.int_ops * k,
            None if self.read_bytes is None else self.read_bytes * k,
            None if self.write_bytes is None else self.write_bytes * k,
        )

    def with_bytes(self, read_bytes: int | None, write_bytes: int | None) -> Cost:
        """This cost with its memory traffic set."""
        return Cost(
            self.macs,
            self.dots,
            self.bias_adds,
            self.arith,
            self.transcendental,
            self.compare,
            self.int_macs,
            self.int_ops,
            read_bytes,
            write_bytes,
        )


def _add(a: int | None, b: int | None) -> int | None:
    return None if a is None and b is None else (a or 0) + (b or 0)


ZERO = Cost()

# The integer counts that make up the record, in a stable order (CSV, JSON).
COUNT_FIELDS: tuple[str, ...] = (
    "macs",
    "dots",
    "bias_adds",
    "arith",
    "transcendental",
    "compare",
    "int_macs",
    "int_ops",
)
