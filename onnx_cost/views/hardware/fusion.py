"""Kernels as onnxruntime runs them: the graph's nodes grouped by the fusions its default
optimization level applies on the CPU, constants folded, no-op nodes eliminated.

A kernel is one or more nodes run as one: its ``ops`` are the members' operations, its
``bytes`` only the tensors that cross its boundary (a fused group's internal tensors never
touch memory). ``FUSIONS`` names each rule and the onnxruntime source file that does it;
docs/hardware.md carries the same table. What is not emulated (the attention fusions,
the transpose optimizer's layout rewrites) is listed there too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from onnx_cost.model.report import NodeRecord, Report

_SRC = "onnxruntime/core/optimizer/"
# rule name -> (what it does, onnxruntime source file)
FUSIONS: dict[str, tuple[str, str]] = {
    "constant_folding": ("a node whose inputs are all constant (a weight's Transpose, a Shape of a static "
                         "shape) runs once at load", _SRC + "constant_folding.cc"),
    "identity_elimination": ("Identity is removed", _SRC + "identity_elimination.cc"),
    "dropout_elimination": ("Dropout (inference) is removed", _SRC + "dropout_elimination.cc"),
    "conv_bn": ("BatchNormalization after Conv folded into its weights", _SRC + "conv_bn_fusion.cc"),
    "conv_add": ("Add of a constant after Conv folded into its bias", _SRC + "conv_add_fusion.cc"),
    "conv_mul": ("Mul by a constant after Conv folded into its weights", _SRC + "conv_mul_fusion.cc"),
    "conv_activation": ("Conv + Relu/Clip/Sigmoid/Tanh/LeakyRelu/HardSigmoid -> FusedConv",
                        _SRC + "conv_activation_fusion.cc"),
    "conv_add_activation": ("Conv + Add (residual) + Relu -> one convolution (NCHWc Conv with Sum)",
                            _SRC + "conv_add_act_fusion.cc, " + _SRC + "nchwc_transformer.cc"),
    "matmul_add": ("MatMul + Add of a bias -> Gemm", _SRC + "matmul_add_fusion.cc"),
    "gemm_activation": ("Gemm + Relu/Sigmoid/Tanh/LeakyRelu -> FusedGemm", _SRC + "gemm_activation_fusion.cc"),
    "matmul_scale": ("MatMul + Mul/Div by a scalar constant -> FusedMatMul (alpha)", _SRC + "matmul_scale_fusion.cc"),
    "matmul_transpose": ("Transpose of the last two axes into MatMul -> FusedMatMul (transA/transB)",
                         _SRC + "matmul_transpose_fusion.cc"),
    "gelu": ("Div/Erf/Add/Mul/Mul (exact GELU) -> Gelu", _SRC + "gelu_fusion.cc"),
    "bias_gelu": ("Add of a bias + Gelu -> BiasGelu", _SRC + "bias_gelu_fusion.cc"),
    "layer_norm": ("ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add -> LayerNormalization",
                   _SRC + "layer_norm_fusion.cc"),
    "skip_layer_norm": ("Add (residual) + LayerNormalization -> SkipLayerNormalization (3-D inputs only)",
                        _SRC + "skip_layer_norm_fusion.cc"),
    "qdq": ("DequantizeLinear -> op -> QuantizeLinear -> the integer kernel (QLinearConv, QLinearMatMul, "
            "QLinearAdd...): reads int8, computes int8", _SRC + "qdq_transformer/selectors_actions/"
            "qdq_selector_action_transformer.cc"),
    "unique_dq": ("a DequantizeLinear read by several QDQ node units -> one copy per unit, each fused into its "
                  "integer kernel; the original runs only for a float reader or a graph output",
                  _SRC + "qdq_transformer/ensure_unique_dq_for_node_unit.cc"),
    "dynamic_quantize_matmul": ("DynamicQuantizeLinear + MatMulInteger + Cast + Mul (+ Add) -> "
                                "DynamicQuantizeMatMul", _SRC + "dynamic_quantize_matmul_fusion.cc"),
}

_ACT_CONV = {"Relu", "Clip", "Sigmoid", "Tanh", "LeakyRelu", "HardSigmoid"}
_ACT_GEMM = {"Relu", "Sigmoid", "Tanh", "LeakyRelu"}
_NO_FOLD = {"DequantizeLinear", "DynamicQuantizeLinear", "RandomNormal", "RandomUniform", "RandomNormalLike",
            "RandomUniformLike", "Multinomial", "Bernoulli"}
_QDQ_HEADS = {"Conv", "MatMul", "Gemm", "Add", "Mul", "Concat", "MaxPool", "AveragePool", "GlobalAveragePool",
              "Sigmoid", "LeakyRelu", "Softmax", "Transpose", "Reshape", "Resize", "Gather", "Squeeze", "Unsqueeze",
              "Flatten", "Relu", "Clip", "Where", "Split"}


@dataclass(slots=True)
class Kernel:
    """One kernel of the runtime: ``members`` run as one; ``head`` names it. (Slots: one is
    made per node, and the prediction reads its fields many times each.)"""

    head: NodeRecord
    members: list[NodeRecord]
    fusion: str = ""  # the FUSIONS rule that made it ("" for a node alone)
    folded: bool = False  # runs at load (constant folding) or not at all (eliminated): costs nothing
    precision: str = ""  # "int8" for a QDQ group or an integer kernel; "" as the head's record says
    ops: float = 0.0
    bytes: float = 0.0
    write_bytes: float = 0.0  # of ``bytes``, what the kernel writes
    weight_bytes: float = 0.0  # of ``bytes``, the constants it reads (weights): the same every run
    io_bytes: float = 0.0  # of ``bytes``, the graph inputs it reads and graph outputs it writes (a KV cache)
    reads: tuple[str, ...] = ()  # the tensors crossing its boundary, in
    writes: tuple[str, ...] = ()  # and out
    partial: bool = False  # a boundary tensor's size was unknown
    extra_kernels: int = 0  # kernels the runtime adds for it (the Reshapes around a Gemm made of a 3-D MatMul)
    computed_operands: bool = False  # a MatMul whose both operands are computed (attention): no packed weight

    @property
    def op_type(self) -> str:
        return self.head.op_type


def _bytes_of(report: Report, name: str) -> int | None:
    t = report.tensors.get(name)
    if t is None or t.shape is None or not t.bits:
        return None
    n = 1
    for d in t.shape:
        if not isinstance(d, int):
            return None
        n *= d
    return (n * t.bits + 7) // 8


def kernels(report: Report, records: Sequence[NodeRecord] | None = None) -> list[Kernel]:
    """The main graph's counted nodes grouped into the kernels onnxruntime runs (in
    graph order, by head); subgraph nodes are kernels of their own."""
    recs = list(records if records is not None else report.nodes)
    main = [r for r in recs if not r.graph]
    ops = {r.op_type for r in main}  # the passes below whose trigger op is absent are skipped
    consumers: dict[str, list[NodeRecord]] = {}
    producer: dict[str, NodeRecord] = {}
    for r in main:
        for t in r.input_names:
            if t:
                consumers.setdefault(t, []).append(r)
        for t in r.output_names:
            if t:
                producer[t] = r
    graph_outputs = {name for name, _, _ in report.model.outputs}
    graph_inputs = {name for name, _, _ in report.model.inputs}
    const: set[str] = set(report.initializers)
    const.update(n for n, t in report.tensors.items() if t.static and n not in producer)
    taken: dict[int, Kernel] = {}

    def only_consumer(r: NodeRecord) -> NodeRecord | None:
        """The single node reading ``r``'s single output, when no one else (and no graph output) does."""
        outs = [t for t in r.output_names if t]
        if len(outs) != 1 or outs[0] in graph_outputs:
            return None
        cs = consumers.get(outs[0], [])
        return cs[0] if len(cs) == 1 and id(cs[0]) not in taken else None

    def other_inputs(r: NodeRecord, prev: NodeRecord) -> list[str]:
        return [t for t in r.input_names if t and t not in prev.output_names]

    def is_const(t: str) -> bool:
        return t in const

    def claim(k: Kernel, shared: Sequence[NodeRecord] = ()) -> Kernel:
        for m in k.members:
            if not shared or not any(m is d for d in shared):
                taken[id(m)] = k
        return k

    # 1. constant folding and eliminations (in graph order, so chains of constants fold)
    for r in main:
        ins = [t for t in r.input_names if t]
        if r.op_type in ("Identity", "Dropout") and not r.domain:
            claim(Kernel(r, [r], r.op_type.lower() + "_elimination", folded=True))
            if ins and const.issuperset(ins):
                const.update(t for t in r.output_names if t)
            continue
        foldable = r.op_type == "Constant" or (ins and const.issuperset(ins) and r.op_type not in _NO_FOLD)
        if r.op_type == "Shape" and not r.domain and r.inputs and r.inputs[0] is not None \
                and all(isinstance(d, int) for d in r.inputs[0]):
            foldable = True  # a static shape is known at load
        if foldable:
            taken[id(r)] = Kernel(r, [r], "constant_folding", folded=True)
            const.update(t for t in r.output_names if t)

    def dq_input(r: NodeRecord, t: str) -> NodeRecord | None:
        p = producer.get(t)
        return p if p is not None and p.op_type == "DequantizeLinear" and not p.domain else None

    # 2. QDQ groups and dynamic quantization (integer kernels)
    copies: dict[int, tuple[NodeRecord, list[NodeRecord]]] = {}  # a shared DQ -> the units holding a copy
    for r in main if "DequantizeLinear" in ops or "MatMulInteger" in ops else ():
        if id(r) in taken or r.domain:
            continue
        if r.op_type in _QDQ_HEADS:
            data = [t for t in r.input_names if t]
            if r.op_type in ("Conv", "MatMul", "Gemm"):
                data = data[:2]  # the bias stays int32 / float
            elif r.op_type in ("Reshape", "Resize", "Gather", "Squeeze", "Unsqueeze", "Split", "Clip"):
                data = data[:1]
            dqs = [dq_input(r, t) for t in data]
            if not data or any(d is None for d in dqs):
                continue
            outs = [t for t in r.output_names if t]
            qs = [c for t in outs for c in consumers.get(t, []) if c.op_type == "QuantizeLinear" and not c.domain]
            all_q = all(
                t not in graph_outputs and consumers.get(t)
                and all(c.op_type == "QuantizeLinear" for c in consumers[t]) for t in outs
            )
            if not all_q and r.op_type not in ("MatMul", "Gemm"):
                continue  # DQ -> MatMul with a float output is still an integer kernel (MatMulIntegerToFloat)
            members, shared = [r], []
            for d in dqs:
                assert d is not None
                if id(d) in taken or any(d is m for m in members):
                    continue
                members.append(d)
                # read by other nodes too: onnxruntime gives this unit a copy of its own
                # (ensure_unique_dq_for_node_unit.cc); the original is settled below
                if not all(c is r for t in d.output_names if t for c in consumers.get(t, [])):
                    shared.append(d)
                    copies.setdefault(id(d), (d, []))[1].append(r)
            if all_q:
                members += [q for q in qs if id(q) not in taken]
            claim(Kernel(r, members, "qdq", precision="int8"), shared)
        elif r.op_type == "MatMulInteger":
            members = [r]
            a = producer.get(r.input_names[0]) if r.input_names else None
            if (a is not None and a.op_type == "DynamicQuantizeLinear" and id(a) not in taken
                    and all(c is r for c in consumers.get(a.output_names[0], []))):
                members.append(a)  # its scale may feed the rescaling Mul: that is inside the fusion too
            nxt = only_consumer(r)
            for want in ("Cast", "Mul", "Add"):
                if nxt is None or nxt.op_type != want:
                    break
                if want == "Add" and not any(map(is_const, other_inputs(nxt, members[-1]))):
                    break
                if want == "Mul":  # the product of the two scales, computed for this Mul only
                    for t in other_inputs(nxt, members[-1]):
                        p = producer.get(t)
                        if p is not None and p.op_type == "Mul" and id(p) not in taken \
                                and len(consumers.get(t, [])) == 1:
                            members.append(p)
                members.append(nxt)
                nxt = only_consumer(nxt)
            claim(Kernel(r, members, "dynamic_quantize_matmul" if len(members) > 1 else "", precision="int8"))

    # a shared DequantizeLinear whose every reader got a copy runs no more (unique_dq)
    for d, units in copies.values():
        outs = [t for t in d.output_names if t]
        readers = [c for t in outs for c in consumers.get(t, [])]
        if id(d) not in taken and not any(t in graph_outputs for t in outs) \
                and all(any(c is u for u in units) for c in readers):
            claim(Kernel(d, [d], "unique_dq", folded=True))

    # 3. layer norm (decomposed) and GELU: whole subgraphs become one kernel
    for r in main if "ReduceMean" in ops or "Erf" in ops else ():
        if id(r) in taken or r.domain:
            continue
        if r.op_type == "ReduceMean":
            group = _layer_norm(r, consumers, taken)
            if group:
                claim(Kernel(r, group, "layer_norm"))
        elif r.op_type == "Erf":
            group = _gelu(r, producer, consumers, taken, is_const)
            if group:
                claim(Kernel(r, group, "gelu"))

    # 4. contractions absorb what follows them
    for r in main:
        if id(r) in taken or r.domain:
            continue
        if r.op_type == "Conv":
            claim(_conv_chain(r, only_consumer, other_inputs, is_const))
        elif r.op_type in ("MatMul", "Gemm"):
            k = _matmul_chain(r, only_consumer, other_inputs, is_const, producer, consumers, taken)
            claim(k)

    # 5. a residual Add into a layer norm (SkipLayerNormalization); a bias Add into a GELU
    for r in main:
        if id(r) in taken or r.domain or r.op_type != "Add":
            continue
        nxt = only_consumer(r)
        nxt_k: Kernel | None = None
        if nxt is None:
            outs = [t for t in r.output_names if t]
            cs = consumers.get(outs[0], []) if len(outs) == 1 and outs[0] not in graph_outputs else []
            # a decomposed layer norm reads its input twice (ReduceMean and Sub): same kernel
            ks = {id(taken.get(id(c))) for c in cs}
            if cs and len(ks) == 1 and taken.get(id(cs[0])) is not None:
                nxt_k = taken[id(cs[0])]
        else:
            nxt_k = taken.get(id(nxt))
            if nxt_k is None and nxt.op_type == "LayerNormalization":
                nxt_k = claim(Kernel(nxt, [nxt], ""))
        if nxt_k is None:
            continue
        ins = [t for t in r.input_names if t]
        rank3 = bool(r.outputs) and r.outputs[0] is not None and len(r.outputs[0]) == 3  # [batch, seq, hidden] only
        if nxt_k.fusion in ("layer_norm", "") and nxt_k.head.op_type in ("LayerNormalization", "ReduceMean") \
                and not any(map(is_const, ins)) and rank3:
            nxt_k.members.insert(0, r)
            nxt_k.fusion = "skip_layer_norm"
            taken[id(r)] = nxt_k
        elif nxt_k.fusion == "gelu" and any(map(is_const, ins)):
            nxt_k.members.insert(0, r)
            nxt_k.fusion = "bias_gelu"
            taken[id(r)] = nxt_k

    out: list[Kernel] = []
    seen: set[int] = set()
    sizes: dict[str, int | None] = {}  # tensor -> bytes, each computed once
    from onnx_cost.text import to_float  # here, once: importing the analyzer at start would load onnx

    for r in recs:
        found = taken.get(id(r))
        if found is None:
            k = Kernel(r, [r])
        elif id(found) in seen:
            continue
        else:
            k = found
            seen.add(id(k))
        _measure(report, k, consumers, graph_outputs, bool(r.graph), const, sizes, to_float, graph_inputs)
        if k.head.op_type in _MATMULS:  # (else False, the default)
            k.computed_operands = _computed_operands(k, producer, const)
        out.append(k)
    return out


