"""Every option and argument of every onnx-cost command, declared once (the commands' modules
import them from here). Only typer and the CLI's format table are imported: ``onnx-cost --help``
stays fast."""

from __future__ import annotations

import enum
from typing import Annotated, Any

import typer

from onnx_cost._version import __version__
from onnx_cost.cli.common import FORMATS, Format


def format_flag(formats: tuple[str, ...]) -> Any:
    """The ``--format`` option of a subcommand that writes only ``formats``, for
    ``Annotated[str | None, format_flag(...)]`` and ``pick_format``: its help lists
    exactly those, and any other value is one line, exit 2."""
    return typer.Option("--format", metavar="|".join(formats),
                        help=f"Output format: {', '.join(formats)} (default: table).")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"onnx-cost {__version__}")
        raise typer.Exit()


VersionOpt = Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")]

# shared by every command
FormatOpt = Annotated[
    Format | None,
    typer.Option("--format", case_sensitive=False, metavar="|".join(FORMATS),
                 help=f"Output format: {', '.join(FORMATS)} (default: table)."),
]

CsvOpt = Annotated[bool, typer.Option("--csv", help="Same as --format csv: one row per node (RFC 4180).")]

JsonOpt = Annotated[bool, typer.Option("--json", help="Same as --format json (schema: docs/json.md).")]

OutputOpt = Annotated[
    str | None,
    typer.Option("-o", "--output", metavar="FILE",
                 help="Write to this file (atomically) instead of stdout; '-' is stdout."),
]

DebugOpt = Annotated[bool, typer.Option("--debug", help="Show the traceback of internal errors.")]

DimsOpt = Annotated[
    list[str] | None,
    typer.Option("--dim", metavar="NAME=N", help="Bind a symbolic dim everywhere: NAME=VALUE (repeatable)."),
]


# the hardware view (--device and its companions); every --device takes the same values, said one way
DEVICE_METAVAR = "NAME|FILE.toml|local"
DEVICE_VALUES = ("a preset (onnx-cost devices), a device file (docs/hardware.md) or 'local' "
                 "(this machine, measured once)")

DeviceOpt = Annotated[
    str | None,
    typer.Option("--device", metavar=DEVICE_METAVAR,
                 help=f"Roofline, latency floor and memory footprint on a device: {DEVICE_VALUES}."),
]

Tf32Opt = Annotated[
    bool, typer.Option("--tf32", help="With --device: fp32 contractions use the TF32 tensor-core peak.")
]

MeasuredMsOpt = Annotated[
    float | None,
    typer.Option("--measured-ms", metavar="MS",
                 help="With --device: your measured latency in ms; adds achieved throughput and utilization."),
]

MeasureOpt = Annotated[
    bool,
    typer.Option("--measure", help="Run the model with onnxruntime on this CPU (onnx-cost[runtime]): median latency, "
                                   "utilization against --device (default local), time per node beside its floor."),
]

PlotOpt = Annotated[
    str | None,
    typer.Option("--plot", metavar="FILE.svg|FILE.png",
                 help="With --device: draw the roofline and the ops/bytes per op type (onnx-cost[plot])."),
]

RecalibrateOpt = Annotated[
    bool,
    typer.Option("--recalibrate",
                 help="With --device local: calibrate this machine again (onnxruntime micro-benchmarks, "
                      "well under a minute) and save it (docs/hardware.md, Calibration)."),
]


# the analysis command
ModelArg = Annotated[str, typer.Argument(help="Path to an .onnx file.", metavar="MODEL")]

NodesOpt = Annotated[bool, typer.Option("--nodes", help="Table: list every node, not only the top ones.")]

TopOpt = Annotated[
    int, typer.Option("--top", metavar="N", min=0, help="Table: how many of the costliest nodes to list.")
]

InputOpt = Annotated[
    list[str] | None,
    typer.Option("--input", metavar="NAME=SHAPE",
                 help="Bind a graph input shape: NAME=1x3x224x224 (or 1,3,224,224 or [1,3,224,224]; repeatable)."),
]

SweepOpt = Annotated[
    str | None,
    typer.Option("--sweep", metavar="NAME=V1,V2,...",
                 help="One run per value: NAME=128,512,2048; totals side by side with scaling exponents."),
]

FormulaOpt = Annotated[bool, typer.Option("--formula", help="Totals as exact polynomials in the dims left symbolic.")]

