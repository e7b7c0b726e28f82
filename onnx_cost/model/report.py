"""The analysis result: one record per node, and the aggregates over them.

Rendering (table, CSV, JSON) lives in ``render``; nothing here formats text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields, make_dataclass, replace
from typing import Any, TypeVar

from onnx_cost.model.graph import GraphIndex
from onnx_cost.model.totals import TOTAL_FIELDS, K, Totals, group, sum_records
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import Shape, TensorInfo

T = TypeVar("T")

__all__ = ["DataIf", "NodeRecord", "Totals", "TOTAL_FIELDS", "sum_records", "group", "View", "Report", "Coverage",
           "ModelInfo"]

# The five states a node can end in.
COUNTED = "counted"  # a rule counted it
ZERO = "zero"  # no arithmetic by nature (data movement, metadata): reason in ``detail``
UNCOUNTED = "uncounted"  # no rule knows this op: named in the report, never silently 0
SHAPE_UNKNOWN = "shape_unknown"  # a rule exists but a needed dim is symbolic or unknown
INVALID = "invalid"  # attributes or shapes are inconsistent: reason in ``detail``
STATUSES = (COUNTED, ZERO, UNCOUNTED, SHAPE_UNKNOWN, INVALID)


# Where a node sits relative to If branches (``NodeRecord.branch``).
TAKEN = "taken"  # in the branch a static condition selects
LARGER = "larger"  # in the larger branch of an If whose condition is data: counted
SMALLER = "smaller"  # in the smaller branch of such an If: weight 0, still part of coverage
NOT_TAKEN = "not_taken"  # in a branch a static condition never selects: weight 0, outside coverage
BRANCHES = ("", TAKEN, LARGER, SMALLER, NOT_TAKEN)  # in order of precedence when nested


def nested_branch(outer: str, inner: str) -> str:
    """The branch state of a node in branch ``inner`` of an If that sits in branch ``outer``."""
    return outer if BRANCHES.index(outer) >= BRANCHES.index(inner) else inner


@dataclass(frozen=True, slots=True)
class NodeRecord:
    """Everything we know about one node's cost. Built once, never changed."""

    name: str
    op_type: str
    domain: str
    scope: str  # the scope path '/'-joined with a leading '/' ("/layer1/layer1.0/conv1"), "" if none
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
    weight: int = 1  # how many times this record counts in the totals (loop trips; 0 in an If branch not counted)
    detail: str = ""  # why zero / uncounted / unknown / invalid; branch costs of an If (prose for people)
    missing: tuple[str, ...] = ()  # symbolic dims that would make it countable
    bytes_partial: bool = False  # a tensor's size was unknown: bytes count only the known ones
    per_iteration: bool = False  # inside a Loop whose trip count is unknown: counted once
    metadata: dict[str, str] = field(default_factory=dict)
    scope_path: tuple[str, ...] = ()  # module path, outermost first ("layer1", "layer1.0", "conv1")
    scope_classes: tuple[str, ...] = ()  # module class of each scope_path level, when the exporter says
    precision: str = ""  # what it computes in: "fp32", "fp16", "int8", "mixed"...; "" no arithmetic
    branch: str = ""  # "" outside If branches, else TAKEN, LARGER, SMALLER or NOT_TAKEN
    trips: int | None = 1  # Loop/Scan/SequenceMap: body runs per execution, None unknown (counted once)

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

    @property
    def runs(self) -> bool:
        """False for a node in an If branch a static condition never selects."""
        return self.branch != NOT_TAKEN


# A frozen dataclass's __init__ sets each field through object.__setattr__: four times the
# cost of a plain slot store, once per node of every analysis. record_of fills a mutable twin
# with NodeRecord's very slots (same names, same order, so the same memory layout) and then
# makes it a NodeRecord: frozen from then on, equal to NodeRecord(*values).
_Unfrozen = make_dataclass("_Unfrozen", [(f.name, f.type) for f in fields(NodeRecord)], slots=True, eq=False,
                           repr=False, match_args=False)
assert getattr(_Unfrozen, "__slots__", None) == NodeRecord.__slots__  # the layout __class__ assignment requires


def record_of(*values: Any) -> NodeRecord:
    """``NodeRecord(*values)``: every field given, in order (TypeError otherwise)."""
    r: Any = _Unfrozen(*values)
    r.__class__ = NodeRecord
    return r  # a NodeRecord now


