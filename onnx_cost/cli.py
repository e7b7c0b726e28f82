"""The command line: parse, call ``analyze``, render. Nothing else lives here.

Exit codes: 0 analyzed (even with uncounted nodes, which are in the report);
1 ``--strict`` and some node was not counted; 2 bad input or usage;
3 an internal error (a bug: please report it with ``--debug`` output).
"""

from __future__ import annotations

import sys

import typer

from . import __version__
from .errors import OnnxCostError

EXIT_OK, EXIT_STRICT, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

app = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)

EPILOG = """\b
Examples:
  onnx-cost model.onnx                       totals, per op type, top nodes
  onnx-cost model.onnx --csv -o cost.csv     one row per node, to a file (atomic)
  onnx-cost model.onnx --json                the whole report (docs/json.md)
  onnx-cost model.onnx --dim batch=1 --dim sequence_length=128
  onnx-cost model.onnx --input pixel_values=1x3x224x224

\b
Exit codes: 0 analyzed; 1 --strict and a node was not counted; 2 bad input; 3 internal error."""


def _fail(msg: str, code: int = EXIT_INPUT) -> None:
    sys.stderr.write(f"onnx-cost: error: {msg}\n")
    raise typer.Exit(code)


def parse_shape(text: str) -> tuple[int | str, ...]:
    """'1x3x224x224' -> (1, 3, 224, 224); a non-numeric dim stays symbolic."""
    dims: list[int | str] = []
    for part in text.replace(",", "x").split("x"):
        part = part.strip()
        if not part:
            raise ValueError(f"empty dim in shape '{text}'")
        if part.lstrip("-").isdigit():
            v = int(part)
            if v < 0:
                raise ValueError(f"negative dim {v} in shape '{text}'")
            dims.append(v)
        else:
            dims.append(part)
    return tuple(dims)


def _pairs(items: list[str], flag: str) -> list[tuple[str, str]]:
    out = []
    for it in items:
        if "=" not in it:
            _fail(f"{flag} {it}: expected NAME=VALUE")
        k, v = it.split("=", 1)
        out.append((k.strip(), v.strip()))
    return out


def _version(value: bool) -> None:
    if value:
        typer.echo(f"onnx-cost {__version__}")
        raise typer.Exit()


