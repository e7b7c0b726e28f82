"""Data-dependent dims with names users can bind.

A dim whose size is a value the graph computes (the length of a Range, the count of
NonZero, a TopK's computed k, a tokenizer's token count, the shape a ConstantOfShape or
Expand is given) is unknown to any static pass. Rather than a generic "unknown" (or
onnx's ``unk__368``, which is not the model's), it gets a name derived from what produces
it: ``<what>@<node>`` (``length@/decoder/Range``, ``tokens@tokenizer``), which ``--dim``
binds like a declared dim and the bind hint names, saying what it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import onnx

from onnx_cost.errors import printable

# op type -> (the name's first part, what the dim is, in words)
PRODUCERS: dict[str, tuple[str, str]] = {
    "Range": ("length", "the length computed by Range"),
    "NonZero": ("nonzero", "the count of non-zero elements found by NonZero"),
    "TopK": ("k", "the k computed for TopK"),
    "Unique": ("unique", "the count of unique elements found by Unique"),
    "Compress": ("selected", "the count of elements selected by Compress"),
    "ConstantOfShape": ("dim", "a dim of the shape computed for ConstantOfShape"),
    "Expand": ("dim", "a dim of the shape computed for Expand"),
    "Tile": ("dim", "a dim of the repeats computed for Tile"),
    "OneHot": ("depth", "the depth computed for OneHot"),
    "Reshape": ("dim", "a dim of the shape computed for Reshape"),
    "Resize": ("dim", "a dim of the sizes or scales computed for Resize"),
    "Upsample": ("dim", "a dim of the scales computed for Upsample"),
    "Slice": ("dim", "a dim of the bounds computed for Slice"),
    "Pad": ("dim", "a dim of the pads computed for Pad"),
    # onnxruntime-extensions tokenizers (rules/extensions.py): their output length
    **{op: ("tokens", f"the token count produced by {op}") for op in (
        "SentencepieceTokenizer", "BertTokenizer", "GPT2Tokenizer", "CLIPTokenizer", "RobertaTokenizer")},
}
SEP = "@"
# producers whose output length is data whatever their input shapes; the others are named
# only where every input shape is known (else the dim may follow a symbolic one: Reshape of [seq, 8])
ALWAYS_DATA = frozenset({"NonZero", "Unique", "Compress", "SentencepieceTokenizer", "BertTokenizer",
                         "GPT2Tokenizer", "CLIPTokenizer", "RobertaTokenizer"})


def node_label(node: onnx.NodeProto) -> str:
    """The producing node as a dim name shows it: its name, else its first output's."""
    raw = node.name or (node.output[0] if node.output else node.op_type)
    return printable(raw, 120).replace("=", "_").replace(" ", "_")


def dim_name(base: str, node: onnx.NodeProto, position: int | None = None) -> str:
    """``base@node`` (``base_j@node`` for the j-th of several unknown dims of one node)."""
    return f"{base}{'' if position is None else f'_{position}'}{SEP}{node_label(node)}"


def name_outputs(node: onnx.NodeProto, shapes: list[Any], like: tuple[Any, ...] | None = None) -> list[Any]:
    """The output shapes of a producer with their unknown dims (None, or onnx's ``unk__N``)
    named after it; the same position in several outputs (TopK's values and indices) gets
    the same name. ``like``: the known shape of input 0 (TopK's outputs are shaped like it)."""
    spec = PRODUCERS.get(node.op_type)
    if spec is None:
        return shapes
    if node.op_type == "TopK" and like is not None:  # the input's shape but at the axis, where k is
        axis = next((a.i for a in node.attribute if a.name == "axis"), -1) % max(len(like), 1)
        shapes = [None if s is None else tuple(d if j == axis else x for j, (d, x) in enumerate(zip(s, like)))
                  if len(s) == len(like) else s for s in shapes]
    positions = sorted({j for s in shapes if s is not None for j, d in enumerate(s) if _unnamed(d)})
    if not positions:
        return shapes
    names = {j: dim_name(spec[0], node, None if len(positions) == 1 else j) for j in positions}
    return [None if s is None else tuple(names[j] if _unnamed(d) else d for j, d in enumerate(s)) for s in shapes]


def _unnamed(d: Any) -> bool:
    return d is None or (type(d) is str and d.startswith("unk__"))


def is_derived(name: str) -> bool:
    return SEP in name


def candidates(graph: onnx.GraphProto) -> dict[str, str]:
    """node label -> what its derived dims are, for every producer in the graph and its
    subgraphs: the names ``--dim`` may bind beside the declared ones."""
    from onnx_cost.analyzer.subgraphs import all_graphs

    out: dict[str, str] = {}
    for g in all_graphs(graph):
        for n in g.node:
            if n.op_type in PRODUCERS:
                out.setdefault(node_label(n), f"{PRODUCERS[n.op_type][1]} {node_label(n)}")
    return out


def accepts(graph: onnx.GraphProto, name: str) -> bool:
    """True when ``name`` is a derived dim some node of the graph may produce."""
    if not is_derived(name):
        return False
    return name.split(SEP, 1)[1] in candidates(graph)


def describe(graph: onnx.GraphProto, names: Iterable[str]) -> dict[str, str]:
    """name -> what it is, in words, for the derived dims among ``names``."""
    known = candidates(graph) if any(is_derived(n) for n in names) else {}
    return {n: known[n.split(SEP, 1)[1]] for n in names if is_derived(n) and n.split(SEP, 1)[1] in known}


def bind(shape: Any, bound: Mapping[str, int]) -> Any:
    """``shape`` with the derived dims the user bound replaced by their values."""
    if shape is None or not bound:
        return shape
    return tuple(bound.get(d, d) if type(d) is str else d for d in shape)

