"""Batch summaries as CSV (one row per model, raw integers), JSON, a plain-text table
(analyzer.text: escaped, fitted to the width) or Markdown; the progress bar."""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from onnx_cost._version import __version__
from onnx_cost.model.totals import SUMMARY_KEYS as TOTAL_KEYS
from onnx_cost.render.markdown import md_table, md_text
from onnx_cost.render.report import si
from onnx_cost.symbolic.binding import DEFAULT_LEGEND
from onnx_cost.text import Column, csv_text, escape, table, terminal_width, wrap

if TYPE_CHECKING:
    from onnx_cost.runners.batch import ModelRow

CSV_COLUMNS = ("path", "status", "error", "seconds", *TOTAL_KEYS, "nodes", "coverage_percent", "not_counted",
               "precision", "opset", "producer", "dims", "free_dims", "default_binding", "symbolic_dims", "formulas")


def precision_mix(row: ModelRow) -> str:
    """'fp32=120;int8=40': compute precision -> nodes, most common first."""
    return ";".join(f"{k}={v}" for k, v in row.precision.items())


def flat(row: ModelRow) -> dict[str, Any]:
    d: dict[str, Any] = {k: getattr(row, k) for k in ("path", "status", "error", "seconds", "nodes",
                                                        "coverage_percent", "not_counted", "opset", "producer")}
    for k in TOTAL_KEYS:
        d[k] = row.totals.get(k, "")
    d["precision"] = precision_mix(row)
    d["dims"] = _pairs(row.dims)
    d["free_dims"] = ";".join(row.free_dims)
    d["default_binding"] = _pairs(row.default_binding)
    d["symbolic_dims"] = ";".join(row.symbolic_dims)
    d["formulas"] = _pairs(row.formulas)
    return d


def _pairs(values: Mapping[str, int] | Mapping[str, str]) -> str:
    return ";".join(f"{k}={v}" for k, v in values.items())


# Cells that carry text from the model or its path: escaped and defused (text.csv_text).
CSV_TEXT = ("path", "error", "producer", "precision", "dims", "free_dims", "default_binding", "symbolic_dims",
            "formulas")


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


def unused_dims(rows: Sequence[ModelRow], dims: Mapping[str, int]) -> str:
    """The --dim names no analyzed model declares ('' when each is used, or none was
    analyzed): what the batch refuses (exit 2), since each model takes only its own."""
    analyzed = [r for r in rows if not r.failed]
    if not analyzed:
        return ""
    return ", ".join(escape(k) for k in dims if not any(k in r.dims for r in analyzed))


def _cells(r: ModelRow, esc: Any) -> list[str]:
    if r.failed:
        return [esc(r.path), r.status, "", "", "", "", "", ""]
    return [esc(r.path), r.status, esc(r.binding.text(str)), _count(r, "flops", esc), _count(r, "macs", esc),
            _count(r, "params", esc), f"{r.coverage_percent:.1f}%", esc(precision_mix(r))]


def _count(r: ModelRow, key: str, esc: Any) -> str:
    """A total's cell: the number, or its polynomial in the symbolic dims (``64·seq``)."""
    v = r.totals[key]
    return si(v) if v is not None else esc(r.formulas[key].replace("*", "·"))


HEADERS = ["model", "status", "dims", "FLOPs", "MACs", "params", "coverage", "precision"]
_RIGHT = ("FLOPs", "MACs", "params", "coverage")
# Too wide: precision goes first, then params and MACs (the default table's order); paths
# and dims are shortened in the middle, their distinctive tails kept.
_COLUMNS = [Column("model", shrink=True), Column("status"), Column("dims", shrink=True),
            Column("FLOPs", right=True), Column("MACs", right=True, drop=3), Column("params", right=True, drop=2),
            Column("coverage", right=True), Column("precision", drop=1)]


