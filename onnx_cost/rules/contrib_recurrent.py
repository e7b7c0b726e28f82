"""ONNX Runtime's quantized recurrent layer (com.microsoft): DynamicQuantizeLSTM, which its
dynamic quantizer writes for every LSTM (W stored [D, I, 4H], R [D, H, 4H], int8 or uint8).
"""

from __future__ import annotations

from typing import Any

from onnx_cost.rules._recurrent import lstm_cost, recurrent_dims
from onnx_cost.rules._routing import int_contraction
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView
from onnx_cost.rules.registry import MS_DOMAIN, rule, shape_of


@rule("DynamicQuantizeLSTM", domain=MS_DOMAIN)
def dynamic_quantize_lstm(view: NodeView) -> Cost:
    """As LSTM, per step, batch row and direction, with the gate contraction in integer: 4·H·(I + H)
    MACs, all int_macs, as two integer products X_t·W (dots of I terms) and H_t−1·R (dots of H
    terms): int_ops 2·int_macs − 8·H; each product dequantized (1 mul by the combined scale) and
    the two joined (1 add): 12·H arith; X_t and H_t−1 quantized on the fly as DynamicQuantizeLinear
    does it, per element 3 arith (divide, round, zero point) + 4 compare (min, max, saturate):
    (I + H)·(3 arith + 4 compare); the rest as LSTM (8·H bias_adds with B, cell 4·H arith,
    peepholes, clip, activations). All times T·N, summed over the D directions.

    The per-tensor scale and zero point of each quantized block (a few ops per step) and the
    weight zero points (folded into the integer GEMM by ONNX Runtime) are not counted.
    """
    dims = recurrent_dims(view, 4, transposed=True)
    cells = dims.steps * dims.dirs  # cell evaluations
    h, i = dims.hidden, dims.inp
    floats = lstm_cost(view, dims)  # its macs and dots are the gate contraction
    ints = int_contraction(floats.macs, 8 * h * cells)
    rest = Cost(bias_adds=floats.bias_adds, arith=floats.arith, transcendental=floats.transcendental,
                compare=floats.compare)
    quant = Cost(arith=cells * (12 * h + 3 * (i + h)), compare=cells * 4 * (i + h))
    return ints + rest + quant


@shape_of("DynamicQuantizeLSTM", domain=MS_DOMAIN)
def _dynamic_quantize_lstm_shape(view: NodeView) -> list[Any]:
    x = view.inputs[0].shape if view.inputs and view.inputs[0] is not None else None
    r = view.inputs[2].shape if len(view.inputs) > 2 and view.inputs[2] is not None else None
    h = view.attr("hidden_size") or (r[1] if r is not None and len(r) == 3 else None)
    d = 2 if view.attr("direction") == "bidirectional" else 1
    dt = view.in_dtype(0)
    if x is None or len(x) != 3:
        return [(None, dt)] * 3
    state = ((d, x[1], h), dt)
    return [((x[0], d, x[1], h), dt), state, state]
