"""``analyze_many``: many models, one row each, on our own pool (``_pool``, which can kill a
model that hangs) or on any ``concurrent.futures.Executor``. Above both the rows
(``batch``) and the pool, so that neither imports the other back."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor, as_completed

from onnx_cost.errors import printable
from onnx_cost.runners.batch import CRASHED, ModelRow, Progress, analyze_one


def analyze_many(
    paths: Iterable[str | os.PathLike[str]],
    executor: Executor | None = None,
    *,
    jobs: int | None = None,
    timeout: float | None = 60.0,
    rules: Sequence[str] = (),
    dims: Mapping[str, int] | None = None,
    progress: Progress | None = None,
) -> list[ModelRow]:
    """One ``ModelRow`` per model, in the order given; failures are rows, never raised.

    ``executor``: any ``concurrent.futures.Executor`` (default: our own pool of
    ``jobs`` worker processes, which kills a model past ``timeout`` seconds).
    ``rules``: rule files every worker loads. ``dims``: symbolic dims bound in each model
    that declares them; free dims get the default binding (a batch dim is 1), as in the
    analysis; a dim left with no value is symbolic, as in the analysis's JSON: a total
    that depends on it is None in ``row.totals``, its polynomial (at the row's binding) in
    ``row.formulas``. ``progress(done, total)`` is called as models finish.
    """
    items = [os.fspath(p) for p in paths]
    if executor is None:
        from onnx_cost.runners._pool import run_pool  # the pool imports the rows, never this module

        return run_pool(items, jobs or os.cpu_count() or 1, timeout, (tuple(rules), dict(dims or {})), progress)
    futures = {executor.submit(analyze_one, p, tuple(rules), timeout, dict(dims or {})): i for i, p in enumerate(items)}
    rows: list[ModelRow | None] = [None] * len(items)
    for done, fut in enumerate(as_completed(futures), 1):
        i = futures[fut]
        try:
            rows[i] = fut.result()
        except Exception as e:  # the executor lost the task (a dead worker, a cancelled future)
            rows[i] = ModelRow(items[i], CRASHED, printable(f"{type(e).__name__}: {e}", 300))
        if progress:
            progress(done, len(items))
    return [r for r in rows if r is not None]
