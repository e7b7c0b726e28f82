"""The command line: a group of subcommands whose default is the analysis, so that
``onnx-cost model.onnx ...`` and ``onnx-cost analyze model.onnx ...`` are the same.

cli.py is a thin shell: parse, call the library (``onnx_cost.api``), render, write.
A subcommand lives in its own module and is added here with one line in
``SUBCOMMANDS``; shared options and the exit-code policy are in ``cli.common``.
Exit codes: see ``cli.common`` (0, 1 --strict, 2 bad input, 3 bug, 130, 141).
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer.core import TyperGroup

from onnx_cost._version import __version__
from onnx_cost.cli.common import (
    EXIT_STRICT,
    FORMATS,
    OVERLAYS,
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
from onnx_cost.cli.options import (
    BranchOpt,
    ByOpt,
    ConventionOpt,
    CsvOpt,
    DebugOpt,
    DepthOpt,
    DeviceOpt,
    DimsOpt,
    FormatOpt,
    FormulaOpt,
    InputOpt,
    JsonOpt,
    MeasuredMsOpt,
    MeasureOpt,
    MetricOpt,
    ModelArg,
    NodesOpt,
    OutputOpt,
    PlotOpt,
    RecalibrateOpt,
    RulesOpt,
    SortOpt,
    StrictOpt,
    SweepOpt,
    Tf32Opt,
    TopOpt,
    ValuesOpt,
    VersionOpt,
)

DEFAULT_COMMAND = "analyze"

# Subcommands in their own modules: (name, "module:function", one-line help). The
# function is a typer command (annotated parameters); its module is imported only
# when the subcommand runs or help lists it, so keep its top-level imports light.
SUBCOMMANDS: tuple[tuple[str, str, str], ...] = (
    ("diff", "onnx_cost.cli.reports:diff", "Compare two models' costs."),
    ("batch", "onnx_cost.cli.reports:batch", "Analyze many models: one summary row each."),
    ("devices", "onnx_cost.cli.hardware:devices", "List the device presets with their figures and sources."),
    ("conventions", "onnx_cost.cli.conventions:conventions", "What each counting convention counts, with sources."),
    ("llm", "onnx_cost.cli.llm:llm", "A decoder's prefill, decode, KV cache and tokens/s (docs/llm.md)."),
    ("check", "onnx_cost.cli.check:check", "A CI gate: budgets, baselines and dim ranges, decided exactly."),
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


@app.callback()
def _group(
    version: VersionOpt = False,
) -> None:
    """Exact static FLOPs, MACs, params and memory-access bytes of ONNX models."""


# the --sort keys the default table (with its formulas for free dims) ranks by
DYNAMIC_SORTS = ("ops", "flops", "macs", "params", "bytes")
# flag -> parameter of the options that shape a report (not --sweep/--formula totals)
_TABLE_ONLY = {"--nodes": "nodes", "--top": "top", "--sort": "sort", "--by": "by", "--depth": "depth"}

# The analysis's own options (the shared ones are in cli.common).


@app.command(DEFAULT_COMMAND, epilog=EPILOG, context_settings=CONTEXT)
def analyze(
    ctx: typer.Context,
    model: ModelArg,
    fmt: FormatOpt = None,
    csv: CsvOpt = False,
    json_: JsonOpt = False,
    output: OutputOpt = None,
    nodes: NodesOpt = False,
    top: TopOpt = 10,
    input_: InputOpt = None,
    dim: DimsOpt = None,
    sweep: SweepOpt = None,
    formula: FormulaOpt = False,
    rules: RulesOpt = None,
    strict: StrictOpt = False,
    debug: DebugOpt = False,
    by: ByOpt = None,
    depth: DepthOpt = 2,
    sort: SortOpt = None,
    # -- options other helpers add here (one line each, an Annotated alias above; the work in their module):
    device: DeviceOpt = None,
    tf32: Tf32Opt = False,
    measured_ms: MeasuredMsOpt = None,
    measure: MeasureOpt = False,
    plot: PlotOpt = None,
    recalibrate: RecalibrateOpt = False,
    convention: ConventionOpt = None,
    value: ValuesOpt = None,
    branch: BranchOpt = None,
    metric: MetricOpt = None,
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
    if fmt_name != "model-explorer":
        refuse(ctx, {"--metric": "metric"}, f"--format {fmt_name} (only to model-explorer)")
    if fmt_name in OVERLAYS:
        refuse(ctx, {"--convention": "convention"}, f"--format {fmt_name}")
    with guarded(debug, model):
        from onnx_cost import api

        inputs = {k: api.parse_shape(v) for k, v in pairs(input_ or [], "--input")}
        dims = parse_dims(dim)
        from onnx_cost.analyzer.bindings import parse_value

        bind = {"values": {k: parse_value(v) for k, v in pairs(value or [], "--value")},
                "branches": dict(pairs(branch or [], "--branch"))}
        if output not in (None, "-"):
            from onnx_cost.output import check_writable, refuse_model

            refuse_model(output, model)
            if metric == "all":  # one file per metric in a folder (render/overlays.py)
                from onnx_cost.render.overlays import check_folder

                check_folder(output)
            else:
                check_writable(output)
        if plot is not None:  # --plot gets every check -o has (hw_plan checks it is writable)
            from onnx_cost.output import refuse_model, same_file

            refuse_model(plot, model, "--plot")
            if output not in (None, "-") and same_file(plot, output):
                fail(f"--plot {plot}: that is the -o file too; give them different names (nothing written)")
        from onnx_cost.cli.hardware import plan as hw_plan

        hw = hw_plan(device, tf32, measured_ms, measure, plot, fmt_name, formula,  # checked before the analysis
                     depth=depth if given(ctx, "depth") else 1, recalibrate=recalibrate)
        src = api._prepare(model, rules or [])
        if output not in (None, "-"):
            from onnx_cost.analyzer.external import refuse_model_data

            refuse_model_data(output, src)
        if plot is not None:
            from onnx_cost.analyzer.external import refuse_model_data

            refuse_model_data(plot, src, "--plot")
        # -- views other helpers register go here (hw --device, conv --convention, --by)
        note = ""  # what the default binding did, for outputs that cannot show it (CSV): on stderr
        if sweep and hw:
            from onnx_cost.cli.hardware import sweep as hw_sweep

            at = _sweep_binding(src, inputs, dims, parse_sweep(sweep)[0])
            text, not_counted = hw_sweep(hw, src, sweep, inputs, dims, fmt_name, at)
            if fmt_name == "table" and at:
                from onnx_cost.text import escape

                text = "other dims at their default binding: " + ", ".join(
                    f"{escape(k)}={v}" for k, v in at.items()) + "\n" + text
        elif sweep or formula:
            text, not_counted = _scaling(src, inputs, dims, sweep, fmt_name, **bind)
        else:
            _require_numbers(src, inputs, dims, bind, hw is not None, convention, fmt_name, by, sort)
            form = FORMATS[fmt_name]
            options: dict[str, Any] = {"all_nodes": nodes, "top": top if given(ctx, "top") else None, "depth": depth,
                                       "by": by.value if by else None, "sort": sort.value if sort else None,
                                       "metric": metric}
            kwargs = {k: options[k] for _, k in form.options if k in options}
            if hw and any(k == "device" for _, k in form.options):
                kwargs["device"] = hw.device
            if fmt_name in OVERLAYS:  # the viewers read the model file; --metric all writes a folder
                kwargs.update(source=src, output=output)
            if form.dynamic:
                from onnx_cost.symbolic.dynamic import analyze_bound

                # the grid's records serve only the default table, whose counts are the polynomials
                grid = fmt_name == "table" and by is None and not hw and (sort is None or sort.value in DYNAMIC_SORTS)
                report = analyze_bound(src, inputs, dims, grid_records=grid, values=bind["values"],
                                       branches=bind["branches"])
                kwargs["dynamic"] = report.dynamic
            else:
                from onnx_cost.symbolic.dynamic import analyze_default

                report, note = analyze_default(src, inputs, dims, **bind)
            if hw:
                report = hw.attach(report, model)  # the hardware view, before rendering
            # JSON: decorate builds the whole document from the report (a first render would be discarded)
            text = renderer(fmt_name)(report, **kwargs) if fmt_name != "json" else ""
            if fmt_name not in OVERLAYS:
                from onnx_cost.cli.conventions import decorate

                text = decorate(report, text, fmt_name, convention or "exact", src.proto)
            not_counted = _not_counted(report) if strict else ""  # (it may fit the polynomials)
            if hw:
                text = hw.apply(report, text, fmt_name)
        if text is not None:  # None: --metric all wrote its folder
            emit(text, output)
        if note:
            from onnx_cost.errors import printable

            sys.stderr.write(f"onnx-cost: note: {printable(note, 1000)}\n")
    if strict and not_counted:
        sys.stderr.write(f"onnx-cost: --strict: {not_counted}\n")
        raise typer.Exit(EXIT_STRICT)


def _sweep_binding(src: Any, inputs: dict[str, Any], dims: dict[str, int], swept: str) -> dict[str, int]:
    """The default binding a sweep applied to the dims it neither sweeps nor was given."""
    from onnx_cost.symbolic.dynamic import defaults_applied

    return {k: v for k, v in defaults_applied(src, inputs, {**dims, swept: 1}).items() if k != swept}


def _require_numbers(src: Any, inputs: dict[str, Any], dims: dict[str, int], bind: dict[str, Any], device: bool,
                     convention: str | None, fmt: str, by: Any, sort: Any) -> None:
    """Outputs that show a number per node or per device (--device, a peer --convention,
    --by, --sort by name or order) need every dim bound: with a dim left symbolic (free,
    no default) their numbers would be those of nodes left unknown. One line, exit 2."""
    wanted = [flag for flag, on in (
        ("--device", device),
        (f"--convention {convention}", convention not in (None, "exact")),
        ("--by", fmt == "table" and by is not None),
        ("--sort", fmt == "table" and sort is not None and sort.value not in DYNAMIC_SORTS),
    ) if on]
    if not wanted:
        return
    from onnx_cost.symbolic.dynamic import left_symbolic, needs_numbers

    if bind.get("values"):
        from onnx_cost.analyzer.bindings import value_dims

        dims = {**value_dims(src.proto.graph, bind["values"]), **dims}
    left = left_symbolic(src, inputs, dims)
    if left:
        fail(needs_numbers(wanted[0], left))


def _not_counted(report: Any) -> str:
    """'' when every node was counted, else what --strict says about the others."""
    from onnx_cost.errors import printable

    missing = report.not_counted
    if report.symbolic:  # counted as polynomials: the nodes those miss
        missing = next(iter(report.dynamic.formula.reports.values())).not_counted
    if not missing:
        return ""
    names = sorted({printable(r.op_type, 100) for r in missing})
    return f"{len(missing)} node(s) not counted ({', '.join(names)})"


def _scaling(src: Any, inputs: dict[str, Any], dims: dict[str, int], sweep: str | None, fmt: str,
             values: dict[str, Any] | None = None, branches: dict[str, str] | None = None) -> tuple[str, str]:
    """--sweep and --formula through the library entry points; (text, what --strict says)."""
    import json

    from onnx_cost import api
    from onnx_cost.errors import BindingError
    from onnx_cost.render import report as render

    if sweep:
        name, values_ = parse_sweep(sweep)
        rows = api.sweep(src, name, values_, inputs=inputs, dims=dims, input_values=values,
                         branches=branches)
        partial = ", ".join(f"{name}={r.value}" for r in rows if r.partial)
        partial = f"some node(s) not counted at {partial}" if partial else ""
        at = _sweep_binding(src, inputs, dims, name)
        if fmt == "csv":  # CSV has no place for it: the binding goes to stderr, as plain --csv's note
            if at:
                from onnx_cost.text import escape

                said = ", ".join(f"{escape(k)}={v}" for k, v in at.items())
                typer.echo(f"note: other dims at their default binding: {said} (bind: --dim NAME=N)", err=True)
            return render.sweep_csv(name, rows), partial
        if fmt == "json":
            return json.dumps({**render.sweep_dict(name, rows), "default_binding": at}, indent=2) + "\n", partial
        from onnx_cost.text import escape

        said = ", ".join(f"{escape(k)}={v}" for k, v in at.items())
        head = f"other dims at their default binding: {said}\n" if said else ""
        return head + render.sweep_table(name, rows), partial
    try:
        f = api.formula(src, inputs=inputs, dims=dims, values=values, branches=branches)
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
