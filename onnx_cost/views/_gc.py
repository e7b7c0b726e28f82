"""The cyclic garbage collector paused while a view runs over every node.

A view (the roofline, the prediction, an overlay) makes a few objects per node and frees
almost none until it returns, so the collections its allocations set off find nothing to
free, and each full one walks every object of the report first (10-20 % of the JSON
view's CPU time on a 5,000-node chain, measured). The analysis pauses it the same way
(analyzer/__init__.py). Import-light: no onnx, no numpy.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def paused_gc(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` run with the collector off (and back on after, when it was on)."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if not gc.isenabled():  # already paused (a view called by another)
            return fn(*args, **kwargs)
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            gc.enable()

    return run
