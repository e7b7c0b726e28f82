"""The command line: a group of subcommands whose default is the analysis, so that
``onnx-cost model.onnx ...`` and ``onnx-cost analyze model.onnx ...`` are the same.

cli.py is a thin shell: parse, call the library (``onnx_cost.api``), render, write.
A subcommand lives in its own module and is added here with one line in
``SUBCOMMANDS``; shared options and the exit-code policy are in ``cli_common``.
Exit codes: see ``cli_common`` (0, 1 --strict, 2 bad input, 3 bug, 130, 141).
"""

from __future__ import annotations

import enum
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from . import __version__
from .cli_common import (
    EXIT_STRICT,
    FORMATS,
    CsvOpt,
    DebugOpt,
    DimsOpt,
    FormatOpt,
    JsonOpt,
    OutputOpt,
    emit,
    fail,
    given,
    guarded,
    pairs,
    parse_dims,
    parse_sweep,
    refuse,
    renderer,
    resolve_format,
)
from .hardware.options import DeviceOpt, MeasuredMsOpt, MeasureOpt, PlotOpt, RecalibrateOpt, Tf32Opt

DEFAULT_COMMAND = "analyze"

# Subcommands in their own modules: (name, "module:function", one-line help). The
# function is a typer command (annotated parameters); its module is imported only
# when the subcommand runs or help lists it, so keep its top-level imports light.
SUBCOMMANDS: tuple[tuple[str, str, str], ...] = (
    ("diff", "onnx_cost.reports.cli:diff", "Compare two models' costs."),
    ("batch", "onnx_cost.reports.cli:batch", "Analyze many models: one summary row each."),
    ("devices", "onnx_cost.hardware.cli:devices", "List the device presets with their figures and sources."),
    ("conventions", "onnx_cost.conventions.cli:conventions", "What each counting convention counts, with sources."),
)

EPILOG = """\b
Examples:
  onnx-cost model.onnx                       totals, per op type, top nodes
  onnx-cost model.onnx --csv -o cost.csv     one row per node, to a file (atomic)
  onnx-cost model.onnx --json                the whole report (docs/json.md)
  onnx-cost model.onnx --dim batch=1 --dim sequence_length=128
  onnx-cost model.onnx --input pixel_values=1x3x224x224

\b
Exit codes: 0 analyzed; 1 --strict and a node was not counted; 2 bad input;
3 internal error; 130 interrupted; 141 stdout closed early (| head)."""

CONTEXT = {"help_option_names": ["-h", "--help"]}


class DefaultGroup(TyperGroup):
    """A command group that runs ``DEFAULT_COMMAND`` when the first word is not a
    subcommand (as click-default-group does), and whose help is the analysis's help
    followed by the subcommands."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [DEFAULT_COMMAND, *(name for name, _, _ in SUBCOMMANDS)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        spec = next((s for s in SUBCOMMANDS if s[0] == cmd_name), None)
        if spec is None:
            return None
        self.commands[cmd_name] = cmd = _load_subcommand(*spec)
        return cmd

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        group_flags = {"--version", "--install-completion", "--show-completion", *CONTEXT["help_option_names"]}
        if args and args[0] not in group_flags and args[0] not in self.list_commands(ctx):
            args = [DEFAULT_COMMAND, *args]
        elif not args:
            args = [DEFAULT_COMMAND]
        return super().parse_args(ctx, args)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        cmd = self.commands[DEFAULT_COMMAND]
        sub = cmd.make_context(ctx.info_name, [], resilient_parsing=True)
        cmd.format_usage(sub, formatter)
        formatter.write_usage(ctx.info_name or "onnx-cost", "COMMAND [ARGS]...", prefix="       ")
        cmd.format_help_text(sub, formatter)
        cmd.format_options(sub, formatter)
        own = [p.get_help_record(ctx) for p in self.get_params(ctx) if p.name not in ("help",)]
        with formatter.section("Global options"):
            formatter.write_dl([r for r in own if r])
        self.format_commands(ctx, formatter)
        cmd.format_epilog(sub, formatter)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = [(DEFAULT_COMMAND, "The analysis (the default: the command name may be left out).")]
        rows += [(name, short) for name, _, short in SUBCOMMANDS]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _load_subcommand(name: str, spec: str, short: str) -> Any:
    import importlib

    module, _, func = spec.partition(":")
    one = typer.Typer(add_completion=False, rich_markup_mode=None, context_settings=CONTEXT)
    one.command(name, help=None, short_help=short)(getattr(importlib.import_module(module), func))
    return typer.main.get_command(one)


app = typer.Typer(
    cls=DefaultGroup,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings=CONTEXT,
    add_completion=True,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"onnx-cost {__version__}")
        raise typer.Exit()


@app.callback()
def _group(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Exact static FLOPs, MACs, params and memory-access bytes of ONNX models."""


