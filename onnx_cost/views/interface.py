"""What a diff says about the models' interfaces: graph inputs and outputs added,
removed, renamed, or changed in shape or dtype.

Shapes are the ones the models *declare* (dim names kept), not the ones the analysis
bound: a static batch of 1 that became a dynamic ``batch`` is a change, even though the
default binding counts both at 1. An input removed and one added at the same position
with the same dtype and shape is a rename.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import onnx

Dim = int | str | None  # a value, a symbolic name, or unknown
Port = tuple[str, str, tuple[Dim, ...] | None]  # (name, dtype, shape; None: rank unknown)


@dataclass(frozen=True)
class InterfaceChange:
    """One graph input or output that differs between the models."""

    side: str  # "input" or "output"
    kind: str  # "added", "removed", "renamed" or "changed"
    before: Port | None
    after: Port | None
    what: tuple[str, ...] = ()  # for "changed": "shape", "dtype"; for "renamed": "name"
    note: str = ""  # "static -> dynamic: batch" when a fixed dim became symbolic (or back)

    @property
    def name(self) -> str:
        p = self.after or self.before
        assert p is not None
        return p[0]


def _dtype(t: Any) -> str:
    from onnx_cost.model.dtypes import DTYPES

    if not t.HasField("tensor_type"):
        return t.WhichOneof("value") or "?"
    entry = DTYPES.get(t.tensor_type.elem_type)
    return entry[0] if entry else str(t.tensor_type.elem_type)


def _shape(t: Any) -> tuple[Dim, ...] | None:
    if not t.HasField("tensor_type") or not t.tensor_type.HasField("shape"):
        return None
    out: list[Dim] = []
    for d in t.tensor_type.shape.dim:
        if d.HasField("dim_value"):
            out.append(int(d.dim_value))
        elif d.HasField("dim_param") and d.dim_param:
            out.append(d.dim_param)
        else:
            out.append(None)
    return tuple(out)


def ports(model: onnx.ModelProto) -> tuple[list[Port], list[Port]]:
    """The declared (inputs, outputs) of a model's main graph; initializers listed as inputs left out."""
    g = model.graph
    init = {t.name for t in g.initializer}
    inputs = [(v.name, _dtype(v.type), _shape(v.type)) for v in g.input if v.name not in init]
    outputs = [(v.name, _dtype(v.type), _shape(v.type)) for v in g.output]
    return inputs, outputs


def shape_text(shape: tuple[Dim, ...] | None) -> str:
    """1xbatchx16 (``?`` for an unknown dim; ``?`` alone for an unknown rank; ``scalar``)."""
    if shape is None:
        return "?"
    if not shape:
        return "scalar"
    return "x".join("?" if d is None else str(d) for d in shape)


def port_text(p: Port | None) -> str:
    return "-" if p is None else f"{p[0]} {shape_text(p[2])} {p[1]}"


def _dynamic_note(a: tuple[Dim, ...] | None, b: tuple[Dim, ...] | None) -> str:
    if a is None or b is None or len(a) != len(b):
        return ""
    to_dyn = ["?" if y is None else str(y) for x, y in zip(a, b) if isinstance(x, int) and not isinstance(y, int)]
    to_static = ["?" if x is None else str(x) for x, y in zip(a, b) if not isinstance(x, int) and isinstance(y, int)]
    notes = []
    if to_dyn:
        notes.append("static -> dynamic: " + ", ".join(to_dyn))
    if to_static:
        notes.append("dynamic -> static: " + ", ".join(to_static))
    return "; ".join(notes)


def _compare(side: str, before: list[Port], after: list[Port]) -> list[InterfaceChange]:
    out: list[InterfaceChange] = []
    names_b = {p[0]: p for p in after}
    names_a = {p[0] for p in before}
    for p in before:
        q = names_b.get(p[0])
        if q is None:
            continue
        what = tuple(k for k, i in (("shape", 2), ("dtype", 1)) if p[i] != q[i])
        if what:
            out.append(InterfaceChange(side, "changed", p, q, what, _dynamic_note(p[2], q[2])))
    gone = [(i, p) for i, p in enumerate(before) if p[0] not in names_b]
    new = [(i, p) for i, p in enumerate(after) if p[0] not in names_a]
    renamed = set()
    for i, p in gone:
        match = next(((j, q) for j, q in new if j == i and q[1:] == p[1:] and j not in renamed), None)
        if match is not None:
            renamed.add(match[0])
            out.append(InterfaceChange(side, "renamed", p, match[1], ("name",)))
        else:
            out.append(InterfaceChange(side, "removed", p, None))
    out += [InterfaceChange(side, "added", None, q) for j, q in new if j not in renamed]
    return out


def interface_changes(before: onnx.ModelProto, after: onnx.ModelProto) -> list[InterfaceChange]:
    """Every input and output that differs, inputs first."""
    (ia, oa), (ib, ob) = ports(before), ports(after)
    return _compare("input", ia, ib) + _compare("output", oa, ob)


def change_dict(c: InterfaceChange) -> dict[str, Any]:
    def side(p: Port | None) -> dict[str, Any] | None:
        return None if p is None else {"name": p[0], "dtype": p[1], "shape": None if p[2] is None else list(p[2])}

    return {"side": c.side, "kind": c.kind, "changed": list(c.what), "note": c.note,
            "before": side(c.before), "after": side(c.after)}


def change_row(c: InterfaceChange, esc: Any) -> list[str]:
    """[change, input/output, before, after, note], model strings escaped by ``esc``."""
    kind = c.kind if c.kind != "changed" else f"changed ({', '.join(c.what)})"
    return [kind, c.side, esc(port_text(c.before)), esc(port_text(c.after)), esc(c.note)]


ROW_HEADERS = ["change", "port", "declared before", "declared after", "note"]
