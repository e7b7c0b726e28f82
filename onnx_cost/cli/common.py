"""What every onnx-cost subcommand shares: the output-format option (defined once),
the exit-code policy, and writing the result (stdout or an atomic ``-o`` file).

A subcommand module (``onnx_cost/cli/reports.py``...) imports only this module and
typer at top level, so that ``onnx-cost --help`` stays fast; the analyzer is
imported inside the command function.

Exit codes: 0 done; 1 ``--strict`` and some node was not counted; 2 bad input or
usage; 3 internal error (a bug); 130 interrupted (Ctrl-C); 141 stdout closed
early (``| head``): the output was cut, nothing else went wrong.
"""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn

import typer

from onnx_cost.errors import InternalError, OnnxCostError, printable

EXIT_OK, EXIT_STRICT, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED, EXIT_PIPE = 130, 141


@dataclass(frozen=True)
class OutputFormat:
    """How one format is rendered: ``renderer`` is "module:function" (imported only
    when used; None = not available yet), called as ``renderer(report, **options)``
    with the table options (``options``: CLI flag -> keyword) that apply to it, and
    ``dynamic=`` (symbolic.dynamic.Dynamic or None: the free dims' formulas) when
    ``dynamic`` is True."""

    renderer: str | None
    options: tuple[tuple[str, str], ...] = ()
    dynamic: bool = False


_TABLE_OPTIONS = (("--nodes", "all_nodes"), ("--top", "top"), ("--sort", "sort"), ("--by", "by"), ("--depth", "depth"))
FORMATS: dict[str, OutputFormat] = {
    "table": OutputFormat("onnx_cost.render.formats:table", _TABLE_OPTIONS, dynamic=True),
    "csv": OutputFormat("onnx_cost.render.report:to_csv"),
    "json": OutputFormat("onnx_cost.render.report:to_json", dynamic=True),
    "markdown": OutputFormat("onnx_cost.render.formats:markdown", _TABLE_OPTIONS[1:3] + (("--depth", "depth"),),
                             dynamic=True),
    "html": OutputFormat("onnx_cost.render.formats:html", (("--depth", "depth"), ("--device", "device")), dynamic=True),
    # files for graph viewers (render/overlays.py); the renderer also gets source= and output=
    "model-explorer": OutputFormat("onnx_cost.render.overlays:model_explorer", (("--metric", "metric"),),
                                   dynamic=True),
    "netron": OutputFormat("onnx_cost.render.overlays:netron", dynamic=True),
}
OVERLAYS = ("model-explorer", "netron")

# ``--format``'s choices are FORMATS' keys: adding a format is one entry above (and its renderer)
Format = enum.Enum("Format", {name.replace("-", "_"): name for name in FORMATS}, type=str)  # type: ignore[misc]
Format.__doc__ = "The output formats (``--format``): the keys of ``FORMATS``."

# The one format option, shared by every subcommand that writes a report.


def pick_format(fmt: str | None, csv: bool, json_: bool, formats: tuple[str, ...], command: str) -> str:
    """The format a subcommand that writes only ``formats`` was asked for (``--format``,
    case-insensitive, or ``--csv``/``--json``); anything else is a usage error."""
    name = fmt.lower() if fmt is not None else None
    if name is not None and name not in formats:
        fail(f"--format {fmt} does not apply to {command} (use {', '.join(formats)})")
    return resolve_format(Format(name) if name else None, csv, json_)


def fail(msg: str, code: int = EXIT_INPUT) -> NoReturn:
    """One line on stderr, then exit with ``code``."""
    sys.stderr.write(f"onnx-cost: error: {printable(msg)}\n")
    raise typer.Exit(code)


def resolve_format(fmt: Format | None, csv: bool = False, json_: bool = False) -> str:
    """The format asked for by ``--format`` and its aliases ``--csv``/``--json``;
    two different ones are a usage error."""
    chosen = {f for f, on in (("csv", csv), ("json", json_)) if on}
    if fmt is not None:
        chosen.add(fmt.value)
    if len(chosen) > 1:
        fail(f"--csv, --json and --format are exclusive (asked for {' and '.join(sorted(chosen))})")
    name = chosen.pop() if chosen else "table"
    if FORMATS[name].renderer is None:
        fail(f"--format {name}: not available yet in this version")
    return name


