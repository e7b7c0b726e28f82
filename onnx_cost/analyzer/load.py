"""Load a model file without its weights, and say clearly what is wrong with bad input.

Every failure here is a typed OnnxCostError with a one-line message naming the
file and what it looks like; nothing is allocated by the file's claims (dims,
lengths) and nothing but the model file itself is opened.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
import zipfile
from collections.abc import Iterable
from math import prod
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any

import onnx

from onnx_cost.analyzer.external import check_external_data, model_dir
from onnx_cost.analyzer.structure import check_initializers, check_text, clean
from onnx_cost.errors import InvalidGraphError, ModelFileError, NotOnnxError, ResourceLimitError

# protobuf refuses messages past 2 GiB: a bigger .onnx file cannot be a model
# (big models keep their weights in external data files).
MAX_PROTO_BYTES = 2**31 - 1
# Subgraphs (If/Loop/Scan bodies) nested deeper than this are refused: the analysis
# recurses per level. It is the protobuf parser's own limit (100 messages: 31 levels
# of If in If), so no file that parses is refused; an in-memory model deeper than
# this could not be saved and re-read, nor inlined by onnx.
MAX_GRAPH_DEPTH = 31
# Nodes in all graphs once model-local functions are inlined (a function calling
# another twice, 30 levels deep, is a billion nodes from a 5 KB file).
# ~1.7 KB and ~0.15 ms per node: 4 M nodes is ~7 GB and ~10 minutes.
MAX_NODES = int(os.environ.get("ONNX_COST_MAX_NODES", 4_000_000))
# A tensor declaring more elements than this is absurd (2^48 floats are a petabyte):
# its dims are treated as unknown, with a warning.
MAX_NUMEL = 2**48

_HEAD = 64

# Magic prefixes of files people mistake for ONNX models, checked before parsing. None
# of them starts a ModelProto a serializer writes (whose first byte is the tag of
# ir_version, 0x08, or of another field up to opset_import). Text is recognized only
# once the parser has refused the file.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a zip archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"RIFF", "a RIFF file (WebP image or WAV audio)"),
    (b"\x89HDF", "an HDF5 file (a Keras .h5 model?)"),
    (b"\x80\x02", "a Python pickle (a legacy PyTorch .pt/.pth checkpoint?)"),
    (b"\x80\x03", "a Python pickle (a legacy PyTorch .pt/.pth checkpoint?)"),
    (b"\x80\x04", "a Python pickle (a PyTorch or scikit-learn checkpoint?)"),
    (b"\x80\x05", "a Python pickle (a PyTorch or scikit-learn checkpoint?)"),
    (b"\x93NUMPY", "a NumPy .npy array"),
    (b"GGUF", "a GGUF model (llama.cpp), not ONNX"),
    (b"\x1f\x8b", "a gzip file (decompress it first)"),
    (b"\xfd7zXZ", "an xz archive (decompress it first)"),
    (b"BZh", "a bzip2 archive (decompress it first)"),
    (b"(\xb5/\xfd", "a zstd archive (decompress it first)"),
    (b"7z\xbc\xaf", "a 7-zip archive"),
    (b"%PDF", "a PDF document"),
    (b"\x7fELF", "an executable"),
    (b"MZ", "a Windows executable"),
    (b"\xca\xfe\xba\xbe", "a Java class file or Mach-O binary"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O binary"),
)
# Flatbuffers carry a 4-byte file identifier at offset 4.
_FLATBUFFERS = ((b"TFL3", "a TensorFlow Lite model (.tflite)"), (b"ORTM", "an ONNX Runtime .ort model (flatbuffer), "
                                                                          "not an .onnx protobuf"))


def _zip_kind(p: Path) -> str:
    """Name a zip archive by what it holds."""
    try:
        with zipfile.ZipFile(p) as z:
            names = z.namelist()[:10_000]
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError):
        return "a zip archive"
    base = {n.rsplit("/", 1)[-1] for n in names}
    if "data.pkl" in base or "constants.pkl" in base:
        scripted = "constants.pkl" in base or any("/code/" in n for n in names)
        kind = "TorchScript module" if scripted else "PyTorch checkpoint"
        return f"a {kind} (.pt/.pth zip): export it with torch.onnx.export"
    if "config.json" in base and any(n.endswith(".h5") for n in base):
        return "a Keras .keras model (zip): convert it with tf2onnx"
    if names and all(n.endswith(".npy") for n in names):
        return "a NumPy .npz archive"
    onnx_inside = sorted(n for n in names if n.endswith(".onnx"))
    if onnx_inside:
        return f"a zip archive holding {onnx_inside[0]} (unzip it first)"
    return "a zip archive"


def _text_kind(head: bytes) -> str | None:
    """Name a text file, or None when ``head`` is not text."""
    for cut in range(4):  # a multibyte character may be split at the end of the head
        try:
            text = head[: len(head) - cut].decode("utf-8")
            break
        except UnicodeDecodeError:
            continue
    else:
        return None
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        text = text.lstrip("\ufeff")
    if not text or not all(c.isprintable() or c in "\t\r\n\f\v" for c in text):
        return None
    s = text.lstrip()
    low = s.lower()
    if s.startswith("version https://git-lfs"):
        return "a Git LFS pointer, not the model itself (run `git lfs pull`)"
    if low.startswith(("<!doctype html", "<html", "<head", "<?xml")):
        return "an HTML/XML page (a saved web page instead of the raw file?)"
    if s.startswith(("{", "[")):
        return "a JSON file"
    if s.startswith("<") or low.startswith(("ir_version", "graph", "opset_import", "producer")):
        return "ONNX text (parse it with onnx.parser.parse_model / onnx.load(..., format='textproto'))"
    return "a text file"


def describe(head: bytes, path: Path | None = None, text: bool = True) -> str | None:
    """Name what a non-ONNX file looks like, from its first bytes; None when it could
    be a protobuf. ``text=False``: binary formats only (before parsing)."""
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return _zip_kind(path) if magic == b"PK\x03\x04" and path is not None else what
    for ident, what in _FLATBUFFERS:
        if head[4:8] == ident:
            return what
    if len(head) >= 10 and head[8:10] == b'{"':
        return "a safetensors weights file"
    return _text_kind(head) if text else None


def check_path(path: str | os.PathLike[str]) -> Path:
    """The path as a regular, non-empty file, or a ModelFileError saying why not.
    Nothing but a regular file is ever opened (a FIFO would block)."""
    p = Path(path)
    try:
        st = p.stat()
    except (FileNotFoundError, NotADirectoryError):
        if p.is_symlink():
            raise ModelFileError(f"{p}: a broken symlink (its target does not exist)") from None
        raise ModelFileError(f"{p}: no such file") from None
    except PermissionError:
        raise ModelFileError(f"{p}: cannot read: permission denied") from None
    except (OSError, ValueError) as e:
        raise ModelFileError(f"{p}: cannot read: {getattr(e, 'strerror', None) or e}") from None
    if stat.S_ISDIR(st.st_mode):
        raise _directory_error(p)
    if not stat.S_ISREG(st.st_mode):
        raise ModelFileError(f"{p}: not a regular file (a device, FIFO or socket)")
    if st.st_size == 0:
        raise ModelFileError(f"{p}: empty file")
    return p


def _directory_error(p: Path) -> Exception:
    try:
        if (p / "saved_model.pb").exists() or (p / "saved_model.pbtxt").exists():
            return NotOnnxError(f"{p}: a TensorFlow SavedModel folder, not an ONNX file (convert it with tf2onnx)")
        inside = sorted(x.name for x, _ in zip(p.glob("*.onnx"), range(100)))
    except OSError:
        inside = []
    hint = f" (it holds {inside[0]}: pass that file)" if inside else ""
    return ModelFileError(f"{p}: is a directory, not an ONNX file{hint}")


def _read_head(p: Path) -> bytes:
    try:
        with p.open("rb") as f:
            return f.read(_HEAD)
    except OSError as e:
        raise ModelFileError(f"{p}: cannot read: {e.strerror or e}") from None


def load_model(path: str | os.PathLike[str], warnings: list[str] | None = None) -> onnx.ModelProto:
    """Parse the model, leaving external weight data on disk (we need shapes, not weights).

    Unsafe external data locations raise ExternalDataError; broken but harmless
    references, and absurd declared dims, are appended to ``warnings`` when given.
    """
    p = check_path(path)
    head = _read_head(p)
    what = describe(head, p, text=False)
    if what is not None:
        raise NotOnnxError(f"{p}: not an ONNX model: looks like {what}")
    size = p.stat().st_size
    if size > MAX_PROTO_BYTES:
        raise NotOnnxError(
            f"{p}: {size} bytes, past protobuf's 2 GiB limit: not a loadable ONNX file "
            "(big models keep their weights in external data files)"
        )
    if size >= _WARM_BYTES:
        _warm_schemas()
    try:
        model = onnx.load(str(p), format="protobuf", load_external_data=False)
    except RecursionError:
        raise ResourceLimitError(f"{p}: nests messages too deeply to parse") from None
    except MemoryError:
        raise ResourceLimitError(f"{p}: out of memory while parsing") from None
    except Exception as e:  # the parser rejects it: say where, if we can
        if "MaxDepth" in str(e):
            raise ResourceLimitError(
                f"{p}: messages nest deeper than the protobuf parser allows "
                "(about 31 levels of subgraphs); refused"
            ) from None
        text = _text_kind(head)
        if text:
            raise NotOnnxError(f"{p}: not an ONNX model: looks like {text}") from None
        raise NotOnnxError(f"{p}: {_parse_failure(p, e)}") from None
    try:
        check_model_proto(model, str(p))
    except NotOnnxError:
        text = _text_kind(head)
        if text:
            raise NotOnnxError(f"{p}: not an ONNX model: looks like {text}") from None
        raise
    found = model_warnings(model, model_dir(p))
    if warnings is not None:
        warnings.extend(found)
    return model


_WARM_BYTES = 4 << 20  # a file whose read takes a millisecond or more
_WARMING: list[threading.Thread] = []  # the one warming thread of the process, once started


def _warm_schemas() -> None:
    """Build onnx's operator schema registry in a thread while this one reads the file.

    The first schema lookup of a process builds the whole registry (about 12 ms here, in
    the shape pass's first node); the file's read releases the GIL, so the two overlap.
    Once per process; a later lookup waits for it as it would have for its own build."""
    if _WARMING:
        return
    t = threading.Thread(target=_first_schema, name="onnx-cost-schemas")
    _WARMING.append(t)
    t.start()


def _first_schema() -> None:
    with contextlib.suppress(Exception):  # a warm-up only: the shape pass looks its schemas up itself
        onnx.defs.get_schema("Relu", 14)  # any op: the first lookup builds them all


def _settle() -> None:
    """Wait for the warming thread: a fork in the middle of the registry's build (the lookup
    releases the GIL) would leave the child a half-built registry whose lock nobody holds."""
    for t in _WARMING:
        t.join()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_settle)  # the hint child (onnx_infer.py), a batch pool's workers


def model_warnings(model: onnx.ModelProto, base_dir: str | os.PathLike[str] | None) -> list[str]:
    """Refuse unsafe external data (ExternalDataError); return the warnings about broken
    external data and absurd declared dims. ``base_dir``: the model's folder, None in memory."""
    return check_external_data(model, base_dir) + declared_shape_warnings(model)


