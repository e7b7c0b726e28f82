"""Shared maths of the recurrent layers (LSTM, GRU, RNN in ``recurrent``, ONNX Runtime's
DynamicQuantizeLSTM in ``contrib_recurrent``): dims, activations, gate costs, the LSTM cell.

Not a rule module (the leading underscore keeps ``load_all`` from importing it as one).
"""


from __future__ import annotations

from dataclasses import dataclass

from onnx_cost.rules._activation import PER_ELEMENT
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError

_ACTIVATION = {name.lower(): cost for name, cost in PER_ELEMENT.items()}  # the spec's names, any case
_DIRECTIONS = {"forward": 1, "reverse": 1, "bidirectional": 2}


@dataclass(frozen=True)
class Dims:
    steps: int  # seq_length · batch_size: how many times one direction runs its cell
    inp: int
    hidden: int
    dirs: int


def recurrent_dims(view: NodeView, gates: int, transposed: bool = False) -> Dims:
    """T·N, I, H and D from X, W, R and the attributes, checked against each other. W and R are
    [D, gates·H, I] and [D, gates·H, H], or [D, I, gates·H] and [D, H, gates·H] when ``transposed``
    (ONNX Runtime's DynamicQuantizeLSTM)."""
    x, w, r = view.in_shape(0), view.in_shape(1), view.in_shape(2)
    layout = view.attr("layout", 0)
    if len(x) != 3 or layout not in (0, 1):
        raise RuleError(f"{view.op_type} X must be 3-D with layout 0 or 1, got X {list(x)}, layout={layout}")
    direction = view.attr("direction", "forward")
    if direction not in _DIRECTIONS:
        raise RuleError(f"{view.op_type} direction '{direction}' is not forward, reverse or bidirectional")
    d = _DIRECTIONS[direction]
    if len(r) != 3:
        raise RuleError(f"{view.op_type} R must be 3-D, got {list(r)}")
    h = view.attr("hidden_size", r[1] if transposed else r[2])
    i = x[2]
    want = {1: (d, i, gates * h), 2: (d, h, gates * h)} if transposed else {1: (d, gates * h, i), 2: (d, gates * h, h)}
    for k, got in ((1, w), (2, r)):
        if tuple(got) != want[k]:
            raise RuleError(
                f"{view.op_type} {'WR'[k - 1]} is {list(got)}, expected {list(want[k])} "
                f"for X {list(x)}, hidden_size={h}, direction={direction}"
            )
    _check_optional(view, 3, "B", (d, 2 * gates * h))
    return Dims(x[0] * x[1], i, h, d)


def _check_optional(view: NodeView, idx: int, name: str, want: tuple[int, ...]) -> bool:
    """True when optional input ``idx`` is given (with the expected shape)."""
    if not view.has_input(idx):
        return False
    got = view.in_shape(idx)
    if tuple(got) != want:
        raise RuleError(f"{view.op_type} {name} is {list(got)}, expected {list(want)}")
    return True


def activation_costs(view: NodeView, defaults: tuple[str, ...], dirs: int) -> list[list[Cost]]:
    """Per direction, the per-element cost of each activation (f, g, h order of the spec).

    The spec wants len(defaults) names per direction. RNN's schema default is two names
    (Tanh, Tanh) whatever the direction: a one-direction RNN uses the first, as onnxruntime does.
    """
    k = len(defaults)
    names = list(view.attr("activations") or defaults * dirs)
    if view.op_type == "RNN" and dirs == 1 and len(names) == 2:
        names = names[:1]
    if len(names) != k * dirs:
        raise RuleError(f"{view.op_type} activations {names}: the spec needs {k} per direction, {k * dirs} in all")
    out = []
    for d in range(dirs):
        costs = []
        for name in names[d * k : (d + 1) * k]:
            cost = _ACTIVATION.get(str(name).lower())
            if cost is None:
                raise RuleError(f"{view.op_type} activation '{name}' is not one the spec lists")
            costs.append(cost)
        out.append(costs)
    return out


def over_steps(dims: Dims, per_dir: list[Cost]) -> Cost:
    """Each direction's per-step cost times T·N, summed over directions."""
    total = Cost()
    for step in per_dir:
        total = total + step.scaled(dims.steps)
    return total


def gate_costs(h: int, n: int, bias: bool, clip: bool) -> Cost:
    """Bias adds and clip compares of ``n`` gates of ``h`` elements."""
    return Cost(bias_adds=2 * n * h if bias else 0, compare=2 * n * h if clip else 0)


def lstm_cost(view: NodeView, dims: Dims) -> Cost:
    """The LSTM of ``recurrent.lstm``'s docstring on the checked ``dims``."""
    h, i = dims.hidden, dims.inp
    peep = _check_optional(view, 7, "P", (dims.dirs, 3 * h))
    coupled = bool(view.attr("input_forget", 0))
    computed = 3 if coupled else 4  # gates whose pre-activation gets bias and clip: i, o, c (and f)
    peeped = computed - 1  # gates with a peephole and activation f: i, o (and f)
    base = Cost(macs=4 * h * (i + h), dots=4 * h, arith=4 * h + (h if coupled else 0))
    base = base + gate_costs(h, computed, view.has_input(3), view.attr("clip") is not None)
    if peep:
        base = base + Cost(arith=2 * peeped * h)  # one multiply, one add each
    per_dir = [
        base + f.scaled(peeped * h) + g.scaled(h) + hh.scaled(h)
        for f, g, hh in activation_costs(view, ("Sigmoid", "Tanh", "Tanh"), dims.dirs)
    ]
    return over_steps(dims, per_dir)
