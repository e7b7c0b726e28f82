"""Issue 19's layer folders: where each module of onnx_cost moved, and a rewriter that applies
the move to any files given.

    python scripts/relayer.py FILE...        rewrite FILEs in place (prints the ones changed)
    python scripts/relayer.py --move         git mv every old module to its new place (once)

The rewriter is idempotent (a new name is never an old one). In a Python file it turns every
import of the package into the absolute form at the new place, relative imports included: a
relative import is resolved against the file's OLD package (for a file already moved, the
package it had before the move), so a branch that edited the old files can be merged first and
rewritten after. ``from onnx_cost.reports import batch, markdown`` whose names moved apart is
split into one import per new home. In every file (Python, Markdown, TOML, Makefile, shell)
dotted names (``"onnx_cost.hardware.cli.load_device"``, ``python -m onnx_cost.x``) and
``onnx_cost/...`` paths are rewritten by their longest moved prefix.

Merging a branch that edited the old files (the lead's recipe, tried on symalign):
1. ``git merge BRANCH``: git's rename detection carries its edits to the new files; the
   conflicts are import lines (this branch's absolute ones against its relative ones): take
   the branch's side of those hunks.
2. ``python scripts/relayer.py $(git diff --name-only ORIG_HEAD -- '*.py' '*.md')``.
3. ``pytest tests/test_layers.py``: it names a module the branch added where no layer is
   (``onnx_cost/reports/new.py``: that folder split into several, so git leaves it there;
   a new file in ``hardware/`` follows the folder to ``views/hardware/``) and any import it
   added against the order; add the module to MAPPING when it moves.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = "onnx_cost"

# old module -> new module (modules and packages not named here did not move)
MAPPING: dict[str, str] = {
    # base: root-level helpers
    "onnx_cost.analyzer.text": "onnx_cost.text",
    # rules/ did not move; the user-rule loader sits with the engine that calls it
    "onnx_cost.plugins": "onnx_cost.analyzer.plugins",
    # model: records, Report, Totals, the graph index, byte sizes
    "onnx_cost.analyzer.report": "onnx_cost.model.report",
    "onnx_cost.analyzer.totals": "onnx_cost.model.totals",
    "onnx_cost.analyzer.graph": "onnx_cost.model.graph",
    "onnx_cost.analyzer.dtypes": "onnx_cost.model.dtypes",
    # symbolic: polynomials, scaling, the default binding
    "onnx_cost.analyzer.polynomial": "onnx_cost.symbolic.polynomial",
    "onnx_cost.analyzer.scaling": "onnx_cost.symbolic.scaling",
    "onnx_cost.analyzer.dynamic": "onnx_cost.symbolic.dynamic",
    "onnx_cost.reports.binding": "onnx_cost.symbolic.binding",
    # views: pure Report -> View
    "onnx_cost.analyzer.qdq": "onnx_cost.views.qdq",
    "onnx_cost.analyzer.symtotals": "onnx_cost.symbolic.symtotals",
    "onnx_cost.hardware": "onnx_cost.views.hardware",
    "onnx_cost.hardware._columns": "onnx_cost.views.hardware._columns",
    "onnx_cost.hardware.devices": "onnx_cost.views.hardware.devices",
    "onnx_cost.hardware.efficiency": "onnx_cost.views.hardware.efficiency",
    "onnx_cost.hardware.footprint": "onnx_cost.views.hardware.footprint",
    "onnx_cost.hardware.fusion": "onnx_cost.views.hardware.fusion",
    "onnx_cost.hardware.latency": "onnx_cost.views.hardware.latency",
    "onnx_cost.hardware.predict": "onnx_cost.views.hardware.predict",
    "onnx_cost.hardware.roofline": "onnx_cost.views.hardware.roofline",
    "onnx_cost.hardware.view": "onnx_cost.views.hardware.view",  # its text: render/hardware.py
    "onnx_cost.conventions": "onnx_cost.views.conventions",
    "onnx_cost.conventions.text": "onnx_cost.render.conventions",
    "onnx_cost.views.conventions.text": "onnx_cost.render.conventions",
    "onnx_cost.llmview": "onnx_cost.views.llm",
    "onnx_cost.llmview.roles": "onnx_cost.views.llm.roles",
    "onnx_cost.llmview.result": "onnx_cost.views.llm.result",
    "onnx_cost.check": "onnx_cost.views.check",
    "onnx_cost.check.boxmax": "onnx_cost.views.check.boxmax",
    "onnx_cost.check.config": "onnx_cost.views.check.config",
    "onnx_cost.check.decide": "onnx_cost.views.check.decide",
    "onnx_cost.check.expr": "onnx_cost.views.check.expr",
    "onnx_cost.check.metrics": "onnx_cost.views.check.metrics",
    "onnx_cost.check.space": "onnx_cost.views.check.space",
    "onnx_cost.reports.diff": "onnx_cost.views.diff",
    "onnx_cost.reports.diff_device": "onnx_cost.views.diff_device",
    "onnx_cost.reports.interface": "onnx_cost.views.interface",
    "onnx_cost.reports.scope": "onnx_cost.views.scope",
    "onnx_cost.reports.tree": "onnx_cost.views.tree",
    # render: Report or View -> text
    "onnx_cost.analyzer.render": "onnx_cost.render.report",
    "onnx_cost.analyzer.table": "onnx_cost.render.table",
    "onnx_cost.reports": "onnx_cost.render",
    "onnx_cost.reports.render": "onnx_cost.render.formats",
    "onnx_cost.reports.markdown": "onnx_cost.render.markdown",
    "onnx_cost.reports.html": "onnx_cost.render.html",
    "onnx_cost.reports.overlays": "onnx_cost.render.overlays",
    "onnx_cost.reports.viewer_keys": "onnx_cost.render.viewer_keys",
    "onnx_cost.reports.tables": "onnx_cost.render.tables",
    "onnx_cost.reports.batch_render": "onnx_cost.render.batch",
    "onnx_cost.reports.diff_render": "onnx_cost.render.diff",
    "onnx_cost.hardware.plot": "onnx_cost.render.plot",
    "onnx_cost.llmview.render": "onnx_cost.render.llm",
    "onnx_cost.check.render": "onnx_cost.render.check",
    # runners: many analyses, or onnxruntime
    "onnx_cost.reports._pool": "onnx_cost.runners._pool",
    "onnx_cost.reports._warm": "onnx_cost.runners._warm",
    "onnx_cost.reports.batch": "onnx_cost.runners.batch",
    "onnx_cost.reports.many": "onnx_cost.runners.many",
    "onnx_cost.hardware.calibrate": "onnx_cost.runners.calibrate",
    "onnx_cost.hardware.local": "onnx_cost.runners.local",
    "onnx_cost.hardware.measure": "onnx_cost.runners.measure",
    "onnx_cost.hardware.sweep": "onnx_cost.runners.sweep",
    "onnx_cost.llmview.core": "onnx_cost.runners.llm",
    "onnx_cost.llmview.measure": "onnx_cost.runners.llm_measure",
    "onnx_cost.check.run": "onnx_cost.runners.check",
    # cli: a package
    "onnx_cost.cli_common": "onnx_cost.cli.common",
    "onnx_cost.hardware.cli": "onnx_cost.cli.hardware",
    "onnx_cost.hardware.options": "onnx_cost.cli.options",
    "onnx_cost.conventions.cli": "onnx_cost.cli.conventions",
    "onnx_cost.llmview.cli": "onnx_cost.cli.llm",
    "onnx_cost.check.cli": "onnx_cost.cli.check",
    "onnx_cost.reports.cli": "onnx_cost.cli.reports",
}
# names that moved out of a module that stayed (old dotted name -> new dotted name)
NAMES: dict[str, str] = {
    "onnx_cost.output.refuse_model_data": "onnx_cost.analyzer.external.refuse_model_data",
}
_LOOKUP = {**MAPPING, **NAMES}
# packages whose __init__ moved with them, and plain modules that became a package's __init__
PACKAGES_OLD = {"onnx_cost.hardware", "onnx_cost.conventions", "onnx_cost.llmview", "onnx_cost.check",
                "onnx_cost.reports"}
TO_PACKAGE = {"onnx_cost.cli"}  # onnx_cost/cli.py -> onnx_cost/cli/__init__.py
REVERSE = {new: old for old, new in MAPPING.items() if old != "onnx_cost.reports"}

_DOTTED = re.compile(r"(?<![\w.])onnx_cost(?:\.[A-Za-z_]\w*)+")
_PATH = re.compile(r"(?<![\w/])onnx_cost(?:/[A-Za-z_]\w*)+(?:\.py|/)?")


def new_name(dotted: str) -> str:
    """``dotted`` (a module or a name inside one) at its new place: the longest moved prefix."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        head = ".".join(parts[:i])
        if head in _LOOKUP:
            return ".".join([_LOOKUP[head], *parts[i:]])
    return dotted


