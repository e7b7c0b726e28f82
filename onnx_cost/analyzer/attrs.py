"""The one attribute decoder: a node's attributes, decoded once, against its schema.

Every consumer (the shape pass, control flow, value propagation, the rules through
their NodeView) reads the same decoded mapping, so a malformed attribute is judged
once, in one place. Each attribute is checked against the type the op's schema
declares at the model's opset (onnx.defs), the schema's defaults are filled in, and
a node whose attributes cannot be trusted gets a reason naming the attribute: the
walker records it ``invalid`` and nothing (onnx's C++ inference included) is handed
its attributes. Contrib ops, which onnx.defs does not know, take their defaults
from ``rules/_contrib_schema.py``; their attributes are decoded by
their own declared type.

The decoded mapping is shared between identical nodes: treat it as read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import onnx
from onnx import AttributeProto, defs

from onnx_cost.rules._contrib_schema import defaults as contrib_defaults

A = AttributeProto
_GRAPH_TYPES = (A.GRAPH, A.GRAPHS)
_TYPE_NAME = {v: k for k, v in A.AttributeType.items()}
# Attributes that index or count axes, groups or inputs: onnx's C++ inference does
# int32 arithmetic on some of them (LayerNormalization's axis at 2^31, GatherND's
# batch_dims at -2^31 crash the process), and no model needs more.
_AXIS_LIKE = frozenset(
    """axis axes batch_dims perm blocksize group num_scan_inputs scan_input_axes scan_output_axes
    scan_input_directions scan_output_directions new_axis num_outputs""".split()
)
_INT32 = 2**31 - 1
Decoded = tuple[Mapping[str, Any], str]  # (attributes with defaults, "" or why the node is invalid)


@lru_cache(maxsize=4096)
def _schema(op_type: str, version: int, domain: str) -> defs.OpSchema | None:
    try:
        return defs.get_schema(op_type, version, domain)
    except Exception:  # no such op in this domain and version
        return None


@lru_cache(maxsize=4096)
def _declared(op_type: str, version: int, domain: str) -> tuple[dict[str, int], dict[str, Any], tuple[str, ...]]:
    """(declared type by name, defaults, required names) of an op at an opset."""
    schema = _schema(op_type, version, domain)
    if schema is None:
        # the op used below its onnx opset (onnxruntime's LayerNormalization-1): the latest schema's
        # defaults, as for its types, so rules never restate a default; else the contrib table's
        later = _schema(op_type, defs.onnx_opset_version(), domain)
        contrib = _contrib_defaults(domain, op_type) if later is None else _defaults(later)
        return _undeclared_types(op_type, domain, contrib), contrib, ()
    types: dict[str, int] = {}
    required = []
    for name, a in schema.attributes.items():
        types[name] = int(a.type)  # type: ignore[call-overload]  # a pybind enum: int() works, the stubs miss __int__
        if a.required:
            required.append(name)
    return types, _defaults(schema), tuple(required)


def _defaults(schema: defs.OpSchema) -> dict[str, Any]:
    """The attribute defaults a schema declares."""
    out: dict[str, Any] = {}
    for name, a in schema.attributes.items():
        dv = a.default_value
        if dv.type != A.UNDEFINED:
            out[name] = _value(dv, dv.type)
    return out


def _undeclared_types(op_type: str, domain: str, defaults: Mapping[str, Any]) -> dict[str, int]:
    """Types to check an op against where its schema is not at the model's opset: those of
    its latest onnx schema (LayerNormalization used before opset 17), else the types of
    its contrib defaults (an int default is an INT): rules must never see a list for an int."""
    later = _schema(op_type, defs.onnx_opset_version(), domain)
    if later is not None:
        return {n: int(a.type) for n, a in later.attributes.items()}  # type: ignore[call-overload]  # pybind enum
    kinds: dict[type, int | None] = {bool: None, int: A.INT, float: A.FLOAT, str: A.STRING}
    out: dict[str, int] = {}
    for name, v in defaults.items():
        t = kinds.get(type(v)) if not isinstance(v, (list, tuple)) else (
            A.INTS if v and all(type(x) is int for x in v) else A.FLOATS if v and all(type(x) is float for x in v)
            else None
        )
        if t is not None:
            out[name] = t
    return out


def _contrib_defaults(domain: str, op_type: str) -> dict[str, Any]:
    """Defaults of an op onnx.defs does not know, from rules/_contrib_schema.py."""
    return dict(contrib_defaults(domain, op_type))


def _legacy_type(a: AttributeProto) -> int:
    """The type of an attribute written without one (IR version 1): the field that is set."""
    for field, t in (("f", A.FLOAT), ("i", A.INT), ("s", A.STRING), ("t", A.TENSOR), ("g", A.GRAPH)):
        if a.HasField(field):
            return t
    for field, t in (("floats", A.FLOATS), ("ints", A.INTS), ("strings", A.STRINGS), ("tensors", A.TENSORS)):
        if len(getattr(a, field)):
            return t
    return A.UNDEFINED


def _value(a: AttributeProto, t: int) -> Any:
    if t == A.INT:
        return a.i
    if t == A.FLOAT:
        return a.f
    if t == A.INTS:
        return list(a.ints)
    if t == A.FLOATS:
        return list(a.floats)
    if t == A.STRING:
        return a.s.decode("utf-8", "replace")
    if t == A.STRINGS:
        return [s.decode("utf-8", "replace") for s in a.strings]
    if t == A.TENSOR:
        from onnx_cost.analyzer.values import tensor_value

        return tensor_value(a.t)
    return onnx.helper.get_attribute_value(a)  # tensors, sparse tensors, type protos


def decode(node: onnx.NodeProto, version: int, domain: str) -> Decoded:
    """The node's attributes (schema defaults filled in, graphs left out) and "" or why
    they make the node invalid. ``domain``: "" for ONNX, ``version``: its opset."""
    return decode_node(node, version, domain)[0]


def decode_node(node: onnx.NodeProto, version: int, domain: str) -> tuple[Decoded, bool]:
    """``decode``, and whether the node has graph attributes (subgraphs: If, Loop...)."""
    attrs = node.attribute
    if not attrs:
        _types, defaults, required = _declared(node.op_type, version, domain)
        if required:
            return (defaults, _missing(node, required[0], version)), False
        return (defaults, ""), False
    parts: list[str | bytes] = []
    graphs = False
    for a in attrs[:]:  # a list: iterating the container ends in an IndexError
        if a.type in _GRAPH_TYPES:
            parts.append(a.name)
            graphs = True
        else:
            parts.append(a.SerializeToString())
    key = (node.op_type, version, domain, len(node.input), len(node.output), tuple(parts))
    hit = _CACHE.get(key)
    if hit is None:
        hit = _decode(node, version, domain)
        if len(_CACHE) < 65536:  # distinct attribute sets are few; a hostile file gets no more
            _CACHE[key] = hit
    return hit, graphs


_CACHE: dict[tuple[Any, ...], Decoded] = {}


def _decode(node: onnx.NodeProto, version: int, domain: str) -> Decoded:
    types, defaults, required = _declared(node.op_type, version, domain)
    out = dict(defaults)
    seen = set()
    for a in node.attribute:
        name = a.name
        seen.add(name)
        if a.ref_attr_name:
            return out, (f"attribute '{name}' refers to '{a.ref_attr_name}' (ref_attr_name), "
                         "which only a function body may do")
        t = a.type if a.type != A.UNDEFINED else _legacy_type(a)
        want = types.get(name)
        if want is not None and t != want:
            return out, (f"attribute '{name}' is {_TYPE_NAME.get(t, t)}, where {node.op_type} "
                         f"(opset {version}) declares {_TYPE_NAME.get(want, want)}")
        if t in _GRAPH_TYPES:
            continue
        if t == A.UNDEFINED:
            return out, f"attribute '{name}' has no type and no value"
        try:
            v = _value(a, t)
        except Exception as e:  # a malformed tensor or type proto inside the attribute
            return out, f"attribute '{name}' cannot be decoded ({type(e).__name__})"
        if name in _AXIS_LIKE and t in (A.INT, A.INTS):
            bad = next((x for x in (v if t == A.INTS else (v,)) if not -_INT32 <= x <= _INT32), None)
            if bad is not None:
                return out, f"attribute '{name}' = {bad} is out of range (|{name}| < 2^31)"
        out[name] = v
    missing = next((r for r in required if r not in seen), None)
    if missing is not None:
        return out, _missing(node, missing, version)
    why = _op_checks(node, version, domain, out)
    return out, why


def _missing(node: onnx.NodeProto, name: str, version: int) -> str:
    return f"required attribute '{name}' of {node.op_type} (opset {version}) is missing"


def _op_checks(node: onnx.NodeProto, version: int, domain: str, attrs: Mapping[str, Any]) -> str:
    """Checks that need the node: sizes that would otherwise drive allocations."""
    if domain == "" and node.op_type == "Scan":
        return _scan_checks(node, version, attrs)
    return ""


def _scan_checks(node: onnx.NodeProto, version: int, attrs: Mapping[str, Any]) -> str:
    k = attrs.get("num_scan_inputs")
    data = len(node.input) - (1 if version < 9 else 0)  # opset 8: sequence_lens comes first
    if type(k) is not int or not 1 <= k <= data:
        return f"attribute 'num_scan_inputs' = {k} is out of range (the node has {data} state and scan inputs)"
    n_state = data - k
    n_scan_out = len(node.output) - n_state
    if n_scan_out < 0:
        return f"Scan has {len(node.output)} outputs, fewer than its {n_state} state inputs"
    for name, want in (("scan_input_axes", k), ("scan_input_directions", k),
                       ("scan_output_axes", n_scan_out), ("scan_output_directions", n_scan_out)):
        v = attrs.get(name)
        if v is not None and len(v) != want:
            return f"attribute '{name}' has {len(v)} entries, the node has {want} scan {name.split('_')[1]}s"
    return ""

