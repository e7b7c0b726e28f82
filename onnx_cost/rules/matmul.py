"""Linear algebra: Gemm, MatMul, Einsum.

A contraction counts ``macs`` (one multiply-accumulate per term) and ``dots``
(one per output element that is a sum of at least one product), so that
``flops = 2·macs − dots``: a dot of K terms is K multiplies and K − 1 adds,
the seeds' (2I − 1)·O per row of a fully connected layer. Adding Gemm's C
is one bias add per output element, which makes it the seeds' 2I·O.

On integer inputs the MACs count in ``macs`` and in ``int_macs`` (their integer
part) and the operations go to ``int_ops`` (a MAC counting two, less one add per
dot) instead of ``flops``.
"""

from __future__ import annotations

from collections import Counter
from math import prod
from string import ascii_letters

from onnx_cost.rules._matmul import gemm_dims
from onnx_cost.rules._routing import routed
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError, broadcast
from onnx_cost.rules.registry import rule


def _contraction(outputs: int, k: int) -> Cost:
    """``outputs`` dots of ``k`` terms each (a dot of no terms costs nothing)."""
    return Cost(macs=outputs * k, dots=outputs if k > 0 else 0)


# -- Gemm ---------------------------------------------------------------------


@rule("Gemm")
def gemm(view: NodeView) -> Cost:
    """M·N·K MACs, where A' (A, transposed when transA) is M×K and B' is K×N; dots = M·N;
    bias_adds = M·N when C is given and beta ≠ 0; arith adds M·N multiplies when alpha ≠ 1 and
    numel(C) multiplies when C is given and beta is neither 0 nor 1 (C is scaled once, before it
    broadcasts). Integer inputs: int_macs = M·N·K and int_ops = the same operations.

    With C this is the seeds' 2·K·N FLOPs per row (2I·O), without it (2K − 1)·N. A BLAS-based
    runtime applies beta to the M·N outputs rather than to C's own elements; the ONNX reference
    evaluator scales C first, as counted here. fvcore and thop count M·N·K MACs and ignore
    alpha, beta and C.
    """
    m, k, n = gemm_dims(view)
    cost = _contraction(m * n, k)
    alpha, beta = float(view.attr("alpha")), float(view.attr("beta"))
    extra = Cost(arith=m * n) if alpha != 1.0 else Cost()
    if view.has_input(2) and beta != 0.0:
        c = view.in_shape(2)
        if len(c) > 2 or any(d not in (1, t) for d, t in zip(reversed(c), (n, m))):
            raise RuleError(f"Gemm C {list(c)} does not broadcast to the output [{m}, {n}]")
        extra = extra + Cost(bias_adds=m * n, arith=prod(c) if beta != 1.0 else 0)
    return routed(view, cost + extra)


# -- MatMul -------------------------------------------------------------------


@rule("MatMul")
def matmul(view: NodeView) -> Cost:
    """P·M·N·K MACs, where A is [..., M, K], B is [..., K, N] and P is the product of the
    numpy broadcast of both operands' leading (batch) dims; a 1-D A is read as 1×K and a 1-D B as
    K×1 (so a 1-D · 1-D dot product is K MACs and 1 dot); dots = P·M·N. Integer inputs:
    int_macs = P·M·N·K and int_ops = 2·int_macs − dots.

    A broadcast operand is not copied: its batch dims do not multiply the work beyond the
    broadcast batch. fvcore and thop count the same MACs (fvcore reports MACs as "flops").
    """
    a, b = view.in_shape(0), view.in_shape(1)
    if not a or not b:
        raise RuleError(f"MatMul needs operands of rank >= 1, got {list(a)} and {list(b)}")
    a2 = (1, *a) if len(a) == 1 else a
    b2 = (*b, 1) if len(b) == 1 else b
    m, k = a2[-2:]
    k2, n = b2[-2:]
    if k != k2:
        raise RuleError(f"MatMul inner dims differ: A {list(a)} has K={k}, B {list(b)} has K={k2}")
    try:
        batch = broadcast(a2[:-2], b2[:-2])
    except RuleError:
        raise RuleError(f"MatMul batch dims of A {list(a)} and B {list(b)} do not broadcast") from None
    return routed(view, _contraction(prod(batch) * m * n, k))


# -- Einsum -------------------------------------------------------------------

_ELL = "..."


def _split_term(term: str, where: str) -> tuple[str, bool, str]:
    """A term as (letters before the ellipsis, has ellipsis, letters after)."""
    if term.count(_ELL) > 1:
        raise RuleError(f"Einsum {where} '{term}' has more than one ellipsis")
    head, ell, tail = term.partition(_ELL)
    bad = sorted({c for c in head + tail if c not in ascii_letters})
    if bad:
        raise RuleError(f"Einsum {where} '{term}' has characters {bad} that are not letters or '...'")
    return head, bool(ell), tail


def _ell_labels(n: int) -> list[str]:
    return [f"{_ELL}{i}" for i in range(n)]


