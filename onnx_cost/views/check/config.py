"""The budgets of ``onnx-cost check`` written down once: ``--config FILE``, else
``[tool.onnx-cost.check]`` in the nearest pyproject.toml or ``[check]`` in an
onnx-cost.toml (the current folder, then its parents). docs/ci.md has a complete example.

Command-line options add to the file's budgets, warnings and increases, and override
its baseline, device, convention and dims of the same name.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from onnx_cost.views.check.expr import ExprError

KEYS = ("budgets", "warn", "baseline", "max_increase", "device", "dims", "inputs", "convention", "allow_unknown",
        "rules")


@dataclass
class Config:
    """What a config file asks for, as the command-line strings would say it."""

    source: str = ""  # the file it came from ("" when none)
    budgets: list[str] = field(default_factory=list)
    warn: list[str] = field(default_factory=list)
    baseline: str | None = None  # a path, relative to the file's folder made absolute
    max_increase: list[str] = field(default_factory=list)
    device: str | None = None
    dims: list[str] = field(default_factory=list)  # "NAME=N" or "NAME=LO:HI"
    inputs: list[str] = field(default_factory=list)  # "NAME=SHAPE"
    convention: str | None = None
    allow_unknown: bool = False
    rules: list[str] = field(default_factory=list)


def _toml(path: Path) -> dict[str, Any]:
    tomllib = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")
    try:
        return dict(tomllib.loads(path.read_text(encoding="utf-8")))
    except OSError as e:
        raise ExprError(f"--config {path}: cannot read ({e.strerror or e})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ExprError(f"{path}: not valid TOML ({e})") from None


def _section(data: dict[str, Any], path: Path) -> dict[str, Any] | None:
    """The check table of a TOML document: [tool.onnx-cost.check], or [check] in onnx-cost.toml."""
    tool = data.get("tool", {}).get("onnx-cost", {})
    if isinstance(tool, dict) and "check" in tool:
        return tool["check"]
    if path.name == "onnx-cost.toml":
        return data.get("check", data)
    return None


def find(start: Path | None = None) -> Path | None:
    """The nearest onnx-cost.toml, or pyproject.toml holding [tool.onnx-cost.check]."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        own = folder / "onnx-cost.toml"
        if own.is_file():
            return own
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _section(_toml(pyproject), pyproject) is not None:
            return pyproject
    return None


def _strings(v: Any, key: str, where: str) -> list[str]:
    if isinstance(v, str):
        return [v]
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return list(v)
    raise ExprError(f"{where}: '{key}' must be a string or a list of strings")


def load(path: Path) -> Config:
    """The check section of ``path`` (ExprError, exit 2, when absent or malformed)."""
    section = _section(_toml(path), path)
    where = str(path)
    if section is None:
        raise ExprError(f"{where}: no [tool.onnx-cost.check] table")
    if not isinstance(section, dict):
        raise ExprError(f"{where}: the check table must be a table")
    unknown = sorted(set(section) - set(KEYS))
    if unknown:
        raise ExprError(f"{where}: unknown key(s) {', '.join(unknown)} (keys: {', '.join(KEYS)})")
    cfg = Config(source=where)
    for key in ("budgets", "warn", "max_increase", "inputs", "rules"):
        if key in section:
            setattr(cfg, key, _strings(section[key], key, where))
    dims = section.get("dims", [])
    if isinstance(dims, dict):  # dims = {batch = "1:64", seq = 128}
        cfg.dims = [f"{k}={v}" for k, v in dims.items()]
    else:
        cfg.dims = _strings(dims, "dims", where)
    for key in ("device", "convention", "baseline"):
        v = section.get(key)
        if v is not None and not isinstance(v, str):
            raise ExprError(f"{where}: '{key}' must be a string")
        setattr(cfg, key, v)
    if cfg.baseline is not None:
        cfg.baseline = str(path.parent / cfg.baseline)
    cfg.rules = [str(path.parent / r) for r in cfg.rules]
    allow = section.get("allow_unknown", False)
    if not isinstance(allow, bool):
        raise ExprError(f"{where}: 'allow_unknown' must be true or false")
    cfg.allow_unknown = allow
    return cfg
