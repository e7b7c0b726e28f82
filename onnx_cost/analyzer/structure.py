"""The walks over every message of a model: text that is not UTF-8, initializers
named twice, and the one fast pass that checks all of check_structure at once.

The precise checks (``check_text``, ``check_initializers``) say what is wrong;
``clean`` says, in one pass whose per-node work runs in C (attribute getters
mapped over repeated fields; a node whose serialized bytes are ASCII and hold no
attribute is not even read), that nothing is: load.check_structure runs the
precise checks only when it is not sure, so every refusal keeps its message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import chain, compress
from operator import attrgetter, itemgetter, methodcaller
from typing import Any

import onnx
from google.protobuf.descriptor import FieldDescriptor

from onnx_cost.errors import InvalidGraphError, NotOnnxError, ResourceLimitError

A = onnx.AttributeProto
_STR = frozenset({str})
_NODE_STRS = attrgetter("name", "op_type", "domain", "doc_string")
_TENSOR_STRS = attrgetter("name", "doc_string")
_ENTRY_STRS = attrgetter("key", "value")
_ATTR_STRS = attrgetter("name", "ref_attr_name", "doc_string")
_NAME = attrgetter("name")
_SERIALIZE, _NOT_PLAIN = methodcaller("SerializeToString"), re.compile(rb"[\x80-\xff*]").search
_ALL = itemgetter(slice(None))  # a repeated field as a list: protobuf containers iterate through IndexError
_SIMPLE = frozenset({A.FLOAT, A.INT, A.STRING, A.FLOATS, A.INTS, A.STRINGS})
_SUBGRAPH_FIELDS = frozenset({"g", "graphs"})
_GRAPH_FIELDS = frozenset({"node", "initializer"})
_STRING, _MESSAGE = FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_MESSAGE
# metadata_props entries of one message: exporters write a handful; 10^7 empty ones (a
# valid 20 MB file) cost 26 s and 2.3 GB to read one by one
MAX_METADATA = 100_000
_BIG_NODE = 1 << 16  # a node serialized larger than this is read field by field (its metadata counted)


def check_metadata(entries: Any, where: str) -> None:
    """ResourceLimitError when a message holds more than MAX_METADATA metadata_props
    entries (``len`` only: nothing of them is read)."""
    if len(entries) > MAX_METADATA:
        raise ResourceLimitError(
            f"a {where} holds {len(entries):,} metadata_props entries, more than the {MAX_METADATA:,} "
            "onnx-cost reads; refused"
        )


def clean(model: onnx.ModelProto, max_nodes: int, max_depth: int) -> bool:
    """True when nothing in the model is refused by check_text, check_initializers or the
    size and depth limits, and it has no local functions; False: not sure, look closer."""
    if len(model.functions):
        return False
    graphs: list[tuple[onnx.GraphProto, int]] = [(model.graph, 0)]
    others: list[Any] = []
    if not _fields_ok(model, others, skip=frozenset({"graph"})):
        return False
    nodes = 0
    while graphs or others:
        if others:
            if not _message_ok(others.pop(), graphs, others):
                return False
            continue
        g, depth = graphs.pop()
        nodes += len(g.node)
        if depth > max_depth or nodes > max_nodes or not _graph_ok(g, depth, graphs, others):
            return False
    return True


def _graph_ok(g: onnx.GraphProto, depth: int, graphs: list[Any], others: list[Any]) -> bool:
    """A graph's own texts, its nodes' and initializers' (in bulk); its subgraphs and its
    other messages are pushed for later."""
    names = list(map(_NAME, g.initializer)) + [s.values.name for s in g.sparse_initializer]
    if len(set(names)) != len(names):
        return False  # an initializer named twice
    nodes = _careful(g.node)
    texts = chain(chain.from_iterable(map(_NODE_STRS, nodes)), _each("input", nodes), _each("output", nodes))
    if not (_tensors_ok(g.initializer) and _STR.issuperset(map(type, texts))):
        return False
    attrs = list(_each("attribute", nodes))
    if attrs and not _STR.issuperset(map(type, chain.from_iterable(map(_ATTR_STRS, attrs)))):
        return False
    tensors = []  # the tensor attributes' (Constant's value), checked at once below
    for a in attrs:
        if a.HasField("g"):
            graphs.append((a.g, depth + 1))
        graphs.extend((sg, depth + 1) for sg in a.graphs)
        t = a.type
        if t == A.TENSOR and not a.HasField("g"):
            tensors.append(a.t)
        elif (t not in _SIMPLE or _payload(a)) and not _fields_ok(a, others, skip=_SUBGRAPH_FIELDS):
            return False  # (subgraphs are walked as graphs)
    if tensors and not _tensors_ok(tensors):
        return False
    for n in nodes:
        meta = n.metadata_props
        if len(meta):
            check_metadata(meta, "NodeProto")
            others.extend(meta)
    return _fields_ok(g, others, skip=_GRAPH_FIELDS)


def _careful(nodes: Any) -> list[onnx.NodeProto]:
    """The nodes whose fields need reading: all but those whose serialized bytes are ASCII
    (then so is every string field in them) with no byte 0x2A ('*', the tag of a
    top-level attribute: then they have none, and no subgraph), and are not large (then
    their metadata is counted)."""
    return list(compress(nodes, map(_not_plain, map(_SERIALIZE, nodes))))


def _not_plain(data: bytes) -> bool:
    return len(data) > _BIG_NODE or _NOT_PLAIN(data) is not None


def _each(field: str, msgs: Any) -> Iterator[Any]:
    """The elements of one repeated field of every message, in order (in C)."""
    return chain.from_iterable(map(_ALL, map(attrgetter(field), msgs)))


def _payload(a: onnx.AttributeProto) -> bool:
    """A simple attribute carrying a message payload too (mistyped)."""
    return (a.HasField("t") or a.HasField("g") or a.HasField("sparse_tensor") or a.HasField("tp")
            or len(a.tensors) > 0 or len(a.graphs) > 0 or len(a.sparse_tensors) > 0 or len(a.type_protos) > 0)


def _tensors_ok(ts: Any) -> bool:
    """The texts check_text reads of TensorProtos: name, doc_string, external data entries."""
    if not _STR.issuperset(map(type, chain.from_iterable(map(_TENSOR_STRS, ts)))):
        return False
    entries = _each("external_data", ts)
    return _STR.issuperset(map(type, chain.from_iterable(map(_ENTRY_STRS, entries))))


def _message_ok(msg: Any, graphs: list[Any], others: list[Any]) -> bool:
    if isinstance(msg, onnx.GraphProto):
        graphs.append((msg, 0))  # outside the main graph's tree (training_info): counted too, to be safe
        return True
    if isinstance(msg, onnx.TensorProto):
        return _tensors_ok([msg])
    if isinstance(msg, (onnx.NodeProto, onnx.FunctionProto)):
        return False  # only through a function or an odd place: the precise walk
    return _fields_ok(msg, others)


def _fields_ok(msg: Any, others: list[Any], skip: frozenset[str] = frozenset()) -> bool:
    """The message's string fields are text; its message fields are pushed on ``others``."""
    for f, v in msg.ListFields():
        if f.name in skip:
            continue
        if f.type == _STRING:
            if not (_STR.issuperset(map(type, v)) if f.is_repeated else type(v) is str):
                return False
        elif f.type == _MESSAGE:
            if f.is_repeated:
                if f.name == "metadata_props":
                    check_metadata(v, msg.DESCRIPTOR.name)
                others.extend(v)
            else:
                others.append(v)
    return True


