"""The ``diff`` and ``batch`` subcommands: parse, call this package, write.

Imported only when one of them runs (``cli.SUBCOMMANDS``); typer and cli.common
only at top level.
"""

from __future__ import annotations

from typing import Annotated

import typer

from onnx_cost.cli.common import emit, fail, guarded, parse_dims, pick_format
from onnx_cost.cli.options import (
    AfterArg,
    BatchCsvOpt,
    BatchJsonOpt,
    BatchStrictOpt,
    BeforeArg,
    DebugOpt,
    DiffCsvOpt,
    DiffDepthOpt,
    DiffDeviceOpt,
    DiffJsonOpt,
    JobsOpt,
    ModelsDimsOpt,
    OutputOpt,
    ProgressOpt,
    RulesOpt,
    Specs,
    TimeoutOpt,
    format_flag,
)

DIFF_FORMATS = ("table", "csv", "json", "markdown")
DiffFormat = Annotated[str | None, format_flag(DIFF_FORMATS)]


def diff(
    before: BeforeArg,
    after: AfterArg,
    fmt: DiffFormat = None,
    csv: DiffCsvOpt = False,
    json_: DiffJsonOpt = False,
    output: OutputOpt = None,
    depth: DiffDepthOpt = 2,
    dim: ModelsDimsOpt = None,
    rules: RulesOpt = None,
    debug: DebugOpt = False,
    device: DiffDeviceOpt = None,
) -> None:
    """Compare two models' costs: totals side by side with deltas, per op type and per
    module, and the nodes added, removed and changed (matched by name, then by module,
    op type and position). Free dims get the default binding (a batch dim is 1), as in
    the analysis; --dim binds them in each model that declares them. Inputs and outputs
    added, removed, renamed or changed in their declared shape or dtype are listed (a
    static batch made dynamic is a change); --device adds latency and memory footprint.

    \b
    Examples:
      onnx-cost diff model.onnx model.opt.onnx          after an optimizer pass
      onnx-cost diff fp32.onnx int8.onnx --format markdown -o diff.md
      onnx-cost diff a.onnx b.onnx --dim batch=8 --dim sequence=128
      onnx-cost diff a.onnx b.onnx --device a100-40gb
    """
    name = pick_format(fmt, csv, json_, DIFF_FORMATS, "diff")
    if device is not None and name == "csv":
        fail("--device applies to the table, JSON and Markdown formats of diff, not --format csv")
    dims = parse_dims(dim)
    with guarded(debug, before):
        from onnx_cost import api
        from onnx_cost.analyzer.external import refuse_model_data
        from onnx_cost.output import check_writable, refuse_model
        from onnx_cost.render import diff as diff_render
        from onnx_cost.symbolic.binding import analyze_at_binding, check_declared, refuse_symbolic
        from onnx_cost.views.diff import diff as compare

        target = None if output in (None, "-") else output
        dev = None
        if device is not None:
            from onnx_cost.views.hardware.devices import load_device

            dev = load_device(device)
        if target is not None:
            check_writable(target)
            refuse_model(target, before)  # -o onto a compared model: refused, as analyze refuses
            refuse_model(target, after)
        pa, pb = api._prepare(before, rules), api._prepare(after, rules)
        if target is not None:
            refuse_model_data(target, pa)  # ...or onto a file either reads (external data)
            refuse_model_data(target, pb)
        check_declared([pa, pb], dims)
        refuse_symbolic([pa, pb], dims, "diff")
        (a, ba), (b, bb) = analyze_at_binding(pa, dims), analyze_at_binding(pb, dims)
        d = compare(a, b, depth, (ba, bb))
        from onnx_cost.views.interface import interface_changes

        d.interface = interface_changes(pa.proto, pb.proto)
        if dev is not None:
            from onnx_cost.views.diff_device import device_diff

            d.device = device_diff(a, b, dev)
        render = {"table": diff_render.to_table, "csv": diff_render.to_csv, "json": diff_render.to_json,
                  "markdown": diff_render.to_markdown}[name]
        emit(render(d), output)


BATCH_FORMATS = ("table", "csv", "json", "markdown")
BatchFormat = Annotated[str | None, format_flag(BATCH_FORMATS)]


def batch(
    specs: Specs,
    fmt: BatchFormat = None,
    csv: BatchCsvOpt = False,
    json_: BatchJsonOpt = False,
    output: OutputOpt = None,
    jobs: JobsOpt = None,
    timeout: TimeoutOpt = 60.0,
    dim: ModelsDimsOpt = None,
    rules: RulesOpt = None,
    progress: ProgressOpt = None,
    strict: BatchStrictOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Analyze many models in worker processes: one summary row per model (path,
    totals, coverage, precision mix, status, error). A model that fails or runs past
    --timeout is a row with its status; the others go on. Free dims get the default
    binding (a batch dim is 1), as in the analysis; --dim binds them in each model that
    declares them.

    \b
    Examples:
      onnx-cost batch models/ --format csv -o summary.csv -j 4
      onnx-cost batch 'zoo/**/*.onnx' --timeout 120 --format markdown
      onnx-cost batch llms/ --dim batch=1 --dim sequence_length=2048
    """
    name = pick_format(fmt, csv, json_, BATCH_FORMATS, "batch")
    dims = parse_dims(dim)
    with guarded(debug):
        import sys

        from onnx_cost.render import batch as batch_render
        from onnx_cost.runners.batch import find_models, refuse_reads
        from onnx_cost.runners.many import analyze_many

        if output not in (None, "-"):
            from onnx_cost.output import check_writable

            check_writable(output)
        paths = find_models(specs)
        if output not in (None, "-"):
            refuse_reads(output, paths)  # -o onto a model or its external data: refused before any analysis
        bar = batch_render.ProgressBar(sys.stderr.isatty() if progress is None else progress)
        try:
            rows = analyze_many(paths, jobs=jobs, timeout=timeout or None, rules=rules or (), dims=dims, progress=bar)
        finally:
            bar.close()
        unused = batch_render.unused_dims(rows, dims)
        if unused:  # as analyze and diff refuse a dim their model(s) do not declare; nothing is written
            fail(f"--dim {unused}: no model analyzed has a dim of that name")
        render = {"table": batch_render.to_table, "csv": batch_render.to_csv, "json": batch_render.to_json,
                  "markdown": batch_render.to_markdown}[name]
        emit(render(rows), output)
    failed = [r for r in rows if r.failed]
    if strict and failed:
        sys.stderr.write(f"onnx-cost: --strict: {len(failed)} of {len(rows)} model(s) failed\n")
        raise typer.Exit(1)
