"""User rules without forking: a Python file given with --rules, or an installed
package exposing the ``onnx_cost.rules`` entry-point group. Either registers
functions with ``onnx_cost.rules.rule`` exactly as the built-in rules do."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from .errors import OnnxCostError

ENTRY_POINT_GROUP = "onnx_cost.rules"
_loaded_files: set[str] = set()
_entry_points_loaded = False


class PluginError(OnnxCostError):
    """A user rule file or plugin failed to load."""


def load_rule_file(path: str | os.PathLike[str]) -> None:
    """Import a Python file whose module-level code registers rules."""
    from .rules import load_all
    from .rules.registry import DuplicateRule

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
    try:
        spec.loader.exec_module(module)
    except DuplicateRule as e:
        raise PluginError(f"--rules {path}: {e}") from None
    except Exception as e:
        raise PluginError(f"--rules {path}: {type(e).__name__}: {e}") from None
    _loaded_files.add(str(p))


def load_entry_points() -> None:
    """Import every installed plugin of the ``onnx_cost.rules`` group (once)."""
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    from importlib.metadata import entry_points

    from .rules import load_all

    load_all()
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            ep.load()
        except Exception as e:
            raise PluginError(f"plugin {ep.name} ({ep.value}): {type(e).__name__}: {e}") from None