# -- the precise checks ---------------------------------------------------------------


_NODE_TEXT = ("name", "op_type", "domain", "doc_string")


def _all_str(xs: Any) -> bool:
    for x in xs:  # noqa: SIM110 (all() over a generator costs twice as much, per node)
        if type(x) is not str:
            return False
    return True


def check_text(model: onnx.ModelProto) -> None:
    """Refuse a model whose string fields are not UTF-8 (the protobuf library hands
    those back as bytes: a bit-flipped or foreign file). Iterative over every set
    message field; numeric and bytes payloads are not touched."""
    string, message = FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_MESSAGE
    stack: list[Any] = [model]
    while stack:
        msg = stack.pop()
        if isinstance(msg, onnx.TensorProto):
            # ListFields() would copy raw_data (hundreds of MB): read the text fields by name.
            texts = [msg.name, msg.doc_string]
            texts += [e.key for e in msg.external_data] + [e.value for e in msg.external_data]
            if any(type(x) is not str for x in texts):
                raise NotOnnxError(
                    "corrupt model: a TensorProto's text is not valid UTF-8 (a bit-flipped or non-ONNX file?)"
                )
            continue
        if isinstance(msg, onnx.NodeProto):
            # The common case, spelled out: ListFields() per node costs more than the parse.
            if not (_all_str(msg.input) and _all_str(msg.output) and type(msg.name) is str
                    and type(msg.op_type) is str and type(msg.domain) is str and type(msg.doc_string) is str):
                bad = next(f for f in (*_NODE_TEXT, "input", "output")
                           if not _all_str(getattr(msg, f) if f in ("input", "output") else [getattr(msg, f)]))
                raise NotOnnxError(
                    f"corrupt model: a NodeProto's {bad} is not valid UTF-8 text (a bit-flipped or non-ONNX file?)"
                )
            for a in msg.attribute:  # spelled out too: ListFields() would copy tensors
                if not (type(a.name) is str and type(a.ref_attr_name) is str and type(a.doc_string) is str):
                    raise NotOnnxError(
                        "corrupt model: an AttributeProto's name is not valid UTF-8 text "
                        "(a bit-flipped or non-ONNX file?)"
                    )
                if a.type == onnx.AttributeProto.TENSOR and not a.HasField("g"):
                    stack.append(a.t)
                elif a.type > onnx.AttributeProto.STRINGS or a.type == onnx.AttributeProto.GRAPH:
                    stack.append(a)  # graphs, sparse tensors, type protos: their own texts
                elif (a.HasField("t") or a.HasField("g") or a.HasField("sparse_tensor") or a.HasField("tp")
                      or len(a.tensors) or len(a.graphs) or len(a.sparse_tensors) or len(a.type_protos)):
                    stack.append(a)  # mistyped: a payload of another kind than its type says
            check_metadata(msg.metadata_props, "NodeProto")
            stack.extend(msg.metadata_props)
            continue
        for f, v in msg.ListFields():
            if f.type == string:
                if any(type(x) is not str for x in v) if f.is_repeated else type(v) is not str:
                    raise NotOnnxError(
                        f"corrupt model: a {msg.DESCRIPTOR.name}'s {f.name} is not valid UTF-8 text "
                        "(a bit-flipped or non-ONNX file?)"
                    )
            elif f.type == message:
                if f.is_repeated:
                    if f.name == "metadata_props":
                        check_metadata(v, msg.DESCRIPTOR.name)
                    stack.extend(v)
                else:
                    stack.append(v)


def check_initializers(graph: onnx.GraphProto) -> None:
    """Refuse a graph (or subgraph) naming two initializers alike (invalid SSA: which
    weight would count?), by name. Iterative over the subgraphs."""
    stack = [graph]
    while stack:
        g = stack.pop()
        seen: set[str] = set()
        for name in [t.name for t in g.initializer] + [s.values.name for s in g.sparse_initializer]:
            if name in seen:
                raise InvalidGraphError(
                    f"graph '{g.name or 'main'}': initializer '{name}' is defined twice "
                    "(duplicate name: invalid SSA)"
                )
            seen.add(name)
        for n in g.node:
            for a in n.attribute:
                if a.HasField("g"):
                    stack.append(a.g)
                stack.extend(a.graphs)


