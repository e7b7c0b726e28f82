"""Module scopes of nodes, as every exporter writes them, in one form.

- TorchScript: the node name ``/layer1/layer1.0/conv1/Conv`` -> ("layer1", "layer1.0", "conv1").
- tf2onnx, paddle2onnx: ``model/conv2d/Conv2D`` -> ("model", "conv2d").
- torch's dynamo exporter: metadata ``pkg.torch.onnx.name_scopes``, the repr of a
  Python list of cumulative module paths, the root ("") first and the node's own
  name last (``['', 'layer1', 'layer1.0', 'layer1.0.conv1', 'conv2d']``), and
  ``pkg.torch.onnx.class_hierarchy``, the module classes in step with it (the op
  target last). Each level is written as TorchScript names it: the path relative
  to its parent, with a bare index prefixed by the parent (``layer1.0``), so both
  exporters give ("layer1", "layer1.0", "conv1").
- a node inlined from a model-local function: the call (metadata ``onnx_cost.function_call``).

Metadata is untrusted text: lists are read with ``ast.literal_eval`` (never
``eval``), bounded in size, and anything malformed falls back on the node name.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

from onnx_cost.analyzer.functions import CALL_KEY

NAME_SCOPES = "pkg.torch.onnx.name_scopes"
CLASS_HIERARCHY = "pkg.torch.onnx.class_hierarchy"
NAMESPACE = "namespace"  # older torch exporters: ": Root/layer1: torch.nn.Sequential/.../node: target"
MAX_METADATA = 65536  # characters of a metadata list we parse; longer ones are ignored
# Levels of a module path: the reports walk the tree per level, and no exporter nests
# modules this deep; a node named /a/a/... 1,000 levels deep keeps the rest in its last level.
MAX_SCOPE_DEPTH = 64

Scope = tuple[tuple[str, ...], tuple[str, ...]]  # (scope_path, scope_classes)


class ScopeParser:
    """Parses node scopes, sharing equal tuples between nodes (records stay small)."""

    def __init__(self) -> None:
        self._shared: dict[tuple[str, ...], tuple[str, ...]] = {(): ()}
        self._by_prefix: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {}  # name prefix -> scope()
        self._text: dict[tuple[str, ...], str] = {(): ""}

    def parse(self, name: str, metadata: Mapping[str, str]) -> Scope:
        """(scope_path, scope_classes) of a node from its name and metadata."""
        path, classes, _ = self.scope(name, metadata)
        return path, classes

    def scope(self, name: str, metadata: Mapping[str, str]) -> tuple[tuple[str, ...], tuple[str, ...], str]:
        """``parse`` and the scope column (``text``) of its path, at once: from the name, once
        per name prefix (the nodes of one module share it)."""
        if metadata:
            got = self._from_metadata(metadata)
            if got is not None:
                return got[0], got[1], self.text(got[0])
        cut = name.rfind("/")
        if cut < 0:
            return (), (), ""
        prefix = name[:cut]
        hit = self._by_prefix.get(prefix)
        if hit is None:
            path = self._share(tuple(p for p in prefix.split("/") if p))
            hit = self._by_prefix[prefix] = (path, (), self.text(path))
        return hit

    def text(self, path: tuple[str, ...]) -> str:
        """The scope column: ``/a/b/c``; "" for no scope."""
        s = self._text.get(path)
        if s is None:
            s = self._text[path] = "/" + "/".join(path)
        return s

    def _share(self, t: tuple[str, ...]) -> tuple[str, ...]:
        if len(t) > MAX_SCOPE_DEPTH:  # the levels past the limit are one, their names joined by '/'
            t = (*t[: MAX_SCOPE_DEPTH - 1], "/".join(t[MAX_SCOPE_DEPTH - 1 :]))
        return self._shared.setdefault(t, t)

    def _from_metadata(self, md: Mapping[str, str]) -> Scope | None:
        scopes = _literal_list(md.get(NAME_SCOPES))
        if scopes is not None:
            classes = _literal_list(md.get(CLASS_HIERARCHY))
            if classes is not None and len(classes) != len(scopes):
                classes = None
            return self._torch(scopes, classes)
        ns = md.get(NAMESPACE)
        if ns and len(ns) <= MAX_METADATA and ": " in ns:
            pairs = [seg.split(": ", 1) for seg in ns.split("/")]
            if all(len(p) == 2 for p in pairs):
                return self._torch([p[0] for p in pairs], [p[1] for p in pairs])
        for key in ("scope", CALL_KEY):  # a scope path itself, not a node name
            v = md.get(key)
            if v:
                return self._share(tuple(p for p in v.split("/") if p)), ()
        return None

    def _torch(self, scopes: list[str], classes: list[str] | None) -> Scope:
        """Cumulative module paths (root first, the node itself last) to TorchScript's levels."""
        path: list[str] = []
        cls: list[str] = []
        prev = ""
        for i in range(1, len(scopes) - 1):  # the root and the node's own name are no levels
            p = scopes[i]
            if not p or p == prev:
                continue
            seg = p[len(prev) + 1 :] if prev and p.startswith(prev + ".") else p
            if seg.isdigit() and path:  # a Sequential/ModuleList child: TorchScript writes "layer1.0"
                seg = f"{path[-1]}.{seg}"
            path.append(seg)
            if classes is not None:
                cls.append(classes[i])
            prev = p
        return self._share(tuple(path)), self._share(tuple(cls))


def _literal_list(text: str | None) -> list[str] | None:
    """The list of strings in ``text`` (a Python repr), or None when it is not one."""
    if not text or len(text) > MAX_METADATA or not text.lstrip().startswith("["):
        return None
    try:
        v = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        return None
    return v