def _old_module_of(path: Path) -> tuple[str, bool]:
    """The module a file was before the move, and whether it is a package's __init__ (found
    by the path's last ``onnx_cost`` folder, so any checkout works; ("", False) outside it)."""
    parts = list(path.resolve().with_suffix("").parts)
    if PKG not in parts[:-1]:
        return "", False
    parts = parts[len(parts) - 1 - parts[::-1].index(PKG):]
    init = parts[-1] == "__init__"
    if init:
        parts = parts[:-1]
    mod = ".".join(parts)
    old = _old_name(mod)
    if old in PACKAGES_OLD:
        init = True
    if old in TO_PACKAGE:
        init = False  # onnx_cost/cli.py's relative imports were against onnx_cost
    return old, init


def _old_name(module: str) -> str:
    """A module at its new place -> its name before the move (the longest moved prefix)."""
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        head = ".".join(parts[:i])
        if head in REVERSE:
            return ".".join([REVERSE[head], *parts[i:]])
    return module


def _resolve(node: ast.ImportFrom, old_mod: str, is_init: bool) -> str:
    if not node.level:
        return node.module or ""
    if not old_mod:
        return ""  # a relative import outside the package: not ours
    pkg = old_mod.split(".") if is_init else old_mod.split(".")[:-1]
    base = pkg[: len(pkg) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _render_from(base: str, names: list[tuple[str, str | None]], indent: str) -> str:
    items = ", ".join(n if a is None else f"{n} as {a}" for n, a in names)
    line = f"from {base} import {items}"
    if len(indent) + len(line) <= 120:
        return line
    body = "".join(f"{indent}    {n if a is None else f'{n} as {a}'},\n" for n, a in names)
    return f"from {base} import (\n{body}{indent})"


def _rewrite_from(node: ast.ImportFrom, old_mod: str, is_init: bool, indent: str) -> str | None:
    base = _resolve(node, old_mod, is_init)
    if base != PKG and not base.startswith(PKG + "."):
        return None
    if not node.level and new_name(base) == base and not any(f"{base}.{a.name}" in _LOOKUP for a in node.names):
        return None  # already right: left as written (comments inside its parentheses included)
    groups: dict[str, list[tuple[str, str | None]]] = {}
    for a in node.names:
        full = f"{base}.{a.name}"
        if a.name != "*" and full in _LOOKUP:
            new = _LOOKUP[full]
            parent, _, leaf = new.rpartition(".")
            alias = a.asname if a.asname else (None if leaf == a.name else a.name)
            groups.setdefault(parent, []).append((leaf, alias))
        else:
            groups.setdefault(new_name(base), []).append((a.name, a.asname))
    return f"\n{indent}".join(_render_from(b, n, indent) for b, n in groups.items())


def rewrite_python(text: str, path: Path) -> str:
    old_mod, is_init = _old_module_of(path)
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return rewrite_text(text)
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for ln in lines:
        offsets.append(offsets[-1] + len(ln))
    edits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            indent = lines[node.lineno - 1][: node.col_offset]
            new = _rewrite_from(node, old_mod, is_init, indent)
            if new is None:
                continue
            start = offsets[node.lineno - 1] + node.col_offset
            end = offsets[node.end_lineno - 1] + node.end_col_offset  # type: ignore[operator]
            edits.append((start, end, new))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return rewrite_text(text)


def _path_sub(m: re.Match[str]) -> str:
    s = m.group(0)
    tail = "/" if s.endswith("/") else (".py" if s.endswith(".py") else "")
    dotted = s[: len(s) - len(tail)].replace("/", ".")
    new = new_name(dotted)
    if new == dotted:
        return s
    return new.replace(".", "/") + tail


# a bare package-relative path in prose, docstrings and comments ("hardware/cli.py", "analyzer/render.py")
_BARE = re.compile(r"(?<![\w/.])(?:analyzer|hardware|reports|conventions|llmview|check)/\w+\.py")


def _bare_sub(m: re.Match[str]) -> str:
    s = m.group(0)
    new = new_name(f"{PKG}." + s[:-3].replace("/", "."))
    return new[len(PKG) + 1:].replace(".", "/") + ".py"


def rewrite_text(text: str) -> str:
    text = _DOTTED.sub(lambda m: new_name(m.group(0)), text)
    return _PATH.sub(_path_sub, text)


def rewrite_file(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    new = rewrite_python(text, path) if path.suffix == ".py" else rewrite_text(text)
    if path.suffix in (".md", ".py"):
        new = _BARE.sub(_bare_sub, new)
    if new != text:
        path.write_text(new, encoding="utf-8")
        return True
    return False


def _file_of(module: str, package: bool) -> Path:
    p = ROOT / module.replace(".", "/")
    return p / "__init__.py" if package else p.with_suffix(".py")


def move() -> None:
    """git mv every old module to its new place, creating the new packages' __init__."""
    for old, new in MAPPING.items():
        if old == "onnx_cost.reports":
            continue
        pkg = old in PACKAGES_OLD
        src, dst = _file_of(old, pkg), _file_of(new, pkg)
        if not src.exists():
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "mv", str(src), str(dst)], check=True, cwd=ROOT)
    cli = ROOT / "onnx_cost" / "cli.py"
    if cli.exists():
        subprocess.run(["git", "mv", str(cli), str(ROOT / "onnx_cost" / "cli" / "__init__.py")], check=True, cwd=ROOT)


if __name__ == "__main__":
    if sys.argv[1:] == ["--move"]:
        move()
    else:
        for f in sys.argv[1:]:
            if rewrite_file(Path(f)):
                print(f)