def _parse_failure(p: Path, e: BaseException) -> str:
    """Why the parser refused the file, as precisely as the bytes tell."""
    try:
        where = _scan(p)
        if not where and p.stat().st_size <= _GUESS_BYTES:
            what = _what_protobuf(p.read_bytes())
            if what:
                return f"a valid protobuf but not an ONNX ModelProto: it reads as {what}"
    except _Changed:
        return "the file changed while it was read (is it still being written?)"
    except OSError as err:
        return f"cannot read it again to say why: {err.strerror or err}"
    if where:
        return f"not a valid ONNX protobuf: {where}"
    suffix = p.suffix.lower()
    hint = {
        ".pb": " (a TensorFlow GraphDef/SavedModel .pb?)",
        ".pbtxt": " (a TensorFlow text graph?)",
        ".mlmodel": " (a Core ML model?)",
        ".caffemodel": " (a Caffe model?)",
        ".pt": " (a PyTorch file?)",
        ".pth": " (a PyTorch file?)",
        ".bin": " (raw weights?)",
    }.get(suffix, "")
    return f"not a valid ONNX protobuf (corrupt, or not ONNX{hint})"


class _Changed(Exception):
    """The file got shorter while it was scanned."""


class _Window:
    """The bytes of an open file, read through a small window as the scan walks it: no
    mmap, whose pages past a shrunken end kill the process with SIGBUS, and nothing
    allocated by the file's size. ``len`` is the size when opened; a read that comes back
    short of it raises _Changed."""

    _CHUNK = 1 << 16

    def __init__(self, f: Any) -> None:
        self._f = f
        self._n = os.fstat(f.fileno()).st_size
        self._base, self._buf = 0, b""

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: int) -> int:
        j = i - self._base
        if not 0 <= j < len(self._buf):
            self._f.seek(i)
            self._buf, self._base, j = self._f.read(min(self._CHUNK, self._n - i)), i, 0
            if not self._buf:
                raise _Changed
        return self._buf[j]


