"""Sums over node records: the ``Totals`` record and the one group-by.

``Totals`` holds the cost record's counting fields plus the params fields; it
adds and subtracts field by field, and its ``flops`` is the cost record's own
formula (``Cost.flops``), never restated here.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, TypeVar

from onnx_cost.rules.cost import COUNT_FIELDS, Cost

if TYPE_CHECKING:
    from onnx_cost.model.report import NodeRecord

K = TypeVar("K", bound=Hashable)
ParamSizes = Mapping[str, "tuple[int, int]"]  # tensor name -> (elements, bytes)



@dataclass(frozen=True, slots=True)
class Totals:
    """Sums over nodes (each counted ``weight`` times); params count each tensor once."""

    macs: int = 0  # the fields of rules.cost.Cost, summed
    dots: int = 0
    bias_adds: int = 0
    arith: int = 0
    transcendental: int = 0
    compare: int = 0
    int_macs: int = 0
    int_ops: int = 0
    params: int = 0  # weight elements, each tensor once by name within the group
    param_bytes: int = 0  # their storage bytes
    constants: int = 0  # elements of static tensors read that are not params (analyzer/params.py), once each
    constant_bytes: int = 0
    read_bytes: int = 0  # bytes read (unknown sizes count 0: see the records' bytes_partial)
    write_bytes: int = 0  # bytes written
    nodes: int = 0  # records summed

    @property
    def flops(self) -> int:
        """Every floating-point operation, by the cost record's formula (``Cost.flops``)."""
        return self.as_cost().flops

    @property
    def ops(self) -> int:
        """Every operation, floating-point and integer, by the cost record's ``Cost.ops``."""
        return self.as_cost().ops

    @property
    def memory_bytes(self) -> int:
        """Read plus written: the memory access cost."""
        return self.read_bytes + self.write_bytes

    def as_cost(self) -> Cost:
        """The summed counts as a cost record (its formulas apply to sums as to one node)."""
        return Cost(
            self.macs, self.dots, self.bias_adds, self.arith, self.transcendental, self.compare,
            self.int_macs, self.int_ops, self.read_bytes, self.write_bytes,
        )

    def __add__(self, other: Totals) -> Totals:
        if not isinstance(other, Totals):
            return NotImplemented
        return Totals(**{f: getattr(self, f) + getattr(other, f) for f in _FIELDS})

    def __sub__(self, other: Totals) -> Totals:
        """Field-wise difference (a model diff); params subtract as the groups' own counts."""
        if not isinstance(other, Totals):
            return NotImplemented
        return Totals(**{f: getattr(self, f) - getattr(other, f) for f in _FIELDS})

    def as_dict(self) -> dict[str, int]:
        """The fields in report order (``TOTAL_FIELDS``), flops included."""
        return {k: getattr(self, k) for k in TOTAL_FIELDS}


_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Totals))
# Report order (JSON, sweep CSV): the derived flops and ops first, then the stored fields.
TOTAL_FIELDS: tuple[str, ...] = ("flops", "ops", "macs", *[f for f in _FIELDS if f != "macs"])
# the totals of a batch summary row (runners/batch.py), in its CSV's column order
SUMMARY_KEYS = ("flops", "macs", "ops", "int_macs", "int_ops", "params", "param_bytes", "read_bytes", "write_bytes")


def sum_records(
    records: Iterable[NodeRecord], param_sizes: ParamSizes | None = None, constant_sizes: ParamSizes | None = None
) -> Totals:
    """Totals over ``records``: costs times weight; params and constants once per tensor name.

    Without ``param_sizes`` the records' own ``params`` are added (a tensor read by
    two of them then counts twice)."""
    sums = _accumulate(records, None, param_sizes, constant_sizes)
    return sums[None].totals(param_sizes, constant_sizes) if sums else Totals()


def group(
    records: Iterable[NodeRecord],
    key: Callable[[NodeRecord], K | None],
    param_sizes: ParamSizes | None = None,
    constant_sizes: ParamSizes | None = None,
) -> dict[K, Totals]:
    """Totals per ``key(record)``, in order of first appearance; records whose key is
    None are left out. Each shared weight (and constant) tensor counts once per group."""
    sums = _accumulate(records, key, param_sizes, constant_sizes)
    return {k: v.totals(param_sizes, constant_sizes) for k, v in sums.items() if k is not None}


def group_and_total(
    records: Iterable[NodeRecord],
    key: Callable[[NodeRecord], K | None],
    param_sizes: ParamSizes | None = None,
    constant_sizes: ParamSizes | None = None,
) -> tuple[dict[K, Totals], Totals]:
    """``group(records, key, ...)`` and ``sum_records(records, ...)`` from one pass over the
    records: the total's counts are the sum of the groups' (integers: exactly), its params
    and constants those of the union of the groups' tensor names."""
    sums = _accumulate(records, key, param_sizes, constant_sizes)
    groups = {k: v.totals(param_sizes, constant_sizes) for k, v in sums.items() if k is not None}
    if not sums:
        return groups, Totals()
    whole = _Sum()
    for v in sums.values():
        whole.merge(v)
    return groups, whole.totals(param_sizes, constant_sizes)


