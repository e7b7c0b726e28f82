"""Batch summaries as CSV (one row per model, raw integers), JSON, a table or Markdown."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from .. import __version__
from ..analyzer.render import si
from ..analyzer.text import csv_text, terminal_width
from ..errors import printable
from .batch import TOTAL_KEYS, ModelRow
from .markdown import md_table, md_text

CSV_COLUMNS = ("path", "status", "error", "seconds", *TOTAL_KEYS, "nodes", "coverage_percent", "not_counted",
               "precision", "opset", "producer")


def precision_mix(row: ModelRow) -> str:
    """'fp32=120;int8=40': compute precision -> nodes, most common first."""
    return ";".join(f"{k}={v}" for k, v in row.precision.items())


def flat(row: ModelRow) -> dict[str, Any]:
    d: dict[str, Any] = {k: getattr(row, k) for k in ("path", "status", "error", "seconds", "nodes",
                                                        "coverage_percent", "not_counted", "opset", "producer")}
    for k in TOTAL_KEYS:
        d[k] = row.totals.get(k, "")
    d["precision"] = precision_mix(row)
    return d


# Cells that carry text from the model or its path: escaped and defused (text.csv_text).
CSV_TEXT = ("path", "error", "producer", "precision")


def to_csv(rows: Sequence[ModelRow]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    w.writeheader()
    for r in rows:
        d = flat(r)
        for k in CSV_TEXT:
            d[k] = csv_text(str(d[k]))
        w.writerow(d)
    return buf.getvalue()


def to_json(rows: Sequence[ModelRow]) -> str:
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    return json.dumps({"onnx_cost_version": __version__, "models": len(rows), "status": counts,
                       "rows": [r.as_dict() for r in rows]}, indent=1) + "\n"


def _cells(r: ModelRow, esc: Any) -> list[str]:
    t = r.totals
    if r.failed:
        return [esc(r.path), r.status, "", "", "", "", "", esc(r.error)]
    return [esc(r.path), r.status, si(t["flops"]), si(t["macs"]), si(t["params"]),
            f"{r.coverage_percent:.1f}%", esc(precision_mix(r)), ""]


HEADERS = ["model", "status", "FLOPs", "MACs", "params", "coverage", "precision", "error"]


def to_markdown(rows: Sequence[ModelRow]) -> str:
    body = [_cells(r, md_text) for r in rows]
    return f"# onnx-cost batch: {len(rows)} models\n\n" + md_table(HEADERS, body, [h in HEADERS[2:6] for h in HEADERS])


def to_table(rows: Sequence[ModelRow], width: int | None = None) -> str:
    """One row per model, as wide as the terminal (analyzer.text.terminal_width)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=io.StringIO(), width=width or terminal_width(), force_terminal=False, color_system=None)
    t = Table(title=f"{len(rows)} models", title_justify="left")
    for h in HEADERS:
        t.add_column(h, justify="right" if h in HEADERS[2:6] else "left", overflow="fold")  # a path folds, whole
    for r in rows:
        t.add_row(*[Text(c) for c in _cells(r, lambda s: printable(s, 300))])
    console.print(t)
    return console.file.getvalue()  # type: ignore[attr-defined]  # a StringIO, given above


class ProgressBar:
    """``progress(done, total)`` for ``analyze_many``: a rich bar on stderr, drawn only
    once the run has lasted ``delay`` seconds (short runs print nothing)."""

    def __init__(self, enabled: bool, delay: float = 1.0) -> None:
        import time

        self.enabled, self.delay, self.start = enabled, delay, time.monotonic()
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, done: int, total: int) -> None:
        import time

        if not self.enabled:
            return
        if self.bar is None:
            if time.monotonic() - self.start < self.delay:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

            self.bar = Progress("models", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), "eta",
                                TimeRemainingColumn(), console=Console(stderr=True))
            self.bar.start()
            self.task = self.bar.add_task("models", total=total)
        self.bar.update(self.task, completed=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
