"""The LLM deployment view (``onnx-cost llm``, ``onnx_cost.llm``): a decoder export's KV-cache
roles read from the graph, prefill and decode totals from the exact analysis, KV-cache
bytes, and on a device latency, tokens/s, memory fit and the batch where decode turns
compute-bound. docs/llm.md. The library call ``onnx_cost.llm`` runs analyses: it is
runners/llm.py's."""

from onnx_cost.views.llm.result import BatchScan, Ideal, KvCache, LlmResult, Measured, Memory, Step
from onnx_cost.views.llm.roles import CacheTensor, Roles

__all__ = ["LlmResult", "Step", "KvCache", "Ideal", "Memory", "BatchScan", "Measured", "Roles", "CacheTensor"]