def _scan(p: Path) -> str:
    """Walk the top-level protobuf fields (no recursion, nothing allocated) to say
    where the file breaks: 'truncated' when a field runs past the end. Raises _Changed
    when the file shrinks meanwhile."""
    with p.open("rb") as f:
        return _scan_bytes(_Window(f))


def _varint(data: bytes | _Window, i: int) -> tuple[int, int]:
    v = shift = 0
    while True:
        if i >= len(data):
            raise EOFError
        b = data[i]
        i += 1
        v |= (b & 0x7F) << shift
        if not b & 0x80:
            return v, i
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _scan_bytes(data: bytes | _Window) -> str:
    """'' when the top-level fields are well formed, else what is wrong."""
    i, n = 0, len(data)
    while i < n:
        start = i
        try:
            tag, i = _varint(data, i)
            field, wire = tag >> 3, tag & 7
            if field == 0 or wire in (3, 4, 6, 7):
                return f"corrupt at byte {start} (invalid field tag {tag})"
            if wire == 0:
                _, i = _varint(data, i)
            elif wire == 1:
                i += 8
            elif wire == 5:
                i += 4
            else:
                length, i = _varint(data, i)
                i += length
        except EOFError:
            return f"truncated: the file ends inside a field at byte {start} ({n} bytes; incomplete download?)"
        except ValueError:
            return f"corrupt at byte {start} (malformed varint)"
        if i > n:
            return (
                f"truncated: field {field} at byte {start} needs {i - n} more bytes than the file has"
                " (incomplete download?)"
            )
    return ""


