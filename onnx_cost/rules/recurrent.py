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

from onnx_cost.rules._recurrent import activation_costs, gate_costs, lstm_cost, over_steps, recurrent_dims
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView
from onnx_cost.rules.registry import rule


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
    return lstm_cost(view, recurrent_dims(view, 4))


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
    dims = recurrent_dims(view, 3)
    h, i = dims.hidden, dims.inp
    lbr = bool(view.attr("linear_before_reset", 0))
    base = Cost(macs=3 * h * (i + h), dots=(4 if lbr else 3) * h, arith=(6 if lbr else 5) * h)
    base = base + gate_costs(h, 3, view.has_input(3), view.attr("clip") is not None)
    per_dir = [base + f.scaled(2 * h) + g.scaled(h) for f, g in activation_costs(view, ("Sigmoid", "Tanh"), dims.dirs)]
    return over_steps(dims, per_dir)


@rule("RNN")
def rnn(view: NodeView) -> Cost:
    """Per step, batch row and direction: H·(I + H) MACs and H dots; 2·H bias_adds when B is
    given; clip: 2·H compares; H of the activation f at its per-element cost (default Tanh 1).
    All times T·N (seq_length·batch_size from X by layout), summed over the D directions;
    I = input_size, H = hidden_size.

    sequence_lens is not read: every sequence is counted at the full seq_length, an upper bound;
    initial_h changes nothing.
    """
    dims = recurrent_dims(view, 1)
    h, i = dims.hidden, dims.inp
    base = Cost(macs=h * (i + h), dots=h) + gate_costs(h, 1, view.has_input(3), view.attr("clip") is not None)
    per_dir = [base + f.scaled(h) for (f,) in activation_costs(view, ("Tanh",), dims.dirs)]
    return over_steps(dims, per_dir)
