"""The CLI side of the hardware view: checking the hardware options, adding the view
to the analysis output, the hardware sweep, and the ``devices`` subcommand. cli.py
calls ``plan`` and ``Plan.apply``; the work is in the modules beside this one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from onnx_cost.cli.common import emit, fail, guarded, parse_sweep, pick_format
from onnx_cost.cli.options import DebugOpt, DeviceNameArg, DevicesJsonOpt, OutputOpt, format_flag

_FORMATS = ("table", "json")  # devices' formats; the hardware view also goes to markdown, html, the overlays
_HTML_ONLY = "html"  # the HTML report draws the roofline itself (render/html.py, from roofline_dict)


@dataclass
class Plan:
    """The hardware options of one run, checked. ``attach`` (before rendering) computes
    the view, runs ``--measure``, draws ``--plot`` and returns the report with the view
    (``Report.with_view``); ``apply`` (after rendering) adds its lines to the table."""

    # the Device, or how to get it when first needed: --device local may calibrate this
    # machine (tens of seconds), which a run refused before (--measure's inputs) must not do
    source: Any
    tf32: bool
    measured_s: float | None
    measure: bool
    plot: str | None
    depth: int = 1  # module depth of the per-module shares
    _text: str = ""

    @property
    def device(self) -> Any:
        if callable(self.source):
            self.source = self.source()
        return self.source

    def attach(self, report: Any, model: str) -> Any:
        from onnx_cost.render.hardware import hardware_text
        from onnx_cost.views.hardware.attach import VIEW, parts, view

        run = per_node = None
        if self.measure:  # refuse inputs it cannot allocate before the device is loaded (calibrated)
            from onnx_cost.runners.measure import check_inputs

            check_inputs(report)
        p = parts(report, self.device, tf32=self.tf32, depth=self.depth)
        if self.measure:
            from onnx_cost.runners.measure import compare, measure

            run = measure(model, report)
            per_node = compare(report, run, p.roof, p.pred)
        measured_s = run.median_s if run else self.measured_s
        if self.plot:
            from onnx_cost.render.plot import save

            save(p.roof, self.plot, run.per_node_s if run else None)
        v = view(report, self.device, p, tf32=self.tf32, measured_s=measured_s,
                 run=_run_dict(run, per_node or []) if run is not None else None)
        self._text = hardware_text(report, self.device, tf32=self.tf32, measured_s=measured_s, roof=p.roof, fp=p.fp,
                                   pred=p.pred)
        if run is not None:
            self._text += _run_text(run, per_node or [])
        return report.with_view(VIEW, v)

    def apply(self, report: Any, text: str, fmt: str) -> str:
        """The rendered analysis with the view's lines (floor, prediction, verdict,
        footprint, fits) after the tables: the same lines in the table, Markdown (a code
        block) and HTML (a section); JSON carries them as ``views.hardware``."""
        if fmt == "table":
            return text + "\n" + self._text
        if fmt == "markdown":
            return text + "\n## Hardware\n\n" + _fenced(self._text)
        if fmt == _HTML_ONLY:
            import html

            section = f'<section id="hardware-view"><h2>Hardware</h2><pre>{html.escape(self._text)}</pre></section>\n'
            at = text.rfind("</body>")
            return text[:at] + section + text[at:] if at >= 0 else text + section
        return text


def _fenced(text: str) -> str:
    """``text`` as a Markdown code block whose fence no backtick run inside it can close
    (names from the model are in it: CommonMark closes a fence only with as many backticks)."""
    import re

    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text.rstrip()}\n{fence}\n"


def plan(
    device: str | None, tf32: bool, measured_ms: float | None, measure: bool, plot: str | None,
    fmt: str, formula: bool, *, depth: int = 1, recalibrate: bool = False,
) -> Plan | None:
    """Check the hardware options before any analysis; None when none was given."""
    if device is None and not measure:
        for flag, on in (("--tf32", tf32), ("--measured-ms", measured_ms is not None), ("--plot", plot),
                         ("--recalibrate", recalibrate)):
            if on:
                fail(f"{flag} needs --device (a preset, a device file or local)")
        return None
    if formula:
        fail("--device does not apply to --formula")
    if fmt == _HTML_ONLY and (measure or measured_ms is not None or tf32):
        fail("--measure, --measured-ms and --tf32 apply to the table and JSON formats, not --format html")
    if fmt not in (*_FORMATS, _HTML_ONLY, "markdown", "model-explorer", "netron"):  # the overlays read the view too
        fail(f"--device applies to the table, JSON, Markdown and HTML formats and the viewer ones, not --format {fmt}")
    if measured_ms is not None and not measured_ms > 0:
        fail(f"--measured-ms {measured_ms}: give a positive time in milliseconds")
    if measure and measured_ms is not None:
        fail("--measure and --measured-ms are exclusive (--measure measures the time)")
    if plot is not None:
        from onnx_cost.output import check_writable

        if not plot.lower().endswith((".svg", ".png")):
            fail(f"--plot {plot}: give a .svg or .png file name")
        check_writable(plot)
    from onnx_cost.views.hardware.devices import load_device

    if recalibrate and (device or "local").strip().lower() != "local":
        fail("--recalibrate applies to --device local (this machine)")
    dev: Any
    if recalibrate:
        from onnx_cost.runners.calibrate import load_local

        dev = lambda: load_local(recalibrate=True)  # noqa: E731
    elif (device or "local").strip().lower() == "local":
        dev = lambda: load_device("local")  # noqa: E731  # loaded (measured once) when first needed
    else:
        dev = load_device(device or "")  # a preset or a file: checked before the analysis
    return Plan(dev, tf32, None if measured_ms is None else measured_ms / 1000.0, measure, plot, depth=max(depth, 1))


def sweep(plan: Plan, src: Any, spec: str, inputs: Any, dims: Any, fmt: str,
          default_binding: Any = None) -> tuple[str, str]:
    """``--sweep NAME=V1,V2 --device D``: the text, and what ``--strict`` says of the rows
    that are partial ("" when none is), as the plain sweep says it."""
    from onnx_cost.runners.sweep import hardware_sweep, sweep_text

    if plan.measure or plan.measured_s is not None or plan.plot:
        fail("--measure, --measured-ms and --plot do not apply to --sweep")
    name, values = parse_sweep(spec)
    rows = hardware_sweep(src, name, values, plan.device, inputs=inputs, dims=dims, tf32=plan.tf32)
    partial = ", ".join(f"{name}={r.value}" for r in rows if r.partial)
    return (sweep_text(name, plan.device, rows, fmt, default_binding=default_binding),
            f"some node(s) not counted at {partial}" if partial else "")


def _run_dict(run: Any, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "median_s": run.median_s,
        "runs": run.runs,
        "warmup": run.warmup,
        "onnxruntime": run.onnxruntime,
        "nodes_profiled": len(run.per_node_s),
        "nodes_matched": len(rows),
        **_stats(rows),
        "nodes": rows,
    }


def _stats(rows: list[dict[str, Any]]) -> dict[str, Any]:
    from onnx_cost.runners.measure import kernel_stats

    return kernel_stats(rows)


def _run_text(run: Any, rows: list[dict[str, Any]], top: int = 10, width: int | None = None) -> str:
    """--measure's lines: the run, then the slowest nodes beside their floors (a plain table)."""
    from onnx_cost.render.hardware import fit
    from onnx_cost.text import Column, escape, table, terminal_width, time_text

    head = fit([f"Measured with onnxruntime {run.onnxruntime} on this CPU: median {time_text(run.median_s)} over"
                f" {run.runs} runs ({run.warmup} warm-up); per kernel (profiled with its default optimizations,"
                " fused kernels under their first node's name; the profiler adds its own time), slowest first:"],
               width)
    cols = [Column("node", shrink=True), Column("op", shrink=True), Column("measured", right=True),
            Column("predicted", right=True, drop=1), Column("floor", right=True), Column("x floor", right=True)]
    cells = [[escape(r["name"]), escape(r["op_type"]), time_text(r["measured_s"]),
              time_text(r["predicted_s"]) if r.get("predicted_s") is not None else "-", time_text(r["floor_s"]),
              f"{r['ratio']:.1f}" if r["ratio"] is not None else "-"] for r in rows[:top]]
    lines = table(cols, cells, width or terminal_width())
    st = _stats(rows)
    if st["rank_correlation"] is not None:
        note = (f"  per kernel: rank correlation of predicted and measured {st['rank_correlation']:.2f}; median"
                f" measured / predicted {st['median_measured_over_predicted']:.2f}")
        lines.extend(fit([note], width).rstrip("\n").split("\n"))
    if len(run.per_node_s) != len(rows):
        note = f"  ({len(run.per_node_s)} kernels profiled, mapped by name onto {len(rows)} kernels of ours)"
        lines.extend(fit([note], width).rstrip("\n").split("\n"))
    return head + "\n".join(lines) + "\n"