_MATMULS = ("MatMul", "QLinearMatMul", "FusedMatMul")


def _computed_operands(k: Kernel, producer: dict[str, NodeRecord], const: set[str]) -> bool:
    """Whether a MatMul kernel's second operand is computed every run, not a weight: through
    the DequantizeLinear or Transpose fused into it, back to a non-constant tensor.
    onnxruntime packs a constant B once at load (matmul.cc, qlinearmatmul.cc PrePack); a
    computed one is packed on every run."""
    h = k.head
    if h.op_type not in _MATMULS or k.folded:
        return False
    names = [t for t in h.input_names if t]
    if len(names) < 2:
        return False
    b = names[3 if h.op_type == "QLinearMatMul" else 1]
    inside = {id(m) for m in k.members}
    for _ in range(2):  # a DequantizeLinear (of a weight, shared or not), a Transpose fused into it
        p = producer.get(b)
        if p is None or not p.input_names or not (
                p.op_type == "DequantizeLinear" or (p.op_type == "Transpose" and id(p) in inside)):
            break
        b = p.input_names[0]
    return b not in const


def _conv_chain(r: Any, only_consumer: Any, other_inputs: Any, is_const: Any) -> Kernel:
    members, fusion, cur = [r], "", r
    while True:
        n = only_consumer(cur)
        if n is None or n.domain:
            break
        others = other_inputs(n, cur)
        if n.op_type == "BatchNormalization" and all(map(is_const, others)) and fusion in ("", "conv_bn"):
            members.append(n)
            fusion, cur = "conv_bn", n
        elif n.op_type in ("Add", "Mul", "Div") and others and all(map(is_const, others)) \
                and fusion in ("", "conv_bn", "conv_add", "conv_mul"):
            members.append(n)
            fusion = fusion or ("conv_add" if n.op_type == "Add" else "conv_mul")
            cur = n
        elif n.op_type in _ACT_CONV:
            members.append(n)
            fusion = "conv_add_activation" if fusion == "conv_add_activation" else "conv_activation"
            break
        elif n.op_type in ("Add", "Sum") and others and not any(map(is_const, others)) \
                and fusion != "conv_add_activation":
            members.append(n)
            fusion, cur = "conv_add_activation", n
        else:
            break
    return Kernel(r, members, fusion)


