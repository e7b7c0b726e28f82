"""External data references: refuse the unsafe ones, report the broken ones.

onnx-cost never reads weight bytes (shapes come from ``dims``), so a
reference is only looked at, never opened: a ``location`` that is absolute or
leaves the model's folder (``..``, a symlink) is refused with an
ExternalDataError; a data file that is missing, not a regular file or shorter
than its tensors need is a warning in the report (the counts do not need it).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator
from itertools import chain, compress
from operator import attrgetter, itemgetter, or_
from pathlib import Path
from typing import TYPE_CHECKING

import onnx

from onnx_cost._numbers import count_value
from onnx_cost.errors import ExternalDataError, OutputError, printable
from onnx_cost.model.dtypes import dtype_of
from onnx_cost.output import same_file

if TYPE_CHECKING:
    import numpy as np

    from onnx_cost.analyzer import Prepared

_GRAPH = onnx.AttributeProto.GRAPH
_GRAPHS = onnx.AttributeProto.GRAPHS
_EXTERNAL = onnx.TensorProto.EXTERNAL
_ATTRIBUTE, _LOCATION, _ENTRIES = attrgetter("attribute"), attrgetter("data_location"), attrgetter("external_data")
_ALL = itemgetter(slice(None))  # a repeated field as a list: protobuf containers iterate through IndexError
_DRIVE = re.compile(r"^[A-Za-z]:")


def all_tensors(model: onnx.ModelProto, external_only: bool = False) -> Iterator[onnx.TensorProto]:
    """Every TensorProto of the model that can hold data: initializers, sparse
    initializers, tensor attributes, in every (sub)graph and function. Iterative:
    no recursion however deep the subgraphs nest. ``external_only``: initializers
    that keep their data inline are skipped (the rest still needs _is_external)."""
    graphs: list[onnx.GraphProto] = [model.graph]
    node_lists = [f.node for f in model.functions]
    while graphs or node_lists:
        if graphs:
            g = graphs.pop()
            yield from _external(g.initializer) if external_only else g.initializer
            for s in g.sparse_initializer:
                yield s.values
                yield s.indices
            node_lists.append(g.node)
            continue
        for a in chain.from_iterable(map(_ALL, map(_ATTRIBUTE, node_lists.pop()))):  # in C: most nodes have none
            if a.HasField("t"):
                yield a.t
            yield from a.tensors
            if a.HasField("sparse_tensor"):
                yield a.sparse_tensor.values
                yield a.sparse_tensor.indices
            for s in a.sparse_tensors:
                yield s.values
                yield s.indices
            if a.type == _GRAPH or a.HasField("g"):
                graphs.append(a.g)
            graphs.extend(a.graphs)


def _external(ts: Iterable[onnx.TensorProto]) -> Iterator[onnx.TensorProto]:
    """The tensors of a repeated field that _is_external, selected in C."""
    flags = map(or_, map(_EXTERNAL.__eq__, map(_LOCATION, ts)), map(len, map(_ENTRIES, ts)))
    return compress(ts, flags)


def _is_external(t: onnx.TensorProto) -> bool:
    return t.data_location == onnx.TensorProto.EXTERNAL or len(t.external_data) > 0


def _unsafe(location: str) -> str:
    """Why ``location`` may not be followed, or '' when it stays relative and inside."""
    if "\x00" in location:
        return "contains a NUL byte"
    if location.startswith(("/", "\\")) or _DRIVE.match(location) or os.path.isabs(location):
        return "is an absolute path"
    if ".." in re.split(r"[\\/]+", location):
        return "leaves the model's folder with '..'"
    return ""


def _expected_bytes(t: onnx.TensorProto) -> int | None:
    """Bytes the tensor's data takes, from dims and element type; None when unknowable."""
    _name, bits = dtype_of(t.data_type)
    if not bits or any(d < 0 for d in t.dims):
        return None
    n = 1
    for d in t.dims:
        n *= d
    return (n * bits + 7) // 8


def _int(entries: dict[str, str], key: str) -> int | str | None:
    """An integer entry; None when absent; the raw text when it is not a non-negative int
    below 2^63 (a file offset; '²' and 5,000 digits are text too)."""
    v = entries.get(key)
    if v is None:
        return None
    try:
        return count_value(v)
    except ValueError:
        return v