# the --sort keys the default table (with its formulas for free dims) ranks by
DYNAMIC_SORTS = ("ops", "flops", "macs", "params", "bytes")
# flag -> parameter of the options that shape a report (not --sweep/--formula totals)
_TABLE_ONLY = {"--nodes": "nodes", "--top": "top", "--sort": "sort", "--by": "by", "--depth": "depth"}

# The analysis's own options (the shared ones are in cli_common).
Model = Annotated[str, typer.Argument(help="Path to an .onnx file.", metavar="MODEL")]
Nodes = Annotated[bool, typer.Option("--nodes", help="Table: list every node, not only the top ones.")]
Top = Annotated[int, typer.Option("--top", metavar="N", min=0, help="Table: how many of the costliest nodes to list.")]
Inputs = Annotated[
    list[str] | None,
    typer.Option("--input", metavar="NAME=SHAPE",
                 help="Bind a graph input shape: NAME=1x3x224x224 (or 1,3,224,224 or [1,3,224,224]; repeatable)."),
]
Sweep = Annotated[
    str | None,
    typer.Option("--sweep", metavar="NAME=V1,V2,...",
                 help="One run per value: NAME=128,512,2048; totals side by side with scaling exponents."),
]
FormulaOpt = Annotated[bool, typer.Option("--formula", help="Totals as exact polynomials in the dims left symbolic.")]
Rules = Annotated[
    list[str] | None,
    typer.Option("--rules", metavar="FILE", help="A Python file of extra rules (repeatable; docs/plugins.md)."),
]
Strict = Annotated[bool, typer.Option("--strict", help="Exit 1 when any node is not counted.")]


class ByChoice(str, enum.Enum):
    """``--by``: what one row of the table is."""

    module = "module"
    op = "op"
    node = "node"


class SortChoice(str, enum.Enum):
    """``--sort``: what rows are ranked by (``order``: graph order, ``name``: alphabetical)."""

    flops = "flops"
    macs = "macs"
    ops = "ops"
    params = "params"
    bytes = "bytes"
    nodes = "nodes"
    name = "name"
    order = "order"


By = Annotated[
    ByChoice | None,
    typer.Option("--by", case_sensitive=False, help="Table: one row per module (a tree), op type or node."),
]
Depth = Annotated[
    int, typer.Option("--depth", metavar="N", min=1, help="Module tree: levels shown (deeper ones folded).")
]
Sort = Annotated[
    SortChoice | None,
    typer.Option("--sort", case_sensitive=False, help="Rank rows (and modules) by this; --top N keeps the first N."),
]
ConventionOpt = Annotated[
    str | None,
    typer.Option("--convention", metavar="NAME",
                 help="Count as another tool does: exact (default), torchvision, fvcore, mmengine, thop, ptflops, "
                      "ptflops-aten, calflops, torch, onnx-tool, or all (one row each); see `onnx-cost conventions`."),
]