@dataclass(frozen=True)
class DataIf:
    """An If whose condition is runtime data: both branches counted, the larger in the
    totals, which are then an upper bound (``Report.bound``)."""

    name: str  # the If node's name (or op type when unnamed)
    graph: str  # "" in the main graph, else the subgraph's path
    condition: str  # where the condition comes from, in words ("input 'sr' via Equal")
    then_cost: Cost
    else_cost: Cost
    counted: str  # "then" or "else": the larger, in the totals
    weight: int = 1  # how many times the If runs (0: it sits in a branch that is not counted)


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
    counted: int  # the five status counts cover the nodes that run (not those in not_taken)
    zero: int
    uncounted: int
    shape_unknown: int
    invalid: int
    unknown_tensors: int  # tensors whose shape stayed (partly) unknown
    per_iteration_loops: int  # loops with unknown trip count, counted once
    not_taken: int = 0  # nodes in If branches that a static condition never selects

    @property
    def covered(self) -> int:
        return self.counted + self.zero

    @property
    def fraction(self) -> float:
        runs = self.nodes - self.not_taken
        return 1.0 if runs == 0 else self.covered / runs

    @property
    def complete(self) -> bool:
        return self.covered + self.not_taken == self.nodes and self.per_iteration_loops == 0


@dataclass(frozen=True)
class View:
    """A named alternative counting of the same records (``Report.views``)."""

    description: str  # one line: what this view counts, shown in the table header and JSON
    total: Totals  # the same fields as ``Report.total``, under this view
    nodes: tuple[NodeRecord, ...] = ()  # the records as this view recounts them, when it does per node
    data: Mapping[str, Any] = field(default_factory=dict)  # further JSON-able facts of the view


class Views(Mapping[str, View]):
    """``Report.views``: a read-only mapping (no item assignment, no ``pop``/``update``) that
    pickles as a report does; ``Report.with_view`` makes a new one."""

    __slots__ = ("_views",)

    def __init__(self, views: Mapping[str, View] | None = None) -> None:
        self._views = dict(views or {})

    def __getitem__(self, name: str) -> View:
        return self._views[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._views)

    def __len__(self) -> int:
        return len(self._views)

    def __repr__(self) -> str:
        return f"Views({self._views!r})"


