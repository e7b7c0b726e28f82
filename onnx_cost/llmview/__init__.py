"""The LLM deployment view (``onnx-cost llm``, ``onnx_cost.llm``): a decoder export's KV-cache
roles read from the graph, prefill and decode totals from the exact analysis, KV-cache
bytes, and on a device latency, tokens/s, memory fit and the batch where decode turns
compute-bound. docs/llm.md."""

from .core import llm
from .result import BatchScan, Ideal, KvCache, LlmResult, Measured, Memory, Step
from .roles import CacheTensor, Roles

__all__ = ["llm", "LlmResult", "Step", "KvCache", "Ideal", "Memory", "BatchScan", "Measured", "Roles", "CacheTensor"]
