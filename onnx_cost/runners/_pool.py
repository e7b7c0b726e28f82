"""Our own worker pool for ``analyze_many``: it can kill a model that hangs.

``concurrent.futures`` cannot stop a running task, and an alarm cannot interrupt
a long call into C (protobuf parsing, onnx shape inference). Here each worker is a
process that takes one path at a time over a pipe; a worker past its model's
deadline is killed and replaced, a worker that dies is replaced, and the model is
reported ``timeout`` or ``crashed``. Workers start from a forkserver that has
imported the analyzer once, so a replacement is cheap and no thread of the parent
(a progress bar) is ever forked.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import signal
import sys
import time
from collections import deque
from collections.abc import Iterator
from multiprocessing.connection import Connection, wait
from typing import Any

from onnx_cost.runners.batch import CRASHED, TIMEOUT, ModelRow, Progress, analyze_one

_PRELOAD = ["onnx_cost.runners._warm", "onnx_cost.runners.batch", "onnx_cost.api"]


Settings = tuple[tuple[str, ...], dict[str, int]]  # (rule files, --dim values): the same for every model


def _serve(conn: Connection, settings: Settings) -> None:
    """A worker: analyze each path received until told to stop (None)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        conn.send(analyze_one(msg, settings[0], None, settings[1]))


class _Worker:
    def __init__(self, ctx: Any, settings: Settings) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, settings), daemon=True)
        self.proc.start()
        child.close()
        self.task: int | None = None
        self.deadline = float("inf")
        self.started = 0.0

    def give(self, i: int, path: str, timeout: float | None) -> None:
        self.task, self.started = i, time.monotonic()
        self.deadline = self.started + timeout if timeout else float("inf")
        with contextlib.suppress(OSError):  # it died just now: _collect sees its sentinel, the row says crashed
            self.conn.send(path)

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.proc.kill()
        else:
            with contextlib.suppress(OSError):  # already gone: join below
                self.conn.send(None)
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()


def _context() -> Any:
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)
        return ctx
    return mp.get_context("spawn")


@contextlib.contextmanager
def _no_main_script() -> Iterator[None]:
    """A new worker process re-runs the caller's ``__main__`` (by its path, or by its module
    name under ``python -m``): a script that calls ``analyze_many`` without an
    ``if __name__ == "__main__":`` guard then calls it again in every worker, and each died
    with multiprocessing's bootstrapping error; a script read from stdin (``python - <<EOF``)
    has no path to re-run, and every worker died trying. The workers need nothing of
    ``__main__`` (they run ``_serve`` on paths), so while they start it is hidden."""
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    saved = {k: getattr(main, k) for k in ("__file__", "__spec__") if getattr(main, k, None) is not None}
    for k in saved:
        if k == "__spec__":
            main.__spec__ = None
        else:
            delattr(main, k)
    try:
        yield
    finally:
        for k, v in saved.items():
            setattr(main, k, v)


def run_pool(
    paths: list[str], jobs: int, timeout: float | None, settings: Settings, progress: Progress | None
) -> list[ModelRow]:
    """Analyze ``paths`` on ``jobs`` worker processes; rows in input order."""
    if not paths:
        return []
    with _no_main_script():
        return _run(paths, jobs, timeout, settings, progress)


def _run(
    paths: list[str], jobs: int, timeout: float | None, settings: Settings, progress: Progress | None
) -> list[ModelRow]:
    ctx = _context()
    rows: list[ModelRow | None] = [None] * len(paths)
    todo = deque(range(len(paths)))
    workers = [_Worker(ctx, settings) for _ in range(max(1, min(jobs, len(paths))))]
    done = 0
    try:
        while done < len(paths):
            for k, w in enumerate(workers):
                if w.task is None and todo:
                    if not w.proc.is_alive():  # died between two models
                        w.stop(kill=True)
                        workers[k] = w = _Worker(ctx, settings)
                    i = todo.popleft()
                    w.give(i, paths[i], timeout)
            finished = _collect(ctx, workers, settings, paths, rows, timeout)
            done += finished
            if progress:  # at least once a second: the bar appears even while a slow model runs
                progress(done, len(paths))
    finally:
        for w in workers:
            w.stop(kill=w.task is not None)
    return [r for r in rows if r is not None]


def _collect(
    ctx: Any, workers: list[_Worker], settings: Settings, paths: list[str],
    rows: list[ModelRow | None], timeout: float | None,
) -> int:
    """Wait for results (at most until the nearest deadline); record them, kill the
    workers past their deadline, replace dead ones. Returns how many models finished."""
    busy = [w for w in workers if w.task is not None]
    nearest = min(w.deadline for w in busy) - time.monotonic()
    ready = set(wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], timeout=max(0.0, min(nearest, 1.0))))
    finished = 0
    for k, w in enumerate(workers):
        i = w.task
        if i is None:
            continue
        row: ModelRow | None = None
        if w.conn in ready:
            try:
                row = w.conn.recv()
            except (EOFError, OSError):
                row = None
        if row is not None:
            w.task = None
        elif w.proc.sentinel in ready or w.conn in ready:
            w.proc.join(1)
            row = ModelRow(paths[i], CRASHED, f"the worker process died (exit code {w.proc.exitcode})",
                           time.monotonic() - w.started)
        elif time.monotonic() >= w.deadline:
            why = f"killed after the {timeout:g} s time limit"
            row = ModelRow(paths[i], TIMEOUT, why, time.monotonic() - w.started)
        else:
            continue
        if w.task is not None:  # timed out or dead: a fresh worker takes its place
            w.stop(kill=True)
            workers[k] = _Worker(ctx, settings)
        rows[i] = row
        finished += 1
    return finished
