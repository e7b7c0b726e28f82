"""``--device local``: this machine, measured in a few seconds and cached.

Achieved fp32 GEMM throughput with numpy (its BLAS, all threads) and the bandwidth of
a large array copy (bytes read + bytes written per second). The result is cached in
the user cache directory (``$XDG_CACHE_HOME/onnx-cost``, else ``~/.cache/onnx-cost``)
under the CPU model's name, so later runs cost nothing; delete the file to measure
again. These are achieved figures, not datasheet peaks: utilization against them says
how close a run comes to what this machine's BLAS and memory system deliver.
"""

from __future__ import annotations

import json
import os
import platform
import re
import time
from collections.abc import Callable
from pathlib import Path

from onnx_cost.views.hardware.devices import Device, Figure

Measurement = dict[str, float]  # gemm_flops, copy_bytes_per_s, memory_bytes
CACHE_VERSION = 1


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip() or "unknown"
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "onnx-cost"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:100] or "unknown"


def _best(fn: Callable[[], object], budget_s: float) -> float:
    """Shortest time of ``fn`` over repeats within ``budget_s`` (at least 3 runs)."""
    best, spent, runs = float("inf"), 0.0, 0
    while runs < 3 or spent < budget_s:
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        best, spent, runs = min(best, dt), spent + dt, runs + 1
    return best


def measure(budget_s: float = 1.5) -> Measurement:
    """Measure this machine: about ``2 · budget_s`` seconds."""
    import numpy as np

    n = 2048
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    b = a.T.copy()
    out = np.empty_like(a)
    np.matmul(a, b, out=out)  # warm up the BLAS and its threads
    gemm_s = _best(lambda: np.matmul(a, b, out=out), budget_s)
    src = np.ones(64 * 2**20 // 8)  # 64 MiB: well past any cache
    dst = np.empty_like(src)
    np.copyto(dst, src)
    copy_s = _best(lambda: np.copyto(dst, src), budget_s)
    try:
        mem = float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        mem = 0.0
    return {
        "gemm_flops": 2.0 * n**3 / gemm_s,  # 2 n^3 operations per n x n GEMM
        "copy_bytes_per_s": 2.0 * src.nbytes / copy_s,  # read + write
        "memory_bytes": mem,
    }


def local_device(
    cache: Path | None = None, measure_fn: Callable[[], Measurement] = measure, refresh: bool = False
) -> Device:
    """This machine as a device, from the cache or measured now (and cached)."""
    model = cpu_model()
    path = (cache or cache_dir()) / f"local-{_slug(model)}.json"
    m: Measurement | None = None
    when = ""
    if not refresh and path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") == CACHE_VERSION and data.get("cpu") == model:
                m, when = data["measurement"], data.get("when", "")
        except (OSError, ValueError, KeyError, AttributeError):
            m = None  # a damaged cache file: measure again
    if m is None:
        m = measure_fn()
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"version": CACHE_VERSION, "cpu": model, "when": when, "measurement": m}))
            os.replace(tmp, path)
        except OSError:
            pass  # an unwritable cache costs a re-measurement next time, nothing else
    src = f"measured on this machine ({model}) on {when}, cached in {path}"
    return Device(
        key="local",
        name=f"this machine: {model}",
        peaks={"fp32": Figure(m["gemm_flops"], f"{src}: numpy fp32 GEMM 2048x2048, best run")},
        bandwidth=Figure(m["copy_bytes_per_s"], f"{src}: 64 MiB array copy, read + write bytes per second"),
        capacity=Figure(m["memory_bytes"], f"{src}: physical memory") if m.get("memory_bytes") else None,
        note="achieved figures measured with numpy, not datasheet peaks",
        measured=True,
    )
