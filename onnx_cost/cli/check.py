"""The ``check`` subcommand: parse (options and the config file), call ``run.check``,
render, write; under GitHub Actions also the step summary and one annotation per
check that did not pass. Exit 0 every budget holds, 1 one is exceeded or unknown,
2 bad usage or input (cli.common's policy).

Imported only when ``check`` runs (``cli.SUBCOMMANDS``); typer and cli.common only at top level.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from onnx_cost.cli.common import emit, fail, guarded, pairs
from onnx_cost.cli.options import (
    AllowUnknownOpt,
    BaselineOpt,
    BudgetOpt,
    CheckConventionOpt,
    CheckDeviceOpt,
    CheckDimOpt,
    CheckJsonOpt,
    CheckModelArg,
    ConfigOpt,
    DebugOpt,
    IncreaseOpt,
    InputOpt,
    NoConfigOpt,
    OutputOpt,
    RulesOpt,
    WarnOpt,
    format_flag,
)

FORMATS = ("table", "json", "markdown", "junit")
CheckFormat = Annotated[str | None, format_flag(FORMATS)]


def check(
    model: CheckModelArg,
    budget: BudgetOpt = None,
    warn: WarnOpt = None,
    baseline: BaselineOpt = None,
    max_increase: IncreaseOpt = None,
    config: ConfigOpt = None,
    no_config: NoConfigOpt = False,
    dim: CheckDimOpt = None,
    input_: InputOpt = None,
    rules: RulesOpt = None,
    device: CheckDeviceOpt = None,
    convention: CheckConventionOpt = None,
    allow_unknown: AllowUnknownOpt = False,
    fmt: CheckFormat = None,
    json_: CheckJsonOpt = False,
    output: OutputOpt = None,
    debug: DebugOpt = False,
) -> None:
    """A pre-deployment gate: exit 0 when every budget holds, 1 when one is exceeded or
    cannot be decided (a free dim, a partial model), 2 on bad usage or input. Ranges are
    decided exactly (the maximum of the exact polynomial over the box, not samples).
    Under GitHub Actions the Markdown goes to the step summary and each failed check
    is an annotation. docs/ci.md has a workflow and a pre-commit hook.

    \b
    Examples:
      onnx-cost check model.onnx --budget 'flops<=4G' --budget 'params<=25M'
      onnx-cost check model.onnx --dim batch=1:64 --budget 'peak_memory<=2GiB' --device a100-40gb
      onnx-cost check model.onnx --baseline release.json --max-increase flops=5% --format junit -o check.xml
    """
    if json_ and fmt is not None and fmt.lower() != "json":
        fail(f"--json and --format are exclusive (asked for json and {fmt})")
    name = "json" if json_ else (fmt or "table").lower()
    if name not in FORMATS:
        fail(f"--format {fmt} does not apply to check (use {', '.join(FORMATS)})")
    code = 0
    with guarded(debug, model):
        from pathlib import Path

        from onnx_cost.render.check import RENDER, gh_annotations, to_markdown
        from onnx_cost.runners.check import check as run_check
        from onnx_cost.views.check import config as cfgmod
        from onnx_cost.views.check.expr import parse_budget, parse_dims, parse_increase

        if config is not None and no_config:
            fail("--config and --no-config are exclusive")
        path = Path(config) if config else (None if no_config else cfgmod.find())
        cfg = cfgmod.load(path) if path is not None else cfgmod.Config()
        budgets = [parse_budget(b) for b in [*cfg.budgets, *(budget or [])]]
        budgets += [parse_budget(w, "warning") for w in [*cfg.warn, *(warn or [])]]
        increases = [parse_increase(i) for i in [*cfg.max_increase, *(max_increase or [])]]
        fixed, ranges = parse_dims(_merge_dims(cfg.dims, dim or []))
        from onnx_cost import api

        inputs = {k: api.parse_shape(v) for k, v in pairs([*cfg.inputs, *(input_ or [])], "--input")}
        device = device or cfg.device
        convention = convention or cfg.convention or "exact"
        _check_convention(convention)
        if device is None and any(b.metric == "latency" for b in budgets):
            fail("a latency budget needs --device (a preset: onnx-cost devices, a device file, or local)")
        dev = None
        if device is not None:
            from onnx_cost.views.hardware.devices import load_device

            dev = load_device(device)
        if output not in (None, "-"):
            from onnx_cost.output import check_writable, refuse_model

            check_writable(output)
            refuse_model(output, model)
        res = run_check(model, budgets, increases, baseline=baseline or cfg.baseline, dims=fixed, ranges=ranges,
                        inputs=inputs, device=dev, convention=convention, rules=[*cfg.rules, *(rules or [])],
                        allow_unknown=allow_unknown or cfg.allow_unknown)
        res.config = cfg.source
        emit(RENDER[name](res), output)
        if os.environ.get("GITHUB_ACTIONS") == "true":
            _github(res, to_markdown(res), gh_annotations(res))
        code = res.exit_code
    if code:
        raise typer.Exit(code)


def _merge_dims(from_config: list[str], given: list[str]) -> list[str]:
    """The config's dims, each replaced by a command-line one of the same name."""
    names = {g.partition("=")[0].strip() for g in given}
    return [d for d in from_config if d.partition("=")[0].strip() not in names] + given


def _check_convention(name: str) -> None:
    from onnx_cost.views.conventions import get

    if name == "all":
        fail("--convention all does not apply to check: a budget means one convention")
    try:
        get(name)
    except ValueError as e:
        fail(f"--convention: {e}")


def _github(res: object, markdown: str, notes: str) -> None:
    """GitHub Actions: append the Markdown to $GITHUB_STEP_SUMMARY, and write one workflow
    command per check that did not pass on stderr (the runner reads commands there too,
    and stdout stays the report)."""
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        try:
            with open(summary, "a", encoding="utf-8") as f:
                f.write(markdown + "\n")
        except OSError as e:
            sys.stderr.write(f"onnx-cost: warning: cannot write $GITHUB_STEP_SUMMARY ({e.strerror or e})\n")
    sys.stderr.write(notes)