RulesOpt = Annotated[
    list[str] | None,
    typer.Option("--rules", metavar="FILE", help="A Python file of extra rules (repeatable; docs/plugins.md)."),
]

StrictOpt = Annotated[bool, typer.Option(
    "--strict", help="Exit 1 when any node is not counted (uncounted, shape-unknown or invalid). A loop whose trip "
                     "count is unknown is counted per iteration: its totals are lower bounds (JSON bound: lower), "
                     "not a failure of --strict.")]

ValuesOpt = Annotated[
    list[str] | None,
    typer.Option("--value", metavar="NAME=V",
                 help="Bind a small input's value: NAME=16000 or NAME=1,2,3 (an If on it is decided; repeatable)."),
]

BranchOpt = Annotated[
    list[str] | None,
    typer.Option("--branch", metavar="NODE=then|else",
                 help="Decide an If whose condition is runtime data: the branch it takes (repeatable)."),
]

MetricOpt = Annotated[
    str | None,
    typer.Option("--metric", metavar="NAME",
                 help="--format model-explorer: the per-node metric (ops by default; flops, macs, params, bytes... "
                      "or all: one file each in the -o folder; docs/reports.md)."),
]

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

ByOpt = Annotated[
    ByChoice | None,
    typer.Option("--by", case_sensitive=False, metavar="|".join(c.value for c in ByChoice),
                 help="Table: one row per module (a tree), op type or node."),
]

DepthOpt = Annotated[
    int, typer.Option("--depth", metavar="N", min=1, help="Module tree: levels shown (deeper ones folded).")
]

SortOpt = Annotated[
    SortChoice | None,
    typer.Option("--sort", case_sensitive=False, metavar="|".join(c.value for c in SortChoice),
                 help="Rank rows (and modules) by this; --top N keeps the first N."),
]

ConventionOpt = Annotated[
    str | None,
    typer.Option("--convention", metavar="NAME",
                 help="Count as another tool does: exact (default), torchvision, fvcore, mmengine, thop, ptflops, "
                      "ptflops-aten, calflops, torch, onnx-tool, or all (one row each); see `onnx-cost conventions`."),
]


# check
CheckModelArg = Annotated[str, typer.Argument(help="The .onnx model to check.", metavar="MODEL")]

BudgetOpt = Annotated[list[str] | None, typer.Option(
    "--budget", metavar="METRIC<=VALUE",
    help="A limit that fails the check: flops<=4G, peak_memory<=512MiB, latency<=10ms, coverage>=100% (repeatable).")]

WarnOpt = Annotated[list[str] | None, typer.Option(
    "--warn", metavar="METRIC<=VALUE", help="The same syntax: reported, never fails (repeatable).")]

BaselineOpt = Annotated[str | None, typer.Option(
    "--baseline", metavar="FILE", help="An .onnx model, or a JSON report written by onnx-cost --json.")]

IncreaseOpt = Annotated[list[str] | None, typer.Option(
    "--max-increase", metavar="METRIC=PCT",
    help="Fail when the model exceeds the baseline by more than PCT: flops=5% (repeatable; 0% allowed).")]

ConfigOpt = Annotated[str | None, typer.Option(
    "--config", metavar="FILE",
    help="A TOML file with [tool.onnx-cost.check] (default: the nearest pyproject.toml or onnx-cost.toml).")]

NoConfigOpt = Annotated[bool, typer.Option("--no-config", help="Read no config file.")]

CheckDimOpt = Annotated[list[str] | None, typer.Option(
    "--dim", metavar="NAME=N|NAME=LO:HI",
    help="Bind a dim, or give it a range: every value in it must pass (decided exactly; repeatable).")]

CheckDeviceOpt = Annotated[str | None, typer.Option(
    "--device", metavar=DEVICE_METAVAR, help=f"The device of latency and peak-memory budgets: {DEVICE_VALUES}.")]

CheckJsonOpt = Annotated[bool, typer.Option("--json", help="Same as --format json (schema: docs/ci.md, Outputs).")]

CheckConventionOpt = Annotated[str | None, typer.Option(
    "--convention", metavar="NAME", help="Whose flops, macs and params the budgets mean (default exact; "
                                         "onnx-cost conventions); recorded in the verdict.")]

AllowUnknownOpt = Annotated[bool, typer.Option(
    "--allow-unknown", help="Exit 0 when no budget fails but some cannot be decided.")]