@app.command(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
def run(
    model: str = typer.Argument(..., help="Path to an .onnx file."),
    csv: bool = typer.Option(False, "--csv", help="One CSV row per node (RFC 4180) instead of the table."),
    json_: bool = typer.Option(False, "--json", help="The whole report as JSON (schema: docs/json.md)."),
    output: str | None = typer.Option(
        None, "-o", "--output", help="Write to this file (atomically) instead of stdout."
    ),
    nodes: bool = typer.Option(False, "--nodes", help="Table: list every node, not only the top ones."),
    top: int = typer.Option(10, "--top", help="Table: how many of the costliest nodes to list."),
    input_: list[str] = typer.Option([], "--input", help="Bind a graph input shape: NAME=1x3x224x224 (repeatable)."),
    dim: list[str] = typer.Option([], "--dim", help="Bind a symbolic dim everywhere: NAME=VALUE (repeatable)."),
    sweep: str | None = typer.Option(
        None, "--sweep", help="One run per value: NAME=128,512,2048; totals side by side with scaling exponents."
    ),
    formula: bool = typer.Option(False, "--formula", help="Totals as exact polynomials in the dims left symbolic."),
    rules: list[str] = typer.Option([], "--rules", help="A Python file registering extra rules (repeatable)."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when any node is not counted."),
    debug: bool = typer.Option(False, "--debug", help="Show the traceback of internal errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Exact static FLOPs, MACs, params and memory-access bytes of an ONNX model."""
    if csv and json_:
        _fail("--csv and --json are exclusive")
    try:
        inputs = {k: parse_shape(v) for k, v in _pairs(input_, "--input")}
        dims = {}
        for k, v in _pairs(dim, "--dim"):
            if not v.isdigit():
                _fail(f"--dim {k}={v}: the value must be a non-negative integer")
            dims[k] = int(v)
    except ValueError as e:
        _fail(str(e))
    try:
        from .output import check_writable

        if output:
            check_writable(output)
        from .plugins import load_entry_points, load_rule_file

        load_entry_points()
        for f in rules:
            load_rule_file(f)
        from .analyzer import analyze, render

        if sweep or formula:
            text = _scaling(model, inputs, dims, sweep, formula, csv, json_)
            report = None
        else:
            report = analyze(model, inputs=inputs, dims=dims)
        if report is None:
            pass
        elif csv:
            text = render.to_csv(report)
        elif json_:
            text = render.to_json(report)
        else:
            text = render.to_table(report, all_nodes=nodes, top=top)
        if output:
            from .output import write_atomic

            write_atomic(output, text)
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
    except OnnxCostError as e:
        if debug:
            raise
        _fail(str(e), e.exit_code)
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("onnx-cost: interrupted\n")
        raise typer.Exit(130) from None
    except RecursionError:
        if debug:
            raise
        _fail(f"{model}: the graph nests too deeply to analyze")
    except MemoryError:
        _fail(f"{model}: out of memory while analyzing")
    except Exception as e:  # a bug in onnx-cost: one line, code 3, traceback only with --debug
        if debug:
            raise
        _fail(f"internal error ({type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}); rerun with "
              "--debug and report it", EXIT_INTERNAL)
    if strict and report is not None and report.not_counted:
        from .errors import printable

        names = sorted({printable(r.op_type, 100) for r in report.not_counted})
        sys.stderr.write(f"onnx-cost: --strict: {len(report.not_counted)} node(s) not counted ({', '.join(names)})\n")
        raise typer.Exit(EXIT_STRICT)


def _scaling(model: str, inputs: dict, dims: dict, sweep: str | None, formula: bool, csv: bool, json_: bool) -> str:
    """--sweep and --formula: many analyses of one loaded model."""
    import json

    from .analyzer import analyze, render
    from .analyzer.load import load_model
    from .analyzer.scaling import formula as fit_formula
    from .analyzer.scaling import sweep as run_sweep
    from .analyzer.scaling import symbolic_dims

    proto = load_model(model)

    def at(point):
        return analyze(proto, inputs=inputs, dims={**dims, **point})

    if sweep:
        if "=" not in sweep:
            _fail(f"--sweep {sweep}: expected NAME=V1,V2,...")
        name, vals = sweep.split("=", 1)
        try:
            values = [int(v) for v in vals.split(",") if v.strip()]
        except ValueError:
            _fail(f"--sweep {sweep}: values must be integers")
        if not values or any(v < 0 for v in values):
            _fail(f"--sweep {sweep}: give one or more non-negative integers")
        rows = run_sweep(at, name.strip(), values, {})
        if csv:
            return render.sweep_csv(name.strip(), rows)
        if json_:
            return json.dumps(render.sweep_dict(name.strip(), rows), indent=2) + "\n"
        return render.sweep_table(name.strip(), rows)
    free = [d for d in symbolic_dims(proto, inputs) if d not in dims]
    if not free:
        _fail("--formula: every dim is bound: nothing symbolic to build a formula over")
    try:
        f = fit_formula(at, free)
    except ValueError as e:
        _fail(f"--formula: {e}")
    if json_:
        return json.dumps(render.formula_dict(f), indent=2) + "\n"
    return render.formula_text(f)


def main() -> None:
    """Console entry point (``onnx-cost`` and ``python -m onnx_cost``)."""
    if sys.argv[1:] == ["--version"]:  # answer without importing the analyzer
        sys.stdout.write(f"onnx-cost {__version__}\n")
        return
    app(prog_name="onnx-cost")


if __name__ == "__main__":
    main()
