"""Make tests/helpers.py importable as ``helpers``; tests see no terminal width of the caller's."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _no_callers_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """The table follows COLUMNS: a shell that exports it must not change what tests see
    (a test that wants a width sets it itself)."""
    monkeypatch.delenv("COLUMNS", raising=False)