def pairs(items: list[str], flag: str) -> list[tuple[str, str]]:
    """``NAME=VALUE`` option values as (name, value) pairs, stripped; anything else fails."""
    out = []
    for it in items:
        if "=" not in it:
            fail(f"{flag} {it}: expected NAME=VALUE")
        k, v = it.split("=", 1)
        out.append((k.strip(), v.strip()))
    return out


def parse_dims(items: list[str] | None) -> dict[str, int]:
    """The ``--dim NAME=N`` values: name -> a non-negative integer (else a usage error)."""
    from onnx_cost._numbers import count_value, shown

    out = {}
    for k, v in pairs(items or [], "--dim"):
        try:
            out[k] = count_value(v)
        except ValueError as e:
            fail(f"--dim {shown(k)}={shown(v)}: {e}")
    return out


def parse_sweep(spec: str) -> tuple[str, list[int]]:
    """``--sweep NAME=V1,V2,...``: the dim's name and its values (exit 2 when malformed)."""
    if "=" not in spec:
        fail(f"--sweep {spec}: expected NAME=V1,V2,...")
    name, vals = (p.strip() for p in spec.split("=", 1))
    from onnx_cost._numbers import count_value, shown

    try:
        values = [count_value(v) for v in vals.split(",") if v.strip()]
    except ValueError as e:
        fail(f"--sweep {shown(spec, 80)}: {e}")
    if not values:
        fail(f"--sweep {spec}: give one or more non-negative integers")
    return name, values


def given(ctx: typer.Context, param: str) -> bool:
    """Whether the user typed option ``param`` (a keyword name) on the command line."""
    source = ctx.get_parameter_source(param)
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")


def refuse(ctx: typer.Context, flags: dict[str, str], why: str) -> None:
    """Usage error when any of ``flags`` (CLI flag -> keyword) was given: ``why`` says
    what they do not apply to (options that do not apply are never silently ignored)."""
    for flag, param in flags.items():
        if given(ctx, param):
            fail(f"{flag} does not apply to {why}")


def renderer(fmt: str) -> Any:
    """The render function of ``fmt`` (imported now)."""
    import importlib

    spec = FORMATS[fmt].renderer
    assert spec is not None  # resolve_format refused the missing ones
    module, _, func = spec.partition(":")
    return getattr(importlib.import_module(module), func)


def emit(text: str, output: str | None) -> None:
    """Write the result to ``output`` atomically, or to stdout when it is None or '-'."""
    if output not in (None, "-"):
        from onnx_cost.output import write_atomic

        write_atomic(output, text)
        return
    sys.stdout.write(text)
    sys.stdout.flush()


def _internal(e: BaseException) -> str:
    if isinstance(e, InternalError):  # already one line naming the node, the op and our version
        return str(e)
    first = str(e).splitlines()[0][:300] if str(e) else ""
    return f"internal error ({type(e).__name__}: {first}); rerun with --debug and report it"


@contextmanager
def guarded(debug: bool = False, what: str = "") -> Iterator[None]:
    """Run a command body under the exit-code policy: typed input errors exit 2 (or their
    code), Ctrl-C 130, a closed stdout 141, anything else is a bug: exit 3, one line."""
    try:
        yield
    except typer.Exit:
        raise
    except OnnxCostError as e:
        if debug:
            raise
        fail(str(e), e.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("onnx-cost: interrupted\n")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except BrokenPipeError:
        closed_stdout()
    except (RecursionError, MemoryError) as e:  # past the limits checked first: our bug, not the input's
        if debug:
            raise
        where = f" while analyzing {what}" if what else ""
        fail(f"internal error ({type(e).__name__}{where}); rerun with --debug and report it", EXIT_INTERNAL)
    except Exception as e:  # a bug in onnx-cost: one line, code 3, traceback only with --debug
        if debug:
            raise
        fail(_internal(e), EXIT_INTERNAL)


def closed_stdout() -> NoReturn:
    """The reader of stdout went away (``| head -1``): stop quietly with exit 141, as a
    process killed by SIGPIPE would. Python's own flush at exit must not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout has no file descriptor (a test runner)
        pass
    raise typer.Exit(EXIT_PIPE)