def check_external_data(model: onnx.ModelProto, base_dir: str | os.PathLike[str] | None) -> list[str]:
    """Check every external data reference of ``model`` without opening any file.

    ``base_dir`` is the model's folder (None for an in-memory model: only the
    locations' form is checked). Raises ExternalDataError for a location that is
    absolute or escapes ``base_dir`` (``..``, a symlink); returns warnings for
    references that are broken but harmless to the counts (no location, missing
    or short data file, bad offset/length), one per data file.
    """
    roots = _allowed_roots(base_dir) if base_dir is not None else []
    problems: dict[str, list[str]] = {}  # warning head -> tensor names
    stats: dict[str, os.stat_result | None] = {}
    resolved: dict[str, tuple[str, str]] = {}  # location -> (why it is unsafe or "", its real path)
    for t in all_tensors(model, external_only=True):
        if not _is_external(t):
            continue
        entries = {e.key: e.value for e in t.external_data[:]}
        name = f"'{t.name}'" if t.name else "<unnamed>"
        location = entries.get("location", "")
        if not location:
            problems.setdefault("external data without a location", []).append(name)
            continue
        hit = resolved.get(location)
        if hit is None:  # once per data file: every tensor of a model names the same one or few
            hit = resolved[location] = _resolve(location, base_dir, roots)
        why, real = hit
        if why:
            raise ExternalDataError(
                f"tensor {name}: external data location '{location[:200]}' {why}; refused "
                "(locations must be relative paths inside the model's folder)"
            )
        offset, length = _int(entries, "offset"), _int(entries, "length")
        if isinstance(offset, str) or isinstance(length, str):
            problems.setdefault(f"'{location}': offset/length not a non-negative integer below 2^63", []).append(name)
            continue
        if base_dir is None:
            continue
        if real not in stats:
            try:
                stats[real] = os.stat(real)
            except (OSError, ValueError):
                stats[real] = None
        st = stats[real]
        if st is None:
            problems.setdefault(f"external data file '{location}' is missing", []).append(name)
            continue
        if not stat.S_ISREG(st.st_mode):
            problems.setdefault(f"external data '{location}' is not a regular file", []).append(name)
            continue
        need = length if length is not None else _expected_bytes(t)
        start = offset or 0
        if need is not None and start + need > st.st_size:
            problems.setdefault(
                f"external data file '{location}' ({st.st_size} bytes) is shorter than its tensors need", []
            ).append(f"{name} [{start}, {start + need})")
    return [_warning(head, names) for head, names in problems.items()]


def _resolve(location: str, base_dir: str | os.PathLike[str] | None, roots: list[str]) -> tuple[str, str]:
    """(why ``location`` may not be followed or "", the real path it names; "" in memory)."""
    why = _unsafe(location)
    real = ""
    if not why and base_dir is not None:
        real = os.path.realpath(os.path.join(base_dir, location))
        if not any(os.path.commonpath([real, r]) == r for r in roots):
            why = "resolves (through a symlink) outside the model's folder"
    return why, real


def _warning(head: str, names: list[str]) -> str:
    shown = ", ".join(names[:3])
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    plural = "tensor" if len(names) == 1 else "tensors"
    return printable(f"{head} ({len(names)} {plural}: {shown}{more}); weights are not needed for the counts")


def _allowed_roots(base_dir: str | os.PathLike[str]) -> list[str]:
    """Folders a location may resolve into: the model's folder and, for a model in a
    Hugging Face hub cache (``<repo>/snapshots/<rev>/...``, every file a symlink
    into ``<repo>/blobs``), that repository's blobs folder."""
    base = Path(os.path.abspath(base_dir))
    roots = [os.path.realpath(base)]
    for parent in (base, *base.parents):
        if parent.parent.name == "snapshots" and (parent.parent.parent / "blobs").is_dir():
            roots.append(os.path.realpath(parent.parent.parent / "blobs"))
            break
    return roots


def model_dir(path: str | os.PathLike[str]) -> Path:
    """The folder external data locations are relative to: the folder of the path as
    given (as onnx resolves them), symlinks in it not followed."""
    return Path(os.path.abspath(path)).parent


_SMALL_INT = {6: "<i4", 7: "<i8", 2: "u1", 3: "i1", 5: "<i2", 4: "<u2", 12: "<u4", 13: "<u8", 9: "?"}


def read_small_int(t: onnx.TensorProto, base_dir: str | os.PathLike[str] | None, limit: int) -> np.ndarray | None:
    """The value of a small integer tensor stored externally (a Reshape target, axes),
    or None. Shapes need these few bytes; weights (float or larger) are never read.
    The location must be safe (relative, inside the model's folder) and the bytes all there."""
    import numpy as np

    if base_dir is None or not _is_external(t) or t.data_type not in _SMALL_INT:
        return None
    n = 1
    for d in t.dims:
        n *= d
    if n > limit:
        return None
    entries = {e.key: e.value for e in t.external_data}
    location = entries.get("location", "")
    if not location or _unsafe(location):
        return None
    real = os.path.realpath(os.path.join(base_dir, location))
    if not any(os.path.commonpath([real, r]) == r for r in _allowed_roots(base_dir)):
        return None
    offset = _int(entries, "offset")
    dt = np.dtype(_SMALL_INT[t.data_type])
    need = n * dt.itemsize
    if isinstance(offset, str):
        return None
    try:
        if not stat.S_ISREG(os.stat(real).st_mode):
            return None
        with open(real, "rb") as f:
            f.seek(offset or 0)
            data = f.read(need)
    except OSError:
        return None
    if len(data) != need:
        return None
    return np.frombuffer(data, dtype=dt).reshape(tuple(t.dims)).copy()


def refuse_model_data(output: str | os.PathLike[str], model: Prepared, flag: str = "-o") -> None:
    """OutputError when ``-o`` (or ``flag``) names a file the model reads (its external data
    files); ``model`` is an ``analyzer.Prepared``. Checked after parsing, before any analysis.
    Here, not in output.py: it reads the model (the root helpers import nothing above them)."""
    if model.base_dir is None:
        return
    seen: set[str] = set()
    for t in all_tensors(model.proto):
        if t.data_location != 1:  # onnx.TensorProto.EXTERNAL
            continue
        location = next((e.value for e in t.external_data if e.key == "location"), "")
        if not location or location in seen:
            continue
        seen.add(location)
        if same_file(output, Path(model.base_dir) / location):
            raise OutputError(
                f"{flag} {output}: that is the model's external data file {location}; refused (nothing written)"
            )
