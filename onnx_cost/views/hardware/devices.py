"""Devices: the built-in presets (presets/*.toml) and user device files, validated.

A device is a set of dense peak throughputs, one per precision the chip has, plus
memory bandwidth, capacity and on-chip cache, each with the source it was taken
from. The file format (docs/hardware.md) is the same for presets and user files.
"""

from __future__ import annotations

import importlib
import os
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from onnx_cost._hooks import LOCAL_DEVICE
from onnx_cost.errors import printable
from onnx_cost.views.hardware.device_error import DeviceError

# Precisions a peak can be given for. "unspecified": the vendor gives one figure
# without a precision (an NPU's "TOPS"); it serves every node.
PRECISIONS: tuple[str, ...] = ("fp64", "fp32", "tf32", "fp16", "bf16", "fp8", "int8", "int4", "unspecified")
TERA = 1e12  # peaks are written in tera-operations per second
GIGA = 1e9  # bandwidth in GB/s
GIB = 2**30  # capacity in GB as vendors print memory sizes
MIB = 2**20  # cache in MB
_MEMORY_KEYS = {"bandwidth": GIGA, "capacity": GIB, "cache": MIB}
# The sane range of a figure, in the file's units (T op/s, GB/s, GB, MB): from a
# microcontroller's to a thousand times the biggest chip's. Outside it a figure is a typo
# or hostile (5e-324 makes the roofline divide by zero, 1e308 overflows the footprint).
RANGES = {"peaks": (1e-6, 1e9, "T op/s"), "bandwidth": (1e-6, 1e9, "GB/s"), "capacity": (1e-9, 1e9, "GB"),
          "cache": (1e-6, 1e9, "MB")}
MAX_FILE_BYTES = 256 * 1024  # a device file is a few KB; read no more than this
_MAX_NESTING = 16  # [ and { open at once (the format needs 3): tomllib recurses per level
_MAX_KEY_DOTS = 256  # dots between key parts in a file: tomllib's dotted keys cost quadratic time
_TOP_KEYS = {"name", "aliases", "note", "peaks", "memory", "not_found", "efficiency", "calibration"}




@dataclass(frozen=True)
class Figure:
    """One published number in SI units (op/s, B/s, B) and where it comes from."""

    value: float
    source: str = ""