@app.command(DEFAULT_COMMAND, epilog=EPILOG, context_settings=CONTEXT)
def analyze(
    ctx: typer.Context,
    model: Model,
    fmt: FormatOpt = None,
    csv: CsvOpt = False,
    json_: JsonOpt = False,
    output: OutputOpt = None,
    nodes: Nodes = False,
    top: Top = 10,
    input_: Inputs = None,
    dim: DimsOpt = None,
    sweep: Sweep = None,
    formula: FormulaOpt = False,
    rules: Rules = None,
    strict: Strict = False,
    debug: DebugOpt = False,
    by: By = None,
    depth: Depth = 2,
    sort: Sort = None,
    # -- options other helpers add here (one line each, an Annotated alias above; the work in their module):
    device: DeviceOpt = None,
    tf32: Tf32Opt = False,
    measured_ms: MeasuredMsOpt = None,
    measure: MeasureOpt = False,
    plot: PlotOpt = None,
    recalibrate: RecalibrateOpt = False,
    convention: ConventionOpt = None,
) -> None:
    """Exact static FLOPs, MACs, params and memory-access bytes of an ONNX model."""
    fmt_name = resolve_format(fmt, csv, json_)
    if sweep and formula:
        fail("--sweep and --formula are exclusive")
    if sweep or formula:
        refuse(ctx, {**_TABLE_ONLY, "--convention": "convention"}, "--sweep or --formula (they print totals only)")
        if fmt_name not in ("table", "csv", "json") or (formula and fmt_name == "csv"):
            fail(f"--format {fmt_name} does not apply to {'--sweep' if sweep else '--formula'}")
    else:
        applies = dict(FORMATS[fmt_name].options)
        refuse(ctx, {f: p for f, p in _TABLE_ONLY.items() if f not in applies}, f"--format {fmt_name}")
        if fmt_name == "table" and (by is None or by.value != "module"):
            refuse(ctx, {"--depth": "depth"}, "this table (it shapes --by module, markdown and html)")
    with guarded(debug, model):
        from . import api

        inputs = {k: api.parse_shape(v) for k, v in pairs(input_ or [], "--input")}
        dims = parse_dims(dim)
        if output not in (None, "-"):
            from .output import check_writable, refuse_model

            refuse_model(output, model)
            check_writable(output)
        from .hardware.cli import plan as hw_plan

        hw = hw_plan(device, tf32, measured_ms, measure, plot, fmt_name, formula,  # checked before the analysis
                     depth=depth if given(ctx, "depth") else 1, recalibrate=recalibrate)
        src = api._prepare(model, rules or [])
        if output not in (None, "-"):
            from .output import refuse_model_data

            refuse_model_data(output, src)
        # -- views other helpers register go here (hw --device, conv --convention, --by)
        note = ""  # what the default binding did, for outputs that cannot show it (CSV): on stderr
        if sweep and hw:
            from .hardware.cli import sweep as hw_sweep

            text, not_counted = hw_sweep(hw, src, sweep, inputs, dims, fmt_name), ""
        elif sweep or formula:
            text, not_counted = _scaling(src, inputs, dims, sweep, fmt_name)
        else:
            form = FORMATS[fmt_name]
            options: dict[str, Any] = {"all_nodes": nodes, "top": top if given(ctx, "top") else None, "depth": depth,
                                       "by": by.value if by else None, "sort": sort.value if sort else None,
                                       "device": hw.device if hw else None}
            kwargs = {k: options[k] for _, k in form.options if k in options}
            if form.dynamic:
                from .analyzer.dynamic import analyze_dynamic

                # the grid's records serve only the default table, whose counts are the polynomials
                grid = fmt_name == "table" and by is None and not hw and (sort is None or sort.value in DYNAMIC_SORTS)
                report, kwargs["dynamic"] = analyze_dynamic(src, inputs, dims, grid_records=grid)
            else:
                from .analyzer.dynamic import analyze_default

                report, note = analyze_default(src, inputs, dims)
            if hw:
                hw.attach(report, model)  # the hardware view, before rendering
            text = renderer(fmt_name)(report, **kwargs)
            from .conventions.cli import decorate

            text = decorate(report, text, fmt_name, convention or "exact", src.proto)
            not_counted = _not_counted(report)
            if hw:
                text = hw.apply(report, text, fmt_name)
        emit(text, output)
        if note:
            from .errors import printable

            sys.stderr.write(f"onnx-cost: note: {printable(note, 1000)}\n")
    if strict and not_counted:
        sys.stderr.write(f"onnx-cost: --strict: {not_counted}\n")
        raise typer.Exit(EXIT_STRICT)


def _not_counted(report: Any) -> str:
    """'' when every node was counted, else what --strict says about the others."""
    from .errors import printable

    if not report.not_counted:
        return ""
    names = sorted({printable(r.op_type, 100) for r in report.not_counted})
    return f"{len(report.not_counted)} node(s) not counted ({', '.join(names)})"


def _scaling(src: Any, inputs: dict[str, Any], dims: dict[str, int], sweep: str | None, fmt: str) -> tuple[str, str]:
    """--sweep and --formula through the library entry points; (text, what --strict says)."""
    import json

    from . import api
    from .analyzer import render
    from .errors import BindingError

    if sweep:
        name, values = parse_sweep(sweep)
        rows = api.sweep(src, name, values, inputs=inputs, dims=dims)
        partial = ", ".join(f"{name}={r.value}" for r in rows if r.partial)
        partial = f"some node(s) not counted at {partial}" if partial else ""
        if fmt == "csv":
            return render.sweep_csv(name, rows), partial
        if fmt == "json":
            return json.dumps(render.sweep_dict(name, rows), indent=2) + "\n", partial
        return render.sweep_table(name, rows), partial
    try:
        f = api.formula(src, inputs=inputs, dims=dims)
    except (ValueError, BindingError) as e:
        fail(f"--formula: {e}")
    partial = "some node(s) not counted at some point of the formula's grid" if f.partial else ""
    if fmt == "json":
        return json.dumps(render.formula_dict(f), indent=2) + "\n", partial
    return render.formula_text(f), partial


def main() -> None:
    """Console entry point (``onnx-cost`` and ``python -m onnx_cost``)."""
    if sys.argv[1:] == ["--version"]:  # answer without importing typer
        sys.stdout.write(f"onnx-cost {__version__}\n")
        return
    try:
        app(prog_name="onnx-cost")
    except KeyboardInterrupt:  # outside a command (while importing): same one line
        sys.stderr.write("onnx-cost: interrupted\n")
        sys.exit(130)


if __name__ == "__main__":
    main()