def _swaps_last_two(p: Any) -> bool:
    """A Transpose that only swaps its last two axes: the one MatmulTransposeFusion folds into
    FusedMatMul's transA/transB (matmul_transpose_fusion.cc); a head split's [0,2,1,3] or
    [0,2,3,1] stays a Transpose kernel of its own. Read from the shapes (a record keeps no
    perm): the output is the input with its last two dims exchanged, both differing from each
    other and from every leading dim (else another perm could give the same shape; leading
    dims equal among themselves are taken as kept in place, as exporters write them)."""
    x = p.inputs[0] if p.inputs else None
    y = p.outputs[0] if p.outputs else None
    if x is None or y is None or len(x) < 2 or len(x) != len(y):
        return False
    return tuple(y) == (*x[:-2], x[-1], x[-2]) and x[-1] != x[-2] and not {x[-1], x[-2]} & set(x[:-2])


def _matmul_chain(r: Any, only_consumer: Any, other_inputs: Any, is_const: Any, producer: Any, consumers: Any,
                  taken: Any) -> Kernel:
    members, fusion, cur, extra = [r], "", r, 0
    if r.op_type == "MatMul":
        for t in r.input_names[:2]:
            p = producer.get(t)
            if p is not None and p.op_type == "Transpose" and id(p) not in taken and len(consumers.get(t, [])) == 1 \
                    and _swaps_last_two(p):
                members.insert(0, p)
                fusion = "matmul_transpose"
    while True:
        n = only_consumer(cur)
        if n is None or n.domain:
            break
        others = other_inputs(n, cur)
        if n.op_type == "Add" and others and all(map(is_const, others)) and cur is r and r.op_type == "MatMul":
            members.append(n)
            fusion, cur = "matmul_add", n
            a = r.inputs[0] if r.inputs else None
            extra = 2 if a is not None and len(a) > 2 else 0  # Gemm is 2-D: a Reshape before and after
        elif n.op_type in ("Mul", "Div") and others and all(map(is_const, others)) and _scalar(n, cur) and cur is r:
            members.append(n)
            fusion, cur = "matmul_scale", n
        elif n.op_type in _ACT_GEMM and (r.op_type == "Gemm" or fusion == "matmul_add"):
            members.append(n)
            fusion = "gemm_activation"
            break
        else:
            break
    return Kernel(r, members, fusion, extra_kernels=extra)


