"""The "fused" view of a QDQ model: DequantizeLinear -> op -> QuantizeLinear
patterns counted as the integer op a runtime will run them as.

The default view counts the graph as written (float ops between Q/DQ pairs);
this second view moves a fused op's arithmetic to integer columns, drops the
DQ/Q nodes it absorbs, and reads/writes the quantized tensors instead of the
float ones. Only main-graph nodes of the default domain are fused.
"""

from __future__ import annotations

from dataclasses import replace

from onnx_cost.model.graph import GraphIndex
from onnx_cost.model.report import COUNTED, NodeRecord, Report, View
from onnx_cost.model.totals import ParamSizes, sum_records
from onnx_cost.rules._precision import fused_precision
from onnx_cost.rules.cost import Cost

DQ, Q = "DequantizeLinear", "QuantizeLinear"
NAME = "qdq_fused"
DESCRIPTION = "QDQ fused: each DequantizeLinear -> op -> QuantizeLinear group counted as the integer op a runtime runs"


def fused_records(records: list[NodeRecord], index: GraphIndex | None = None) -> tuple[list[NodeRecord], int]:
    """Copies of ``records`` with every DQ -> op -> Q group fused; and how many ops were fused."""
    index = index or GraphIndex(records)
    fused: dict[int, tuple[Cost, str]] = {}
    absorbed: set[int] = set()
    for r in index.records:
        if r.domain or r.op_type in (DQ, Q) or r.status != COUNTED:
            continue
        # Nodes of other domains are outside the pattern, as if absent.
        dqs = [d if d is not None and not d.domain else None for d in index.producers_of(r)]
        float_ins = [d for d in dqs if d is not None and d.op_type == DQ]
        if not float_ins or any(d is not None and d.op_type != DQ and d.dtype.startswith("float") for d in dqs):
            continue
        outs = [[c for c in cs if not c.domain] for cs in index.consumers_of(r)]
        if not outs or not all(cs and all(c.op_type == Q for c in cs) for cs in outs):
            continue
        qs = [c for cs in outs for c in cs]
        c = r.cost
        int_ops = c.flops + c.int_ops + sum(q.cost.flops for q in qs)  # requantization in fixed point
        cost = Cost(
            macs=c.macs,
            int_macs=c.macs,  # every MAC of a fused op is integer
            int_ops=int_ops,
            read_bytes=sum((d.cost.read_bytes or 0) for d in float_ins),
            write_bytes=sum((q.cost.write_bytes or 0) for q in qs),
        )
        fused[id(r)] = (cost, fused_precision([d.precision for d in float_ins]))  # a DQ is named by its integer type
        absorbed.update(id(d) for d in float_ins)
        absorbed.update(id(q) for q in qs)
    out = []
    for r in records:
        if id(r) in fused:
            cost, prec = fused[id(r)]
            out.append(replace(r, cost=cost, precision=prec))
        elif id(r) in absorbed:
            out.append(replace(r, cost=Cost(read_bytes=0, write_bytes=0), precision=""))
        else:
            out.append(r)
    return out, len(fused)


def has_dq(records: list[NodeRecord]) -> bool:
    """True when some main-graph node is an ONNX DequantizeLinear (else no group can fuse)."""
    return any(r.op_type == DQ and not r.domain and not r.graph for r in records)


def qdq_view(
    records: list[NodeRecord],
    param_sizes: ParamSizes,
    constant_sizes: ParamSizes | None = None,
    index: GraphIndex | None = None,
) -> View | None:
    """The fused view, or None when the model has no DQ -> op -> Q group."""
    recs, n = fused_records(records, index)
    if n == 0:
        return None
    return View(DESCRIPTION, sum_records(recs, param_sizes, constant_sizes), tuple(recs), {"fused_ops": n})


def attach(report: Report) -> Report:
    """``report`` with its QDQ fused view (``views["qdq_fused"]``) when it has DequantizeLinear
    nodes, else ``report`` itself. Every analysis calls this (``model.REPORT_VIEWS``, api.py)."""
    if not has_dq(report.nodes):
        return report
    fused = qdq_view(report.nodes, report.param_sizes, report.constant_sizes, report.graph_index())
    return report if fused is None else report.with_view(NAME, fused)
