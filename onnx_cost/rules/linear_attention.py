"""LinearAttention (opset 27) and SwiGLU (opset 28), counted as the sums of their function bodies.

LinearAttention's body is a Scan over the T time steps of the recurrence (its chunk-parallel
form is a kernel's choice: chunk_size "does not affect output correctness", nor the count here).
Symbols: B batch, T steps, Hq/Hkv query/key-value heads, dk key head size (query last dim / Hq),
dv value head size (value last dim / Hkv), S = B·T (batch-steps). Per batch-step, per KV head
state (dk × dv), the body does (matmul MACs and dots with the project's MatMul convention):
- outer product k_t ⊗ write row: dk·dv MACs of 1 term each (dots = dk·dv: flops dk·dv muls);
- state add: dk·dv adds;
- read q_t^T·S for every query head: Hq·dk·dv MACs, Hq·dv dots; scale: Hq·dv muls;
- gated modes: exp of the decay (Hkv·dk values per step, or Hkv for a per-head decay) and the
  decay mul of the state: dk·dv muls;
- delta modes: the retrieval S^T·k_t: dk·dv MACs, dv dots; v_t − retrieved: dv subs;
  β·(difference): dv muls.
"""

from __future__ import annotations

from onnx_cost.rules._elementwise import per_element
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError
from onnx_cost.rules.registry import rule

RULES = ("linear", "gated", "delta", "gated_delta")


def _packed(view: NodeView, i: int, what: str, b: int, t: int) -> int:
    """The last dim of 3-D input ``i`` (B, T, X), checking its B and T."""
    s = view.in_shape(i)
    if len(s) != 3 or s[0] != b or s[1] != t:
        raise RuleError(f"LinearAttention '{view.name}': {what} {list(s)} should be 3-D [{b}, {t}, ...]")
    return s[2]


def _heads(view: NodeView) -> tuple[int, int]:
    hq, hkv = int(view.attr("q_num_heads", 0)), int(view.attr("kv_num_heads", 0))
    if hq < 1 or hkv < 1 or hq % hkv:
        raise RuleError(
            f"LinearAttention '{view.name}': q_num_heads={hq} must be a positive multiple of kv_num_heads={hkv}"
        )
    return hq, hkv


@rule("LinearAttention")
def linear_attention(view: NodeView) -> Cost:
    """The recurrent form of the body, S = B·T batch-steps, state dk × dv per KV head: macs =
    S·(Hkv·dk·dv + Hq·dk·dv), dots = S·(Hkv·dk·dv + Hq·dv), arith = S·(Hkv·dk·dv + Hq·dv) (state
    add, output scale) for 'linear'; 'gated' adds arith S·Hkv·dk·dv (decay mul) and transcendental
    S·E (exp of the decay; E = Hkv·dk for a (B, T, Hkv·dk) decay, Hkv for (B, T, Hkv)); 'delta' adds
    macs S·Hkv·dk·dv, dots S·Hkv·dv (retrieval S^T·k) and arith 2·S·Hkv·dv (subtract, β mul);
    'gated_delta' adds both. dk = query last dim / Hq, dv = value last dim / Hkv.

    Not counted: the one-off 1/√dk of a zero scale and the body's shape arithmetic (folded by any
    kernel, as for Attention): the expanded body (onnx's *_expanded node tests) counts exactly 2
    transcendental (Sqrt, Reciprocal; 0 with an explicit scale) and 2 int_ops (the dk, dv Divs) more.
    The GQA expansion of the state to the Hq query heads is data movement.
    A chunk-parallel kernel (the WY form) does more arithmetic for the same result; the count is the
    spec's sequential recurrence. The key L2 normalization the spec recommends is upstream.
    """
    hq, hkv = _heads(view)
    q = view.in_shape(0)
    if len(q) != 3:
        raise RuleError(f"LinearAttention '{view.name}': query {list(q)} should be 3-D (B, T, Hq·dk)")
    b, t = q[0], q[1]
    k_last, v_last = _packed(view, 1, "key", b, t), _packed(view, 2, "value", b, t)
    if q[2] % hq or v_last % hkv or k_last != hkv * (q[2] // hq):
        raise RuleError(
            f"LinearAttention '{view.name}': query last dim {q[2]}, key {k_last}, value {v_last} do not split into "
            f"q_num_heads={hq}, kv_num_heads={hkv} heads of one key size"
        )
    dk, dv = q[2] // hq, v_last // hkv
    mode = view.attr("update_rule")
    if mode not in RULES:
        raise RuleError(f"LinearAttention '{view.name}': update_rule={mode!r} is not one of {', '.join(RULES)}")
    if view.has_input(3) and tuple(view.in_shape(3)) != (b, hkv, dk, dv):
        raise RuleError(f"LinearAttention '{view.name}': past_state {list(view.in_shape(3))} should be "
                        f"{[b, hkv, dk, dv]}")
    s, state = b * t, hkv * dk * dv
    macs, dots, arith, trans = s * (state + hq * dk * dv), s * (state + hq * dv), s * (state + hq * dv), 0
    if mode in ("gated", "gated_delta"):
        if not view.has_input(4):
            raise RuleError(f"LinearAttention '{view.name}': update_rule={mode!r} needs the decay input")
        e = _packed(view, 4, "decay", b, t)
        if e not in (hkv * dk, hkv):
            raise RuleError(f"LinearAttention '{view.name}': decay last dim {e} should be Hkv·dk={hkv * dk} or "
                            f"Hkv={hkv}")
        arith += s * state
        trans += s * e
    if mode in ("delta", "gated_delta"):
        if not view.has_input(5):
            raise RuleError(f"LinearAttention '{view.name}': update_rule={mode!r} needs the beta input")
        if _packed(view, 5, "beta", b, t) not in (hkv, 1):
            raise RuleError(f"LinearAttention '{view.name}': beta {list(view.in_shape(5))} should end in Hkv={hkv} or "
                            f"1")
        macs += s * state
        dots += s * hkv * dv
        arith += 2 * s * hkv * dv
    return Cost(macs=macs, dots=dots, arith=arith, transcendental=trans)


@rule("SwiGLU")
def swiglu(view: NodeView) -> Cost:
    """y = Swish_alpha(A)·B, the body Swish then Mul: per output element 6 arith (mul alpha, neg, add,
    div, mul A: Swish; mul B: the gate) + 1 transcendental (exp) = 7 FLOPs; 7·N FLOPs, N = elements
    of A (= of B = of the output).

    No projection and no split: A and B arrive already projected (the op is only the gating).
    alpha = 1 is not specialised (the project's Swish convention).
    """
    a, b = view.in_shape(0), view.in_shape(1)
    if tuple(a) != tuple(b):
        raise RuleError(f"SwiGLU '{view.name}': A {list(a)} and B {list(b)} must have the same shape (no broadcasting)")
    return per_element(view, Cost(arith=6, transcendental=1))