@dataclass(frozen=True)
class Report:
    """The whole analysis of one model: frozen. A view comes back from ``with_view``, a new
    report that shares this one's records; nothing changes a report after it is made."""

    model: ModelInfo
    nodes: list[NodeRecord]
    total: Totals
    by_op_type: dict[str, Totals]
    coverage: Coverage
    uncounted: dict[str, dict[str, Any]]  # op key -> {count, nodes, reason}
    not_counted: list[NodeRecord]  # every node that runs and is uncounted, shape-unknown or invalid
    missing_dims: list[str]  # symbolic dims that would make shape-unknown nodes countable
    warnings: list[str] = field(default_factory=list)
    # name -> alternative counting ("qdq_fused"), read-only: ``with_view`` adds one
    views: Mapping[str, View] = field(default_factory=lambda: Views())
    tensors: Mapping[str, TensorInfo] = field(default_factory=dict)  # main-graph tensor name -> what we know
    initializers: tuple[str, ...] = ()  # names of the main graph's initializers
    param_sizes: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # weight name -> (elements, bytes)
    constant_sizes: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # static non-weight: the same
    # initializers no node reads -> (elements, bytes): in no total (analyzer/params.py)
    unused_params: dict[str, tuple[int, int]] = field(default_factory=dict)
    # What the free symbolic dims do to this report (symbolic.dynamic.Dynamic): the binding
    # the analysis applied and the totals as exact polynomials; None when no dim was free
    # or the caller asked for no binding (``onnx_cost.analyze(..., bind="none")``).
    dynamic: Any = None
    # scales and zero points of every quantization form -> (elements, bytes): never params
    quant_params: dict[str, tuple[int, int]] = field(default_factory=dict)
    data_ifs: list[DataIf] = field(default_factory=list)  # Ifs on runtime data: the totals are upper bounds
    # data-dependent dims that would make nodes countable (analyzer/derived.py) -> what each is
    derived_dims: dict[str, str] = field(default_factory=dict)
    # True on the library's report of a model with dims left symbolic (symbolic/symtotals.py):
    # ``group`` then gives the JSON's numbers, None where a count is a polynomial, never the
    # 0 of the records the default binding left unknown; the engine's reports group records as they are
    _none_where_symbolic: bool = field(default=False, repr=False)
    # The report's one cache: what is computed from its fields on first use and kept (the
    # graph index of each graph, the totals per precision). Private, never part of the result.
    _cache: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.views, Views):
            object.__setattr__(self, "views", Views(self.views))

    def with_view(self, name: str, view: View) -> Report:
        """A new report with ``view`` under ``name`` in ``views`` (replacing one of that name);
        the records and every other field are this report's own objects, not copies."""
        out = replace(self, views=Views({**self.views, name: view}))
        object.__setattr__(out, "_cache", self._cache)  # same records, same derived facts
        return out

    def cached(self, key: Any, make: Callable[[], T]) -> T:
        """``make()``, computed once per report and key (the report's one cache)."""
        try:
            return self._cache[key]
        except KeyError:
            value = self._cache[key] = make()
            return value

    @property
    def symbolic(self) -> tuple[str, ...]:
        """The dims the counts stay polynomials in (free, with no default binding and no
        value): where the analysis verified its polynomials, the totals are those."""
        d = self.dynamic
        return tuple(d.symbolic) if d is not None and d.symbolic and d.exact else ()

    @property
    def total_formula(self) -> dict[str, Any] | None:
        """The totals as exact polynomials (``symbolic.polynomial.Polynomial``) in the free
        dims, by count name (``flops``, ``macs``, ... as the JSON's ``total_formula``); None
        when no dim was free. Fitted when first read (a few more analyses)."""
        d = self.dynamic
        if d is None or d.formula is None:
            return None
        from onnx_cost.model.schema import FORMULA_JSON_FIELDS

        return {name: d.total(name) for name in FORMULA_JSON_FIELDS}

    @property
    def counted_coverage(self) -> Coverage:
        """The coverage every output states: this report's own, or, when the counts are
        exact polynomials in symbolic dims, that of the analysis those were fitted on (a
        node whose count is a polynomial in ``seq`` is counted)."""
        if self.symbolic:
            return next(iter(self.dynamic.formula.reports.values())).coverage
        return self.coverage

    @property
    def partial(self) -> bool:
        """True when some node could not be counted: the totals are lower bounds. With
        symbolic dims, True when the polynomials miss a node at some point they were fitted on."""
        if self.symbolic:
            return bool(self.dynamic.formula.partial)
        return not self.coverage.complete

    @property
    def bound(self) -> str:
        """What the totals are: "exact"; "upper" when an If on runtime data counts its
        larger branch; "lower" when some node is not counted (partial); "neither" for both."""
        upper = any(d.weight for d in self.data_ifs)
        if self.partial:
            return "neither" if upper else "lower"
        return "upper" if upper else "exact"

    def group(self, key: Callable[[NodeRecord], K | None]) -> dict[K, Totals]:
        """Totals of this report's nodes per ``key`` (``totals.by_op_type``, ``by_scope(2)``,
        ``by_precision`` or any function of a record); weights once per tensor per group."""
        if self._none_where_symbolic and self.symbolic:
            return self.cached(("symbolic_group", key), lambda: self._symbolic_group(key))
        if "<" in getattr(key, "__qualname__", "<"):  # a lambda or closure: new at each call, and the cache pickles
            return group(self.nodes, key, self.param_sizes, self.constant_sizes)
        # a module's key (by_precision): once per report, as the table's polynomials read a group of
        # every grid analysis once per count and key (a copy: the caller may change its dict)
        return dict(self.cached(("group", key), lambda: group(self.nodes, key, self.param_sizes, self.constant_sizes)))

    def _symbolic_group(self, key: Callable[[NodeRecord], K | None]) -> dict[K, Totals]:
        """``group`` as the JSON gives totals: each group's counts fitted over the analyses
        the polynomials were fitted on; None where one depends on a symbolic dim."""
        from onnx_cost.model.schema import symbolic_totals
        from onnx_cost.model.totals import symbolic_of

        def raw(r: Report) -> dict[K, Totals]:
            return r.cached(("raw_group", key), lambda: group(r.nodes, key, r.param_sizes, r.constant_sizes))

        def part(k: K) -> Callable[[Report], Totals | None]:
            return lambda r: raw(r).get(k)

        keys = raw(next(iter(self.dynamic.formula.reports.values())))
        return {k: symbolic_of(symbolic_totals(self, self.dynamic, part(k))) for k in keys}

    def graph_index(self, graph: str = "") -> GraphIndex:
        """Producer and consumers of each tensor of one graph (the main graph by default)."""
        return self.cached(("graph_index", graph), lambda: GraphIndex(self.nodes, graph))

    # The API's conveniences (the schema lives in model/schema.py).
    def __repr__(self) -> str:
        from onnx_cost.model.schema import report_repr

        return report_repr(self)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-able data: what ``--json`` prints (docs/json.md), the parts the
        layers above add included (``model.JSON_PARTS``: the conventions)."""
        from onnx_cost.model import JSON_PARTS
        from onnx_cost.model.schema import to_dict

        d = to_dict(self)
        for part in JSON_PARTS:
            part(self, d)
        return d

    def to_json(self) -> str:
        """The report as the JSON text ``--json`` prints."""
        import json

        return json.dumps(self.to_dict(), separators=(",", ":")) + "\n"

    def to_dataframe(self) -> Any:
        """One row per node as a pandas DataFrame (the CSV columns; needs pandas)."""
        from onnx_cost.model.schema import to_dataframe

        return to_dataframe(self)