def _scalar(n: NodeRecord, prev: NodeRecord) -> bool:
    for t, shp in zip(n.input_names, n.inputs):
        if t and t not in prev.output_names:
            if shp is None:
                return False
            size = 1
            for d in shp:
                size *= d if isinstance(d, int) else 2
            if size != 1:
                return False
    return True


def _layer_norm(r: NodeRecord, consumers: Any, taken: Any) -> list[NodeRecord] | None:
    """ReduceMean(x) -> Sub(x, mean) -> Pow 2 -> ReduceMean -> Add eps -> Sqrt -> Div
    (-> Mul gamma -> Add beta): the nodes, else None."""
    x = r.input_names[0] if r.input_names else ""

    def sole(n: NodeRecord, ops: tuple[str, ...], need: str = "") -> NodeRecord | None:
        cs = [c for t in n.output_names if t for c in consumers.get(t, [])]
        cs = [c for c in cs if c.op_type in ops and id(c) not in taken and (not need or need in c.input_names)]
        return cs[0] if len(cs) == 1 else None

    sub = sole(r, ("Sub",), x)
    if sub is None:
        return None
    d = sub.output_names[0]
    sq = next((c for c in consumers.get(d, []) if c.op_type == "Pow"
               or (c.op_type == "Mul" and list(c.input_names) == [d, d])), None)
    rm2 = sole(sq, ("ReduceMean",)) if sq is not None else None
    add = sole(rm2, ("Add",)) if rm2 is not None else None
    sqrt = sole(add, ("Sqrt",)) if add is not None else None
    div = sole(sqrt, ("Div",), d) if sqrt is not None else None
    if sq is None or div is None:
        return None
    group = [r, sub, sq, rm2, add, sqrt, div]
    mul = sole(div, ("Mul",))
    if mul is not None:
        group.append(mul)
        beta = sole(mul, ("Add",))
        if beta is not None:
            group.append(beta)
    inside = {id(g) for g in group}
    # the inner tensors are read only inside the group
    for g in group[:-1]:
        if any(id(c) not in inside for t in g.output_names for c in consumers.get(t, [])):
            return None
    return group


