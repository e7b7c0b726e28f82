"""The dims a diff or batch report is counted at, as the analysis counts them: the
user's ``--dim`` values, then the default binding (``analyzer.dims.default_binding``:
1 for a dim that names a batch, a metadata value of the dim's own name) for the input
dims still free. A dim left without a value stays symbolic: a batch row's totals that
depend on it are None (as the analysis's JSON gives them: null) with their polynomials at
the stated binding; a diff refuses it (``refuse_symbolic``: its rows are numbers).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from onnx_cost.errors import BindingError

if TYPE_CHECKING:
    from onnx_cost.analyzer import Prepared
    from onnx_cost.model.report import Report

DEFAULT_MARK = "*"  # after a value the default binding chose: "batch=1*"
DEFAULT_LEGEND = "* the default binding, as in the analysis (a dim that names a batch is 1); --dim NAME=N binds it"


@dataclass(frozen=True)
class Binding:
    """The dims one model was analyzed at."""

    given: dict[str, int]  # --dim values this model declares
    free: tuple[str, ...]  # input dims --dim left free (the analysis JSON's free_dims)
    defaults: dict[str, int]  # the default binding of those (the analysis JSON's default_binding)

    @property
    def dims(self) -> dict[str, int]:
        """Every value the analysis used."""
        return {**self.given, **self.defaults}

    @property
    def unbound(self) -> tuple[str, ...]:
        """Free dims without a default: still symbolic, so not counted where they matter."""
        return tuple(d for d in self.free if d not in self.defaults)

    def text(self, esc: Callable[[str], str]) -> str:
        """'seq=128, batch=1*, len=?': given, defaulted (marked), unbound; names escaped by ``esc``."""
        parts = [f"{esc(k)}={v}" for k, v in self.given.items()]
        parts += [f"{esc(k)}={v}{DEFAULT_MARK}" for k, v in self.defaults.items()]
        parts += [f"{esc(k)}=?" for k in self.unbound]
        return ", ".join(parts)


def bind(p: Prepared, dims: Mapping[str, int]) -> Binding:
    """The binding of ``p``: the ``dims`` it declares, then the default binding."""
    from onnx_cost.analyzer.dims import declared_dims, default_binding
    from onnx_cost.symbolic.dynamic import free_dims

    have = set(declared_dims(p.proto.graph))
    given = {k: v for k, v in dims.items() if k in have}
    free = free_dims(p, {}, given)
    return Binding(given, tuple(free), default_binding(p.proto, free))


def analyze_at_binding(p: Prepared, dims: Mapping[str, int]) -> tuple[Report, Binding]:
    """The analysis of ``p`` at its binding (``bind``), and that binding, by the policy every
    output shares (symbolic.dynamic.analyze_bound): a dim left free with no default makes the
    counts polynomials, and a total that depends on it is None, as the library and the JSON
    give it (symbolic.symtotals)."""
    from onnx_cost.symbolic.dynamic import analyze_bound as policy
    from onnx_cost.symbolic.symtotals import library_totals

    b = bind(p, dims)
    return library_totals(policy(p, {}, b.given)), b


def refuse_symbolic(models: list[Any], dims: Mapping[str, int], what: str) -> None:
    """BindingError (exit 2) when a dim of one of ``models`` (Prepared) stays symbolic at its
    binding: ``what`` (a diff) shows numbers per node and per op type, and there are none
    (the counts are polynomials); the line names the --dim or --input that binds it."""
    from onnx_cost.errors import printable
    from onnx_cost.symbolic.dynamic import left_symbolic, needs_numbers

    for m in models:
        left = left_symbolic(m, {}, bind(m, dims).given)
        if left:
            raise BindingError(f"{needs_numbers(what, left)} (in {printable(m.path, 200)})")


def check_declared(models: list[Any], dims: Mapping[str, int]) -> None:
    """BindingError (exit 2) for a ``--dim`` name none of ``models`` (Prepared) declares,
    in the analysis's words for the first of them."""
    from onnx_cost.analyzer.dims import check_dims, declared_dims

    for name in dims:
        if not any(name in declared_dims(m.proto.graph) for m in models):
            check_dims(models[0].proto, [name], "--dim")
