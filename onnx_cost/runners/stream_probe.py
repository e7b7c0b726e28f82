"""The stream benchmarks of a calibration, run in a fresh process of their own.

How fast a run streams weights that outgrow the cores' caches depends on what else the
process holds: on the development VM, the same 64 MiB chain of GEMVs ran at 39 GB/s in a
process of its own, at 17 GB/s after the process had touched another GiB, and at 10 GB/s
beside the other calibration sessions. A model runs in a process holding that model, so
the stream is timed in a fresh interpreter, at a few footprints (a run's weights and
graph I/O: ``FOOTPRINTS_MIB``), every calibration round. ``python -m
onnx_cost.runners.stream_probe THREADS BUDGET_S`` prints one JSON object:
{"points": [[bytes, median s, best s, kernels], ...]}.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from typing import Any

FOOTPRINTS_MIB = (12, 48, 160)  # chains of 3, 12 and 40 GEMVs of 1024 x 1024 fp32 (4 MiB each)
_SIDE = 1024


def probe(threads: int, budget_s: float, timeout_s: float = 120.0) -> list[tuple[float, float, float, int]]:
    """(bytes, median seconds, best seconds, kernels) per footprint, timed in a fresh process."""
    out = subprocess.run([sys.executable, "-m", "onnx_cost.runners.stream_probe", str(threads), str(budget_s)],
                         capture_output=True, text=True, timeout=timeout_s, check=True)
    return [(float(b), float(m), float(lo), int(n)) for b, m, lo, n in json.loads(out.stdout)["points"]]


def _chain(n: int) -> tuple[bytes, dict[str, Any]]:
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    # weights of std 1/32 keep the activations near unit size along the chain
    ws = [numpy_helper.from_array((rng.random((_SIDE, _SIDE), dtype=np.float32) - 0.5) / 9.0, f"w{i}")
          for i in range(n)]
    nodes = [helper.make_node("MatMul", [f"s{i}", f"w{i}"], [f"s{i + 1}"]) for i in range(n)]
    g = helper.make_graph(nodes, "stream", [helper.make_tensor_value_info("s0", TensorProto.FLOAT, [1, _SIDE])],
                          [helper.make_tensor_value_info(f"s{n}", TensorProto.FLOAT, [1, _SIDE])], ws)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m.SerializeToString(), {"s0": rng.standard_normal((1, _SIDE)).astype(np.float32)}


def _main(threads: int, budget_s: float) -> None:
    import importlib

    ort = importlib.import_module("onnxruntime")  # untyped: no stubs to check against
    points = []
    for mib in FOOTPRINTS_MIB:
        n = mib // 4
        data, feeds = _chain(n)
        so = ort.SessionOptions()
        so.log_severity_level = 3
        so.intra_op_num_threads = threads
        sess = ort.InferenceSession(data, so, providers=["CPUExecutionProvider"])
        del data
        for _ in range(2):
            sess.run(None, feeds)
        times: list[float] = []
        while len(times) < 5 or (sum(times) < budget_s and len(times) < 200):
            t0 = time.perf_counter()
            sess.run(None, feeds)
            times.append(time.perf_counter() - t0)
        points.append([n * _SIDE * _SIDE * 4, statistics.median(times), min(times), n])
        del sess
    print(json.dumps({"points": points}))


if __name__ == "__main__":
    _main(int(sys.argv[1]), float(sys.argv[2]))
