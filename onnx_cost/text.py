"""Plain-text building blocks for human output: escaping untrusted strings, display
widths, middle ellipsis, and a table that fits a width by dropping and shortening
columns (never by wrapping).

Names in a model file are untrusted: ``escape`` shows every character that is not
printable (C0 and C1 controls, DEL, bidi overrides, line separators) as a Python
escape (``\\x1b``, ``\\u202e``), so nothing in a name can move the cursor, retitle the
terminal, write the clipboard or break a line. No markup is interpreted anywhere.
"""

from __future__ import annotations

import os
import shutil
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

ELLIPSIS = "…"
FILE_WIDTH = 120  # the width when stdout is not a terminal and COLUMNS is not set


def percent(part: int | float, whole: int | float) -> float:
    """``part`` as a percentage of ``whole`` (0 when ``whole`` is 0), for counts of any
    size: Python ints past float's range (a Loop of 2^62 trips in 17 levels) divide
    exactly; a ratio past float's range is +-inf, never an OverflowError."""
    if not whole:
        return 0.0
    if isinstance(part, int) and isinstance(whole, int):
        if abs(100 * part) >= abs(whole) * 2**1023:
            return float("inf") if (part > 0) == (whole > 0) else float("-inf")
        return 100 * part / whole
    return 100.0 * (to_float(part) / to_float(whole))


def to_float(n: int | float) -> float:
    """``n`` as a float; an int past float's range (2^1024) is +-inf, never an OverflowError."""
    if isinstance(n, int) and n.bit_length() > 1023:
        return float("inf") if n > 0 else float("-inf")
    return float(n)


def _hex(c: str) -> str:
    n = ord(c)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}"


def escape(text: str, backslash: bool = False) -> str:
    """``text`` with every non-printable character as ``\\xNN`` (``\\x1b``, ``\\x7f``,
    ``\\x85``), ``\\uNNNN`` or ``\\UNNNNNNNN``; ``backslash``: a backslash doubled as well,
    so that the escaped form decodes back exactly (CSV)."""
    if text.isprintable() and not (backslash and "\\" in text):
        return text
    return "".join(
        "\\\\" if c == "\\" and backslash else c if c.isprintable() else _hex(c) for c in text
    )


FORMULA_START = ("=", "+", "-", "@")


def csv_text(text: str) -> str:
    """A CSV cell of model text: escaped (backslash doubled), and a leading ' added when it
    starts like a spreadsheet formula (= + - @; TAB and CR are escaped already), as OWASP
    advises against CSV injection."""
    out = escape(text, backslash=True)
    return "'" + out if out.startswith(FORMULA_START) else out


def cell_width(text: str) -> int:
    """Terminal columns ``text`` takes: wide East Asian characters 2, combining marks 0."""
    if text.isascii():
        return len(text)
    w = 0
    for c in text:
        if unicodedata.combining(c):
            continue
        w += 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
    return w


def _cut(text: str, width: int, from_end: bool = False) -> str:
    """The longest prefix (or suffix) of ``text`` that fits ``width`` columns."""
    out, used = [], 0
    for c in reversed(text) if from_end else text:
        w = cell_width(c)
        if used + w > width:
            break
        out.append(c)
        used += w
    return "".join(reversed(out) if from_end else out)


