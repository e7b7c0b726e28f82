"""The ``diff`` and ``batch`` subcommands: parse, call this package, write.

Imported only when one of them runs (``cli.SUBCOMMANDS``); typer and cli_common
only at top level.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ..cli_common import CsvOpt, DebugOpt, FormatOpt, JsonOpt, OutputOpt, emit, fail, guarded, resolve_format

Before = Annotated[str, typer.Argument(help="The model before (an .onnx file).", metavar="BEFORE")]
After = Annotated[str, typer.Argument(help="The model after.", metavar="AFTER")]
Depth = Annotated[int, typer.Option("--depth", metavar="N", min=1, help="Compare modules down to this many levels.")]
RulesOpt = Annotated[
    list[str] | None,
    typer.Option("--rules", metavar="FILE", help="A Python file of extra rules (repeatable; docs/plugins.md)."),
]
DIFF_FORMATS = ("table", "csv", "json", "markdown")


def diff(
    before: Before,
    after: After,
    fmt: FormatOpt = None,
    csv: CsvOpt = False,
    json_: JsonOpt = False,
    output: OutputOpt = None,
    depth: Depth = 2,
    rules: RulesOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Compare two models' costs: totals side by side with deltas, per op type and per
    module, and the nodes added, removed and changed (matched by name, then by module,
    op type and position).

    \b
    Examples:
      onnx-cost diff model.onnx model.opt.onnx          after an optimizer pass
      onnx-cost diff fp32.onnx int8.onnx --format markdown -o diff.md
    """
    name = resolve_format(fmt, csv, json_)
    if name not in DIFF_FORMATS:
        fail(f"--format {name} does not apply to diff (use {', '.join(DIFF_FORMATS)})")
    with guarded(debug, before):
        from .. import api
        from . import diff_render
        from .diff import diff as compare

        if output not in (None, "-"):
            from ..output import check_writable

            check_writable(output)
        a = api.analyze(before, rules=rules)
        b = api.analyze(after, rules=rules)
        d = compare(a, b, depth)
        render = {"table": diff_render.to_table, "csv": diff_render.to_csv, "json": diff_render.to_json,
                  "markdown": diff_render.to_markdown}[name]
        emit(render(d), output)
