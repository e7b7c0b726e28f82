"""The ``llm`` subcommand: parse, call ``onnx_cost.llm``, render, write.

Imported only when it runs (``cli.SUBCOMMANDS``); typer and cli.common only at top level.
"""

from __future__ import annotations

from typing import Annotated

import typer

from onnx_cost.cli.common import DebugOpt, DimsOpt, OutputOpt, emit, fail, format_flag, guarded, parse_dims, pick_format

LLM_FORMATS = ("table", "json", "markdown")
Model = Annotated[str, typer.Argument(help="A decoder .onnx file exported with its KV cache.", metavar="MODEL")]
Prompt = Annotated[int | None, typer.Option("--prompt", metavar="N", min=1,
                                            help="Prefill: tokens in the prompt (default: --context).")]
Context = Annotated[int, typer.Option("--context", metavar="N", min=0,
                                      help="Decode: tokens already cached when one token is decoded.")]
Batch = Annotated[int, typer.Option("--batch", metavar="B", min=1, help="Sequences decoded at once.")]
Device = Annotated[str | None, typer.Option("--device", metavar="NAME",
                                            help="A preset (onnx-cost devices), a device .toml file or local: "
                                                 "latency, tokens/s, memory fit, batch scan.")]
SeqDim = Annotated[str | None, typer.Option("--seq-dim", metavar="NAME", help="The new-token dim, when its name "
                                                                            "does not say.")]
PastDim = Annotated[str | None, typer.Option("--past-dim", metavar="NAME", help="The cached-tokens dim of the cache "
                                                                              "inputs, when the graph does not say.")]
Measure = Annotated[bool, typer.Option("--measure", help="Run the decode step with onnxruntime on this CPU: "
                                                         "latency, achieved bandwidth, MBU (extra: runtime).")]
LlmFormat = Annotated[str | None, format_flag(LLM_FORMATS)]
LlmJson = Annotated[bool, typer.Option("--json", help="Same as --format json (schema: docs/json.md, llm).")]
RulesOpt = Annotated[
    list[str] | None,
    typer.Option("--rules", metavar="FILE", help="A Python file of extra rules (repeatable; docs/plugins.md)."),
]


def llm(
    model: Model,
    prompt: Prompt = None,
    context: Context = 2048,
    batch: Batch = 1,
    device: Device = None,
    seq_dim: SeqDim = None,
    past_dim: PastDim = None,
    dim: DimsOpt = None,
    measure: Measure = False,
    fmt: LlmFormat = None,
    json_: LlmJson = False,
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