class _Sum:
    """What summing some records needs: each distinct cost record with its summed weight
    (identical nodes share one: the walk's memo), the tensor names read, and the counts
    summed as they are."""

    __slots__ = ("costs", "learned", "learned_bytes", "names", "nodes", "params", "pbytes", "weights")

    def __init__(self) -> None:
        self.weights: dict[int, int] = {}  # id(cost) -> its records' summed weight
        self.costs: list[Cost] = []  # each distinct cost record once, in order of first use
        self.names: set[str] = set()  # input tensor names (params and constants count once by name)
        self.nodes = self.params = self.pbytes = self.learned = self.learned_bytes = 0

    def merge(self, other: _Sum) -> None:
        weights = self.weights
        for c in other.costs:
            k = id(c)
            if k in weights:
                weights[k] += other.weights[k]
            else:
                weights[k] = other.weights[k]
                self.costs.append(c)
        self.names |= other.names
        self.nodes += other.nodes
        self.params += other.params
        self.pbytes += other.pbytes
        self.learned += other.learned
        self.learned_bytes += other.learned_bytes

    def totals(self, param_sizes: ParamSizes | None, constant_sizes: ParamSizes | None) -> Totals:
        acc = dict.fromkeys(COUNT_FIELDS, 0)
        rb = wb = 0
        weights = self.weights
        for c in self.costs:
            w = weights[id(c)]
            for f in COUNT_FIELDS:
                acc[f] += getattr(c, f) * w
            rb += (c.read_bytes or 0) * w
            wb += (c.write_bytes or 0) * w
        names = self.names
        params, pbytes = self.params, self.pbytes
        if param_sizes is not None:  # learned attributes (ai.onnx.ml) belong to their node: no sharing
            seen = [param_sizes[n] for n in names if n in param_sizes]
            params = sum(v[0] for v in seen) + self.learned
            pbytes = sum(v[1] for v in seen) + self.learned_bytes
        consts = [constant_sizes[n] for n in names if n in constant_sizes] if constant_sizes else []
        celems, cbytes = sum(v[0] for v in consts), sum(v[1] for v in consts)
        return Totals(
            params=params, param_bytes=pbytes, constants=celems, constant_bytes=cbytes,
            read_bytes=rb, write_bytes=wb, nodes=self.nodes, **acc,
        )


def _accumulate(
    records: Iterable[NodeRecord], key: Callable[[NodeRecord], Any] | None,
    param_sizes: ParamSizes | None, constant_sizes: ParamSizes | None,
) -> dict[Any, _Sum]:
    """One pass over ``records``: a ``_Sum`` per ``key(record)`` (all under None when no key),
    in order of first appearance."""
    sums: dict[Any, _Sum] = {}
    by_name = param_sizes is not None or bool(constant_sizes)
    own_params = param_sizes is None
    s: _Sum | None = None
    for r in records:
        if key is not None:
            k = key(r)
            s = sums.get(k)
            if s is None:
                s = sums[k] = _Sum()
        elif s is None:
            s = sums[None] = _Sum()
        s.nodes += 1
        w = r.weight
        if w:
            c = r.cost
            i = id(c)
            weights = s.weights
            if i in weights:
                weights[i] += w
            else:
                weights[i] = w
                s.costs.append(c)
        if own_params:
            s.params += r.params
            s.pbytes += r.param_bytes
        else:
            s.learned += r.learned_params
            s.learned_bytes += r.learned_param_bytes
        if by_name:
            s.names.update(r.input_names)
    return sums


# -- keys -------------------------------------------------------------------


def by_op_type(r: NodeRecord) -> str:
    """``Op``, or ``domain::Op`` outside the default domain."""
    return f"{r.domain}::{r.op_type}" if r.domain else r.op_type


def by_precision(r: NodeRecord) -> str:
    """The node's compute precision (``""`` when it does no arithmetic)."""
    return r.precision


def by_scope(depth: int | None = None) -> Callable[[NodeRecord], str]:
    """A key: the scope cut to its first ``depth`` levels (all of it when None), in the
    scope column's form (``/layer1/layer1.0``; ``""`` for nodes outside any scope)."""
    if depth is not None and depth < 0:
        raise ValueError(f"scope depth {depth} is negative")

    def key(r: NodeRecord) -> str:
        path = r.scope_path if depth is None else r.scope_path[:depth]
        return "/" + "/".join(path) if path else ""

    return key


@dataclass(frozen=True, slots=True)
class SymbolicTotals(Totals):
    """``Totals`` whose counts that depend on a symbolic dim are None (the JSON's null):
    every field, ``flops`` and ``ops`` included, is the number ``to_dict()["total"]`` gives.
    Arithmetic on a None count raises TypeError: a polynomial is never summed as 0."""

    derived: tuple[tuple[str, int | None], ...] = ()  # flops, ops (as the JSON), memory_bytes

    @property
    def flops(self) -> int | None:  # type: ignore[override]
        return dict(self.derived)["flops"]

    @property
    def ops(self) -> int | None:  # type: ignore[override]
        return dict(self.derived)["ops"]

    @property
    def memory_bytes(self) -> int | None:  # type: ignore[override]
        return dict(self.derived)["memory_bytes"]

    def __add__(self, other: Totals) -> Totals:
        raise TypeError(_NO_SUM)

    __radd__ = __sub__ = __rsub__ = __add__

    def __repr__(self) -> str:
        shown = {f.name: getattr(self, f.name) for f in fields(Totals)}
        shown.update(dict(self.derived))
        return "SymbolicTotals(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"


_NO_SUM = ("these totals depend on a dim left symbolic (None: a polynomial, see Report.total_formula); "
           "bind it (dims={...}) to add or subtract them")


def symbolic_of(values: dict[str, int | None]) -> SymbolicTotals:
    stored = {k: v for k, v in values.items() if k not in ("flops", "ops")}
    r, w = values["read_bytes"], values["write_bytes"]
    derived = (("flops", values["flops"]), ("ops", values["ops"]),
               ("memory_bytes", None if r is None or w is None else r + w))
    return SymbolicTotals(**stored, derived=derived)  # type: ignore[arg-type]  # None where symbolic
