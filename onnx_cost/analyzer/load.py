"""Load a model file without its weights, and say clearly what is wrong with bad input."""

from __future__ import annotations

import os
from pathlib import Path

import onnx
from google.protobuf.message import DecodeError

from ..errors import ModelFileError, NotOnnxError

# Magic prefixes of files people mistake for ONNX models.
_LOOKALIKES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a zip archive (a PyTorch .pt/.pth checkpoint or a Keras .keras file?)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x89HDF", "an HDF5 file (a Keras .h5 model?)"),
    (b"\x80\x02", "a Python pickle"),
    (b"\x80\x04", "a Python pickle"),
    (b"\x1f\x8b", "a gzip file"),
    (b"%PDF", "a PDF document"),
    (b"\x7fELF", "an executable"),
    (b"TFL3", "a TensorFlow Lite flatbuffer"),
)


def describe(head: bytes) -> str:
    """Name what a non-ONNX file looks like, from its first bytes."""
    for magic, what in _LOOKALIKES:
        if head.startswith(magic) or head[4:8] == magic:
            return what
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return "not an ONNX protobuf"
    if text.lstrip().startswith(("{", "[")):
        return "a JSON/text file"
    return "a text file"


def check_path(path: str | os.PathLike[str]) -> Path:
    """The path as a readable, non-empty file, or a ModelFileError saying why not."""
    p = Path(path)
    if not p.exists():
        raise ModelFileError(f"{p}: no such file")
    if p.is_dir():
        if (p / "saved_model.pb").exists():
            raise NotOnnxError(f"{p}: a TensorFlow SavedModel folder, not an ONNX file (convert it with tf2onnx)")
        raise ModelFileError(f"{p}: is a directory, not an ONNX file")
    try:
        size = p.stat().st_size
        with p.open("rb"):
            pass
    except OSError as e:
        raise ModelFileError(f"{p}: cannot read: {e.strerror or e}") from None
    if size == 0:
        raise NotOnnxError(f"{p}: empty file")
    return p


def load_model(path: str | os.PathLike[str]) -> onnx.ModelProto:
    """Parse the model, leaving external weight data on disk (we need shapes, not weights)."""
    p = check_path(path)
    try:
        model = onnx.load(str(p), load_external_data=False)
    except (DecodeError, RuntimeError, ValueError, UnicodeDecodeError) as e:
        with p.open("rb") as f:
            head = f.read(16)
        what = describe(head)
        if what == "not an ONNX protobuf":
            raise NotOnnxError(f"{p}: not a valid ONNX protobuf (truncated or corrupt?): {_first_line(e)}") from None
        raise NotOnnxError(f"{p}: not an ONNX model: looks like {what}") from None
    if not model.HasField("graph") or model.ir_version <= 0 and not model.opset_import:
        raise NotOnnxError(f"{p}: parses as protobuf but holds no ONNX model (no graph, no IR version)")
    return model


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0][:200] if text else type(e).__name__
