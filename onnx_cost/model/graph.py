"""The graph over the records: which node produces each tensor and which consume it.

Views that match patterns (the QDQ-fused view: DequantizeLinear -> op ->
QuantizeLinear; convention profiles: MatMul + Add as one Linear) walk this
index instead of each building their own maps.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from onnx_cost.model.report import NodeRecord


class GraphIndex:
    """Producer and consumers of each tensor of one graph, over its node records.

    Only the records of ``graph`` ("" = the main graph) are indexed: a subgraph
    reading an outer tensor is not one of its consumers here."""

    __slots__ = ("_consumers", "_producer", "graph", "records")

    def __init__(self, records: Iterable[NodeRecord], graph: str = "") -> None:
        self.graph = graph
        self.records: list[NodeRecord] = [r for r in records if r.graph == graph]
        self._producer: dict[str, NodeRecord] = {}
        self._consumers: dict[str, list[NodeRecord]] = {}
        for r in self.records:
            for o in r.output_names:
                if o:
                    self._producer[o] = r
            for i in r.input_names:
                if i:
                    self._consumers.setdefault(i, []).append(r)

    def producer(self, tensor: str) -> NodeRecord | None:
        """The node that writes ``tensor``; None for graph inputs, initializers and absent names."""
        return self._producer.get(tensor)

    def consumers(self, tensor: str) -> Sequence[NodeRecord]:
        """The nodes that read ``tensor``, in graph order (a node reading it twice appears twice)."""
        return self._consumers.get(tensor, ())

    def producers_of(self, r: NodeRecord) -> list[NodeRecord | None]:
        """The producer of each present input of ``r`` (None where an input has none)."""
        return [self._producer.get(i) for i in r.input_names if i]

    def consumers_of(self, r: NodeRecord) -> list[Sequence[NodeRecord]]:
        """The consumers of each present output of ``r``."""
        return [self.consumers(o) for o in r.output_names if o]
