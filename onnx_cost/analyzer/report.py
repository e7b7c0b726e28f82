"""The analysis result: one record per node, and the aggregates over them.

Rendering (table, CSV, JSON) lives in ``render``; nothing here formats text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..rules.cost import COUNT_FIELDS, Cost
from ..rules.node import Shape

# The five states a node can end in.
COUNTED = "counted"  # a rule counted it
ZERO = "zero"  # no arithmetic by nature (data movement, metadata): reason in ``detail``
UNCOUNTED = "uncounted"  # no rule knows this op: named in the report, never silently 0
SHAPE_UNKNOWN = "shape_unknown"  # a rule exists but a needed dim is symbolic or unknown
INVALID = "invalid"  # attributes or shapes are inconsistent: reason in ``detail``
STATUSES = (COUNTED, ZERO, UNCOUNTED, SHAPE_UNKNOWN, INVALID)


@dataclass(slots=True)
class NodeRecord:
    """Everything we know about one node's cost."""

    name: str
    op_type: str
    domain: str
    scope: str  # module scope recovered from the exporter's name ("/layer1/0/conv1")
    graph: str  # "" for the main graph, else the path of the subgraph ("loop_1/body")
    input_names: tuple[str, ...]
    output_names: tuple[str, ...]
    inputs: tuple[Shape | None, ...]  # input shapes (None: rank unknown or absent)
    outputs: tuple[Shape | None, ...]
    dtype: str
    status: str
    cost: Cost = field(default_factory=Cost)  # per execution, bytes filled in
    params: int = 0  # elements of weight tensors this node reads, plus its learned attributes
    param_bytes: int = 0
    learned_params: int = 0  # elements of learned attributes (ai.onnx.ml), already in params
    learned_param_bytes: int = 0
    weight: int = 1  # how many times this record counts in the totals (loop trips; 0 for an untaken If branch)
    detail: str = ""  # why zero / uncounted / unknown / invalid; branch costs of an If
    missing: tuple[str, ...] = ()  # symbolic dims that would make it countable
    bytes_partial: bool = False  # a tensor's size was unknown: bytes count only the known ones
    per_iteration: bool = False  # inside a Loop whose trip count is unknown: counted once
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def flops(self) -> int:
        return self.cost.flops

    @property
    def macs(self) -> int:
        return self.cost.macs

    @property
    def read_bytes(self) -> int:
        return self.cost.read_bytes or 0

    @property
    def write_bytes(self) -> int:
        return self.cost.write_bytes or 0


@dataclass(frozen=True)
class Totals:
    """Sums over nodes (each counted ``weight`` times); params count each tensor once."""

    macs: int = 0
    flops: int = 0
    dots: int = 0
    bias_adds: int = 0
    arith: int = 0
    transcendental: int = 0
    compare: int = 0
    int_macs: int = 0
    int_ops: int = 0
    params: int = 0
    param_bytes: int = 0
    constants: int = 0  # elements of static tensors read that are not params (analyzer/params.py)
    constant_bytes: int = 0
    read_bytes: int = 0
    write_bytes: int = 0
    nodes: int = 0

    @property
    def ops(self) -> int:
        """Every operation, floating-point and integer: ``flops + int_ops``."""
        return self.flops + self.int_ops

    @property
    def memory_bytes(self) -> int:
        """Read plus written: the memory access cost."""
        return self.read_bytes + self.write_bytes

    def as_dict(self) -> dict[str, int]:
        d = {k: getattr(self, k) for k in TOTAL_FIELDS}
        return d


TOTAL_FIELDS: tuple[str, ...] = (
    "flops",
    "ops",
    "macs",
    *[f for f in COUNT_FIELDS if f != "macs"],
    "params",
    "param_bytes",
    "constants",
    "constant_bytes",
    "read_bytes",
    "write_bytes",
    "nodes",
)


def sum_records(
    records: list[NodeRecord],
    param_sizes: dict[str, tuple[int, int]] | None = None,
    constant_sizes: dict[str, tuple[int, int]] | None = None,
) -> Totals:
    """Totals over ``records``: costs times weight; params and constants once per tensor name."""
    acc = dict.fromkeys(COUNT_FIELDS, 0)
    rb = wb = nodes = 0
    seen: dict[str, tuple[int, int]] = {}
    consts: dict[str, tuple[int, int]] = {}
    for r in records:
        nodes += 1
        w = r.weight
        if w:
            c = r.cost
            for f in COUNT_FIELDS:
                acc[f] += getattr(c, f) * w
            rb += (c.read_bytes or 0) * w
            wb += (c.write_bytes or 0) * w
        if param_sizes is not None:
            for n in r.input_names:
                if n in param_sizes:
                    seen[n] = param_sizes[n]
        if constant_sizes:
            for n in r.input_names:
                if n in constant_sizes:
                    consts[n] = constant_sizes[n]
    if param_sizes is None:
        params = sum(r.params for r in records)
        pbytes = sum(r.param_bytes for r in records)
    else:
        params = sum(v[0] for v in seen.values()) + sum(r.learned_params for r in records)
        pbytes = sum(v[1] for v in seen.values()) + sum(r.learned_param_bytes for r in records)
    flops = Cost(**acc).flops  # the one flops formula
    celems, cbytes = sum(v[0] for v in consts.values()), sum(v[1] for v in consts.values())
    return Totals(
        flops=flops, params=params, param_bytes=pbytes, constants=celems, constant_bytes=cbytes,
        read_bytes=rb, write_bytes=wb, nodes=nodes, **acc,
    )


@dataclass(frozen=True)
class ModelInfo:
    path: str
    ir_version: int
    opsets: dict[str, int]
    producer: str
    inputs: list[tuple[str, str, Shape | None]]  # (name, dtype, shape) of graph inputs (not initializers)
    outputs: list[tuple[str, str, Shape | None]]


@dataclass(frozen=True)
class Coverage:
    nodes: int  # all nodes, subgraph bodies included
    counted: int
    zero: int
    uncounted: int
    shape_unknown: int
    invalid: int
    unknown_tensors: int  # tensors whose shape stayed (partly) unknown
    per_iteration_loops: int  # loops with unknown trip count, counted once

    @property
    def covered(self) -> int:
        return self.counted + self.zero

    @property
    def fraction(self) -> float:
        return 1.0 if self.nodes == 0 else self.covered / self.nodes

    @property
    def complete(self) -> bool:
        return self.covered == self.nodes and self.per_iteration_loops == 0


@dataclass
class Report:
    """The whole analysis of one model."""

    model: ModelInfo
    nodes: list[NodeRecord]
    total: Totals
    by_op_type: dict[str, Totals]
    coverage: Coverage
    uncounted: dict[str, dict[str, Any]]  # op key -> {count, nodes, reason}
    not_counted: list[NodeRecord]  # every node that is uncounted, shape-unknown or invalid
    missing_dims: list[str]  # symbolic dims that would make shape-unknown nodes countable
    warnings: list[str] = field(default_factory=list)
    qdq_fused: Totals | None = None  # totals with DQ -> op -> Q groups counted as integer ops
    qdq_fused_ops: int = 0  # how many ops were fused in that view
    # initializers no node reads -> (elements, bytes): in no total (analyzer/params.py)
    unused_params: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def partial(self) -> bool:
        """True when some node could not be counted: the totals are lower bounds."""
        return not self.coverage.complete
