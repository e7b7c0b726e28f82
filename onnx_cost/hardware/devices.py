"""Devices: the built-in presets (presets/*.toml) and user device files, validated.

A device is a set of dense peak throughputs, one per precision the chip has, plus
memory bandwidth, capacity and on-chip cache, each with the source it was taken
from. The file format (docs/hardware.md) is the same for presets and user files.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from ..errors import OnnxCostError, printable

# Precisions a peak can be given for. "unspecified": the vendor gives one figure
# without a precision (an NPU's "TOPS"); it serves every node.
PRECISIONS: tuple[str, ...] = ("fp64", "fp32", "tf32", "fp16", "bf16", "fp8", "int8", "int4", "unspecified")
TERA = 1e12  # peaks are written in tera-operations per second
GIGA = 1e9  # bandwidth in GB/s
GIB = 2**30  # capacity in GB as vendors print memory sizes
MIB = 2**20  # cache in MB
_MEMORY_KEYS = {"bandwidth": GIGA, "capacity": GIB, "cache": MIB}
_TOP_KEYS = {"name", "aliases", "note", "peaks", "memory", "not_found", "efficiency", "calibration"}


class DeviceError(OnnxCostError):
    """A device name is unknown or a device file is malformed (exit 2)."""


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


def _read_toml(text: str, where: str) -> dict[str, Any]:
    # tomllib is in the standard library from 3.11; on 3.10 the tomli dependency has it.
    tomllib = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise DeviceError(f"{where}: not valid TOML ({e})") from None


def _number(v: Any, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0 or v == float("inf"):
        raise DeviceError(f"{where}: expected a positive number, got {printable(repr(v), 80)}")
    return float(v)


def _figure(v: Any, where: str, scale: float) -> Figure:
    """``{ value = N, source = "..." }`` (or a bare number) -> Figure in SI units."""
    if not isinstance(v, dict):
        return Figure(_number(v, f"{where}") * scale)
    extra = sorted(set(v) - {"value", "source"})
    if extra:
        raise DeviceError(f"{where}.{extra[0]}: unknown key (a figure has 'value' and 'source')")
    if "value" not in v:
        raise DeviceError(f"{where}.value: missing")
    src = v.get("source", "")
    if not isinstance(src, str):
        raise DeviceError(f"{where}.source: expected a string")
    return Figure(_number(v["value"], f"{where}.value") * scale, src)


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
        peaks[p] = _figure(v, f"{where}: peaks.{p}", TERA)
    mem_in = data.get("memory", {})
    if not isinstance(mem_in, dict):
        raise DeviceError(f"{where}: memory: expected a table")
    bad = sorted(set(mem_in) - set(_MEMORY_KEYS))
    if bad:
        raise DeviceError(f"{where}: memory.{printable(bad[0], 40)}: unknown key (known: bandwidth, capacity, cache)")
    mem = {k: _figure(mem_in[k], f"{where}: memory.{k}", s) for k, s in _MEMORY_KEYS.items() if k in mem_in}
    aliases = data.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise DeviceError(f"{where}: aliases: expected a list of strings")
    note = data.get("note", "")
    if not isinstance(note, str):
        raise DeviceError(f"{where}: note: expected a string")
    eff = None
    if "efficiency" in data:  # written by `devices calibrate` (efficiency.py validates it)
        from .efficiency import parse_efficiency

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
        from .calibrate import load_local

        return load_local()
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
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as e:
        raise DeviceError(f"{path}: cannot read the device file ({getattr(e, 'strerror', None) or e})") from None
    return parse_device(_read_toml(text, path), path, path)