def check_model_proto(model: onnx.ModelProto, where: str) -> None:
    """Refuse a protobuf that parsed but is not an ONNX ModelProto (a GraphProto or
    TensorProto saved alone, another framework's protobuf...)."""
    has_graph = model.HasField("graph")
    if has_graph and (model.ir_version > 0 or len(model.opset_import) > 0):
        return
    if has_graph and (len(model.graph.node) or len(model.graph.output)):
        return  # sloppy but real: a hand-built model without ir_version and opsets
    what = _what_protobuf(model.SerializeToString())  # unknown fields kept: the original bytes
    if what:
        raise NotOnnxError(f"{where}: a valid protobuf but not an ONNX ModelProto (no graph): it reads as {what}")
    raise NotOnnxError(f"{where}: a valid protobuf but not an ONNX ModelProto (no graph, no IR version, no "
                       f"opset_import)")


_GUESS_BYTES = 256 * 2**20  # re-read files up to this size to guess what protobuf they are


def _what_protobuf(data: bytes) -> str:
    """Which other ONNX message ``data`` plausibly is ('' when none)."""
    try:
        g = onnx.GraphProto.FromString(data)
        if len(g.node) and all(n.op_type for n in g.node):
            return "an ONNX GraphProto saved alone (wrap it with onnx.helper.make_model)"
    except Exception:  # not a GraphProto either
        pass
    try:
        t = onnx.TensorProto.FromString(data)
        if 0 < t.data_type <= 64 and (len(t.dims) or t.raw_data or t.float_data or t.int64_data):
            return "an ONNX TensorProto (a test data file like input_0.pb?)"
    except Exception:  # not a TensorProto either
        pass
    return ""


def declared_shape_warnings(model: onnx.ModelProto) -> list[str]:
    """Warnings for absurd dims the main graph declares (negative; a tensor past MAX_NUMEL
    elements): those dims are analyzed as unknown."""
    g = model.graph
    bad: list[str] = []
    values = (*g.input, *g.output, *g.value_info)
    typed = [(v.name, v.type.tensor_type) for v in values if v.type.HasField("tensor_type")]
    for name, tt in typed:
        if not tt.HasField("shape"):
            continue
        vals = [d.dim_value for d in tt.shape.dim if d.HasField("dim_value")]
        _absurd(name, vals, bad)
    inits = g.initializer
    for i, dims in enumerate(map(_ALL, map(_DIMS, inits))):  # in C but for the absurd ones
        if dims and (min(dims) < 0 or prod(dims) > MAX_NUMEL):
            _absurd(inits[i].name, list(dims), bad)
    if not bad:
        return []
    more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
    return [f"absurd declared shapes, analyzed as unknown: {'; '.join(bad[:5])}{more}"]


