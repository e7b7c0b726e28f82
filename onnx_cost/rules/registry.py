"""The one registry of counting rules, keyed by (domain, op_type).

Rules register by decorator; a duplicate registration raises at import.
Every op is a counting rule, a zero-compute op (with a reason), or absent
(and then reported as uncounted by name, never counted as 0).

A family module is imported when one of its ops is first looked up (``ensure``, through
the generated index rules/_index.py), not all of them at start: importing the 29 family
modules cost tens of ms per process. ``rules.load_all`` imports every one (the docs, the
plugins, whatever reads the whole registry).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView

Rule = Callable[[NodeView], Cost]
# How a zero-compute op touches memory: "io" reads every input and writes every
# output (Transpose, Concat); "view" moves nothing (Reshape, Identity); "shape"
# reads only metadata and writes its small output (Shape, Size).
Moves = Literal["io", "view", "shape"]

ONNX_DOMAIN = ""
MS_DOMAIN = "com.microsoft"


def norm_domain(domain: str) -> str:
    """"ai.onnx" and "" are the same default domain: the one place that says so."""
    return "" if domain in ("", "ai.onnx") else domain


def is_onnx_domain(domain: str) -> bool:
    """True for the default domain, however it is spelled."""
    return norm_domain(domain) == ONNX_DOMAIN


@dataclass(frozen=True, slots=True)
class Entry:
    """One registered op."""

    domain: str
    op_type: str
    fn: Rule | None  # None for zero-compute ops
    doc: str  # the formula (or the reason for zero compute): one row of docs/counting.md
    family: str  # the rule module, for the doc
    moves: Moves = "io"

    @property
    def zero(self) -> bool:
        return self.fn is None


REGISTRY: dict[tuple[str, str], Entry] = {}

# (domain, op_type) -> the family modules not imported yet that register something for it
# (built from the generated index on first use; emptied by load_all).
_pending: dict[tuple[str, str], list[str]] | None = None
_LOCK = threading.RLock()  # a thread that finds a key taken waits for its module's import


def _pending_keys() -> dict[tuple[str, str], list[str]]:
    global _pending
    if _pending is None:
        from onnx_cost.rules._index import OPS

        pending: dict[tuple[str, str], list[str]] = {}
        for module, domains in OPS.items():
            for domain, ops in domains.items():
                for op in ops:
                    pending.setdefault((domain, op), []).append(module)
        _pending = pending
    return _pending


def ensure(key: tuple[str, str]) -> None:
    """Import the family modules that register something for ``key`` (domain normalized),
    once; the registries hold the key's entries afterwards."""
    with _LOCK:
        modules = _pending_keys().pop(key, None)
        for module in modules or ():
            importlib.import_module(f"onnx_cost.rules.{module}")


def loaded_all() -> None:
    """Every family module is imported (rules.load_all): nothing is pending."""
    global _pending
    with _LOCK:
        _pending = {}


def _ensure_builtin(key: tuple[str, str], module: str) -> None:
    """Before code outside onnx-cost's rules registers ``key``, import the built-in module
    of the key: a duplicate is then caught at the plugin's own line, and a plugin's
    override replaces the built-in rule rather than being met by it later."""
    if not module.startswith("onnx_cost.rules."):
        ensure(key)


class DuplicateRule(RuntimeError):
    """A second rule for an op, without ``override=True``."""


def _add(entry: Entry, override: bool = False) -> None:
    key = (entry.domain, entry.op_type)
    if key in REGISTRY and not override:
        name = f"{entry.domain}::{entry.op_type}" if entry.domain else entry.op_type
        raise DuplicateRule(
            f"{name} already has a rule (in {REGISTRY[key].family}); "
            "pass override=True to @rule to replace it"
        )
    REGISTRY[key] = entry


def _family(module: str) -> str:
    return module.rsplit(".", 1)[-1]


def rule(
    *op_types: str, domain: str = ONNX_DOMAIN, doc: str | None = None, override: bool = False
) -> Callable[[Rule], Rule]:
    """Register ``fn`` as the counting rule of ``op_types`` in ``domain``.

    ``doc`` is the formula row for docs/counting.md; by default the first
    paragraph of the rule's docstring. ``override``: replace a rule that exists
    (a plugin changing a built-in count must say so); without it a second rule
    for an op raises ``DuplicateRule``.
    """

    def deco(fn: Rule) -> Rule:
        text = doc or " ".join((fn.__doc__ or "").strip().split("\n\n")[0].split())
        if not text:
            raise RuntimeError(f"rule {fn.__name__} has no docstring or doc")
        for op in op_types:
            _ensure_builtin((norm_domain(domain), op), fn.__module__)
            _add(Entry(norm_domain(domain), op, fn, text, _family(fn.__module__)), override)
        return fn

    return deco


def zero_compute(
    *op_types: str, reason: str, moves: Moves = "io", domain: str = ONNX_DOMAIN, module: str = ""
) -> None:
    """Declare ``op_types`` as doing no arithmetic, with the reason why."""
    for op in op_types:
        _add(Entry(norm_domain(domain), op, None, reason, _family(module or "zero"), moves))


# Ops that cannot be costed statically, with the reason: they stay uncounted (by name, never 0),
# and the report gives this reason instead of "no rule".
UNCOUNTABLE: dict[tuple[str, str], str] = {}


def uncountable(*op_types: str, reason: str, domain: str = ONNX_DOMAIN) -> None:
    """Declare ``op_types`` as not countable statically: uncounted, with ``reason``."""
    for op in op_types:
        key = (norm_domain(domain), op)
        if key in REGISTRY or key in UNCOUNTABLE:
            raise RuntimeError(f"{key} is already registered")
        UNCOUNTABLE[key] = reason


# Output shapes for ops onnx's own inference does not know (contrib ops):
# fn(view) -> one (shape, dtype) per output, where ``view.outputs`` are all None.
ShapeFn = Callable[[NodeView], "list[tuple[tuple[int | str | None, ...] | None, str] | None]"]
SHAPES: dict[tuple[str, str], ShapeFn] = {}
# Ops whose onnx inference leaves output shapes unknown (ai.onnx.ml): ours is used first.
SHAPES_FIRST: set[tuple[str, str]] = set()


def shape_of(*op_types: str, domain: str, first: bool = False) -> Callable[[ShapeFn], ShapeFn]:
    """Register ``fn`` as the output-shape function of ``op_types`` in ``domain``.

    It is used where onnx has no shape inference for the op, and instead of onnx's
    when ``first`` (onnx's inference of the op is incomplete).
    """

    def deco(fn: ShapeFn) -> ShapeFn:
        for op in op_types:
            key = (norm_domain(domain), op)
            _ensure_builtin(key, fn.__module__)
            if key in SHAPES:
                raise RuntimeError(f"duplicate shape function for {key}")
            SHAPES[key] = fn
            if first:
                SHAPES_FIRST.add(key)
        return fn

    return deco


def lookup(domain: str, op_type: str) -> Entry | None:
    """The entry for an op, or None when no rule knows it."""
    key = (norm_domain(domain), op_type)
    entry = REGISTRY.get(key)
    if entry is None:
        ensure(key)
        entry = REGISTRY.get(key)
    return entry
