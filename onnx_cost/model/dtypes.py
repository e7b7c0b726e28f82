"""ONNX element types as (name, storage bits): the one byte-size table."""

from __future__ import annotations

import numpy as np

from onnx_cost.rules.node import is_float_dtype

# elem_type -> (name, bits per element as stored). Sub-byte types pack.
DTYPES: dict[int, tuple[str, int]] = {
    1: ("float32", 32),
    2: ("uint8", 8),
    3: ("int8", 8),
    4: ("uint16", 16),
    5: ("int16", 16),
    6: ("int32", 32),
    7: ("int64", 64),
    8: ("string", 0),  # variable length: bytes unknown
    9: ("bool", 8),
    10: ("float16", 16),
    11: ("float64", 64),
    12: ("uint32", 32),
    13: ("uint64", 64),
    14: ("complex64", 64),
    15: ("complex128", 128),
    16: ("bfloat16", 16),
    17: ("float8e4m3fn", 8),
    18: ("float8e4m3fnuz", 8),
    19: ("float8e5m2", 8),
    20: ("float8e5m2fnuz", 8),
    21: ("uint4", 4),
    22: ("int4", 4),
    23: ("float4e2m1", 4),
    24: ("float8e8m0", 8),
    25: ("uint2", 2),
    26: ("int2", 2),
    27: ("float6e2m3", 6),
    28: ("float6e3m2", 6),
}

# numpy types of the element types whose small values the analyzer computes (Cast, CastLike)
NUMPY_TYPES: dict[str, type] = {
    "float32": np.float32, "float64": np.float64, "float16": np.float16, "int8": np.int8, "uint8": np.uint8,
    "int16": np.int16, "uint16": np.uint16, "int32": np.int32, "uint32": np.uint32, "int64": np.int64,
    "uint64": np.uint64, "bool": np.bool_,
}  # fmt: skip

# Integer types that hold quantized weights: their initializers count as params.
QUANT_INT = frozenset({"int8", "uint8", "int4", "uint4", "int2", "uint2", "int16", "uint16", "int32"})


def dtype_of(elem_type: int) -> tuple[str, int]:
    """(name, bits) of an ONNX element type; ("", 0) when unknown."""
    return DTYPES.get(elem_type, ("", 0))


def is_param_dtype(name: str) -> bool:
    """Weights are float or quantized-integer tensors; int64/bool are shapes, axes, masks."""
    return is_float_dtype(name) or name in QUANT_INT
