"""TypeProto <-> TensorInfo (analyzer/infos.py): the fast TensorInfo constructor builds
what the dataclass builds, and declared dims stay untrusted."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from onnx import TensorProto, helper

from onnx_cost.analyzer.infos import TypeCache, new_info, sane_dims, type_fields
from onnx_cost.rules.node import TensorInfo


@pytest.mark.parametrize("args", [
    ("x",  None),
    ("x", (1, "batch", None), "float16", 16),
    ("c", (2,), "int64", 64, np.array([3, 4]), True),
])
def test_new_info_is_the_dataclass(args: tuple) -> None:
    a, b = new_info(*args), TensorInfo(*args)
    assert type(a) is TensorInfo
    assert (a.name, a.shape, a.dtype, a.bits, a.static) == (b.name, b.shape, b.dtype, b.bits, b.static)
    assert a.value is b.value
    if b.value is None:
        assert a == b and hash(a) == hash(b)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.name = "y"  # type: ignore[misc]


def test_new_info_is_the_fast_path() -> None:
    # TensorInfo's fields changed: infos._info_factory falls back to the (slower) class; update it
    assert new_info is not TensorInfo


@pytest.mark.parametrize("dims, want", [
    ((2, 3), (2, 3)),
    ((), ()),
    ((-1, 3), (None, 3)),
    (("n", None, 4), ("n", None, 4)),
    ((2**30, 2**30), (None, None)),  # 2^60 > 2^48 elements: all unknown
    ((2**30, -1, 2**30), (None, None, None)),
])
def test_sane_dims(dims: tuple, want: tuple) -> None:
    assert sane_dims(dims) == want


def test_type_cache_decodes_once_per_type() -> None:
    tp = helper.make_tensor_type_proto(TensorProto.FLOAT, ["batch", 3, None])
    cache = TypeCache()
    assert cache.fields(tp) == type_fields(tp) == (("batch", 3, None), "float32", 32)
    assert cache.fields(helper.make_tensor_type_proto(TensorProto.FLOAT, ["batch", 3, None])) is cache.fields(tp)
