"""Many models in one run: one summary row per model, analyzed in worker processes.

``analyze_many(paths)`` runs our own pool (``_pool``): a model that fails becomes an
``error`` row, one that runs past the time limit is killed (``timeout``), one whose
worker dies is ``crashed``; the others go on. ``analyze_many(paths, executor=ex)``
takes any ``concurrent.futures.Executor`` instead (a local ProcessPoolExecutor, a
Dask ``distributed`` client's ``get_executor()``, a Ray pool): each task is
``analyze_one``, whose time limit is an alarm signal where the task runs in a
process's main thread (ProcessPoolExecutor) and none elsewhere (threads).
"""

from __future__ import annotations

import glob
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from onnx_cost.errors import ModelFileError, OnnxCostError, printable
from onnx_cost.model.totals import SUMMARY_KEYS
from onnx_cost.symbolic.binding import Binding

OK, PARTIAL, ERROR, INTERNAL, TIMEOUT, CRASHED = "ok", "partial", "error", "internal_error", "timeout", "crashed"
TOTAL_KEYS = SUMMARY_KEYS
Progress = Callable[[int, int], None]  # (done, total)


@dataclass
class ModelRow:
    """The summary of one model: its totals, coverage and precision mix, or why not."""

    path: str
    status: str  # ok, partial (some node not counted), error, internal_error, timeout, crashed
    error: str = ""  # one printable line for the failed ones
    seconds: float = 0.0
    # None where a total depends on a dim left symbolic (the analysis JSON's null): ``formulas``
    totals: dict[str, int | None] = field(default_factory=dict)
    nodes: int = 0
    coverage_percent: float = 0.0
    not_counted: int = 0
    precision: dict[str, int] = field(default_factory=dict)  # compute precision -> nodes
    opset: int = 0
    producer: str = ""
    dims: dict[str, int] = field(default_factory=dict)  # the --dim values this model declares
    free_dims: list[str] = field(default_factory=list)  # input dims --dim left free
    default_binding: dict[str, int] = field(default_factory=dict)  # the values the free ones got
    symbolic_dims: list[str] = field(default_factory=list)  # free dims with no default (the JSON's symbolic_dims)
    # each total that is None: its exact polynomial in symbolic_dims at this row's binding ("64*seq")
    formulas: dict[str, str] = field(default_factory=dict)

    @property
    def binding(self) -> Binding:
        return Binding(self.dims, tuple(self.free_dims), self.default_binding)

    @property
    def failed(self) -> bool:
        return self.status not in (OK, PARTIAL)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarize(path: str, report: Any, seconds: float, binding: Binding | None = None) -> ModelRow:
    """The row of an analyzed model (small and picklable: the report stays in the worker)."""
    from onnx_cost.views.diff import precision_of

    t = report.total
    totals = {k: getattr(t, k) for k in TOTAL_KEYS}
    formulas: dict[str, str] = {}
    # with symbolic dims: the records of the analysis the polynomials were fitted on (the
    # default binding's leave the nodes that need those dims unknown), as the JSON's coverage
    counted = next(iter(report.dynamic.formula.reports.values())) if report.symbolic else report
    if report.symbolic:
        dyn = report.dynamic
        formulas = {k: dyn.at_defaults(dyn.total(k)).to_str("*") for k, v in totals.items() if v is None}
    prec = Counter(p for p in (precision_of(r) for r in counted.nodes) if p)
    cov = report.counted_coverage
    return ModelRow(
        path=path,
        status=PARTIAL if report.partial else OK,
        seconds=round(seconds, 4),
        totals=totals,
        nodes=cov.nodes,
        coverage_percent=round(100.0 * cov.fraction, 2),
        not_counted=len(counted.not_counted),
        precision=dict(prec.most_common()),
        opset=report.model.opsets.get("", 0),
        producer=printable(report.model.producer, 200),
        dims=dict(binding.given) if binding else {},
        free_dims=list(binding.free) if binding else [],
        default_binding=dict(binding.defaults) if binding else {},
        symbolic_dims=list(report.symbolic),
        formulas=formulas,
    )