# conventions
CONVENTIONS_FORMATS = ("table", "markdown", "json")
ConventionsFormatOpt = Annotated[str | None, format_flag(CONVENTIONS_FORMATS)]
ConventionsJsonOpt = Annotated[bool, typer.Option(
    "--json", help="Same as --format json: every profile with its sources, and the op families.")]


# diff and batch
ModelsDimsOpt = Annotated[list[str] | None, typer.Option(
    "--dim", metavar="NAME=N",
    help="Bind a symbolic dim in each model that declares it: NAME=VALUE (repeatable; a name no model declares "
         "is exit 2).")]

BeforeArg = Annotated[str, typer.Argument(help="The model before (an .onnx file).", metavar="BEFORE")]

AfterArg = Annotated[str, typer.Argument(help="The model after.", metavar="AFTER")]

DiffDepthOpt = Annotated[
    int, typer.Option("--depth", metavar="N", min=1, help="Compare modules down to this many levels.")
]

DiffCsvOpt = Annotated[bool, typer.Option(
    "--csv", help="Same as --format csv: one row per model, total, view, op type, module and changed node.")]

DiffDeviceOpt = Annotated[str | None, typer.Option(
    "--device", metavar=DEVICE_METAVAR,
    help=f"Add both models' latency and memory footprint (table, JSON, Markdown) on a device: {DEVICE_VALUES}.")]

DiffJsonOpt = Annotated[bool, typer.Option("--json", help="Same as --format json (schema: docs/reports.md, Diff).")]

Specs = Annotated[
    list[str], typer.Argument(help="Folders (searched for *.onnx), globs or files.", metavar="DIR_OR_GLOB...")
]

JobsOpt = Annotated[int | None, typer.Option("-j", "--jobs", min=1, metavar="N",
                                                 help="Worker processes (default: one per CPU).")]

TimeoutOpt = Annotated[float, typer.Option("--timeout", min=0, metavar="SECONDS",
                                        help="Per-model time limit; a model past it is killed (0: none).")]

ProgressOpt = Annotated[bool | None, typer.Option("--progress/--no-progress",
                                                  help="Progress bar on stderr (default: when stderr is a terminal).")]

BatchStrictOpt = Annotated[bool, typer.Option("--strict", help="Exit 1 when any model failed or timed out.")]

BatchCsvOpt = Annotated[bool, typer.Option("--csv", help="Same as --format csv: one row per model.")]

BatchJsonOpt = Annotated[bool, typer.Option("--json", help="Same as --format json (schema: docs/reports.md, Batch).")]


# llm
LlmModelArg = Annotated[str, typer.Argument(help="A decoder .onnx file exported with its KV cache.", metavar="MODEL")]

PromptOpt = Annotated[int | None, typer.Option("--prompt", metavar="N", min=1,
                                            help="Prefill: tokens in the prompt (default: --context).")]

ContextOpt = Annotated[int, typer.Option("--context", metavar="N", min=0,
                                      help="Decode: tokens already cached when one token is decoded.")]

BatchOpt = Annotated[int, typer.Option("--batch", metavar="B", min=1, help="Sequences decoded at once.")]

LlmDeviceOpt = Annotated[str | None, typer.Option(
    "--device", metavar=DEVICE_METAVAR,
    help=f"Latency, tokens/s, memory fit and batch scan on a device: {DEVICE_VALUES}.")]

SeqDimOpt = Annotated[str | None, typer.Option("--seq-dim", metavar="NAME", help="The new-token dim, when its name "
                                                                            "does not say.")]

PastDimOpt = Annotated[str | None, typer.Option("--past-dim", metavar="NAME", help="The cached-tokens dim of the cache "
                                                                              "inputs, when the graph does not say.")]

LlmMeasureOpt = Annotated[bool, typer.Option("--measure", help="Run the decode step with onnxruntime on this CPU: "
                                                         "latency, achieved bandwidth, MBU (onnx-cost[runtime]).")]

LlmJsonOpt = Annotated[bool, typer.Option("--json", help="Same as --format json (schema: docs/json.md, llm).")]


# devices
DeviceNameArg = Annotated[str | None, typer.Argument(
    metavar="[NAME]",
    help="A preset (or device file) to show; default: all presets. 'calibrate': fit this machine (onnxruntime).")]

DevicesJsonOpt = Annotated[bool, typer.Option("--json", help="Same as --format json: every figure with its source.")]