def _labels(equation: str, ranks: list[int]) -> tuple[list[list[str]], list[str]]:
    """Each operand's dim labels and the output labels, checked against the operands' ranks.

    Ellipsis dims become labels '...0', '...1' (every ellipsis stands for the same number of
    dims, as the spec requires).
    """
    eq = equation.replace(" ", "")
    if eq.count("->") > 1:
        raise RuleError(f"Einsum equation '{equation}' has more than one '->'")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ranks):
        raise RuleError(f"Einsum equation '{equation}' has {len(terms)} terms for {len(ranks)} inputs")
    labels: list[list[str]] = []
    n_ell: int | None = None
    for i, (term, rank) in enumerate(zip(terms, ranks)):
        head, ell, tail = _split_term(term, f"term {i}")
        e = rank - len(head) - len(tail)
        if (not ell and e != 0) or e < 0:
            raise RuleError(f"Einsum term {i} '{term}' does not match input {i} of rank {rank}")
        if ell:
            if n_ell is not None and e != n_ell:
                raise RuleError(f"Einsum ellipsis stands for {n_ell} dims in one term, {e} in term {i} '{term}'")
            n_ell = e
        labels.append(list(head) + _ell_labels(e) + list(tail))
    ells = _ell_labels(n_ell or 0)
    counts = Counter(c for t in terms for c in t if c in ascii_letters)
    if arrow:
        head, ell, tail = _split_term(rhs, "output")
        out = list(head) + (ells if ell else []) + list(tail)
        letters = head + tail
        if len(set(letters)) != len(letters):
            raise RuleError(f"Einsum output '{rhs}' repeats a letter")
        if set(letters) - set(counts):
            raise RuleError(f"Einsum output '{rhs}' uses {sorted(set(letters) - set(counts))}, absent from the inputs")
    else:
        out = ells + sorted(c for c, n in counts.items() if n == 1)
    return labels, out


def einsum_equation_error(equation: str, ranks: list[int] | None = None) -> str | None:
    """Why ``equation`` is not a valid Einsum equation (for operands of these ranks, when
    given), or None.

    For the shape engine: onnx's own Einsum inference never returns on some malformed
    equations (a stray '.', as in "i.j->i" or "....i->i"), so it can check first.
    """
    try:
        if ranks is not None:
            _labels(equation, ranks)
        else:
            eq = equation.replace(" ", "")
            if eq.count("->") > 1:
                raise RuleError(f"Einsum equation '{equation}' has more than one '->'")
            lhs, _, rhs = eq.partition("->")
            for i, term in enumerate(lhs.split(",")):
                _split_term(term, f"term {i}")
            _split_term(rhs, "output")
    except RuleError as e:
        return str(e)
    return None


def _sizes(labels: list[list[str]], shapes: list[tuple[int, ...]]) -> list[dict[str, int]]:
    """Label -> size per operand; a label's sizes must agree across operands up to broadcasting 1."""
    ops: list[dict[str, int]] = []
    seen: dict[str, int] = {}
    for i, (labs, shape) in enumerate(zip(labels, shapes)):
        sizes: dict[str, int] = {}
        for lab, d in zip(labs, shape):
            if sizes.get(lab, d) != d:
                raise RuleError(
                    f"Einsum input {i} {list(shape)} repeats '{lab}' over dims of sizes {sizes[lab]} and {d}"
                )
            sizes[lab] = d
            if d != 1 and seen.get(lab, d) != d:
                raise RuleError(f"Einsum label '{lab}' has sizes {seen[lab]} and {d} (input {i} {list(shape)})")
            if d != 1:
                seen[lab] = d
        ops.append(sizes)
    return ops


def _merge(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    out = dict(a)
    for lab, d in b.items():
        out[lab] = d if out.get(lab, 1) == 1 else out[lab]
    return out


@rule("Einsum")
def einsum(view: NodeView) -> Cost:
    """Operands contracted left to right, pairwise: each pair costs P·S MACs and P dots when
    it sums some label, where P is the number of elements of the pair's result (labels still
    needed by a later operand or the output) and S the product of the sizes of the labels it sums
    (so P·S is the product of all distinct label sizes of the two operands); a pair that sums
    nothing (outer or elementwise product) costs P arith multiplies. One operand: P·(S − 1) arith
    adds (input elements − output elements, the input counted on its distinct labels so a trace is
    n − 1 adds); a transpose or diagonal is free. Integer inputs: int_macs = the MACs and int_ops =
    all the operations.

    The contraction order matters: we follow the equation's order, left to right, as
    onnxruntime does; an optimal order (opt_einsum) can be cheaper, and numpy's unoptimized
    einsum (the ONNX reference evaluator) loops over all labels at once, which costs more. A label
    appearing in one operand only is summed within the pair's contraction, not reduced beforehand
    (onnxruntime reduces it first, which is cheaper). fvcore counts only two-operand equations it
    recognises as matmuls.
    """
    shapes = [view.in_shape(i) for i in range(len(view.inputs))]
    if not shapes:
        raise RuleError("Einsum has no inputs")
    equation = view.attr("equation")
    if not isinstance(equation, str):
        raise RuleError("Einsum has no equation attribute")
    labels, out = _labels(equation, [len(s) for s in shapes])
    ops = _sizes(labels, shapes)
    if len(ops) == 1:
        sizes = ops[0]
        s = prod(d for lab, d in sizes.items() if lab not in out)
        return routed(view, Cost(arith=prod(sizes.get(lab, 1) for lab in out) * max(s - 1, 0)))
    cost, cur = Cost(), ops[0]
    for i in range(1, len(ops)):
        merged = _merge(cur, ops[i])
        later = set(out).union(*ops[i + 1 :])
        kept = {lab: d for lab, d in merged.items() if lab in later}
        p = prod(kept.values())
        summed = [d for lab, d in merged.items() if lab not in later]
        cost = cost + (_contraction(p, prod(summed)) if summed else Cost(arith=p))
        cur = kept
    return routed(view, cost)