class _Timeout(BaseException):
    """The per-model alarm. A BaseException, as KeyboardInterrupt is, so that no
    ``except Exception`` on the way (a rule's, the walker's) can swallow it."""


def _alarm(signum: int, frame: Any) -> None:
    raise _Timeout


def analyze_one(
    path: str, rules: Sequence[str] = (), timeout: float | None = None, dims: Mapping[str, int] | None = None
) -> ModelRow:
    """Analyze one model into its row, at ``dims`` (those it declares) and the default
    binding (symbolic.binding); never raises for a bad or slow model."""
    from onnx_cost import api
    from onnx_cost.symbolic.binding import analyze_at_binding

    start = time.perf_counter()
    armed = bool(timeout) and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if armed:
        old = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, float(timeout))  # type: ignore[arg-type]  # armed: timeout set
    try:
        report, binding = analyze_at_binding(api._prepare(path, list(rules)), dims or {})
        return summarize(path, report, time.perf_counter() - start, binding)
    except _Timeout:
        return ModelRow(path, TIMEOUT, f"stopped after the {timeout:g} s time limit", time.perf_counter() - start)
    except OnnxCostError as e:  # bad input (exit 2), or the analyzer's own internal-error class (exit 3)
        status = INTERNAL if getattr(e, "exit_code", 2) == 3 else ERROR
        return ModelRow(path, status, str(e), time.perf_counter() - start)
    except (RecursionError, MemoryError) as e:
        return ModelRow(path, ERROR, f"{type(e).__name__} while analyzing", time.perf_counter() - start)
    except Exception as e:  # a bug in onnx-cost: this model's row says so, the batch goes on
        first = str(e).splitlines()[0][:300] if str(e) else ""
        return ModelRow(path, INTERNAL, printable(f"internal error ({type(e).__name__}: {first})"),
                        time.perf_counter() - start)
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)


def _glob(spec: str) -> list[str]:
    """The paths ``spec`` matches; ``**`` descends into folders but never through a symlink
    to a folder (glob.glob's ``**`` follows them: a link to its own parent loops for ever)."""
    if "**" not in spec:
        return glob.glob(spec)
    parts = Path(spec).parts
    fixed = next(i for i, part in enumerate(parts) if glob.has_magic(part))
    root = Path(*parts[:fixed]) if fixed else Path(".")
    pattern = Path(*parts[fixed:])
    dotted = any(p.startswith(".") for p in pattern.parts)  # else hidden names are skipped, as glob.glob does
    return [str(f) for f in root.glob(str(pattern))
            if dotted or not any(p.startswith(".") for p in f.relative_to(root).parts)]


def find_models(specs: Iterable[str]) -> list[str]:
    """The .onnx files named by folders (searched recursively), globs and paths, in
    order, each once. A spec that names nothing is bad input."""
    out: dict[str, None] = {}
    for spec in specs:
        p = Path(spec)
        if p.is_dir():
            found = sorted(str(f) for f in p.rglob("*.onnx") if f.is_file())
        elif p.exists():
            found = [spec]
        else:
            found = sorted(f for f in _glob(spec) if os.path.isfile(f))
        if not found:
            raise ModelFileError(f"{spec}: no .onnx model there (a folder, a glob or a file)")
        out.update(dict.fromkeys(found))
    return list(out)


def refuse_reads(output: str, paths: Sequence[str]) -> None:
    """OutputError when ``output`` is one of the models or a file one of them reads (its
    external data), as analyze refuses both. External data never leaves its model's folder
    (analyzer.external), so only the models in a folder above ``output`` are parsed here
    for it (all of them when ``output`` has other hard links)."""
    from onnx_cost import api
    from onnx_cost.analyzer.external import refuse_model_data
    from onnx_cost.output import refuse_model

    target = Path(os.path.realpath(output))
    try:
        linked = target.stat().st_nlink > 1
    except OSError:  # it does not exist yet
        linked = False
    for p in paths:
        refuse_model(output, p)
        if linked or Path(os.path.realpath(Path(os.path.abspath(p)).parent)) in target.parents:
            try:
                src = api.load(p)
            except OnnxCostError:  # unreadable: its row will say why, and it reads no data file
                continue
            refuse_model_data(output, src)
