"""A node's inputs against its op's signature: the arity its schema declares (onnx.defs at
the model's opset; for a contrib op, its first input) and the least ranks some ops need
(rules/_ranks.py). A node that breaks them (a Gather with no inputs, a LinearRegressor fed
a scalar) is ``invalid`` with a reason naming the input, judged once by the shape pass
before any shape function or rule runs, so none of them ever indexes past what it got.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from onnx import defs

from onnx_cost.analyzer.attrs import _schema
from onnx_cost.rules._contrib_schema import SCHEMAS as CONTRIB
from onnx_cost.rules._ranks import EVERY, MIN_RANKS
from onnx_cost.rules.node import TensorInfo

_SINGLE, _VARIADIC = defs.OpSchema.FormalParameterOption.Single, defs.OpSchema.FormalParameterOption.Variadic


@lru_cache(maxsize=4096)
def _arity(key: tuple[str, str], version: int) -> tuple[tuple[tuple[int, str], ...], int, int, int]:
    """(required (index, name) pairs, the variadic tail's index and least count (-1, 0: none),
    the most inputs) of an op at an opset."""
    schema = _schema(key[1], version, key[0])
    if schema is None:  # an op used below the opset that defines it: its latest schema's signature
        schema = _schema(key[1], 2**31 - 1, key[0])
    if schema is None:
        contrib = CONTRIB.get(key)
        if contrib is None or not contrib.inputs:
            return (), -1, 0, 2**31
        return ((0, contrib.inputs[0]),), -1, 0, 2**31
    required, tail, least = [], -1, 0
    for i, f in enumerate(schema.inputs):
        if f.option == _SINGLE:
            required.append((i, f.name))
        elif f.option == _VARIADIC:
            tail, least = i, f.min_arity
    return tuple(required), tail, least, schema.max_input


def violation(
    key: tuple[str, str], version: int, names: Sequence[str], ins: Sequence[TensorInfo | None]
) -> str:
    """"" or why the node's inputs break its op's signature. ``key``: (normalized domain,
    op_type); ``names``: the node's input names ("" for an absent optional one); ``ins``:
    their infos (None when unknown)."""
    required, tail, least, most = _arity(key, version)
    op = f"{key[0]}::{key[1]}" if key[0] else key[1]
    at = f" (opset {version})" if key[0] in ("", "ai.onnx.ml") else ""
    n = len(names)
    for i, name in required:
        if i >= n:  # an empty name is onnx's "absent": exporters write it for Resize-11's roi
            return f"{op}{at} needs input {i} '{name}', which the node does not give ({n} input(s))"
    if tail >= 0 and n - tail < least:
        return f"{op}{at} needs at least {least} input(s) from position {tail}, the node gives {max(n - tail, 0)}"
    if n > most:
        return f"{op}{at} takes at most {most} input(s), the node gives {n}"
    ranks = MIN_RANKS.get(key)
    if ranks:
        for i, rank in ranks:
            for k in range(n) if i == EVERY else (i,):
                t = ins[k] if k < len(ins) else None
                if t is not None and t.shape is not None and len(t.shape) < rank:
                    return (f"input {k} of {op} has rank {len(t.shape)} (shape {list(t.shape)}); "
                            f"it needs rank {rank} or more")
    return ""
