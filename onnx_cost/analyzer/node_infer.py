"""Output types of one node: onnx's per-node inference, or our shape function first.

onnx's ``infer_node_outputs`` runs with the attribute semantics of the model's
opset, fed with the small values we propagated. Identical nodes (the layers of a
transformer, a long chain) infer identically: results are cached on everything
inference reads, so a repeated layer costs a dictionary lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import onnx
from onnx import defs, helper, shape_inference

from onnx_cost.analyzer.attrs import Decoded
from onnx_cost.analyzer.infos import type_fields, type_from_info
from onnx_cost.analyzer.plugins import PluginError, _failure, origin
from onnx_cost.analyzer.values import to_tensor
from onnx_cost.errors import InternalError
from onnx_cost.model.dtypes import DTYPES
from onnx_cost.rules.matmul import einsum_equation_error
from onnx_cost.rules.node import NodeView, RuleError, ShapeUnknown, TensorInfo

_ELEM = {name: code for code, (name, _bits) in DTYPES.items()}
_BITS = {name: bits for _code, (name, bits) in DTYPES.items()}

Outs = list[TensorInfo | None]  # output infos by position (None: unknown); their names may be ""
Entry = tuple[onnx.TypeProto, TensorInfo, bool]  # onnx's type, as an info, and whether it round-trips


@dataclass(slots=True, eq=False)
class Op:
    """What the pass needs about one (domain, op_type) of a model, looked up once."""

    key: tuple[str, str]  # (normalized domain, op_type)
    version: int  # the domain's opset (1 when undeclared: attrs.decode's reading)
    schema: defs.OpSchema | None  # at the declared opset; None: undeclared domain or unknown op
    ours: Callable[[NodeView], Any] | None  # our shape function, when it goes before onnx's
    control: bool  # If, Loop, Scan, SequenceMap
    source: bool  # attrs.SOURCE_OPS: static outputs are weights or constants
    random: bool  # outputs never static
    valued: bool  # the value of its outputs may be computed (node_values.py)
    special: bool  # node_values.SPECIAL: computed from more than its inputs' values
    bare: Decoded | None = None  # attrs.decode of the op with no attributes, once seen
    # signature.violation by input count, for an op it judges by that count alone (no least
    # ranks); None for the others
    by_count: dict[int, str] | None = None


class NodeInference:
    """onnx's per-node inference for one model, with its caches."""

    def __init__(self, opsets: dict[str, int], ir_version: int) -> None:
        self.ir_version = ir_version
        self.opset_protos = [helper.make_opsetid(d, v) for d, v in opsets.items()]
        # (dtype, shape) -> its TypeProto: onnx's own where an inference gave that type, else
        # built once (inference is a function of the types and values it reads: the cache key)
        self._types: dict[tuple[str, Any], onnx.TypeProto] = {}
        self._cache: dict[tuple[Any, ...], list[Entry | None] | str] = {}
        self._tensors: dict[tuple[Any, ...], Any] = {}  # value key -> TensorProto (unnamed) or None

    def infer(self, node: onnx.NodeProto, op: Op, outputs: list[str], ins: list[TensorInfo | None],
             attrs: Mapping[str, Any], errors: dict[int, str]) -> Outs:
        """Output infos by onnx's inference (named ""), or [] with the reason in ``errors``."""
        ik: list[Any] = []
        for t in ins:
            if t is None:
                ik.append(None)
            else:
                v = t.value
                ik.append((t.dtype, t.shape, None if v is None else (v.dtype.str, v.shape, v.tobytes())))
        # id(attrs): decoded once per distinct attribute set, alive as long as this engine's graphs
        key = (op.key, id(attrs), tuple(ik), tuple(map(bool, outputs)))
        hit = self._cache.get(key)
        if hit is None:
            found = self._uncached(node, op, ins, attrs)
            hit = found if isinstance(found, str) else [None if tp is None else _entry(tp) for tp in found]
            self._cache[key] = hit
            for entry in () if isinstance(hit, str) else hit:
                if entry is not None and entry[2] and entry[1].dtype:  # onnx's type, for the nodes reading them
                    self._types.setdefault((entry[1].dtype, entry[1].shape), entry[0])
        if isinstance(hit, str):
            errors[id(node)] = hit
            return []
        return [None if entry is None or not name else entry[1] for name, entry in zip(outputs, hit)]

    def _uncached(self, node: onnx.NodeProto, op: Op, ins: list[TensorInfo | None],
                  attrs: Mapping[str, Any]) -> list[onnx.TypeProto | None] | str:
        """onnx's per-node inference: output TypeProtos by position, or why it failed."""
        types: dict[str, onnx.TypeProto] = {}
        data: dict[str, onnx.TensorProto] = {}
        for name, t in zip(node.input, ins):
            if t is None:
                continue
            tp = self._type(t)
            if tp is not None:
                types[name] = tp
            if t.value is not None:
                tv = self._tensor(t.value, name)
                if tv is not None:
                    data[name] = tv
        if op.key == ("", "Einsum"):
            # onnx's Einsum inference never returns on some malformed equations ("i.j->i")
            eq = str(attrs.get("equation", ""))
            ranks = [len(t.shape) if t is not None and t.shape is not None else None for t in ins]
            why = einsum_equation_error(eq, ranks if all(r is not None for r in ranks) else None)  # type: ignore[arg-type]  # no None: checked
            if why:
                return why
        sig = ins[0] if op.key == ("", "STFT") and ins else None
        if sig is not None and sig.shape is not None and len(sig.shape) == 2:
            # a real signal [batch, length]: onnxruntime runs it as [batch, length, 1], which the spec requires
            tp = self._type(TensorInfo(sig.name, (*sig.shape, 1), sig.dtype, sig.bits))
            if tp is not None:
                types[node.input[0]] = tp
        if op.key == ("", "STFT") and not any(a.name == "onesided" for a in node.attribute):
            fixed = onnx.NodeProto()
            fixed.CopyFrom(node)
            fixed.attribute.append(helper.make_attribute("onesided", 1))
            node = fixed
        try:
            res = shape_inference.infer_node_outputs(
                op.schema, node, types, data, None, self.opset_protos, self.ir_version  # type: ignore[arg-type]  # a schema: the caller checked
            )
        except Exception as e:  # onnx rejects the node (inconsistent shapes or attributes)
            return last_line(e)
        return [res.get(name) if name else None for name in node.output]

    def _tensor(self, value: Any, name: str) -> onnx.TensorProto | None:
        """values.to_tensor(value, name), converted once per distinct value and copied."""
        key = (value.dtype.str, value.shape, value.tobytes())
        hit = self._tensors.get(key, self)
        if hit is self:
            hit = self._tensors[key] = to_tensor(value, "")
        if hit is None or not name:
            return hit
        tv = onnx.TensorProto()
        tv.CopyFrom(hit)
        tv.name = name
        return tv

    def _type(self, t: TensorInfo) -> onnx.TypeProto | None:
        if not t.dtype:
            return None
        key = (t.dtype, t.shape)
        tp = self._types.get(key)
        if tp is None:
            tp = self._types[key] = type_from_info(t, _ELEM[t.dtype])
        return tp


