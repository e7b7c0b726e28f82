"""The roles of a decoder's inputs and dims, read from the graph: which inputs are the KV
cache (and which outputs their new values), which dim counts new tokens, which counts the
cached ones, which is the batch, and which dims are their sums (an attention mask's
``total_sequence_length``). docs/llm.md says how each is recognized.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass

import onnx

from onnx_cost.analyzer.dims import is_batch
from onnx_cost.errors import BindingError, UnsupportedModelError, printable
from onnx_cost.model.dtypes import dtype_of
from onnx_cost.rules.node import nbytes

MS = "com.microsoft"
# (domain, op) -> (input indices holding a past cache, output indices holding the present one)
CACHE_SLOTS: dict[tuple[str, str], tuple[tuple[int, ...], tuple[int, ...]]] = {
    (MS, "GroupQueryAttention"): ((3, 4), (1, 2)),
    (MS, "MultiHeadAttention"): ((6, 7), (1, 2)),
    (MS, "Attention"): ((4,), (1,)),
    (MS, "DecoderMaskedMultiHeadAttention"): ((5, 6), (1, 2)),
    ("", "Attention"): ((4, 5), (1, 2)),
}
# A cache input by name: past_key_values.0.key, past_key_values_0_value, past.3, past_k,
# past_key_1, cache_v, kv_cache... (a word boundary before "past" or "cache").
_CACHE_IN = re.compile(r"(^|[._/:-])(past|cache)($|[._/:\d-]|key|value|k|v|kv)", re.IGNORECASE)
TOKEN_INPUTS = ("input_ids", "inputs_embeds", "input", "tokens", "token_ids", "ids")
MERGED_FLAGS = ("use_cache_branch", "use_cache")
_MASKS = ("attention_mask", "mask")
_TOTAL = re.compile(r"total|all_seq|kv_seq|max_seq|past.*\+|\+.*past", re.IGNORECASE)


@dataclass(frozen=True)
class CacheTensor:
    """One KV-cache graph input: its declared shape and dtype, what one cached token of one
    sequence takes in it, and the graph output holding its new value ("" when none found)."""

    name: str
    present: str
    dtype: str
    shape: tuple[int | str, ...]
    past_axis: int
    elements_per_token: int  # per sequence: the product of the dims other than batch and past
    bytes_per_token: int


@dataclass(frozen=True)
class Roles:
    """What each input and dim of a decoder is (docs/llm.md, "Roles")."""

    caches: tuple[CacheTensor, ...]
    layout: str  # "per-layer", "stacked" or "fused (<op>)"
    token_input: str
    batch_dim: str | int  # a dim name, or the fixed batch
    new_dim: str | int  # a dim name, or 1 for a decode-only export
    past_dim: str
    total_dims: tuple[str, ...]  # dims equal to past + new (masks, present outputs)
    merged_flag: str  # optimum's use_cache_branch input, else ""

    @property
    def decode_only(self) -> bool:
        return self.new_dim == 1

    @property
    def batch_free(self) -> bool:
        return isinstance(self.batch_dim, str)

    @property
    def bytes_per_token(self) -> int:
        """KV-cache bytes one cached token of one sequence takes, all layers."""
        return sum(c.bytes_per_token for c in self.caches)

    def binding(self, batch: int, new: int, past: int) -> dict[str, int]:
        """The dims bound for one step: every role dim (a fixed one is left out)."""
        out: dict[str, int] = {self.past_dim: past}
        out.update(dict.fromkeys(self.total_dims, past + new))
        if isinstance(self.new_dim, str):
            out[self.new_dim] = new
        if isinstance(self.batch_dim, str):
            out[self.batch_dim] = batch
        return out


def _inputs(graph: onnx.GraphProto) -> list[onnx.ValueInfoProto]:
    init = {t.name for t in graph.initializer}
    return [v for v in graph.input if v.name not in init and v.type.HasField("tensor_type")]


def _shape(v: onnx.ValueInfoProto) -> tuple[int | str, ...] | None:
    t = v.type.tensor_type
    if not t.HasField("shape"):
        return None
    return tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in t.shape.dim)


def _fused_slots(graph: onnx.GraphProto) -> tuple[set[str], set[str], str]:
    """Names feeding the past slots and filling the present slots of attention ops."""
    past: set[str] = set()
    present: set[str] = set()
    op = ""
    for n in graph.node:
        key = (MS if n.domain == MS else ("" if n.domain in ("", "ai.onnx") else n.domain), n.op_type)
        slots = CACHE_SLOTS.get(key)
        if slots is None:
            continue
        ins, outs = slots
        found = {n.input[i] for i in ins if i < len(n.input) and n.input[i]}
        if found:
            op = op or n.op_type
        past |= found
        present |= {n.output[i] for i in outs if i < len(n.output) and n.output[i]}
    return past, present, op


def _present_for(name: str, outputs: list[str]) -> str:
    """The output holding the new value of cache input ``name``: the same name with
    past -> present (past_key_values.0.key -> present.0.key, past_k -> present_k)."""
    candidates = [
        name.replace("past_key_values", "present"), name.replace("past", "present"),
        name.replace("past_key_values", "present_key_values"), name.replace("cache", "present"),
        re.sub("^past", "present", name), name + "_out", "present_" + name, name.replace("_in", "_out"),
    ]
    for c in candidates:
        if c != name and c in outputs:
            return c
    return ""


def dim_value(name: str, binding: Mapping[str, int]) -> int | None:
    """A dim name that is an expression of bound dims ("past_sequence_length + 1",
    "s1 + s2"): its value; None when it is not one."""
    if name in binding:
        return binding[name]
    try:
        tree = ast.parse(name, mode="eval")
    except (SyntaxError, ValueError):
        return None

    def ev(n: ast.AST) -> int | None:
        if isinstance(n, ast.Expression):
            return ev(n.body)
        if isinstance(n, ast.Constant) and type(n.value) is int:
            return n.value
        if isinstance(n, ast.Name):
            return binding.get(n.id)
        if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Add, ast.Sub, ast.Mult)):
            a, b = ev(n.left), ev(n.right)
            if a is None or b is None:
                return None
            return a + b if isinstance(n.op, ast.Add) else (a - b if isinstance(n.op, ast.Sub) else a * b)
        return None

    return ev(tree) if isinstance(tree.body, ast.BinOp) else None


def find_roles(
    model: onnx.ModelProto, seq_dim: str | None = None, past_dim: str | None = None,
    extra: Mapping[str, int] | None = None,
) -> Roles:
    """The decoder roles of ``model``'s main graph. ``seq_dim``/``past_dim`` override the
    recognized new-token and past dims; ``extra``: dims the user bound (``--dim``).
    No KV cache: UnsupportedModelError; a role that cannot be told: BindingError."""
    g = model.graph
    inputs = _inputs(g)
    outputs = [o.name for o in g.output]
    fused_past, _fused_present, fused_op = _fused_slots(g)
    by_name = {v.name: v for v in inputs}
    cache_in = []
    for v in inputs:
        shape = _shape(v)
        if shape is None or len(shape) < 3 or not dtype_of(v.type.tensor_type.elem_type)[0].startswith(
            ("float", "bfloat", "int8", "uint8")
        ):
            continue
        if v.name in fused_past or _CACHE_IN.search(v.name):
            cache_in.append(v)
    if not cache_in:
        raise UnsupportedModelError(
            "no KV cache: no graph input is a past key/value cache (past_key_values.*, past_k, a past input of "
            "GroupQueryAttention/MultiHeadAttention...); onnx-cost llm needs a decoder exported with its cache"
        )
    token = _token_input(inputs, {v.name for v in cache_in})
    tshape = _shape(by_name[token]) if token else None
    batch: str | int = 1
    if tshape:
        batch = tshape[0]
    if not isinstance(batch, str) or batch == "?":
        named = [d for v in cache_in for d in (_shape(v) or ()) if isinstance(d, str) and is_batch(d)]
        batch = named[0] if named else (batch if isinstance(batch, int) else 1)
    new: str | int
    if seq_dim is not None:
        new = seq_dim
    elif tshape and len(tshape) >= 2:
        new = tshape[1]
        if new == "?" or new == batch:
            raise BindingError(f"input '{printable(token, 80)}': its token dim has no name; give --seq-dim NAME")
    else:
        raise BindingError("cannot tell the new-token dim (no input_ids or inputs_embeds input); give --seq-dim NAME")
    if isinstance(new, int) and new != 1:
        raise UnsupportedModelError(
            f"the new-token dim of '{printable(token, 80)}' is fixed at {new}: the graph cannot run a one-token "
            "decode step"
        )
    if past_dim is None:
        found = {d for v in cache_in for d in (_shape(v) or ()) if isinstance(d, str) and d not in (batch, new, "?")}
        found -= set(extra or {})
        if len(found) != 1:
            what = f"several: {', '.join(sorted(printable(d, 60) for d in found))}" if found else "none is free"
            raise BindingError(f"cannot tell the past (cached tokens) dim of the cache inputs ({what}); "
                               "give --past-dim NAME")
        past_dim = found.pop()
    caches = tuple(_cache(v, batch, past_dim, outputs, extra or {}) for v in cache_in)
    roles = {past_dim, new, batch}
    total: list[str] = []
    declared = [(v.name, _shape(v) or ()) for v in (*inputs, *g.output) if v.type.HasField("tensor_type")]
    for where, shape in declared:
        for d in shape:
            if not isinstance(d, str) or d in roles or d in total or d == "?" or d in (extra or {}):
                continue
            if dim_value(d, {past_dim: 0, **({new: 0} if isinstance(new, str) else {})}) is not None:
                continue  # an expression of the role dims ("past_sequence_length + 1"): valued per step
            if _TOTAL.search(d) or any(m in where.lower() for m in _MASKS) or where in {c.present for c in caches}:
                total.append(d)
            elif where in by_name:
                raise BindingError(
                    f"dim '{printable(d, 60)}' of input '{printable(where, 80)}' is not the batch, new-token, past "
                    f"or total-length dim; bind it with --dim {printable(d, 60)}=N"
                )
    merged = next((v.name for v in inputs if v.name in MERGED_FLAGS and v.type.tensor_type.elem_type ==
                   onnx.TensorProto.BOOL), "")
    stacked = any(c.elements_per_token and len(c.shape) >= 5 for c in caches)
    layout = f"fused ({fused_op})" if fused_op and any(c.name in fused_past for c in caches) else (
        "stacked" if stacked else "per-layer")
    return Roles(caches, layout, token, batch, new, past_dim, tuple(total), merged)


def expression_dims(model: onnx.ModelProto, binding: Mapping[str, int]) -> dict[str, int]:
    """Declared dims that are expressions of bound ones ("past_sequence_length + 1"), valued."""
    g = model.graph
    out: dict[str, int] = {}
    for v in (*g.input, *g.output):
        for d in _shape(v) or () if v.type.HasField("tensor_type") else ():
            if isinstance(d, str) and d not in binding and d not in out:
                val = dim_value(d, binding)
                if val is not None:
                    out[d] = val
    return out


def _token_input(inputs: list[onnx.ValueInfoProto], caches: set[str]) -> str:
    rest = [v for v in inputs if v.name not in caches and v.name not in MERGED_FLAGS]
    for want in TOKEN_INPUTS:
        if any(v.name == want for v in rest):
            return want
    for v in rest:  # the first integer input of rank 2 (token ids), then a float one of rank 3
        s = _shape(v)
        if s and len(s) == 2 and dtype_of(v.type.tensor_type.elem_type)[0].startswith("int") and \
                not any(m in v.name.lower() for m in (*_MASKS, "position")):
            return v.name
    for v in rest:
        s = _shape(v)
        if s and len(s) == 3 and dtype_of(v.type.tensor_type.elem_type)[0].startswith(("float", "bfloat")):
            return v.name
    return ""


def _cache(v: onnx.ValueInfoProto, batch: str | int, past: str, outputs: list[str],
           extra: Mapping[str, int]) -> CacheTensor:
    shape = _shape(v) or ()
    if past not in shape:
        raise BindingError(f"cache input '{printable(v.name, 80)}' has no '{printable(past, 60)}' dim "
                           f"(shape {printable(str(list(shape)), 120)}); give --past-dim NAME")
    axis = shape.index(past)
    n = 1
    fixed_batch = not isinstance(batch, str)
    for i, d in enumerate(shape):
        if i == axis or d == batch:
            continue
        if d == "?":
            raise BindingError(f"cache input '{printable(v.name, 80)}' has an unnamed free dim (axis {i}): "
                               "its size per token cannot be read")
        if isinstance(d, str):
            if d not in extra:
                raise BindingError(f"dim '{printable(d, 60)}' of cache input '{printable(v.name, 80)}' is free: "
                                   f"bind it with --dim {printable(d, 60)}=N")
            d = extra[d]
        n *= d
    if fixed_batch:  # the fixed batch is one of the dims multiplied in: per sequence, divide it out
        n //= max(int(batch), 1)
    dtype, bits = dtype_of(v.type.tensor_type.elem_type)
    return CacheTensor(v.name, _present_for(v.name, outputs), dtype, shape, axis, n, nbytes(n, bits))
