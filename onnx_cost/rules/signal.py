"""Signal processing: DFT, STFT, the window generators and MelWeightMatrix.

Transform convention: a line of length N (dft_length) is counted as the textbook radix-2 FFT,
5·N·log2(N) real arith (N/2·log2 N butterflies of one complex multiply, 6, and two complex adds,
4), when N is a power of two; otherwise as the direct DFT, a real matrix–vector product against
the DFT matrix: per output point and component (c_out = 2 complex, 1 real) one dot of N·c_in
terms (c_in = 2 complex input, 1 real), i.e. macs = N·c_in·c_out·m and dots = c_out·m per line of m
output points. Twiddle factors and the DFT matrix are constants: not counted.
"""

from __future__ import annotations

from math import prod

from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError
from onnx_cost.rules.registry import rule


def transform_cost(lines: int, n: int, m: int, c_in: int, c_out: int) -> Cost:
    """``lines`` transforms of length ``n`` with ``m`` output points: FFT when n is a power of 2, else direct."""
    if n <= 0 or lines == 0:
        return Cost()
    if n & (n - 1) == 0:
        return Cost(arith=lines * 5 * n * (n.bit_length() - 1))
    return Cost(macs=lines * n * c_in * c_out * m, dots=lines * c_out * m)


def _scalar(view: NodeView, i: int) -> int:
    return int(view.in_value(i).reshape(-1)[0])


@rule("DFT")
def dft(view: NodeView) -> Cost:
    """Per line (lines = input elements / (axis dim·c_in)): N = dft_length (default: the axis dim, 2·(dim − 1) for the
    inverse one-sided IRFFT); N a power of 2: 5·N·log2 N arith (radix-2 FFT); else direct DFT: macs = N·c_in·c_out·m,
    dots = c_out·m, with m output points (N//2 + 1 for the forward one-sided RFFT, else N), c_in = input last dim and
    c_out = 1 for the IRFFT, else 2 (1 real, 2 complex); inverse adds the 1/N scaling, c_out·m arith per line.

    Not counted: zero padding and truncation to dft_length (data movement). The FFT count is the
    complex FFT even for real input or one-sided output (a real FFT could do about half); the
    direct count treats zero-padded terms as computed. Opset 17 takes axis as an attribute
    (default 1), opset 20 as an input (default −2; its value must be known).
    """
    x = view.in_shape(0)
    rank = len(x)
    if view.opset >= 20:
        axis = _scalar(view, 2) if view.has_input(2) else -2
    else:
        axis = int(view.attr("axis", 1))
    if not (-rank <= axis <= -2 or 0 <= axis <= rank - 2):
        raise RuleError(f"DFT axis {axis} is not a signal axis of input {list(x)} (the last dim holds re/im)")
    axis %= rank
    c_in = x[-1]
    if c_in not in (1, 2):
        raise RuleError(f"DFT input last dim {c_in} must be 1 (real) or 2 (complex)")
    inverse, onesided = bool(view.attr("inverse")), bool(view.attr("onesided"))
    if view.has_input(1):
        n = _scalar(view, 1)
    else:
        n = 2 * (x[axis] - 1) if inverse and onesided else x[axis]
    c_out = 1 if inverse and onesided else 2
    m = n // 2 + 1 if onesided and not inverse else n
    lines = prod(x) // (x[axis] * c_in) if x[axis] else 0
    cost = transform_cost(lines, n, m, c_in, c_out)
    if inverse:
        cost = cost + Cost(arith=lines * c_out * m)
    return cost


@rule("STFT")
def stft(view: NodeView) -> Cost:
    """Per frame (B·frames of them, L = frame_length, its input or else the window's length, else the signal length):
    the window multiply, L·c_in muls when a window is given (c_in = 1 real, 2 complex signal), then a transform of
    length L with m = output bins (L//2 + 1 one-sided, else L): 5·L·log2 L arith when L is a power of 2, else direct DFT
    macs = L·c_in·2·m, dots = 2·m.

    A rank-2 signal [batch, length], which the spec (STFT-17: rank 3) does not allow but
    onnxruntime runs as a real signal, is counted as [batch, length, 1], with a warning.
    Framing (strided views of the signal) is data movement, not counted. The bins follow the
    onesided attribute (schema default 1; complex input is always two-sided), not the inferred
    output shape: onnx 1.23's shape inference takes an absent onesided as 0.
    """
    sig, y = view.in_shape(0), view.out_shape(0)
    if len(sig) == 2:  # [batch, length]: a real signal as onnxruntime runs it (the spec says rank 3; a warning says so)
        sig = (*sig, 1)
    if len(sig) != 3 or sig[2] not in (1, 2) or len(y) != 4:
        raise RuleError(f"STFT signal {list(sig)} must be [batch, length, 1 or 2] with output [batch, frames, bins, 2]")
    if view.has_input(3):
        length = _scalar(view, 3)
    elif view.has_input(2):
        length = view.in_shape(2)[0]
    else:
        length = sig[1]
    c_in = sig[2]
    bins = length // 2 + 1 if view.attr("onesided") and c_in == 1 else length
    lines = y[0] * y[1]
    window = Cost(arith=lines * length * c_in) if view.has_input(2) else Cost()
    return window + transform_cost(lines, length, bins, c_in, 2)


@rule("HannWindow")
def hann_window(view: NodeView) -> Cost:
    """Per element of the window (size of them), sin²(π·n/N): 3 arith (mul, div, square) + 1 transcendental (sin).

    N = size when periodic, size − 1 when symmetric: same count.
    """
    n = view.out_numel(0)
    return Cost(arith=3 * n, transcendental=n)


@rule("HammingWindow")
def hamming_window(view: NodeView) -> Cost:
    """Per element of the window, α − β·cos(2π·n/N): 4 arith (mul, div, mul by β, sub) + 1 transcendental (cos)."""
    n = view.out_numel(0)
    return Cost(arith=4 * n, transcendental=n)


@rule("BlackmanWindow")
def blackman_window(view: NodeView) -> Cost:
    """Per element of the window, with a = 2π·n/N: 0.42 − 0.5·cos(a) + 0.08·cos(2a): 7 arith (mul, div for a, mul for
    2a, 2 muls by the coefficients, 2 adds) + 2 transcendental (cos).

    The reference computes 4π·n/N afresh (8 arith); we reuse a.
    """
    n = view.out_numel(0)
    return Cost(arith=7 * n, transcendental=2 * n)


@rule("MelWeightMatrix")
def mel_weight_matrix(view: NodeView) -> Cost:
    """Bound, for the [S, M] output (S = dft_length//2 + 1 spectrogram bins, M mel bins): every element a triangle ramp,
    1 sub + 1 div: 2·S·M arith; plus the edges, 2 hz→mel (f/700, +1, ·2595: 3 arith + 1 log10 each) and the step (2
    arith), and M + 2 band edges each lo + i·step (2), hz (3 arith + 1 pow) and the spectrogram bin (3): arith = 2·S·M +
    8·(M + 2) + 8, transcendental = M + 4.

    Elements outside every triangle are zeros, not computed: 2·S·M is an upper bound.
    """
    s, m = view.out_shape(0)
    return Cost(arith=2 * s * m + 8 * (m + 2) + 8, transcendental=m + 4)
