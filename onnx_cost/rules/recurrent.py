"""Recurrent layers: LSTM, GRU, RNN, counted per time step from the ONNX equations.

Every cost is per time step, per batch row, per direction, then multiplied by
seq_length·batch_size and summed over the directions (a bidirectional layer
may use other activations for its reverse pass). Symbols: T = seq_length,
N = batch_size (both from X: [T, N, I] for layout 0, [N, T, I] for layout 1),
I = input_size, H = hidden_size, D = num_directions.

The gate contraction X_t·W^T + H_{t-1}·R^T is one dot of I + H terms per gate
element: both partial sums fold into one accumulator (the seeds' LSTM formula
(E + H)·H·4·2 is 2·MACs). The biases Wb and Rb are two bias adds per gate
element, as the spec writes them (onnxruntime pre-sums Wb + Rb once).

Activation costs per element: Sigmoid 4 (arith 3: neg, add, div; transcendental
1: exp), Tanh 1 transcendental, Relu 1 compare, Affine 2 arith (mul, add),
LeakyRelu 1 compare + 1 arith, ThresholdedRelu 1 compare, ScaledTanh 2 arith +
1 transcendental, HardSigmoid 2 arith + 2 compares, Elu 1 compare + 1
transcendental + 2 arith, Softsign 3 arith (abs, add, div), Softplus 2
transcendental (exp, log) + 1 arith. clip costs 2 compares per gate element.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._activation import PER_ELEMENT
from .cost import Cost
from .node import NodeView, RuleError
from .registry import rule

_ACTIVATION = {name.lower(): cost for name, cost in PER_ELEMENT.items()}  # the spec's names, any case
_DIRECTIONS = {"forward": 1, "reverse": 1, "bidirectional": 2}


@dataclass(frozen=True)
class _Dims:
    steps: int  # seq_length · batch_size: how many times one direction runs its cell
    inp: int
    hidden: int
    dirs: int


def _dims(view: NodeView, gates: int) -> _Dims:
    """T·N, I, H and D from X, W, R and the attributes, checked against each other."""
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
    h = view.attr("hidden_size", r[2])
    i = x[2]
    want = {1: (d, gates * h, i), 2: (d, gates * h, h)}
    for k, got in ((1, w), (2, r)):
        if tuple(got) != want[k]:
            raise RuleError(
                f"{view.op_type} {'WR'[k - 1]} is {list(got)}, expected {list(want[k])} "
                f"for X {list(x)}, hidden_size={h}, direction={direction}"
            )
    _check_optional(view, 3, "B", (d, 2 * gates * h))
    return _Dims(x[0] * x[1], i, h, d)


def _check_optional(view: NodeView, idx: int, name: str, want: tuple[int, ...]) -> bool:
    """True when optional input ``idx`` is given (with the expected shape)."""
    if not view.has_input(idx):
        return False
    got = view.in_shape(idx)
    if tuple(got) != want:
        raise RuleError(f"{view.op_type} {name} is {list(got)}, expected {list(want)}")
    return True


def _activations(view: NodeView, defaults: tuple[str, ...], dirs: int) -> list[list[Cost]]:
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


def _total(dims: _Dims, per_dir: list[Cost]) -> Cost:
    """Each direction's per-step cost times T·N, summed over directions."""
    total = Cost()
    for step in per_dir:
        total = total + step.scaled(dims.steps)
    return total


def _gates(h: int, n: int, bias: bool, clip: bool) -> Cost:
    """Bias adds and clip compares of ``n`` gates of ``h`` elements."""
    return Cost(bias_adds=2 * n * h if bias else 0, compare=2 * n * h if clip else 0)