def _gelu(r: NodeRecord, producer: Any, consumers: Any, taken: Any, is_const: Any) -> list[NodeRecord] | None:
    """Div(x, sqrt 2) -> Erf -> Add 1 -> Mul x -> Mul 0.5 (any order of the last two)."""
    div = producer.get(r.input_names[0]) if r.input_names else None
    if div is None or div.op_type not in ("Div", "Mul") or id(div) in taken:
        return None
    x = next((t for t in div.input_names if t and not is_const(t)), "")
    group, cur = [div, r], r
    for _ in range(3):
        cs = [c for t in cur.output_names for c in consumers.get(t, [])]
        if len(cs) != 1 or cs[0].op_type not in ("Add", "Mul") or id(cs[0]) in taken:
            break
        group.append(cs[0])
        cur = cs[0]
    if len(group) != 5 or not any(x in g.input_names for g in group[2:]):
        return None
    return group


def _measure(report: Report, k: Kernel, consumers: Any, graph_outputs: Any, sub: bool, const: set[str],
             sizes: dict[str, int | None], to_float: Callable[[int | float], float],
             graph_inputs: set[str] | frozenset[str] = frozenset()) -> None:
    """ops and boundary bytes of ``k`` (a subgraph node: its record's own counts), and of
    them the weights' and the graph inputs' (``graph_inputs``) and outputs';
    ``to_float``: text.to_float (counts past float's range, 2^1056 FLOPs, are inf, no OverflowError)."""
    if k.folded:
        return
    if len(k.members) == 1:
        c = k.head.cost
        n = (c.flops + c.int_ops) * k.head.weight
        k.ops = float(n) if -_FLOAT_SAFE < n < _FLOAT_SAFE else to_float(n)
    else:
        k.ops = to_float(sum((m.cost.flops + m.cost.int_ops) * m.weight for m in k.members))
    if sub or (len(k.members) == 1 and not report.tensors):
        h = k.head
        k.bytes = to_float(((h.cost.read_bytes or 0) + (h.cost.write_bytes or 0)) * h.weight)
        k.write_bytes = to_float((h.cost.write_bytes or 0) * h.weight)
        k.partial = h.bytes_partial
        return
    if len(k.members) == 1:  # most kernels: the same sets, without the member loops
        h = k.head
        outs = h.output_names
        reads = {t for t in h.input_names if t and t not in outs}
        writes = set()
        for t in outs:
            if not t:
                continue
            cs = consumers.get(t)
            # a graph output, or read by another node (its first reader, most often, says so)
            if t in graph_outputs or (cs and (cs[0] is not h or any(c is not h for c in cs))):
                writes.add(t)
    else:
        inside = {id(m) for m in k.members}
        produced = {t for m in k.members for t in m.output_names if t}
        reads = {t for m in k.members for t in m.input_names if t and t not in produced}
        # a QDQ unit's DequantizeLinear writes nothing out: its copy feeds this kernel only
        writes = {t for m in k.members for t in m.output_names if t
                  and not (k.fusion == "qdq" and m.op_type == "DequantizeLinear")
                  and (t in graph_outputs or any(id(c) not in inside for c in consumers.get(t, [])))}
    k.reads, k.writes = tuple(sorted(reads)), tuple(sorted(writes))
    total, written, weights, io, partial = 0, 0, 0, 0, False
    for t in reads:  # (reads and writes never share a tensor: a read is not produced inside)
        b = _size(sizes, report, t)
        if b is None:
            partial = True
            continue
        total += b
        if t in const:
            weights += b
        elif t in graph_inputs:  # fresh every run (a KV cache read)
            io += b
    for t in writes:
        b = _size(sizes, report, t)
        if b is None:
            partial = True
            continue
        total += b
        written += b
        if t in graph_outputs:
            io += b
    if k.head.op_type in _VIEW_OPS:
        total = written = io = 0  # a view of its input: onnxruntime aliases the buffer, nothing moves
    w = k.head.weight
    if total * w < _FLOAT_SAFE:  # every part is at most the total: to_float is float() for each
        k.bytes, k.write_bytes, k.weight_bytes, k.io_bytes = (
            float(total * w), float(written * w), float(weights * w), float(io * w))
    else:
        k.bytes = to_float(total * w)
        k.write_bytes = to_float(written * w)
        k.weight_bytes = to_float(weights * w)
        k.io_bytes = to_float(io * w)
    k.partial = partial


_UNSEEN: Any = object()  # a tensor whose size is not yet in ``sizes`` (where None: unknown)


def _size(sizes: dict[str, int | None], report: Report, t: str) -> int | None:
    """A tensor's bytes (``_bytes_of``), looked up once per kernels() call."""
    b = sizes.get(t, _UNSEEN)
    if b is _UNSEEN:
        b = sizes[t] = _bytes_of(report, t)
    return b
_FLOAT_SAFE = 2**1023  # below it (and non-negative), text.to_float(n) is float(n)
_VIEW_OPS = {"Reshape", "Flatten", "Squeeze", "Unsqueeze"}