def _notes(rows: Sequence[ModelRow]) -> list[str]:
    """The legends of the dims column (what `*` and `=?` mean), when some row shows them."""
    out = []
    if any(r.default_binding for r in rows if not r.failed):
        out.append(DEFAULT_LEGEND)
    exact = any(r.symbolic_dims for r in rows if not r.failed)
    uncounted = any(set(r.binding.unbound) - set(r.symbolic_dims) for r in rows if not r.failed)
    if exact and uncounted:  # one legend for one mark, saying which rows read which way
        out.append("=? a free dim without a value: the counts that depend on it are its exact polynomials, or, in a"
                   " partial row (no exact polynomial), the nodes it reaches are not counted")
    elif exact:
        out.append("=? a free dim without a value: the counts that depend on it are its exact polynomials")
    elif uncounted:
        out.append("=? a free dim without a value and no exact polynomial: the nodes it reaches are not counted"
                   " (partial)")
    return out


def _models(n: int) -> str:
    return f"{n} model" + ("" if n == 1 else "s")


def to_markdown(rows: Sequence[ModelRow]) -> str:
    body = [_cells(r, md_text) + [md_text(r.error)] for r in rows]
    notes = "".join(f"\n{md_text(n)}\n" for n in _notes(rows))
    return (f"# onnx-cost batch: {_models(len(rows))}\n\n"
            + md_table([*HEADERS, "error"], body, [h in _RIGHT for h in [*HEADERS, "error"]]) + notes)


def to_table(rows: Sequence[ModelRow], width: int | None = None) -> str:
    """One row per model in at most ``width`` columns (default: the terminal's), then
    the failed models' errors, whole and wrapped."""
    width = width or terminal_width()
    lines = [_models(len(rows)), *table(_COLUMNS, [_cells(r, escape) for r in rows], width)]
    lines += [line for n in _notes(rows) for line in wrap(n, width)]
    failed = [r for r in rows if r.failed]
    if failed:
        lines += ["", "Errors"]
        for r in failed:
            lines += wrap(f"{escape(r.path)} ({r.status}): {escape(r.error)}", width, "  ")
    return "\n".join(lines) + "\n"


BAR_CELLS = 30  # the bar's width, less on a narrower terminal


class ProgressBar:
    """``progress(done, total)`` for ``analyze_many``: one line on ``stream`` (stderr),
    redrawn in place, drawn only once the run has lasted ``delay`` seconds (short runs
    print nothing) and at most ``every`` seconds apart."""

    def __init__(self, enabled: bool, delay: float = 1.0, stream: TextIO | None = None, every: float = 0.2) -> None:
        self.enabled, self.delay, self.every = enabled, delay, every
        self.stream = stream or sys.stderr
        self.start = time.monotonic()
        self.drawn = -1.0  # when the bar was last drawn (-1: never)
        self.shown = 0  # the length of the line drawn last

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.start < self.delay:
            return
        if self.drawn < 0 or now - self.drawn >= self.every or done == total:
            self._draw(done, total, now)

    def _draw(self, done: int, total: int, now: float) -> None:
        elapsed = now - self.start
        eta = f", eta {_clock(elapsed * (total - done) / done)}" if 0 < done < total else ""
        text = f" {done}/{total} models, {_clock(elapsed)}{eta}"
        widest = len(f" {total}/{total} models, 0:00, eta 0:00")  # the same bar in every frame
        room = min(BAR_CELLS, max(_width(self.stream) - widest - 3, 10))
        filled = room * done // total if total else room
        line = "[" + "#" * filled + "-" * (room - filled) + "]" + text
        self.stream.write("\r" + line + " " * max(self.shown - len(line), 0))  # blank what a longer line left
        self.stream.flush()
        self.drawn, self.shown = now, len(line)

    def close(self) -> None:
        """End the bar's line (nothing when it was never drawn)."""
        if self.drawn >= 0:
            self.stream.write("\n")
            self.stream.flush()


def _width(stream: TextIO) -> int:
    """The width of the terminal ``stream`` writes to (80 when it is not one)."""
    import os

    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):  # not a terminal, or no file descriptor (a test's StringIO)
        return 80
    return columns or 80  # a terminal that does not know its size says 0


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}" if m >= 60 else f"{m}:{s:02d}"
