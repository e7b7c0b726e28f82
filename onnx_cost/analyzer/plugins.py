"""User rules without forking: a Python file given with --rules, or an installed
package exposing the ``onnx_cost.rules`` entry-point group. Either registers
functions with ``onnx_cost.rules.rule`` exactly as the built-in rules do."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from onnx_cost.errors import OnnxCostError

ENTRY_POINT_GROUP = "onnx_cost.rules"
_loaded_files: set[str] = set()
_entry_points_loaded = False
_origins: dict[str, str] = {}  # module of a rule file, or top package of a plugin -> what a message names


class PluginError(OnnxCostError):
    """A user rule file or plugin failed to load, or one of its rules misbehaved on a node
    (raised, or returned something else than a Cost of non-negative integers)."""


def origin(fn: Any) -> str | None:
    """Where a rule comes from when a rules file or an installed plugin registered it:
    "--rules PATH" or "plugin NAME (VALUE)"; None for any other (onnx-cost's own rules, and
    rules registered in-process, whose failures stay internal errors)."""
    module = getattr(fn, "__module__", None) or ""
    return _origins.get(module) or _origins.get(module.partition(".")[0])


def _failure(e: BaseException) -> str:
    """``e`` as ``Type: first line`` (a plugin's message may hold anything: printed escaped)."""
    first = str(e).splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}{': ' + first if first else ''}"


def load_rule_file(path: str | os.PathLike[str]) -> None:
    """Import a Python file whose module-level code registers rules."""
    from onnx_cost.rules import load_all
    from onnx_cost.rules.registry import DuplicateRule

    load_all()  # the built-in rules first: a plugin's duplicate is caught at its own line
    p = Path(path).resolve()
    if str(p) in _loaded_files:
        return
    if not p.is_file():
        raise PluginError(f"--rules {path}: no such file")
    spec = importlib.util.spec_from_file_location(f"onnx_cost_user_rules_{len(_loaded_files)}", p)
    if spec is None or spec.loader is None:
        raise PluginError(f"--rules {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    _origins[spec.name] = f"--rules {path}"
    try:
        spec.loader.exec_module(module)
    except DuplicateRule as e:
        raise PluginError(f"--rules {path}: {e}") from None
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # SystemExit, GeneratorExit, a BaseException subclass: the file's fault
        raise PluginError(f"--rules {path}: {_failure(e)} while loading the file") from None
    _loaded_files.add(str(p))


def load_entry_points() -> None:
    """Import every installed plugin of the ``onnx_cost.rules`` group (once)."""
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    if not may_have_plugins():
        return
    from importlib.metadata import entry_points

    from onnx_cost.rules import load_all

    found = entry_points(group=ENTRY_POINT_GROUP)
    if found:  # the built-in rules first (a duplicate is caught at the plugin's line); else they load on first use
        load_all()
    for ep in found:
        _origins.setdefault(ep.value.partition(":")[0].partition(".")[0], f"plugin {ep.name} ({ep.value})")
        try:
            ep.load()
        except KeyboardInterrupt:
            raise
        except BaseException as e:  # SystemExit too: the plugin's fault, not a reason to stop silently
            raise PluginError(f"plugin {ep.name} ({ep.value}): {_failure(e)}") from None


_STANDARD_FINDERS = frozenset({"PathFinder", "BuiltinImporter", "FrozenImporter"})


def may_have_plugins() -> bool:
    """False only when no installed distribution can declare the ``onnx_cost.rules`` group:
    every sys.path entry is a folder (or absent), no *.dist-info or *.egg-info folder in them
    (nor an old egg's EGG-INFO: names matched as importlib.metadata matches them, in any
    case) has an entry_points.txt naming the group, and no import hook of sys.meta_path
    lists distributions of its own. ``importlib.metadata.entry_points`` parses every distribution's
    metadata (~10 ms per run here); this reads only the few entry_points.txt files, as bytes."""
    group = ENTRY_POINT_GROUP.encode()
    for finder in sys.meta_path:
        name = getattr(finder, "__name__", type(finder).__name__)
        if hasattr(finder, "find_distributions") and name not in _STANDARD_FINDERS:
            return True  # its distributions are not folders on sys.path: ask importlib.metadata
    for entry in sys.path:
        if not isinstance(entry, str):  # bytes or another object: importlib.metadata decides
            return True
        try:
            listing = os.scandir(entry or ".")
        except NotADirectoryError:  # a zip archive: its metadata is read through importlib.metadata
            return True
        except OSError:  # absent or unreadable: importlib.metadata finds nothing there either
            continue
        egg = os.path.basename(entry).lower().endswith(".egg")
        with listing:
            for item in listing:
                low = item.name.lower()
                if not (low.endswith((".dist-info", ".egg-info")) or (egg and low == "egg-info")):
                    continue
                try:
                    with open(os.path.join(item.path, "entry_points.txt"), "rb") as f:
                        if group in f.read():
                            return True
                except OSError:  # no entry points (or an egg-info file, not a folder)
                    continue
    return False
