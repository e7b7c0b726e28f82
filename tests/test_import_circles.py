"""Issue 19's layering, as a ratchet until the package is layered in folders: the import
graph of onnx_cost (function-level imports counted; ``if TYPE_CHECKING:`` blocks not, they
never run) may hold circles only among the modules listed here, which are the circles
left today. A module that joins a circle, or a new circle, fails this test; a circle
broken is a name to delete from KNOWN."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "onnx_cost"

# the circles left (docs/architecture.md): the analyzer's Report <-> its renderers (the
# Report's to_dict/__repr__ conveniences import render, which imports the dynamic formulas,
# which import the engine), and the device files <-> local calibration
KNOWN = {
    "onnx_cost.analyzer", "onnx_cost.analyzer.count", "onnx_cost.symbolic.dynamic", "onnx_cost.analyzer.lenient",
    "onnx_cost.views.qdq", "onnx_cost.render.report", "onnx_cost.model.report",
    "onnx_cost.symbolic.scaling", "onnx_cost.render.table", "onnx_cost.analyzer.walk",
    "onnx_cost.views.hardware._columns", "onnx_cost.runners.calibrate", "onnx_cost.views.hardware.devices",
    "onnx_cost.views.hardware.efficiency", "onnx_cost.runners.local", "onnx_cost.views.hardware.roofline",
}


def _modules() -> dict[str, tuple[Path, list[str]]]:
    out = {}
    for p in PKG.rglob("*.py"):
        parts = list(p.relative_to(PKG.parent).with_suffix("").parts)
        pkg = parts[:-1]
        if parts[-1] == "__init__":
            parts = pkg = parts[:-1]
        out[".".join(parts)] = (p, pkg)
    return out


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node but those under ``if TYPE_CHECKING:``."""
    out: list[ast.AST] = []
    stack = [tree]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.If) and isinstance(n.test, ast.Name) and n.test.id == "TYPE_CHECKING":
            stack.extend(n.orelse)
            continue
        out.append(n)
        stack.extend(ast.iter_child_nodes(n))
    return out


def _edges() -> dict[str, set[str]]:
    mods = _modules()

    def resolve(name: str) -> str:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name

    edges: dict[str, set[str]] = {}
    for m, (path, pkg) in mods.items():
        out: set[str] = set()
        for n in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(n, ast.Import):
                out |= {resolve(a.name) for a in n.names if a.name.startswith("onnx_cost")}
            elif isinstance(n, ast.ImportFrom):
                base = ".".join(pkg[: len(pkg) - n.level + 1] + ([n.module] if n.module else [])) if n.level \
                    else n.module or ""
                if base.startswith("onnx_cost"):
                    out |= {resolve(f"{base}.{a.name}") if f"{base}.{a.name}" in mods else resolve(base)
                            for a in n.names}
        out.discard(m)
        out.discard("")
        edges[m] = out
    return edges


def _circles(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[set[str]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = set()
                while True:
                    x = stack.pop()
                    on.discard(x)
                    comp.add(x)
                    if x == v:
                        break
                if len(comp) > 1:
                    out.append(comp)
    return out


def test_the_finder_sees_a_function_level_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


def test_no_circle_outside_the_known_ones():
    found = set().union(*_circles(_edges()))
    new = sorted(found - KNOWN)
    assert not new, f"modules in an import circle that were not before: {new}"
