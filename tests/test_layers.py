"""Issue 19's layers, kept by a test: every import of onnx_cost (function-level ones counted;
``if TYPE_CHECKING:`` blocks not, they never run) goes from a module to one in its own layer
or a lower one, and no imports form a circle, inside a layer or across. A module's layer is
its folder (docs/architecture.md draws them); a module in no known layer fails too."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "onnx_cost"

# lowest first: a module may import its own layer and those before it
LAYERS = ("base", "rules", "model", "analyzer", "symbolic", "views", "render", "api", "runners", "package", "cli")
RANK = {name: i for i, name in enumerate(LAYERS)}
FOLDERS = {"rules", "model", "analyzer", "symbolic", "views", "render", "runners", "cli"}
# the root-level modules: helpers below everything, the api, and the package's __init__
# (the public facade: it re-exports the api and the runners' analyze_many and llm)
ROOT = {"onnx_cost._version": "base", "onnx_cost._numbers": "base", "onnx_cost.errors": "base",
        "onnx_cost.output": "base", "onnx_cost.text": "base", "onnx_cost._hooks": "base", "onnx_cost.api": "api",
        "onnx_cost": "package", "onnx_cost.__main__": "cli"}


def layer_of(module: str) -> str | None:
    """The layer of a module of onnx_cost, by its folder; None when it sits in none."""
    if module in ROOT:
        return ROOT[module]
    parts = module.split(".")
    return parts[1] if (len(parts) > 2 and parts[1] in FOLDERS) or (len(parts) == 2 and parts[1] in FOLDERS) \
        else None


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


def problems(edges: dict[str, set[str]]) -> list[str]:
    """Every module in no layer, every import against the order, every circle."""
    out = [f"{m}: in no layer (its folder is none of {sorted(FOLDERS)}, nor a known root module)"
           for m in sorted(edges) if layer_of(m) is None]
    for m in sorted(edges):
        for t in sorted(edges[m]):
            a, b = layer_of(m), layer_of(t)
            if a is not None and b is not None and RANK[b] > RANK[a]:
                out.append(f"{m} ({a}) imports {t} ({b}), a higher layer")
    out += [f"circle: {' -> '.join(sorted(c))}" for c in _circles(edges)]
    return out


def test_the_finder_sees_a_function_level_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


def test_the_check_reports_an_upward_edge_a_circle_and_a_stray_module():
    edges = {
        "onnx_cost.model.report": {"onnx_cost.render.report"},  # upward: model -> render
        "onnx_cost.render.report": {"onnx_cost.model.report"},  # allowed alone, but closes a circle
        "onnx_cost.views.a": {"onnx_cost.views.b"},  # a circle inside one layer
        "onnx_cost.views.b": {"onnx_cost.views.a"},
        "onnx_cost.analyzer.walk": {"onnx_cost.rules.node", "onnx_cost.errors"},  # downward: fine
        "onnx_cost.rules.node": set(),
        "onnx_cost.errors": set(),
        "onnx_cost.legacy.batch": set(),  # in no layer
    }
    found = problems(edges)
    assert "onnx_cost.model.report (model) imports onnx_cost.render.report (render), a higher layer" in found
    assert "circle: onnx_cost.model.report -> onnx_cost.render.report" in found
    assert "circle: onnx_cost.views.a -> onnx_cost.views.b" in found
    assert any(p.startswith("onnx_cost.legacy.batch: in no layer") for p in found)
    assert len(found) == 4, found


def test_the_walker_sees_every_module_and_a_function_level_import():
    edges = _edges()
    assert len(edges) > 100
    # render.formats imports the hardware view inside a function only
    assert any(t.startswith("onnx_cost.views.hardware") for t in edges["onnx_cost.render.formats"])


def test_the_package_is_layered():
    found = problems(_edges())
    assert not found, "\n".join(found)