def shorten(text: str, width: int) -> str:
    """``text`` in at most ``width`` columns, shortened in the middle so the distinctive
    tail stays: whole path components where they fit (``/encoder/…/layer.11/attention/MatMul``)."""
    if cell_width(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    parts = text.split("/")
    if len(parts) > 2:
        head = parts[0] + "/" if parts[0] else "/" + parts[1] + "/"
        tail: list[str] = []
        rest = parts[1:] if parts[0] else parts[2:]
        for p in reversed(rest):
            candidate = "/".join([p, *tail])
            if cell_width(head + ELLIPSIS + "/" + candidate) > width:
                break
            tail.insert(0, p)
        if tail and len(tail) < len(rest):
            short = head + ELLIPSIS + "/" + "/".join(tail)
            if cell_width(short) <= width:
                return short
    keep_head = (width - 1) // 3
    return _cut(text, keep_head) + ELLIPSIS + _cut(text, width - 1 - keep_head, from_end=True)


def wrap(text: str, width: int, indent: str = "") -> list[str]:
    """Prose in lines of at most ``width`` columns, broken between words; continuation
    lines indented two more; a word longer than a line is broken too."""
    lines: list[str] = []
    line = indent
    room = max(width - len(indent) - 2, 8)
    words = [w[i : i + room] for w in text.split(" ") for i in range(0, max(len(w), 1), room)]
    for word in words:
        if line.strip() and cell_width(line) + 1 + cell_width(word) > width:
            lines.append(line)
            line = indent + "  " + word
        else:
            line = line + (" " if line.strip() else "") + word
    return [*lines, line]


def terminal_width() -> int:
    """COLUMNS when set, else the terminal's width, else FILE_WIDTH (a file or a pipe)."""
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        if sys.stdout.isatty():
            return shutil.get_terminal_size((FILE_WIDTH, 24)).columns
    except (AttributeError, ValueError, OSError):
        pass
    return FILE_WIDTH


@dataclass(frozen=True)
class Column:
    """One table column: ``drop`` > 0 is the order in which it goes when the table is
    too wide (1 first); ``shrink`` columns are shortened in the middle instead."""

    title: str
    right: bool = False
    drop: int = 0
    shrink: bool = False


SHRINK_FIRST = 32  # names are shortened to this before any column is dropped
SHRINK_MIN = 12  # ...and to this after, at the narrowest


def table(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int, indent: int = 2) -> list[str]:
    """Lines of a plain table in at most ``width`` columns: names shortened to
    SHRINK_FIRST, then columns dropped in their ``drop`` order, then names shortened
    down to SHRINK_MIN. Cells must already be escaped."""
    cols = list(range(len(columns)))
    natural = [max([cell_width(columns[c].title), *(cell_width(r[c]) for r in rows)]) for c in cols]
    widths = list(natural)

    def total() -> int:
        return indent + sum(widths[c] for c in cols) + 2 * (len(cols) - 1)

    def shrink_to(limit: int) -> None:
        for c in cols:
            if columns[c].shrink and total() > width:
                widths[c] = max(min(widths[c], limit), widths[c] - (total() - width), cell_width(columns[c].title))

    shrink_to(SHRINK_FIRST)
    for c in sorted((c for c in cols if columns[c].drop), key=lambda c: columns[c].drop):
        if total() <= width:
            break
        cols.remove(c)
    shrink_to(SHRINK_MIN)
    while total() > width:  # still too wide (long formulas in cells): cut the widest cell
        c = max(cols, key=lambda c: widths[c])
        floor = max(cell_width(columns[c].title), 3)
        if widths[c] <= floor:
            break
        widths[c] = max(floor, widths[c] - (total() - width))
    lines = []
    for cells in [[col.title for col in columns], *rows]:
        out = []
        for c in cols:
            text = shorten(cells[c], widths[c])
            pad = " " * (widths[c] - cell_width(text))
            out.append(pad + text if columns[c].right else text + pad)
        lines.append((" " * indent + "  ".join(out)).rstrip())
    return lines


_SI = ((10**15, "P"), (10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K"))


def si(n: int | float, unit: str = "") -> str:
    """Human units with SI prefixes, as in the seeds: 1814073344 -> '1.81 G'; an int
    past float's range in scientific notation, exactly rounded ('7.72e+317')."""
    if isinstance(n, int) and n.bit_length() > 1000:
        from decimal import Decimal

        mantissa, _, exp = f"{Decimal(n):.3g}".partition("e")
        if "." in mantissa:  # as float's 'g' shows it: 1e+400, not 1.00e+400
            mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{exp} {unit}".rstrip()
    for scale, prefix in _SI:
        if abs(n) >= scale:
            return f"{n / scale:.3g} {prefix}{unit}".rstrip()
    return f"{n:g} {unit}".rstrip() if isinstance(n, float) else f"{n} {unit}".rstrip()


def unit_text(x: float | None, unit: str) -> str:
    """``x`` with ``si``'s prefixes and ``unit`` (rates, ops: 3 significant digits, a float
    under a thousand too); "-" for None."""
    if x is None:
        return "-"
    return si(x, unit) if abs(x) >= 1000 else f"{x:.3g} {unit}"


def bytes_text(x: float | None) -> str:
    """Bytes in the decimal units of every table (1 KB = 1,000 B, as ``si``): one unit
    family on every screen, so a footprint reads against the totals' bytes above it."""
    if x is None:
        return "-"
    return si(int(x) if float(x).is_integer() else x, "B")


def time_text(s: float | None) -> str:
    """Seconds in s, ms, us or ns (3 significant digits); "-" for None."""
    if s is None:
        return "-"
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us")):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s * 1e9:.3g} ns"