# -- the devices subcommand ------------------------------------------------------

DevicesFormat = Annotated[str | None, format_flag(_FORMATS)]


def devices(
    name: DeviceNameArg = None, fmt: DevicesFormat = None, json_: DevicesJsonOpt = False, output: OutputOpt = None,
    debug: DebugOpt = False,
) -> None:
    """List the device presets with their figures and sources (docs/hardware.md)."""
    fmt_name = pick_format(fmt, False, json_, _FORMATS, "devices")
    if name == "calibrate":
        with guarded(debug):
            _calibrate(output)
        return
    with guarded(debug):
        from onnx_cost.views.hardware.devices import load_device, presets

        table = {name: load_device(name)} if name else presets()
        emit(_devices_json(table) if fmt_name == "json" else _devices_text(table), output)


def _calibrate(output: str | None) -> None:
    """``devices calibrate``: measure this machine, fit, save (docs/hardware.md, Calibration)."""
    import sys

    from onnx_cost.runners.calibrate import cache_path, calibrate

    sys.stderr.write(f"onnx-cost: calibrating this machine with onnxruntime (well under a minute); "
                     f"the result goes to {cache_path()}\n")
    def progress(line: str) -> None:
        sys.stderr.write(f"onnx-cost:   {line}\n")

    path, text = calibrate(progress=progress)
    emit(text + f"# saved in {path}\n", output)


