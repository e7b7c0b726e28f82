"""``onnx_cost.llm``: prefill and decode totals of a decoder export from the exact analysis
(every dim bound explicitly), the KV cache, and, with a device, latency, memory fit and the
batch where decode turns compute-bound. docs/llm.md works one model by hand.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import onnx

from onnx_cost.errors import BindingError
from onnx_cost.text import time_text
from onnx_cost.views.llm.result import BatchScan, Ideal, KvCache, LlmResult, Memory, Step
from onnx_cost.views.llm.roles import Roles, expression_dims, find_roles

if TYPE_CHECKING:
    from onnx_cost.analyzer import Prepared
    from onnx_cost.api import ModelSource, RuleFiles
    from onnx_cost.model.report import Report
    from onnx_cost.views.hardware.devices import Device
    from onnx_cost.views.hardware.roofline import Roofline

SCAN_BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
MAX_SEARCH = 12  # analyses the longest-context search may run


class _Model:
    """The model ready for analyses: with optimum's ``use_cache_branch`` input replaced by
    a one-element initializer (true for decode, false for prefill), so that the If
    counts the branch that runs; every call binds every role dim."""

    def __init__(self, src: Prepared, roles: Roles, extra: Mapping[str, int], rules: RuleFiles) -> None:
        self.src, self.roles, self.extra, self.rules = src, roles, dict(extra), rules
        self._flagged: dict[bool, Prepared] = {}

    def prepared(self, use_cache: bool) -> Prepared:
        if not self.roles.merged_flag:
            return self.src
        if use_cache not in self._flagged:
            from onnx_cost.analyzer import prepare

            proto = onnx.ModelProto()
            proto.CopyFrom(self.src.proto)
            g = proto.graph
            flag = next(v for v in g.input if v.name == self.roles.merged_flag)
            dims = [d.dim_value or 1 for d in flag.type.tensor_type.shape.dim]
            g.initializer.append(onnx.helper.make_tensor(flag.name, onnx.TensorProto.BOOL, dims,
                                                         [use_cache] * math.prod(dims)))
            g.input.remove(flag)
            self._flagged[use_cache] = prepare(proto, None if self.src.path == "<in-memory>" else self.src.path)
        return self._flagged[use_cache]

    def binding(self, batch: int, new: int, past: int) -> dict[str, int]:
        b = {**self.extra, **self.roles.binding(batch, new, past)}
        b.update(expression_dims(self.src.proto, b))
        return b

    def analyze(self, batch: int, new: int, past: int, use_cache: bool = True) -> Report:
        """The exact analysis of one step, every role dim bound (``use_cache``: the merged
        decoder's branch; false for prefill)."""
        from onnx_cost import api

        # bind="none": exactly the role dims bound here, never a default for a dim left free
        return api.analyze(self.prepared(use_cache), dims=self.binding(batch, new, past), rules=self.rules,
                           bind="none")

    def flag_bytes(self, report: Report) -> int:
        """Bytes of the stand-in flag initializer (counted with the constants): left out of the weights."""
        name = self.roles.merged_flag
        return (report.constant_sizes.get(name, (0, 0))[1] + report.param_sizes.get(name, (0, 0))[1]) if name else 0


def llm(
    model: ModelSource,
    *,
    prompt: int | None = None,
    context: int = 2048,
    batch: int = 1,
    device: str | Device | None = None,
    seq_dim: str | None = None,
    past_dim: str | None = None,
    dims: Mapping[str, int] | None = None,
    tf32: bool = False,
    measure: bool = False,
    rules: RuleFiles = None,
) -> LlmResult:
    """The LLM deployment view of a decoder exported with its KV cache.

    ``prompt``: tokens of the prefill (default ``context``); ``context``: tokens cached
    when one decode step runs; ``batch``: sequences at once. ``device``: a preset name,
    a device file or a ``Device`` (latency, tokens/s, memory fit, batch scan).
    ``seq_dim``/``past_dim``: the new-token and past dims when their names do not say;
    ``dims``: other free dims. ``tf32``: fp32 contractions at the device's TF32 peak.
    ``measure``: run the decode step with onnxruntime. Returns a frozen ``LlmResult``
    (``.prefill``, ``.decode``, ``.kv``, ``.ideal``, ``.memory``, ``.batch_scan``,
    ``.to_dict()``). Raises UnsupportedModelError (no KV cache) or BindingError (a role
    not found).
    """
    from onnx_cost import api

    if prompt is None:
        prompt = context
    for name, v, low in (("prompt", prompt, 1), ("context", context, 0), ("batch", batch, 1)):
        if type(v) is not int or v < low:
            raise BindingError(f"--{name} {v}: give an integer >= {low}")
    src = api._prepare(model, rules)
    extra = dict(dims or {})
    roles = find_roles(src.proto, seq_dim, past_dim, extra)
    if not roles.batch_free and batch != roles.batch_dim:
        raise BindingError(f"--batch {batch}: the export fixes the batch at {roles.batch_dim}")
    m = _Model(src, roles, extra, rules)
    dev = _device(device) if device is not None or measure else None
    notes: list[str] = []

    decode_rep = m.analyze(batch, 1, context)
    # stored weights the step reads: params, constants, and the scales and zero points of
    # quantized weights (in neither of those since issue 24, but read all the same)
    quant = sum(b for _, b in decode_rep.quant_params.values())
    weights = decode_rep.total.param_bytes + decode_rep.total.constant_bytes + quant - m.flag_bytes(decode_rep)
    decode = _step("decode", decode_rep, batch, 1, context, m.binding(batch, 1, context), dev, tf32, notes)
    prefill, prefill_note = None, ""
    if roles.decode_only:
        prefill_note = (f"decode-only export: the new-token dim of '{roles.token_input}' is fixed at 1, so the graph "
                        "has no prefill (a prompt runs as one decode step per token)")
    else:
        pre = m.analyze(batch, prompt, 0, use_cache=False)
        prefill = _step("prefill", pre, batch, prompt, 0, m.binding(batch, prompt, 0), dev, tf32, notes)
    kv = KvCache(roles.bytes_per_token, context, batch, len(roles.caches), roles.layout)
    nxt = m.analyze(batch, 1, context + 1)
    ideal = Ideal(
        weight_bytes=weights,
        cache_read_bytes=kv.bytes_for_batch,
        cache_write_bytes=roles.bytes_per_token * batch,
        as_written_bytes=decode_rep.total.memory_bytes,
        as_written_per_cached_token=nxt.total.memory_bytes - decode_rep.total.memory_bytes,
        cache_bytes_per_token=roles.bytes_per_token * batch,
    )
    memory = scan = measured = None
    if dev is not None:
        memory = _memory(m, decode_rep, dev, batch, context, weights)
        if roles.batch_free:
            scan = _batch_scan(m, dev, context, tf32, decode_rep if batch == 1 else None)
            if scan is None:
                notes.append("batch scan left out: the decode step's counts are not linear in the batch")
        else:
            notes.append(f"the export fixes the batch at {roles.batch_dim}: no batch scan")
    if measure:
        from onnx_cost.runners.llm_measure import measure_decode

        assert dev is not None
        measured = measure_decode(src, m, decode_rep, ideal, dev)
        if not dev.measured:
            notes.append(f"--measure runs on this CPU; its MBU is against {dev.name}'s bandwidth "
                         "(--device local compares with this machine)")
    for phase, st in (("prefill", prefill), ("decode", decode)):
        if st is not None and st.not_counted:
            notes.append(f"{phase}: {st.not_counted} node(s) not counted: its totals are lower bounds")
    return LlmResult(
        model=src.path, roles=roles, prompt=prompt, context=context, batch=batch, prefill=prefill,
        prefill_note=prefill_note, decode=decode, kv=kv, weight_bytes=weights, ideal=ideal,
        device=dev.name if dev else "", memory=memory, batch_scan=scan, measured=measured, notes=tuple(notes),
    )


def _device(device: str | Device | None) -> Device:
    """A preset, a device file, a Device; None (``--measure`` alone): this machine, measured."""
    from onnx_cost.views.hardware.devices import load_device

    return load_device(device or "local") if isinstance(device, str) or device is None else device


def _step(phase: str, rep: Report, batch: int, new: int, past: int, dims: Mapping[str, int],
          dev: Device | None, tf32: bool, notes: list[str]) -> Step:
    """The step's totals; with a device its latency (the view's ``predicted_s`` when it has
    one, else ``floor_s``), the floor, and the per-node roofline's bound and shares. An
    uncalibrated prediction adds a note with its range to ``notes``."""
    t = rep.total
    base: dict[str, Any] = dict(
        phase=phase, new_tokens=new, past_tokens=past, batch=batch, dims=dict(dims), macs=t.macs, flops=t.flops,
        ops=t.ops, read_bytes=t.read_bytes, write_bytes=t.write_bytes, not_counted=len(rep.not_counted),
    )
    if dev is None:
        return Step(**base)
    from onnx_cost.views.hardware.latency import FLOOR, PREDICTED, latency_source
    from onnx_cost.views.hardware.roofline import roofline

    roof = roofline(rep, dev, tf32=tf32)
    data = view_data(rep, dev, roof, tf32)
    src = latency_source(data)
    # bound and shares: the per-node roofline's (node by node, op types as the batch scan names them)
    bound = max(roof.by_bound, key=lambda k: roof.by_bound[k]) if roof.by_bound else ""
    if src == PREDICTED and not data.get("calibrated"):
        lo, hi = data.get("predicted_range_s") or (None, None)
        span = f" (range {time_text(lo)} to {time_text(hi)})" if lo is not None and hi is not None else ""
        notes.append(f"{phase} latency: the hardware view's uncalibrated prediction for {dev.name}{span}: "
                     "generic efficiencies, no calibration of this device (docs/hardware.md)")
    return Step(**base, latency_s=float(data[src]), latency_basis="predicted" if src == PREDICTED else "floor",
                floor_s=float(data[FLOOR]), bound=bound, share_by_op_type=roof.share(roof.by_op_type))


def view_data(rep: Report, dev: Device, roof: Roofline, tf32: bool) -> dict[str, Any]:
    """The hardware view's data for one step (``views.hardware.data``); its latency is read
    through ``hardware.latency``, as ``check`` and ``diff --device`` read it."""
    from onnx_cost.views.hardware.footprint import Footprint
    from onnx_cost.views.hardware.view import hardware_dict

    fp = Footprint(0, 0, -1, "", 0)  # the view's footprint is not read here
    return hardware_dict(rep, dev, tf32=tf32, roof=roof, fp=fp)


def _activations(rep: Report, roles: Roles) -> int:
    """Peak live bytes of the step, the cache inputs and outputs left out (they are the KV
    cache, counted once beside it; an Identity's input aliased to a present output too)
    and the weights apart: the footprint's liveness (views/hardware/footprint.py)."""
    from onnx_cost.views.hardware.footprint import footprint

    cache = {c.name for c in roles.caches} | {c.present for c in roles.caches if c.present}
    aliases = {r.output_names[0]: r.input_names[0] for r in rep.nodes
               if not r.graph and r.op_type == "Identity" and r.input_names and r.output_names}
    grow = list(cache)
    while grow:  # an Identity into a present output: its input is the same buffer
        src = aliases.get(grow.pop())
        if src and src not in cache:
            cache.add(src)
            grow.append(src)
    tensors = {k: v for k, v in rep.tensors.items() if k not in cache}
    return footprint(rep, None, tensors).peak_activation_bytes


def _memory(m: _Model, rep: Report, dev: Device, batch: int, context: int, weights: int) -> Memory:
    roles = m.roles
    act = _activations(rep, roles)
    kv = roles.bytes_per_token * batch * context
    cap = int(dev.capacity.value) if dev.capacity else None
    if cap is None:
        return Memory(weights, kv, act, None, None, False)

    def need(c: int) -> int:
        r = rep if c == context else m.analyze(batch, 1, c)
        return weights + roles.bytes_per_token * batch * c + _activations(r, roles)

    best, exact = longest(need, context, cap)
    return Memory(weights, kv, act, cap, best, exact)


def longest(need: Callable[[int], int], start: int, cap: int) -> tuple[int | None, bool]:
    """The largest c >= 0 with need(c) <= cap, for ``need`` increasing in c: a secant search
    from ``start``, each guess checked with need() (at most MAX_SEARCH calls); (c, True) when
    bracketed exactly, (a c that fits, False) when the search stopped early, (None, True)
    when not even c = 0 fits."""
    seen: dict[int, int] = {}

    def n(c: int) -> int:
        if c not in seen:
            seen[c] = need(c)
        return seen[c]

    lo: int | None = None
    hi: int | None = None
    if n(start) <= cap:
        lo = start
    else:
        hi = start
        if start == 0 or n(0) > cap:
            return None, True
        lo = 0
    while len(seen) < MAX_SEARCH:
        if hi is not None and hi - lo <= 1:
            return lo, True
        # the slope from the two nearest points (need grows at least by one byte a token)
        pts = sorted(seen)
        a, b = (lo, hi) if hi is not None else ((pts[-2], pts[-1]) if len(pts) > 1 else (lo, lo + 1))
        if b not in seen:
            n(b)
            continue
        slope = max((seen[b] - seen[a]) / (b - a), 1.0) if b != a else 1.0
        guess = lo + int((cap - seen[lo]) // slope)
        if hi is not None:
            guess = min(max(guess, lo + 1), hi - 1)
        else:
            guess = max(guess, lo + 1)
        if n(guess) <= cap:
            lo = guess
            if guess + 1 not in seen and len(seen) < MAX_SEARCH:
                if n(guess + 1) > cap:
                    return lo, True
                lo = guess + 1
        else:
            hi = guess
    return lo, hi is not None and hi - lo <= 1


def _batch_scan(m: _Model, dev: Device, context: int, tf32: bool, at1: Report | None) -> BatchScan | None:
    """Per node, compute time ops/peak and memory time bytes/bandwidth are linear in the
    batch: read off at batches 1 and 2, checked at 3; the crossover is where the summed
    compute time first reaches the summed memory time."""
    from onnx_cost.model.totals import by_op_type
    from onnx_cost.views.hardware.roofline import _COUNTED_STATES, roofline

    cols = []
    for b in (1, 2, 3):
        rep = at1 if b == 1 and at1 is not None else m.analyze(b, 1, context)
        cols.append(roofline(rep, dev, tf32=tf32).cols)
    # the op type as the floor shares name it (domain::Op outside the default domain): the
    # roofline's columns are the counted, running nodes in report order
    keys = [by_op_type(r) for r in rep.nodes if r.status in _COUNTED_STATES and r.weight]
    if not (cols[0]["name"] == cols[1]["name"] == cols[2]["name"]):
        return None
    bw = dev.bandwidth_bytes_per_s
    if not bw:
        return None
    ops = [c["ops"] for c in cols]
    nbytes = [c["bytes"] for c in cols]
    for series in (ops, nbytes):
        if any(x3 - x2 != x2 - x1 for x1, x2, x3 in zip(*series)):
            return None
    peaks = cols[0]["peak"]
    ops_types = keys if len(keys) == len(peaks) else cols[0]["op_type"]
    # per node: (ops at batch 0, ops per batch, bytes at batch 0, bytes per batch)
    lines = [(2 * o1 - o2, o2 - o1, 2 * b1 - b2, b2 - b1, p, t)
             for o1, o2, b1, b2, p, t in zip(ops[0], ops[1], nbytes[0], nbytes[1], peaks, ops_types)]

    def times(sel: Sequence[tuple[int, int, int, int, Any, str]], b: int) -> tuple[float, float]:
        tc = sum((o0 + o1 * b) / p for o0, o1, _, _, p, _ in sel if p)
        tm = sum((b0 + b1 * b) / bw for _, _, b0, b1, _, _ in sel)
        return tc, tm

    def compute_bound(sel: Sequence[tuple[int, int, int, int, Any, str]], b: int) -> bool:
        tc, tm = times(sel, b)
        return tc >= tm

    def crossover(sel: Sequence[tuple[int, int, int, int, Any, str]]) -> int | None:
        """The smallest batch where the summed compute time reaches the memory time."""
        if compute_bound(sel, 1):
            return 1
        c0, m0 = times(sel, 0)
        c1, m1 = (x - y for x, y in zip(times(sel, 1), (c0, m0)))
        if c1 <= m1:  # the memory time grows as fast: never
            return None
        b = max(1, math.ceil((m0 - c0) / (c1 - m1)))
        while b > 1 and compute_bound(sel, b - 1):  # the float solution one off: settle on the integer
            b -= 1
        while not compute_bound(sel, b):
            b += 1
        return b

    by_type: dict[str, int | None] = {}
    for t in dict.fromkeys(ops_types):  # the op types that compute (a copy never turns compute-bound)
        sel = [ln for ln in lines if ln[5] == t]
        if any(o0 or o1 for o0, o1, *_ in sel):
            by_type[t] = crossover(sel)
    overall = crossover(lines)

    def floor(b: int) -> float:
        return sum(max((o0 + o1 * b) / p if p else 0.0, (b0 + b1 * b) / bw) for o0, o1, b0, b1, p, _ in lines)

    batches = sorted({*SCAN_BATCHES, *([overall] if overall else [])})
    tps = {b: b / floor(b) for b in batches if floor(b) > 0}
    return BatchScan(overall, by_type, tps)
