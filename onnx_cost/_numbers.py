"""The one reader of a count the user types (``--dim b=8``, ``--input x=1x3``, ``--sweep``):
ASCII digits only and at most int64's largest value, checked before ``int()`` sees the
text (``int`` takes '²'-like digits for some scripts, refuses others, and refuses 4,300
digits or more with a ValueError of its own)."""

from __future__ import annotations

MAX_DIM = 2**63 - 1  # the largest dim an ONNX shape holds (int64)
_DIGITS = frozenset("0123456789")


def count_value(text: str) -> int:
    """``text`` (stripped) as a non-negative integer; ValueError saying why not."""
    t = text.strip()
    if not t or not _DIGITS.issuperset(t):
        raise ValueError("the value must be a non-negative integer (ASCII digits)")
    if len(t) > 19 or int(t) > MAX_DIM:
        raise ValueError("the value is past 2^63-1, the largest ONNX dim")
    return int(t)


def shown(text: str, limit: int = 40) -> str:
    """``text`` for a message: cut, with its length, when longer than ``limit`` (a 5,000-digit
    value must not push the reason off the one line)."""
    return text if len(text) <= limit else f"{text[: limit - 20]}...({len(text)} characters)"
