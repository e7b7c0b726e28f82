"""The ``llm`` subcommand: parse, call ``onnx_cost.llm``, render, write.

Imported only when it runs (``cli.SUBCOMMANDS``); typer and cli.common only at top level.
"""

from __future__ import annotations

from typing import Annotated

from onnx_cost.cli.common import emit, fail, guarded, parse_dims, pick_format
from onnx_cost.cli.options import (
    BatchOpt,
    ContextOpt,
    DebugOpt,
    DimsOpt,
    LlmDeviceOpt,
    LlmJsonOpt,
    LlmMeasureOpt,
    LlmModelArg,
    OutputOpt,
    PastDimOpt,
    PromptOpt,
    RulesOpt,
    SeqDimOpt,
    format_flag,
)

LLM_FORMATS = ("table", "json", "markdown")
LlmFormat = Annotated[str | None, format_flag(LLM_FORMATS)]


def llm(
    model: LlmModelArg,
    prompt: PromptOpt = None,
    context: ContextOpt = 2048,
    batch: BatchOpt = 1,
    device: LlmDeviceOpt = None,
    seq_dim: SeqDimOpt = None,
    past_dim: PastDimOpt = None,
    dim: DimsOpt = None,
    measure: LlmMeasureOpt = False,
    fmt: LlmFormat = None,
    json_: LlmJsonOpt = False,
    output: OutputOpt = None,
    rules: RulesOpt = None,
    debug: DebugOpt = False,
) -> None:
    """The LLM deployment view of a decoder exported with its KV cache: prefill of a
    prompt and one decode step at a context (MACs, FLOPs, ops, bytes), KV-cache bytes,
    the decode step's ideal bytes beside the graph's; with --device: time to first token,
    per-token latency, tokens/s, memory fit and longest context, the batch where decode
    turns compute-bound. A model without a KV cache is exit 2. docs/llm.md.

    \b
    Examples:
      onnx-cost llm decoder.onnx --prompt 512 --context 2048 --device h100-sxm
      onnx-cost llm decoder.onnx --batch 8 --device a100-80gb --format json -o llm.json
      onnx-cost llm model.onnx --seq-dim s1 --past-dim s2 --measure
    """
    name = pick_format(fmt, False, json_, LLM_FORMATS, "llm")
    dims = parse_dims(dim)
    with guarded(debug, model):
        from onnx_cost.analyzer.external import refuse_model_data
        from onnx_cost.output import check_writable, refuse_model
        from onnx_cost.render import llm as render
        from onnx_cost.runners.llm import llm as run

        if output not in (None, "-"):
            refuse_model(output, model)
            check_writable(output)
        if measure and name == "markdown":
            fail("--measure applies to the table and JSON formats")
        from onnx_cost import api

        src = api._prepare(model, rules)
        if output not in (None, "-"):
            refuse_model_data(output, src)
        result = run(src, prompt=prompt, context=context, batch=batch, device=device, seq_dim=seq_dim,
                     past_dim=past_dim, dims=dims, measure=measure, rules=rules)
        text = {"table": render.to_table, "json": render.to_json, "markdown": render.to_markdown}[name](result)
        emit(text, output)
