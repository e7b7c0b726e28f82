"""Imported once by the batch pool's forkserver, before it forks any worker: the
analyzer and every rule family are loaded there, so no worker pays for them."""

from __future__ import annotations

from onnx_cost.analyzer import analyze as _analyze  # noqa: F401  # imported for its side effect: loaded before the fork
from onnx_cost.rules import load_all

load_all()