@dataclass(frozen=True)
class Device:
    """A chip as the roofline sees it. Units: op/s, B/s, bytes."""

    key: str  # preset name, file path or "local"
    name: str
    peaks: Mapping[str, Figure]
    bandwidth: Figure | None = None
    capacity: Figure | None = None
    cache: Figure | None = None
    note: str = ""
    not_found: Mapping[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    measured: bool = False  # True for --device local: figures measured on this machine
    efficiency: Any = None  # efficiency.Efficiency of a calibrated device file (devices calibrate), else None

    def peak(self, precision: str) -> float | None:
        f = self.peaks.get(precision)
        return f.value if f else None

    @property
    def bandwidth_bytes_per_s(self) -> float | None:
        return self.bandwidth.value if self.bandwidth else None


def _norm(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(" ", "-")


def _toml_shape(text: str) -> tuple[int, int]:
    """(deepest nesting of [ and {, dots between key parts) of TOML ``text``, outside strings
    and comments, in one pass: what tomllib's recursion and its quadratic dotted keys cost,
    measured before it runs. A dot between two digits is a number's."""
    depth = deepest = dots = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            quote = c * 3 if text.startswith(c * 3, i) else c
            j = i + len(quote)
            while j < n and not text.startswith(quote, j) and (len(quote) == 3 or text[j] != "\n"):
                j += 2 if c == '"' and text[j] == "\\" else 1
            i = j + len(quote)
            continue
        if c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth = max(depth - 1, 0)
        elif c == "." and not (0 < i < n - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()):
            dots += 1
        i += 1
    return deepest, dots


def _read_toml(text: str, where: str) -> dict[str, Any]:
    # tomllib is in the standard library from 3.11; on 3.10 the tomli dependency has it.
    tomllib = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")
    deepest, dots = _toml_shape(text)
    if deepest > _MAX_NESTING:
        raise DeviceError(f"{where}: arrays or tables nest {deepest} levels deep; a device file needs 3 "
                          f"(at most {_MAX_NESTING})")
    if dots > _MAX_KEY_DOTS:
        raise DeviceError(f"{where}: {dots} dotted key parts; a device file needs a few (at most {_MAX_KEY_DOTS})")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise DeviceError(f"{where}: not valid TOML ({e})") from None


def _number(v: Any, where: str, sane: tuple[float, float, str]) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0 or v == float("inf"):
        shown = f"an integer of {len(str(abs(v)))} digits" if isinstance(v, int) and abs(v) > 10**30 else repr(v)
        raise DeviceError(f"{where}: expected a positive number, got {printable(shown, 80)}")
    lo, hi, unit = sane
    if not lo <= v <= hi:  # compared before float(): a 400-digit int would overflow it
        shown = f"an integer of {len(str(v))} digits" if isinstance(v, int) and v > 10**30 else f"{v:g}"
        raise DeviceError(f"{where}: {shown} is outside the sane range {lo:g} to {hi:g} {unit}")
    return float(v)


def _figure(v: Any, where: str, scale: float, sane: tuple[float, float, str]) -> Figure:
    """``{ value = N, source = "..." }`` (or a bare number) -> Figure in SI units."""
    if not isinstance(v, dict):
        return Figure(_number(v, f"{where}", sane) * scale)
    extra = sorted(set(v) - {"value", "source"})
    if extra:
        raise DeviceError(f"{where}.{extra[0]}: unknown key (a figure has 'value' and 'source')")
    if "value" not in v:
        raise DeviceError(f"{where}.value: missing")
    src = v.get("source", "")
    if not isinstance(src, str):
        raise DeviceError(f"{where}.source: expected a string")
    return Figure(_number(v["value"], f"{where}.value", sane) * scale, src)


def _strings(v: Any, where: str) -> dict[str, str]:
    if not isinstance(v, dict) or not all(isinstance(s, str) for s in v.values()):
        raise DeviceError(f"{where}: expected a table of strings")
    return dict(v)


def parse_device(data: Mapping[str, Any], key: str, where: str) -> Device:
    """Validate one device table (a parsed TOML file); errors name the bad field."""
    extra = sorted(set(data) - _TOP_KEYS)
    if extra:
        raise DeviceError(f"{where}: {printable(extra[0], 80)}: unknown key (known: {', '.join(sorted(_TOP_KEYS))})")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise DeviceError(f"{where}: name: missing (a string naming the chip)")
    peaks_in = data.get("peaks")
    if not isinstance(peaks_in, dict) or not peaks_in:
        raise DeviceError(f"{where}: peaks: missing (give at least one, e.g. peaks.fp32 = {{ value = 10.6 }})")
    peaks: dict[str, Figure] = {}
    for p, v in peaks_in.items():
        if p not in PRECISIONS:
            raise DeviceError(f"{where}: peaks.{printable(p, 40)}: unknown precision (known: {', '.join(PRECISIONS)})")
        peaks[p] = _figure(v, f"{where}: peaks.{p}", TERA, RANGES["peaks"])
    mem_in = data.get("memory", {})
    if not isinstance(mem_in, dict):
        raise DeviceError(f"{where}: memory: expected a table")
    bad = sorted(set(mem_in) - set(_MEMORY_KEYS))
    if bad:
        raise DeviceError(f"{where}: memory.{printable(bad[0], 40)}: unknown key (known: bandwidth, capacity, cache)")
    mem = {k: _figure(mem_in[k], f"{where}: memory.{k}", s, RANGES[k]) for k, s in _MEMORY_KEYS.items() if k in mem_in}
    aliases = data.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise DeviceError(f"{where}: aliases: expected a list of strings")
    note = data.get("note", "")
    if not isinstance(note, str):
        raise DeviceError(f"{where}: note: expected a string")
    eff = None
    if "efficiency" in data:  # written by `devices calibrate` (efficiency.py validates it)
        from onnx_cost.views.hardware.efficiency import parse_efficiency

        eff = parse_efficiency(data["efficiency"], data.get("calibration"), where)
    return Device(
        key=key,
        name=name.strip(),
        efficiency=eff,
        peaks=peaks,
        note=note,
        not_found=_strings(data.get("not_found", {}), f"{where}: not_found"),
        aliases=tuple(_norm(a) for a in aliases),
        bandwidth=mem.get("bandwidth"),
        capacity=mem.get("capacity"),
        cache=mem.get("cache"),
    )


def presets() -> dict[str, Device]:
    """Every built-in preset by its key (the file name without .toml)."""
    out: dict[str, Device] = {}
    for f in sorted(resources.files(__package__).joinpath("presets").iterdir(), key=lambda p: p.name):
        if f.name.endswith(".toml"):
            key = f.name[: -len(".toml")]
            out[key] = parse_device(_read_toml(f.read_text(encoding="utf-8"), f.name), key, f.name)
    return out


def load_device(spec: str) -> Device:
    """``spec`` is a preset name or alias, a path to a .toml device file, or "local"
    (this machine, measured: see ``local``)."""
    if _norm(spec) == "local":
        # this machine, measured: runners/calibrate.py, a layer above, registers it (_hooks.py)
        if not LOCAL_DEVICE:
            raise DeviceError("--device local: measuring this machine needs the onnx_cost package loaded")
        return LOCAL_DEVICE[0]()
    if spec.endswith(".toml") or os.sep in spec or os.path.exists(spec):
        return load_device_file(spec)
    table = presets()
    want = _norm(spec)
    for key, dev in table.items():
        if want == key or want in dev.aliases:
            return dev
    raise DeviceError(
        f"--device {printable(spec, 80)}: no such preset (presets: {', '.join(table)}, or a .toml file, or local)"
    )


def load_device_file(path: str) -> Device:
    """A user's device file, in the preset format."""
    return parse_device(_read_toml(_read_device_file(path), path), path, path)


def _read_device_file(path: str) -> str:
    """The text of a device file: a regular file (a FIFO would block for ever, /dev/zero
    never ends) of at most MAX_FILE_BYTES, opened without blocking and checked on the open
    descriptor, so a file swapped meanwhile is judged as what is read."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError) as e:
        raise DeviceError(f"{path}: cannot read the device file ({getattr(e, 'strerror', None) or e})") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise DeviceError(f"{path}: is a directory; a device file is a .toml file")
        if not stat.S_ISREG(st.st_mode):
            raise DeviceError(f"{path}: not a regular file (a device, FIFO or socket); a device file is a .toml file")
        if st.st_size > MAX_FILE_BYTES:
            raise DeviceError(f"{path}: {st.st_size} bytes, past the {MAX_FILE_BYTES} a device file may have")
        data = os.read(fd, MAX_FILE_BYTES + 1)
    except OSError as e:
        raise DeviceError(f"{path}: cannot read the device file ({e.strerror or e})") from None
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:  # it grew since fstat
        raise DeviceError(f"{path}: past the {MAX_FILE_BYTES} bytes a device file may have")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DeviceError(f"{path}: cannot read the device file ({e})") from None