_DIMS = attrgetter("dims")
_ALL = itemgetter(slice(None))  # a repeated field as a list: containers iterate through IndexError


def _absurd(name: str, dims: list[int], out: list[str]) -> None:
    neg = [d for d in dims if d < 0]
    if neg:
        out.append(f"'{name}' has negative dim {neg[0]}")
        return
    n = 1
    for d in dims:
        n *= d
    if n > MAX_NUMEL:
        out.append(f"'{name}' declares {n:.3g} elements (dims {dims[:8]})")


def check_structure(model: onnx.ModelProto) -> None:
    """Refuse what would exhaust the stack, time or memory, or break on corrupt text,
    before any analysis: non-UTF-8 strings (``check_text``), subgraphs nested past
    MAX_GRAPH_DEPTH (counted through inlined functions), recursive local functions,
    and more than MAX_NODES nodes once local functions are inlined. Iterative: no
    RecursionError whatever the input."""
    if clean(model, MAX_NODES, MAX_GRAPH_DEPTH):  # the common case, in one pass
        return
    check_text(model)
    check_initializers(model.graph)
    funcs = {(f.domain, f.name, f.overload): f for f in model.functions}
    by_name = {(f.domain, f.name): k for k, f in funcs.items()}
    Key = tuple[str, str, str]

    def scan(nodes: Iterable[onnx.NodeProto]) -> tuple[int, int, list[tuple[Key, int]]]:
        """(plain nodes, deepest nesting, [(called function, nesting at the call)])."""
        plain, deepest, called = 0, 0, []
        stack = [(nodes, 0)]
        while stack:
            ns, d = stack.pop()
            if d > MAX_GRAPH_DEPTH:
                raise _too_deep()
            deepest = max(deepest, d)
            for n in ns:
                k = (n.domain, n.op_type, n.overload)
                k = k if k in funcs else by_name.get((n.domain, n.op_type), k)
                if k in funcs:
                    called.append((k, d))
                else:
                    plain += 1
                for a in n.attribute:
                    if a.HasField("g"):
                        stack.append((a.g.node, d + 1))
                    stack.extend((sg.node, d + 1) for sg in a.graphs)
        return plain, deepest, called

    main = scan(model.graph.node)
    if main[0] > MAX_NODES:
        raise _too_many(main[0])
    # Inlined size and depth of each function, callees first (iterative DFS; a back edge is recursion).
    body = {k: scan(f.node) for k, f in funcs.items()}
    size: dict[Key, tuple[int, int]] = {}
    on_path: set[Key] = set()
    for root in funcs:
        if root in size:
            continue
        path = [(root, iter(body[root][2]))]
        on_path.add(root)
        while path:
            k, it = path[-1]
            nxt = next(it, None)
            if nxt is None:
                path.pop()
                on_path.discard(k)
                plain, deepest, called = body[k]
                n = plain + sum(size[c][0] for c, _ in called)
                depth = max([deepest] + [d + size[c][1] for c, d in called])
                size[k] = (min(n, MAX_NODES + 1), min(depth, MAX_GRAPH_DEPTH + 1))
                continue
            callee = nxt[0]
            if callee in on_path:
                raise InvalidGraphError(
                    f"model-local function {callee[0]}::{callee[1]} calls itself (directly or through others); "
                    "functions must not be recursive"
                )
            if callee not in size:
                on_path.add(callee)
                path.append((callee, iter(body[callee][2])))
    plain, deepest, called = main
    total = plain + sum(size[c][0] for c, _ in called)
    if max([deepest] + [d + size[c][1] for c, d in called]) > MAX_GRAPH_DEPTH:
        raise _too_deep()
    if total > MAX_NODES:
        raise _too_many(total, inlined=True)


def _too_deep() -> ResourceLimitError:
    return ResourceLimitError(
        f"subgraphs nest more than {MAX_GRAPH_DEPTH} levels deep; refused (the analysis recurses per level)"
    )


def _too_many(n: int, inlined: bool = False) -> ResourceLimitError:
    how = " once its local functions are inlined" if inlined else ""
    shown = f"more than {MAX_NODES:,}" if inlined else f"{n:,}"  # inlined sizes are capped at the limit + 1
    return ResourceLimitError(
        f"the model has {shown} nodes{how}, past the limit of {MAX_NODES:,} "
        "(set ONNX_COST_MAX_NODES to raise it)"
    )
