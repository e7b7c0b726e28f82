"""The LLM deployment view as data: frozen records, each with ``to_dict()`` (docs/json.md, "llm").

Counts are integers from the analysis; times are seconds, throughputs per second,
sizes bytes. A figure that needs a device is None without one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from onnx_cost.views.llm.roles import Roles

SCHEMA = "onnx-cost.llm/1"


@dataclass(frozen=True)
class Step:
    """One forward pass: prefill (``past`` = 0, ``new`` = the prompt) or one decode step
    (``new`` = 1, ``past`` = the context), for ``batch`` sequences."""

    phase: str  # "prefill" or "decode"
    new_tokens: int
    past_tokens: int
    batch: int
    dims: Mapping[str, int]  # every dim bound for this step
    macs: int
    flops: int
    ops: int
    read_bytes: int
    write_bytes: int
    not_counted: int  # nodes not counted: the totals are lower bounds when > 0
    # with a device:
    latency_s: float | None = None  # predicted_s of the hardware view when it has one, else the floor
    latency_basis: str = ""  # "predicted" or "floor" (sum of roofline node floors)
    floor_s: float | None = None
    bound: str = ""  # "memory" or "compute": which bound holds most of the floor
    share_by_op_type: Mapping[str, float] = field(default_factory=dict)  # floor share, largest first

    @property
    def bytes(self) -> int:
        return self.read_bytes + self.write_bytes

    @property
    def tokens_per_s(self) -> float | None:
        """Tokens produced (decode: one per sequence) or taken in (prefill) per second."""
        if not self.latency_s:
            return None
        return self.batch * self.new_tokens / self.latency_s

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["dims"] = dict(self.dims)
        d["share_by_op_type"] = dict(self.share_by_op_type)
        d["bytes"] = self.bytes
        d["tokens_per_s"] = self.tokens_per_s
        return d


@dataclass(frozen=True)
class KvCache:
    """KV-cache size: per cached token of one sequence (all layers, K and V), at the
    context for one sequence, and for the batch."""

    bytes_per_token: int
    context: int
    batch: int
    tensors: int  # cache inputs
    layout: str

    @property
    def bytes_at_context(self) -> int:
        return self.bytes_per_token * self.context

    @property
    def bytes_for_batch(self) -> int:
        return self.bytes_at_context * self.batch

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["bytes_at_context"] = self.bytes_at_context
        d["bytes_for_batch"] = self.bytes_for_batch
        return d


@dataclass(frozen=True)
class Ideal:
    """The decode step's bytes if every weight and cached element were read once and the
    new cache entries written once, beside what the graph as exported moves."""

    weight_bytes: int
    cache_read_bytes: int
    cache_write_bytes: int
    as_written_bytes: int
    as_written_per_cached_token: int  # decode bytes at context + 1 minus at context
    cache_bytes_per_token: int  # what one cached token of the batch holds

    @property
    def ideal_bytes(self) -> int:
        return self.weight_bytes + self.cache_read_bytes + self.cache_write_bytes

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ideal_bytes"] = self.ideal_bytes
        d["as_written_over_ideal"] = self.as_written_bytes / self.ideal_bytes if self.ideal_bytes else None
        return d


@dataclass(frozen=True)
class Memory:
    """Whether weights + KV cache (batch, context) + peak activations fit the device."""

    weight_bytes: int
    kv_bytes: int
    activation_bytes: int  # peak live bytes of the decode step other than the cache and weights
    capacity_bytes: int | None
    max_context: int | None  # the longest context that fits (None: none does, or no capacity)
    max_context_exact: bool  # False: the search stopped early; max_context fits, a longer one may

    @property
    def needed_bytes(self) -> int:
        return self.weight_bytes + self.kv_bytes + self.activation_bytes

    @property
    def fits(self) -> bool | None:
        return None if self.capacity_bytes is None else self.needed_bytes <= self.capacity_bytes

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["needed_bytes"] = self.needed_bytes
        d["fits"] = self.fits
        return d


@dataclass(frozen=True)
class BatchScan:
    """Decode at other batches (the batch dim free): the batch where the step turns
    compute-bound, overall and per op type (None: never, the memory time grows as fast),
    and tokens/s at a few batches, from the floors (``basis``)."""

    crossover: int | None
    by_op_type: Mapping[str, int | None]
    tokens_per_s: Mapping[int, float]
    basis: str = "floor"

    def to_dict(self) -> dict[str, Any]:
        return {
            "crossover": self.crossover,
            "by_op_type": dict(self.by_op_type),
            "tokens_per_s": {str(k): v for k, v in self.tokens_per_s.items()},
            "basis": self.basis,
        }


@dataclass(frozen=True)
class Measured:
    """The decode step run with onnxruntime (``--measure``): median latency, achieved
    bandwidth (the graph's bytes / time) and its share of the device bandwidth (MBU:
    the ideal bytes / time / bandwidth, as the usual definition counts)."""

    latency_s: float
    runs: int
    onnxruntime: str
    achieved_bytes_per_s: float  # as-written bytes / latency
    ideal_bytes_per_s: float  # ideal bytes / latency
    bandwidth_bytes_per_s: float | None
    mbu: float | None  # ideal_bytes_per_s / bandwidth
    mbu_as_written: float | None  # achieved_bytes_per_s / bandwidth

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LlmResult:
    """``onnx_cost.llm``: prefill and decode of a decoder export with its KV cache."""

    model: str
    roles: Roles
    prompt: int
    context: int
    batch: int
    prefill: Step | None
    prefill_note: str  # why there is no prefill ("" when there is one)
    decode: Step
    kv: KvCache
    weight_bytes: int
    ideal: Ideal
    device: str = ""
    memory: Memory | None = None
    batch_scan: BatchScan | None = None
    measured: Measured | None = None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        r = self.roles
        return {
            "schema": SCHEMA,
            "model": self.model,
            "roles": {
                "token_input": r.token_input,
                "batch_dim": r.batch_dim,
                "new_dim": r.new_dim,
                "past_dim": r.past_dim,
                "total_dims": list(r.total_dims),
                "merged_flag": r.merged_flag,
                "layout": r.layout,
                "decode_only": r.decode_only,
                "caches": [
                    {"name": c.name, "present": c.present, "dtype": c.dtype, "shape": list(c.shape),
                     "elements_per_token": c.elements_per_token, "bytes_per_token": c.bytes_per_token}
                    for c in r.caches
                ],
            },
            "prompt": self.prompt,
            "context": self.context,
            "batch": self.batch,
            "prefill": self.prefill.to_dict() if self.prefill else None,
            "prefill_note": self.prefill_note,
            "decode": self.decode.to_dict(),
            "kv_cache": self.kv.to_dict(),
            "weight_bytes": self.weight_bytes,
            "ideal": self.ideal.to_dict(),
            "device": self.device or None,
            "memory": self.memory.to_dict() if self.memory else None,
            "batch_scan": self.batch_scan.to_dict() if self.batch_scan else None,
            "measured": self.measured.to_dict() if self.measured else None,
            "notes": list(self.notes),
        }
