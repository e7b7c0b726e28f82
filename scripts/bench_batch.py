"""The batch measurement of `make bench`: `onnx-cost batch -j 2` over the onnx wheel's
backend-test models (the node test cases, written out by
`onnx.backend.test.case.node.collect_testcases`, plus the .onnx files the wheel ships
under onnx/backend/test/data). Called by scripts/bench.py; also runs alone:

    .venv/bin/python scripts/bench_batch.py
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

JOBS = 2


def write_models(folder: Path) -> int:
    """Write every backend-test model under ``folder``; returns how many."""
    import onnx
    from onnx.backend.test.case.node import collect_testcases

    (folder / "node").mkdir(parents=True)
    n = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = collect_testcases(None)
    for c in cases:
        onnx.save(c.model, folder / "node" / f"{c.name}.onnx")
        n += 1
    data = Path(onnx.__file__).parent / "backend" / "test" / "data"
    for i, p in enumerate(sorted(data.rglob("*.onnx"))):
        (folder / "data").mkdir(exist_ok=True)
        (folder / "data" / f"{i:04d}_{p.parent.name}.onnx").write_bytes(p.read_bytes())
        n += 1
    return n


def measure(log: Callable[[str], None] = print) -> dict[str, Any]:
    """Time the whole `onnx-cost batch` command over the models (written beforehand, untimed)."""
    exe = Path(sys.executable).parent / "onnx-cost"
    with tempfile.TemporaryDirectory(prefix="onnx-cost-batch-") as d:
        models = write_models(Path(d) / "models")
        out = Path(d) / "summary.csv"
        cmd = [str(exe), "batch", str(Path(d) / "models"), "--format", "csv", "-o", str(out), "-j", str(JOBS),
               "--no-progress"]
        log(f"  batch: {models} models, -j {JOBS} ...")
        t0 = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        wall = time.perf_counter() - t0
        if r.returncode != 0:
            raise RuntimeError(f"onnx-cost batch failed ({r.returncode}): {r.stderr[-500:]}")
        with out.open(newline="") as f:
            rows = list(csv.DictReader(f))
    status = Counter(row["status"] for row in rows)
    log(f"  batch: {wall:.1f} s, {len(rows) / wall:.0f} models/s, {dict(status)}")
    return {"models": len(rows), "jobs": JOBS, "wall_s": wall, "status": status}


def section(res: dict[str, Any]) -> list[str]:
    """The Markdown lines of docs/performance.md's batch section."""
    s = res["status"]
    return [
        "",
        "## Batch: the onnx wheel's backend-test models",
        "",
        f"`onnx-cost batch DIR --format csv -o summary.csv -j {res['jobs']}` over every model of the onnx",
        "wheel's backend tests (the node test cases written out by `collect_testcases`, plus the",
        "`.onnx` files under `onnx/backend/test/data`): the whole command, worker start-up included.",
        "",
        "| models | jobs | wall time | models/s | ok | partial | error | internal error | timeout | crashed |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {res['models']:,} | {res['jobs']} | {res['wall_s']:.1f} s | {res['models'] / res['wall_s']:.0f} | "
        f"{s['ok']} | {s['partial']} | {s['error']} | {s['internal_error']} | {s['timeout']} | {s['crashed']} |",
        "",
        "*partial*: some node not counted (an op without a rule, a dim left symbolic); *error*:",
        "refused as bad input; *timeout*: past the 60 s per-model limit; *crashed*: its worker died.",
    ]


if __name__ == "__main__":
    print("\n".join(section(measure())))
