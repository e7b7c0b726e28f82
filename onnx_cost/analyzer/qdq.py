"""The "fused" view of a QDQ model: DequantizeLinear -> op -> QuantizeLinear
patterns counted as the integer op a runtime will run them as.

The default view counts the graph as written (float ops between Q/DQ pairs);
this second view moves a fused op's arithmetic to integer columns, drops the
DQ/Q nodes it absorbs, and reads/writes the quantized tensors instead of the
float ones. Only main-graph nodes are fused.
"""

from __future__ import annotations

from dataclasses import replace

from ..rules.cost import Cost
from .report import NodeRecord, Totals, sum_records

DQ, Q = "DequantizeLinear", "QuantizeLinear"


def fused_records(records: list[NodeRecord]) -> tuple[list[NodeRecord], int]:
    """Copies of ``records`` with every DQ -> op -> Q group fused; and how many ops were fused."""
    main = [r for r in records if r.graph == "" and r.domain == ""]
    producer = {o: r for r in main for o in r.output_names if o}
    consumers: dict[str, list[NodeRecord]] = {}
    for r in main:
        for i in r.input_names:
            if i:
                consumers.setdefault(i, []).append(r)
    fused: dict[int, Cost] = {}
    absorbed: set[int] = set()
    for r in main:
        if r.op_type in (DQ, Q) or r.status != "counted":
            continue
        dqs = [producer.get(i) for i in r.input_names if i]
        float_ins = [d for d in dqs if d is not None and d.op_type == DQ]
        if not float_ins or any(d is not None and d.op_type != DQ and d.dtype.startswith("float") for d in dqs):
            continue
        outs = [consumers.get(o, []) for o in r.output_names if o]
        if not outs or not all(cs and all(c.op_type == Q for c in cs) for cs in outs):
            continue
        qs = [c for cs in outs for c in cs]
        c = r.cost
        int_ops = c.flops + c.int_ops + sum(q.cost.flops for q in qs)  # requantization in fixed point
        fused[id(r)] = Cost(
            macs=c.macs,
            int_macs=c.macs,  # every MAC of a fused op is integer
            int_ops=int_ops,
            read_bytes=sum((d.cost.read_bytes or 0) for d in float_ins),
            write_bytes=sum((q.cost.write_bytes or 0) for q in qs),
        )
        absorbed.update(id(d) for d in float_ins)
        absorbed.update(id(q) for q in qs)
    out = []
    for r in records:
        if id(r) in fused:
            out.append(replace(r, cost=fused[id(r)]))
        elif id(r) in absorbed:
            out.append(replace(r, cost=Cost(read_bytes=0, write_bytes=0)))
        else:
            out.append(r)
    return out, len(fused)


def fused_totals(
    records: list[NodeRecord],
    param_sizes: dict[str, tuple[int, int]],
    constant_sizes: dict[str, tuple[int, int]] | None = None,
) -> tuple[Totals, int] | None:
    """Totals of the fused view, or None when the model has no DQ -> op -> Q pattern."""
    recs, n = fused_records(records)
    if n == 0:
        return None
    return sum_records(recs, param_sizes, constant_sizes), n