def _entry(tp: onnx.TypeProto) -> Entry:
    shape, dt, bits = type_fields(tp)
    # a shape with None where onnx gave a dim (-1, dropped by sane_dims) is not onnx's type
    return tp, TensorInfo("", shape, dt, bits), shape is None or None not in shape


def ours(node: onnx.NodeProto, op: Op, outputs: list[str], ins: list[TensorInfo | None],
         attrs: Mapping[str, Any], errors: dict[int, str]) -> Outs:
    """Output infos by our shape function, or [] with the reason in ``errors``."""
    domain, op_type = op.key
    view = NodeView(node.name, op_type, domain, op.version, attrs, tuple(ins), ())
    try:
        res = op.ours(view)  # type: ignore[misc]  # set: the caller checked
    except (RuleError, ShapeUnknown) as e:  # our shape function cannot say: outputs stay unknown
        errors[id(node)] = last_line(e)
        return []
    except Exception as e:  # a bug in our shape function (or a plugin's), not a verdict on the node
        name = f"{domain}::{op_type}" if domain else op_type
        where = origin(op.ours)
        if where is not None:
            raise PluginError(f"{where}: the shape function of {name} raised {_failure(e)} at node "
                              f"'{node.name or '(unnamed)'}'") from e
        raise InternalError("the shape function", node.name or "(unnamed)", name, e) from e
    out: Outs = []
    for name, r in zip(outputs, res):
        if r is None:
            out.append(None)
        else:
            shape, dt = r
            out.append(TensorInfo(name, None if shape is None else tuple(shape), dt, _BITS.get(dt, 0)))
    return out


def last_line(e: BaseException) -> str:
    """The last line of an error (onnx's inference errors end with the one that says what failed)."""
    lines = str(e).strip().splitlines()
    text = lines[-1] if lines else type(e).__name__
    return text.strip()[:300]
