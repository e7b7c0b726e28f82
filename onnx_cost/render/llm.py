"""``onnx-cost llm`` as a table (plain text), Markdown or JSON.

Input, dim and op names come from the model: text escapes them (``analyzer.text.escape``),
Markdown makes them inert (``render.markdown.md_text``), JSON carries them as strings.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from onnx_cost.errors import printable
from onnx_cost.text import bytes_text, time_text, unit_text
from onnx_cost.views.llm.result import LlmResult, Step

Esc = Callable[[str], str]


def _n(x: int) -> str:
    return f"{x:,}"


def _bytes(x: float | None) -> str:
    """Bytes in the decimal units of every other screen (the hardware view's), with the exact count."""
    if x is None:
        return "-"
    return f"{bytes_text(x)} ({int(x):,} B)" if abs(x) >= 1000 else f"{int(x):,} B"


def _dim(d: str | int, esc: Esc) -> str:
    return esc(d) if isinstance(d, str) else f"fixed at {d}"


def _share(st: Step, esc: Esc, top: int = 5) -> str:
    items = [(k, v) for k, v in st.share_by_op_type.items() if v > 0][:top]
    return ", ".join(f"{esc(k)} {v:.0%}" for k, v in items)


def rows(r: LlmResult, esc: Esc) -> list[list[str]]:
    """The steps side by side: [what, prefill, decode]."""
    pre, dec = r.prefill, r.decode

    def both(f: Callable[[Step], str]) -> tuple[str, str]:
        return (f(pre) if pre is not None else "no prefill"), f(dec)

    def latency(s: Step) -> str:
        return time_text(s.latency_s) + (" to first token" if s.phase == "prefill" else " per token")

    out = [
        ["new tokens", *both(lambda s: _n(s.new_tokens))],
        ["cached tokens", *both(lambda s: _n(s.past_tokens))],
        ["MACs", *both(lambda s: _n(s.macs))],
        ["FLOPs", *both(lambda s: _n(s.flops))],
        ["ops", *both(lambda s: _n(s.ops))],
        ["bytes (as written)", *both(lambda s: _n(s.bytes))],
    ]
    if dec.latency_s is not None:
        out += [
            [f"latency ({dec.latency_basis})", *both(latency)],
            ["tokens/s" + (f" (batch {r.batch})" if r.batch > 1 else ""), *both(lambda s: unit_text(s.tokens_per_s,
                                                                                                "tok/s"))],
            ["latency floor (a lower bound)", *both(lambda s: time_text(s.floor_s))],
            ["bound (roofline)", *both(lambda s: s.bound or "-")],
        ]
    return out


def lines(r: LlmResult, esc: Esc) -> list[str]:
    """The paragraphs after the steps table, one a line."""
    ro, kv, ideal = r.roles, r.kv, r.ideal
    out: list[str] = []
    if r.prefill is None:
        out.append(f"Prefill: {esc(r.prefill_note)}.")
    caches = ", ".join(esc(c.name) for c in ro.caches[:4]) + (f" ... ({len(ro.caches)} in all)"
                                                              if len(ro.caches) > 4 else "")
    merged = f"; merged decoder: {esc(ro.merged_flag)} true for decode, false for prefill" if ro.merged_flag else ""
    out.append(f"Roles: tokens '{esc(ro.token_input)}', batch dim {_dim(ro.batch_dim, esc)}, new-token dim "
               f"{_dim(ro.new_dim, esc)}, past dim {esc(ro.past_dim)}; KV cache {ro.layout}: {caches}{merged}.")
    out.append(f"KV cache: {_bytes(kv.bytes_per_token)} per token of one sequence; at context {_n(kv.context)}: "
               f"{_bytes(kv.bytes_at_context)}" + (f"; batch {r.batch}: {_bytes(kv.bytes_for_batch)}"
                                                   if r.batch > 1 else "") + ".")
    out.append(f"Weights: {_bytes(r.weight_bytes)} (params and constants).")
    ratio = ideal.as_written_bytes / ideal.ideal_bytes if ideal.ideal_bytes else 0.0
    out.append(
        f"Decode bytes: as written {_bytes(ideal.as_written_bytes)}; ideal {_bytes(ideal.ideal_bytes)} (weights "
        f"{_n(ideal.weight_bytes)} + cache read {_n(ideal.cache_read_bytes)} + new entries written "
        f"{_n(ideal.cache_write_bytes)}): {ratio:.2f}x; the graph moves {_n(ideal.as_written_per_cached_token)} B "
        f"more per cached token, the cache holds {_n(ideal.cache_bytes_per_token)} B per token of the batch."
    )
    for st in (r.prefill, r.decode):
        if st is not None and st.share_by_op_type:
            out.append(f"{st.phase.capitalize()} per-node roofline floor by op type: {_share(st, esc)}.")
    mem = r.memory
    if mem is not None:
        cap = mem.capacity_bytes
        verdict = "" if mem.fits is None else ("fits" if mem.fits else "does NOT fit")
        longest = ""
        if cap is not None:
            longest = ("; no context fits" if mem.max_context is None else
                       f"; longest context that fits: {'' if mem.max_context_exact else 'at least '}"
                       f"{_n(mem.max_context)}")
        out.append(f"Memory on {esc(r.device)}: weights {_bytes(mem.weight_bytes)} + KV cache {_bytes(mem.kv_bytes)}"
                   f" + peak activations {_bytes(mem.activation_bytes)} = {_bytes(mem.needed_bytes)}"
                   + (f" of {_bytes(cap)}: {verdict}{longest}." if cap is not None else " (no capacity figure)."))
    scan = r.batch_scan
    if scan is not None:
        cross = f"at batch {_n(scan.crossover)}" if scan.crossover else "never (memory time grows as fast)"
        per = ", ".join(f"{esc(k)} {_n(v) if v else 'never'}" for k, v in scan.by_op_type.items())
        tps = ", ".join(f"{b}: {unit_text(v, 'tok/s')}" for b, v in scan.tokens_per_s.items())
        out.append(f"Batch (decode, per-node roofline {scan.basis}s): turns compute-bound {cross}; by op type: {per}.")
        out.append(f"Tokens/s by batch (from the per-node roofline {scan.basis}s, not the prediction): {tps}.")
    me = r.measured
    if me is not None:
        mbu = f"{me.mbu:.3g}" if me.mbu is not None else "-"
        out.append(
            f"Measured decode (onnxruntime {esc(me.onnxruntime)}, median of {me.runs}): {time_text(me.latency_s)}; "
            f"achieved {unit_text(me.achieved_bytes_per_s, 'B/s')} as written, "
            f"{unit_text(me.ideal_bytes_per_s, 'B/s')} ideal; MBU {mbu} of {unit_text(me.bandwidth_bytes_per_s, 'B/s')}"
            + (f" ({me.mbu_as_written:.3g} as written)" if me.mbu_as_written is not None else "") + "."
        )
    out += [f"Note: {esc(n)}." for n in r.notes]
    return out


def _title(r: LlmResult) -> tuple[str, str, str]:
    pre = "prefill" if r.prefill is None else f"prefill ({_n(r.prompt)} tokens)"
    return "", pre, f"decode (context {_n(r.context)})"


def to_table(r: LlmResult, width: int | None = None) -> str:
    from onnx_cost.render.hardware import fit
    from onnx_cost.text import Column, escape, table, terminal_width

    def esc(s: str) -> str:
        return escape(printable(s, 300))

    width = width or terminal_width()
    head = [f"{esc(r.model)}: batch {r.batch}" + (f", on {esc(r.device)}" if r.device else "")]
    cols = [Column(t, right=i > 0) for i, t in enumerate(_title(r))]
    body = table(cols, rows(r, esc), width)
    return fit(head, width) + "\n".join(body) + "\n" + fit(lines(r, esc), width)


def to_markdown(r: LlmResult) -> str:
    from onnx_cost.render.markdown import md_table, md_text

    def esc(s: str) -> str:
        return md_text(s, 300)

    out = [f"## LLM view: {esc(r.model)}", "", f"Batch {r.batch}" + (f", on {esc(r.device)}" if r.device else "")
           + ".", "", md_table(list(_title(r)), rows(r, esc)).rstrip("\n"), ""]
    out += [f"- {ln}" for ln in lines(r, esc)]
    return "\n".join(out) + "\n"


def to_json(r: LlmResult) -> str:
    return json.dumps(r.to_dict(), indent=2) + "\n"