@rule("LSTM")
def lstm(view: NodeView) -> Cost:
    """Per step, batch row and direction: 4·H·(I + H) MACs and 4·H dots (the gate contraction);
    8·H bias_adds when B is given (Wb and Rb); the cell Ct = ft⊙Ct−1 + it⊙ct and Ht = ot⊙h(Ct):
    4·H arith; peepholes P: 6·H arith (3·H multiplies, 3·H adds); clip: 8·H compares; activations:
    3·H of f (i, f, o), H of g, H of h at their per-element cost (default Sigmoid 4, Tanh 1).
    input_forget: ft = 1 − it (+H arith) replaces the forget gate's activation f, its 2·H
    bias_adds, 2·H peephole arith and 2·H clip compares. All times T·N (seq_length·batch_size
    from X by layout), summed over the D directions; I = input_size, H = hidden_size.

    The forget gate's contraction is still counted with input_forget (W holds 4 gates; the
    runtime computes it, as onnxruntime's CPU kernel does). sequence_lens is not read: every
    sequence is counted at the full seq_length, an upper bound. initial_h and initial_c change
    nothing (the recurrence contraction is counted at step 0 too). The seeds count
    (E + H)·H·4·2 FLOPs per step: 2·MACs, without the cell and activations.
    """
    dims = _dims(view, 4)
    h, i = dims.hidden, dims.inp
    peep = _check_optional(view, 7, "P", (dims.dirs, 3 * h))
    coupled = bool(view.attr("input_forget", 0))
    computed = 3 if coupled else 4  # gates whose pre-activation gets bias and clip: i, o, c (and f)
    peeped = computed - 1  # gates with a peephole and activation f: i, o (and f)
    base = Cost(macs=4 * h * (i + h), dots=4 * h, arith=4 * h + (h if coupled else 0))
    base = base + _gates(h, computed, view.has_input(3), view.attr("clip") is not None)
    if peep:
        base = base + Cost(arith=2 * peeped * h)  # one multiply, one add each
    per_dir = [
        base + f.scaled(peeped * h) + g.scaled(h) + hh.scaled(h)
        for f, g, hh in _activations(view, ("Sigmoid", "Tanh", "Tanh"), dims.dirs)
    ]
    return _total(dims, per_dir)


@rule("GRU")
def gru(view: NodeView) -> Cost:
    """Per step, batch row and direction: 3·H·(I + H) MACs and 3·H dots (4·H when
    linear_before_reset: Ht−1·Rh^T is then a dot of its own); 6·H bias_adds when B is given;
    the reset multiply rt⊙(…): H arith (+H adds joining the two partial sums with
    linear_before_reset); Ht = (1 − zt)⊙ht + zt⊙Ht−1: 4·H arith; clip: 6·H compares;
    activations: 2·H of f (z, r), H of g at their per-element cost (default Sigmoid 4, Tanh 1).
    All times T·N (seq_length·batch_size from X by layout), summed over the D directions;
    I = input_size, H = hidden_size.

    linear_before_reset moves where Rbh and rt enter but leaves the FLOPs unchanged (one more dot
    saves one add less, one add more). sequence_lens is not read: every sequence is counted at
    the full seq_length, an upper bound; initial_h changes nothing.
    """
    dims = _dims(view, 3)
    h, i = dims.hidden, dims.inp
    lbr = bool(view.attr("linear_before_reset", 0))
    base = Cost(macs=3 * h * (i + h), dots=(4 if lbr else 3) * h, arith=(6 if lbr else 5) * h)
    base = base + _gates(h, 3, view.has_input(3), view.attr("clip") is not None)
    per_dir = [base + f.scaled(2 * h) + g.scaled(h) for f, g in _activations(view, ("Sigmoid", "Tanh"), dims.dirs)]
    return _total(dims, per_dir)


@rule("RNN")
def rnn(view: NodeView) -> Cost:
    """Per step, batch row and direction: H·(I + H) MACs and H dots; 2·H bias_adds when B is
    given; clip: 2·H compares; H of the activation f at its per-element cost (default Tanh 1).
    All times T·N (seq_length·batch_size from X by layout), summed over the D directions;
    I = input_size, H = hidden_size.

    sequence_lens is not read: every sequence is counted at the full seq_length, an upper bound;
    initial_h changes nothing.
    """
    dims = _dims(view, 1)
    h, i = dims.hidden, dims.inp
    base = Cost(macs=h * (i + h), dots=h) + _gates(h, 1, view.has_input(3), view.attr("clip") is not None)
    per_dir = [base + f.scaled(h) for (f,) in _activations(view, ("Tanh",), dims.dirs)]
    return _total(dims, per_dir)
