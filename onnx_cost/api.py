"""The public library functions: ``analyze``, ``sweep`` and ``formula``.

Nothing heavy is imported at module level (the CLI's ``--help`` imports this
package); onnx and the analyzer load on the first call.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import BindingError, NotOnnxError

if TYPE_CHECKING:
    from typing import TypeAlias

    import onnx

    from .analyzer.report import Report
    from .analyzer.scaling import Formula, SweepRow

    # What ``model`` may be; a shape as a sequence or as text ("1x3x224x224"); rule files.
    ModelSource: TypeAlias = "str | os.PathLike[str] | bytes | onnx.ModelProto | Loaded"
    Shape: TypeAlias = str | Sequence[int | str]
    RuleFiles: TypeAlias = str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None


def parse_shape(text: str) -> tuple[int | str, ...]:
    """A shape as the user writes it: ``1x3x224x224``, ``1,128`` and ``[1, 128]`` are the
    same; a dim that is not a number stays symbolic (``batch,128``)."""
    body = text.strip()
    if body.startswith("[") and body.endswith("]"):
        body = body[1:-1]
    dims: list[int | str] = []
    for part in body.replace(",", "x").split("x") if body else []:
        part = part.strip()
        if not part:
            raise BindingError(f"empty dim in shape '{text}'")
        if part.lstrip("-").isdigit():
            v = int(part)
            if v < 0:
                raise BindingError(f"negative dim {v} in shape '{text}'")
            dims.append(v)
        else:
            dims.append(part)
    return tuple(dims)


@dataclass
class Loaded:
    """A model parsed once: the proto and the file it came from (None in memory)."""

    proto: onnx.ModelProto
    path: str | None


def load(model: ModelSource) -> Loaded:
    """Parse ``model`` (a path, ``bytes`` of a .onnx file or a ModelProto) without its
    external weight data. Bad input raises an OnnxCostError saying what is wrong."""
    import onnx

    if isinstance(model, Loaded):
        return model
    if isinstance(model, onnx.ModelProto):
        return Loaded(model, None)
    if isinstance(model, (bytes, bytearray, memoryview)):
        return Loaded(_from_bytes(bytes(model)), None)
    if isinstance(model, (str, os.PathLike)):
        from .analyzer.load import load_model

        return Loaded(load_model(model), os.fspath(model))
    raise TypeError(f"model must be a path, bytes or an onnx.ModelProto, not {type(model).__name__}")


def _from_bytes(data: bytes) -> onnx.ModelProto:
    import onnx

    from .analyzer.load import check_model_proto, describe

    what = describe(data[:64], None, text=False)
    if what is not None:
        raise NotOnnxError(f"<bytes>: not an ONNX model: looks like {what}")
    try:
        proto = onnx.ModelProto.FromString(data)
    except Exception:  # the parser's own message names protobuf internals, not the input
        raise NotOnnxError("<bytes>: not a valid ONNX protobuf (corrupt or not ONNX)") from None
    check_model_proto(proto, "<bytes>")
    return proto


def _prepare(model: ModelSource, rules: RuleFiles) -> Loaded:
    from .plugins import load_entry_points, load_rule_file

    load_entry_points()
    if isinstance(rules, (str, os.PathLike)):
        rules = [rules]
    for f in rules or ():
        load_rule_file(f)
    return load(model)


def _shapes(inputs: Mapping[str, Shape] | None) -> dict[str, tuple[int | str, ...]]:
    return {k: parse_shape(v) if isinstance(v, str) else tuple(v) for k, v in (inputs or {}).items()}


def analyze(
    model: ModelSource,
    *,
    inputs: Mapping[str, Shape] | None = None,
    dims: Mapping[str, int] | None = None,
    rules: RuleFiles = None,
) -> Report:
    """Count the FLOPs, MACs, params and memory bytes of an ONNX model, per node and in total.

    ``model``: a path (str or os.PathLike), the bytes of a .onnx file, or an
    ``onnx.ModelProto``. External weight data is never read.
    ``inputs``: graph input shapes by name, ``{"x": (1, 3, 224, 224)}`` or ``{"x": "1x3x224x224"}``.
    ``dims``: symbolic dims by name, bound everywhere in the graph, ``{"batch": 1}``.
    ``rules``: Python files registering extra counting rules (docs/plugins.md).

    Returns a ``Report``: ``.total``, ``.by_op_type``, ``.nodes``, ``.coverage``,
    ``.to_dict()``, ``.to_json()``. Raises an ``OnnxCostError`` subclass on bad input,
    ``BindingError`` for an input or dim name the model does not have.
    """
    from .analyzer import analyze as _analyze

    src = _prepare(model, rules)
    return _analyze(src.proto, inputs=_shapes(inputs), dims=dict(dims or {}), path=src.path)


def sweep(
    model: ModelSource,
    dim: str,
    values: Sequence[int],
    *,
    inputs: Mapping[str, Shape] | None = None,
    dims: Mapping[str, int] | None = None,
    rules: RuleFiles = None,
) -> list[SweepRow]:
    """The totals at each value of the symbolic dim ``dim`` (other dims from ``dims``),
    with the scaling exponent d log(FLOPs) / d log(dim) between consecutive values.
    The model is parsed once."""
    from .analyzer import analyze as _analyze
    from .analyzer.scaling import check_dims
    from .analyzer.scaling import sweep as _sweep

    src = _prepare(model, rules)
    shapes, base = _shapes(inputs), dict(dims or {})
    check_dims(src.proto, [dim], "--sweep")

    def at(point: Mapping[str, int]) -> Report:
        return _analyze(src.proto, inputs=shapes, dims={**base, **point}, path=src.path)

    return _sweep(at, dim, list(values), {})


def formula(
    model: ModelSource,
    over: Sequence[str] | None = None,
    *,
    inputs: Mapping[str, Shape] | None = None,
    dims: Mapping[str, int] | None = None,
    rules: RuleFiles = None,
) -> Formula:
    """The totals as exact polynomials in the symbolic dims ``over`` (default: every dim
    left free by ``inputs`` and ``dims``), recovered from a few analyses on integer
    points and checked off them. ``Formula.polys["flops"]`` etc.; ``verified`` is False
    when the totals are not polynomial (strided shapes give floors)."""
    from .analyzer import analyze as _analyze
    from .analyzer.scaling import check_dims, symbolic_dims
    from .analyzer.scaling import formula as _formula

    src = _prepare(model, rules)
    shapes, base = _shapes(inputs), dict(dims or {})
    if over is None:
        over = [d for d in symbolic_dims(src.proto, shapes) if d not in base]
        if not over:
            raise BindingError("every dim is bound: nothing symbolic to build a formula over")
    else:
        check_dims(src.proto, over, "formula")

    def at(point: Mapping[str, int]) -> Report:
        return _analyze(src.proto, inputs=shapes, dims={**base, **point}, path=src.path)

    return _formula(at, list(over))
