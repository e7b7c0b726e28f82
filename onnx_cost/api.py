"""The public library functions: ``analyze``, ``sweep`` and ``formula``.

Nothing heavy is imported at module level (the CLI's ``--help`` imports this
package); onnx and the analyzer load on the first call.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from numbers import Integral
from typing import TYPE_CHECKING, Any

from onnx_cost._numbers import count_value, shown
from onnx_cost.errors import BindingError, NotOnnxError
from onnx_cost.model import JSON_PARTS, REPORT_VIEWS

if TYPE_CHECKING:
    from typing import TypeAlias

    import onnx

    from onnx_cost.analyzer import Prepared
    from onnx_cost.model.report import Report
    from onnx_cost.symbolic.scaling import Formula, SweepRow
    from onnx_cost.views.hardware.devices import Device

    # What ``model`` may be; a shape as a sequence or as text ("1x3x224x224"); rule files.
    ModelSource: TypeAlias = "str | os.PathLike[str] | bytes | onnx.ModelProto | Prepared"
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
        if part.lstrip("-").isdigit():  # any script's digits: count_value takes ASCII ones only
            if part.startswith("-"):
                raise BindingError(f"negative dim {part} in shape '{text}'")
            try:
                dims.append(count_value(part))
            except ValueError as e:
                raise BindingError(f"dim '{shown(part)}' in shape '{shown(text, 80)}': {e}") from None
        else:
            dims.append(part)
    return tuple(dims)


def load(model: ModelSource) -> Prepared:
    """Parse and check ``model`` (a path, ``bytes`` of a .onnx file or a ModelProto)
    once, without its external weight data, for one or many analyses. Bad input raises
    an OnnxCostError saying what is wrong."""
    import onnx

    from onnx_cost.analyzer import Prepared, prepare

    if isinstance(model, Prepared):
        return model
    if isinstance(model, (bytes, bytearray, memoryview)):
        return prepare(_from_bytes(bytes(model)))
    if isinstance(model, (str, os.PathLike)) and os.path.isdir(model):
        _directory(os.fspath(model))
    if isinstance(model, (str, os.PathLike, onnx.ModelProto)):
        return prepare(model)
    raise TypeError(f"model must be a path, bytes or an onnx.ModelProto, not {type(model).__name__}")


def _directory(path: str) -> None:
    """A folder given as the model: say how many models it holds and how to run them all
    (a TensorFlow SavedModel folder is named as such by the loader)."""
    from pathlib import Path

    from onnx_cost.errors import ModelFileError

    p = Path(path)
    if (p / "saved_model.pb").exists() or (p / "saved_model.pbtxt").exists():
        return  # load_model says what it is
    count = 0
    for _ in zip(p.rglob("*.onnx"), range(100_000)):
        count += 1
    how = f"analyze them all with: onnx-cost batch {path}"  # the library never imports the CLI
    raise ModelFileError(f"{path}: is a directory holding {count} ONNX model(s) (*.onnx, subfolders included); {how}")


def _from_bytes(data: bytes) -> onnx.ModelProto:
    import onnx

    from onnx_cost.analyzer.load import check_model_proto, describe

    what = describe(data[:64], None, text=False)
    if what is not None:
        raise NotOnnxError(f"<bytes>: not an ONNX model: looks like {what}")
    try:
        proto = onnx.ModelProto.FromString(data)
    except Exception:  # the parser's own message names protobuf internals, not the input
        raise NotOnnxError("<bytes>: not a valid ONNX protobuf (corrupt or not ONNX)") from None
    check_model_proto(proto, "<bytes>")
    return proto


def _prepare(model: ModelSource, rules: RuleFiles) -> Prepared:
    from onnx_cost.analyzer.plugins import load_entry_points, load_rule_file

    load_entry_points()
    given: Any = rules  # checked here: callers may pass anything
    if isinstance(given, (str, os.PathLike)):
        given = [given]
    if given is not None and (not isinstance(given, Iterable) or isinstance(given, (bytes, Mapping))):
        raise TypeError(f"rules must be a path or a list of paths, not {type(given).__name__}")
    files: list[Any] = list(given or ())
    for f in files:
        if not isinstance(f, (str, os.PathLike)):
            raise TypeError(f"rules must hold paths (str or os.PathLike), not {type(f).__name__}")
    for f in files:
        load_rule_file(f)
    return load(model)


# The type checks of the public functions' arguments, at the boundary: a wrong type is a
# TypeError naming the argument, never an AttributeError from inside the package.


def _shapes(given: Mapping[str, Shape] | None) -> dict[str, tuple[int | str, ...]]:
    inputs: Any = given  # checked here: callers may pass anything
    if inputs is None:
        return {}
    if not isinstance(inputs, Mapping):
        raise TypeError(f"inputs must be a mapping of input name to shape, not {type(inputs).__name__}")
    out: dict[str, tuple[int | str, ...]] = {}
    for k, v in inputs.items():
        if not isinstance(k, str):
            raise TypeError(f"inputs: an input name must be a str, not {type(k).__name__}")
        if isinstance(v, str):
            out[k] = parse_shape(v)
        elif isinstance(v, Sequence) and all(isinstance(d, (Integral, str)) and not isinstance(d, bool) for d in v):
            out[k] = tuple(d if isinstance(d, str) else int(d) for d in v)  # numpy ints too
        else:
            raise TypeError(f"inputs[{k!r}] must be a shape (a sequence of ints and dim names, or '1x3x224x224'),"
                            f" not {type(v).__name__}")
    return out


def _dims(dims: Mapping[str, int] | None) -> dict[str, int]:
    if dims is None:
        return {}
    if not isinstance(dims, Mapping):
        raise TypeError(f"dims must be a mapping of dim name to int, not {type(dims).__name__}")
    out: dict[str, int] = {}
    for k, v in dims.items():
        if not isinstance(k, str):
            raise TypeError(f"dims: a dim name must be a str, not {type(k).__name__}")
        if not isinstance(v, Integral) or isinstance(v, bool):
            raise TypeError(f"dims[{k!r}] must be an int, not {type(v).__name__}")
        out[k] = int(v)  # numpy ints too
    return out


def _names(given: Sequence[str] | str, what: str) -> list[str]:
    over: Any = given  # checked here: callers may pass anything
    if isinstance(over, str):
        return [over]
    if not isinstance(over, Iterable) or isinstance(over, Mapping):
        raise TypeError(f"{what} must be a dim name or a sequence of them, not {type(over).__name__}")
    names: list[Any] = list(over)
    bad = next((n for n in names if not isinstance(n, str)), None)
    if bad is not None:
        raise TypeError(f"{what} must hold dim names (str), not {type(bad).__name__}")
    return names


def analyze(
    model: ModelSource,
    *,
    inputs: Mapping[str, Shape] | None = None,
    dims: Mapping[str, int] | None = None,
    rules: RuleFiles = None,
    bind: str = "default",
    values: Mapping[str, object] | None = None,
    branches: Mapping[str, str] | None = None,
    device: str | Device | None = None,
    tf32: bool = False,
    convention: str | None = None,
) -> Report:
    """Count the FLOPs, MACs, params and memory bytes of an ONNX model, per node and in total.

    ``model``: a path (str or os.PathLike), the bytes of a .onnx file, or an
    ``onnx.ModelProto``. External weight data is never read.
    ``inputs``: graph input shapes by name, ``{"x": (1, 3, 224, 224)}`` or ``{"x": "1x3x224x224"}``.
    ``dims``: symbolic dims by name, bound everywhere in the graph, ``{"batch": 1}``.
    ``rules``: Python files registering extra counting rules (docs/plugins.md).
    ``bind``: ``"default"`` (as the command line): a free dim that has a default value (a
    dim that names a batch is 1) is counted at it, and ``report.dynamic`` says which; the
    dims left free with no default make the counts exact polynomials (``report.symbolic``
    names those dims): then ``report.total`` and ``report.by_op_type`` are the numbers of
    ``to_dict()`` and ``--json``: a count that depends on a symbolic dim is None (the
    JSON's null), the others are numbers; ``report.total_formula["macs"]`` is the
    polynomial over every free dim (the JSON's ``total_formula``), and
    ``report.dynamic.at_defaults(...)`` evaluates it at the default binding (``64·seq``).
    ``report.nodes`` (and ``report.group(...)`` over them) are the records at the default
    binding (a node that needs a symbolic dim is ``shape_unknown`` there). Knowing which
    counts depend on a symbolic dim takes the polynomials: such a model costs a few
    analyses, not one. ``"none"``: count exactly what ``inputs`` and
    ``dims`` bind.
    ``values``: the values of small inputs, ``{"sr": 16000}`` (an If on them is decided).
    ``branches``: the branch an If on runtime data takes, ``{"/If_0": "then"}``.
    ``device``: a preset name (``onnx-cost devices``), a device file or ``"local"``, or a
    ``Device``: adds ``report.views["hardware"]`` (roofline, latency floor and prediction,
    footprint; ``views.hardware.data`` is the JSON's), as ``--device`` does; ``tf32``: fp32
    contractions at the TF32 peak. ``convention``: another tool's way of counting
    (``onnx-cost conventions``): adds ``report.views["convention:NAME"]``, as
    ``--convention NAME`` does. Both need numbers: with a dim left symbolic they raise
    ``BindingError`` naming the dim to bind.

    Returns a ``Report``: ``.total``, ``.by_op_type``, ``.nodes``, ``.coverage``,
    ``.to_dict()``, ``.to_json()`` (the same JSON as ``onnx-cost --json``). Raises an
    ``OnnxCostError`` subclass on bad input, ``BindingError`` for an input or dim name the
    model does not have.
    """
    from onnx_cost.symbolic.dynamic import analyze_bound
    from onnx_cost.symbolic.symtotals import library_totals

    src = _prepare(model, rules)
    report = library_totals(analyze_bound(src, _shapes(inputs), _dims(dims), bind=bind, values=values,
                                          branches=branches))
    return _with_views(report, src, device, tf32, convention)


def _with_views(report: Report, src: Prepared, device: str | Device | None, tf32: bool,
                convention: str | None) -> Report:
    """``report`` with the views asked for (the same builders as the command line's)."""
    peer = convention not in (None, "exact")
    if device is None and not peer:
        if tf32:
            raise BindingError("tf32 needs a device")
        return report
    if report.symbolic:
        from onnx_cost.symbolic.dynamic import needs_numbers

        raise BindingError(needs_numbers("device=" if device is not None else f"convention={convention!r}",
                                         list(report.symbolic)))
    if device is not None:
        from onnx_cost.views.hardware.attach import with_hardware
        from onnx_cost.views.hardware.devices import load_device

        dev = load_device(device) if isinstance(device, str) else device
        report = with_hardware(report, dev, tf32=tf32)
    if peer:
        from onnx_cost.views.conventions import apply, get
        from onnx_cost.views.conventions.modes import string_attrs
        from onnx_cost.views.conventions.views import register

        assert convention is not None
        try:
            get(convention)
        except ValueError as e:
            raise BindingError(f"convention: {e}") from None
        report = register(report, apply(report, convention, string_attrs(src.proto)))
    return report


def sweep(
    model: ModelSource,
    dim: str,
    values: Sequence[int],
    *,
    inputs: Mapping[str, Shape] | None = None,
    dims: Mapping[str, int] | None = None,
    rules: RuleFiles = None,
    input_values: Mapping[str, object] | None = None,
    branches: Mapping[str, str] | None = None,
) -> list[SweepRow]:
    """The totals at each value of the symbolic dim ``dim`` (other dims from ``dims``,
    then their default binding, as ``analyze`` counts them), with the scaling exponent
    d log(FLOPs) / d log(dim) between consecutive values. The model is parsed once.
    ``input_values`` and ``branches``: as ``analyze``'s ``values`` and ``branches``
    (``values`` here are the dim's)."""
    from onnx_cost.symbolic.dynamic import analyze_bound
    from onnx_cost.symbolic.scaling import check_dims
    from onnx_cost.symbolic.scaling import sweep as _sweep

    given: Any = values  # checked here: callers may pass anything
    if not isinstance(dim, str):
        raise TypeError(f"dim must be a dim name (str), not {type(dim).__name__}")
    if not isinstance(given, Iterable) or isinstance(given, (str, Mapping)):
        raise TypeError(f"values must be a sequence of ints, not {type(given).__name__}")
    items: list[Any] = list(given)
    bad = next((v for v in items if not isinstance(v, Integral) or isinstance(v, bool)), None)
    if bad is not None:
        raise TypeError(f"values must hold ints, not {type(bad).__name__}")
    values = [int(v) for v in items]
    src = _prepare(model, rules)
    shapes, base = _shapes(inputs), _dims(dims)
    check_dims(src.proto, [dim], "--sweep")
    check_sweep_binding(src, dim, shapes, base, input_values)

    def at(point: Mapping[str, int]) -> Report:
        return analyze_bound(src, shapes, {**base, **point}, values=input_values, branches=branches)

    return _sweep(at, dim, list(values), {})


def check_sweep_binding(src: Prepared, dim: str, inputs: Mapping[str, Sequence[int | str]],
                        dims: Mapping[str, int], values: Mapping[str, object] | None = None) -> None:
    """A sweep's rows are numbers: every free dim but the swept one needs a value (given or
    its default binding). Raises BindingError naming the others."""
    from onnx_cost.symbolic.dynamic import left_symbolic, needs_numbers

    bound = dict(dims)
    if values:
        from onnx_cost.analyzer.bindings import value_dims

        bound = {**value_dims(src.proto.graph, values), **bound}
    left = [d for d in left_symbolic(src, inputs, {**bound, dim: 1}) if d != dim]
    if left:
        raise BindingError(needs_numbers(f"--sweep {dim}", left))


def formula(
    model: ModelSource,
    over: Sequence[str] | None = None,
    *,
    inputs: Mapping[str, Shape] | None = None,
    dims: Mapping[str, int] | None = None,
    rules: RuleFiles = None,
    values: Mapping[str, object] | None = None,
    branches: Mapping[str, str] | None = None,
) -> Formula:
    """The totals as exact polynomials in the symbolic dims ``over`` (default: every dim
    left free by ``inputs`` and ``dims``), recovered from a few analyses on integer
    points and checked off them. ``Formula.polys["flops"]`` etc.; ``verified`` is False
    when the totals are not polynomial (strided shapes give floors). ``values`` and
    ``branches``: as ``analyze`` takes them."""
    from onnx_cost.analyzer import analyze as _analyze
    from onnx_cost.symbolic.scaling import check_dims, symbolic_dims
    from onnx_cost.symbolic.scaling import formula as _formula

    if over is not None:
        over = _names(over, "over")
    src = _prepare(model, rules)
    shapes, base = _shapes(inputs), _dims(dims)
    if over is None:
        over = [d for d in symbolic_dims(src.proto, shapes) if d not in base]
        if not over:
            raise BindingError("every dim is bound: nothing symbolic to build a formula over")
    else:
        check_dims(src.proto, over, "formula")

    def at(point: Mapping[str, int]) -> Report:
        return _analyze(src, inputs=shapes, dims={**base, **point}, values=values, branches=branches)

    from onnx_cost.symbolic.dynamic import piecewise_check

    return piecewise_check(
        _formula(at, list(over)), lambda: _analyze(src, inputs=shapes, dims=base, values=values, branches=branches)
    )


def _qdq_view(report: Report) -> Report:
    """The QDQ fused view (views/qdq.py), which every analysis attaches: registered here, in
    the layer that sees both the analyzer and the views, and imported with the first analysis."""
    from onnx_cost.views.qdq import attach

    return attach(report)


REPORT_VIEWS.append(_qdq_view)


def _conventions_json(report: Report, d: dict[str, Any]) -> None:
    """``convention`` and ``conventions`` of ``Report.to_dict()``, as ``--json`` writes them:
    the exact profile's result (none with symbolic dims: its numbers are per node), or the
    convention view ``analyze(..., convention=)`` attached."""
    from onnx_cost.views.conventions import exact_result
    from onnx_cost.views.conventions.views import PREFIX

    named = [k for k in report.views if k.startswith(PREFIX)]
    if named:
        d["convention"] = named[0][len(PREFIX):]
        d["conventions"] = [report.views[k].data for k in named]
        return
    d["convention"] = "exact"
    d["conventions"] = [] if report.symbolic else [exact_result(report).as_dict()]


JSON_PARTS.append(_conventions_json)