def _devices_json(table: dict[str, Any]) -> str:
    out = {}
    for key, d in table.items():
        out[d.key if d.key else key] = {
            "name": d.name,
            "aliases": list(d.aliases),
            "measured": d.measured,
            "note": d.note,
            "peaks_ops_per_s": {p: {"value": f.value, "source": f.source} for p, f in d.peaks.items()},
            "memory": {
                k: {"value": getattr(d, k).value, "source": getattr(d, k).source}
                for k in ("bandwidth", "capacity", "cache") if getattr(d, k) is not None
            },
            "not_found": dict(d.not_found),
        }
    return json.dumps(out, indent=2) + "\n"


def _devices_text(table: dict[str, Any], width: int | None = None) -> str:
    """Each device's figures, one a line, its source wrapped under the source column
    (to the terminal's width; ``devices --format json`` has the same text unwrapped)."""
    from onnx_cost.text import escape, terminal_width, wrap

    width = width or terminal_width()
    # decimal on every screen, as the hardware view; capacity and cache name the vendor's binary figure
    units = {"bandwidth": (1e9, "GB/s"), "capacity": (1e9, "GB"), "cache": (1e6, "MB")}
    binary = {"capacity": (2**30, "GiB"), "cache": (2**20, "MiB")}
    lines: list[str] = []

    def figure(head: str, source: str) -> None:
        # the source starts after the figure and continues under itself: a column of text
        room = width - len(head)
        if room < 24:  # too narrow for a column: the source on the lines below
            lines.append(head.rstrip())
            lines.extend(wrap(escape(source), width, "    "))
            return
        body = wrap(escape(source), room)
        lines.append(head + body[0])
        lines.extend(" " * len(head) + b.lstrip() for b in body[1:])

    for key, d in table.items():
        alias = f" (also: {', '.join(a for a in d.aliases if a != key)})" if len(d.aliases) > 1 else ""
        lines.extend(wrap(f"{escape(key)}: {escape(d.name)}{escape(alias)}", width))
        for p, f in d.peaks.items():
            figure(f"  {p:<12} {f.value / 1e12:>9.4g} T/s   ", f.source)
        for k, (scale, unit) in units.items():
            f = getattr(d, k)
            if f is not None:
                source = f.source
                if k in binary and f.value % binary[k][0] == 0:
                    source = f"the vendor's {f.value / binary[k][0]:g} {binary[k][1]} (binary); {source}"
                figure(f"  {k:<12} {f.value / scale:>9.4g} {unit:<4}  ", source)
        for k, why in d.not_found.items():
            figure(f"  {escape(k):<12} {'-':>9}       ", f"not found: {why}")
        if d.note:
            lines.extend(wrap(f"note: {escape(d.note)}", width, "  "))
        lines.append("")
    return "\n".join(lines)
