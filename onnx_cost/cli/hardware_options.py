"""The hardware options of the analysis command, declared once (cli.py adds them with
one line each). Only typer is imported here: ``onnx-cost --help`` stays fast."""

from __future__ import annotations

from typing import Annotated

import typer

DeviceOpt = Annotated[
    str | None,
    typer.Option("--device", metavar="NAME|FILE.toml|local",
                 help="Roofline, latency floor and memory footprint on a device: a preset (onnx-cost devices), "
                      "a device file (docs/hardware.md) or 'local' (this machine, measured once)."),
]
Tf32Opt = Annotated[
    bool, typer.Option("--tf32", help="With --device: fp32 contractions use the TF32 tensor-core peak.")
]
MeasuredMsOpt = Annotated[
    float | None,
    typer.Option("--measured-ms", metavar="MS",
                 help="With --device: your measured latency in ms; adds achieved throughput and utilization."),
]
MeasureOpt = Annotated[
    bool,
    typer.Option("--measure", help="Run the model with onnxruntime on this CPU (onnx-cost[runtime]): median latency, "
                                   "utilization against --device (default local), time per node beside its floor."),
]
PlotOpt = Annotated[
    str | None,
    typer.Option("--plot", metavar="FILE.svg|FILE.png",
                 help="With --device: draw the roofline and the ops/bytes per op type (onnx-cost[plot])."),
]
RecalibrateOpt = Annotated[
    bool,
    typer.Option("--recalibrate",
                 help="With --device local: calibrate this machine again (onnxruntime micro-benchmarks, "
                      "well under a minute) and save it (docs/hardware.md, Calibration)."),
]
