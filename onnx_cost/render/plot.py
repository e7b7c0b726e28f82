"""``--plot FILE.svg|png``: the device roofline with every node as a point, and the
operations and bytes per op type (optional extra ``onnx-cost[plot]``, matplotlib).

Points sit at (intensity, attainable throughput), or at the measured throughput when
a measured time per node is given; their area grows with the node's operations, their
colour is the op type; the heaviest nodes are labelled. Labels are model strings:
matplotlib's mathtext would read a ``$`` in them, so ``$`` is escaped.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from typing import Any

from onnx_cost.errors import OnnxCostError, printable
from onnx_cost.text import time_text
from onnx_cost.views.hardware.roofline import Roofline

POINTS_GID = "roofline-nodes"  # the SVG group holding one marker per plotted node
_MAX_TYPES = 9  # op types with their own colour; the rest are "other"


class PlotError(OnnxCostError):
    """The picture cannot be made: matplotlib missing, or an unknown file type."""


def label(text: str, limit: int = 40) -> str:
    """A model string made safe for a matplotlib text: printable, short, ``$`` escaped."""
    return printable(text, limit).replace("$", r"\$")


def _mpl() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise PlotError("--plot needs matplotlib: pip install 'onnx-cost[plot]'") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def figure(roof: Roofline, measured_s: dict[str, float] | None = None, top: int = 8) -> Any:
    """The matplotlib Figure: roofline on the left, ops and bytes per op type on the right."""
    plt = _mpl()
    fig, (ax, bars) = plt.subplots(1, 2, figsize=(13, 5.5), gridspec_kw={"width_ratios": [3, 2]})
    _roofline_axes(ax, roof, measured_s or {}, top)
    _bars_axes(bars, roof)
    fig.tight_layout()
    return fig


def _roofline_axes(ax: Any, roof: Roofline, measured: dict[str, float], top: int) -> None:
    nodes = [n for n in roof.nodes if n.ops > 0 and n.bytes > 0 and n.intensity]
    dev, bw = roof.device, roof.device.bandwidth_bytes_per_s
    xs = [n.intensity or 0.0 for n in nodes]
    lo = min(xs, default=0.01) / 4
    hi = max(xs, default=100.0) * 4
    # one roof per device peak the nodes use ("fp32 (no int8 figure)" uses fp32's)
    used = {n.peak_used.split(" ", 1)[0] for n in nodes} or {roof.precision}
    for p, f in sorted(dev.peaks.items(), key=lambda kv: -kv[1].value):
        if bw and p in used:
            ridge = f.value / bw
            grid = [lo, min(max(ridge, lo), hi), hi]
            ax.plot(grid, [min(f.value, x * bw) for x in grid], lw=1.5, label=f"{p} roof ({f.value / 1e12:.3g} T/s)")
    types = _top_types(roof)
    cmap = plt_colors(len(types) + 1)
    colours = [cmap[types.index(n.op_type)] if n.op_type in types else cmap[-1] for n in nodes]
    ys = [n.ops / measured[n.name] if measured.get(n.name, 0) > 0 else (n.attainable or 0) for n in nodes]
    biggest = max((n.ops for n in nodes), default=1)
    sizes = [20 + 400 * math.sqrt(n.ops / biggest) for n in nodes]
    ax.scatter(xs, ys, s=sizes, c=colours, alpha=0.7, edgecolors="black", linewidths=0.4, gid=POINTS_GID)
    _labels(ax, nodes, xs, ys, top, math.sqrt(lo * hi))
    others = any(n.op_type not in types for n in nodes)
    for t, c in zip([*types, "other"] if others else types, cmap):
        ax.scatter([], [], c=[c], label=label(t, 24))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_xlabel("arithmetic intensity (operations / byte)")
    ax.set_ylabel("measured throughput (op/s)" if measured else "attainable throughput (op/s)")
    ax.set_title(label(f"{dev.name}: latency floor {time_text(roof.floor_s)}", 90), fontsize=10)
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=7, loc="lower right")


def _labels(ax: Any, nodes: list[Any], xs: list[float], ys: list[float], top: int, mid: float) -> None:
    """Label the heaviest node of each of the ``top`` heaviest spots (nodes at the same
    place, like a transformer's repeated layers, get one label and a count)."""
    spots: dict[tuple[float, float], list[Any]] = {}
    for n, x, y in zip(nodes, xs, ys):
        key = (round(math.log10(x), 1), round(math.log10(y), 1)) if x > 0 and y > 0 else (0.0, 0.0)
        spots.setdefault(key, []).append((n, x, y))
    heavy = sorted(spots.values(), key=lambda g: -sum(t[0].ops for t in g))[:top]
    for k, group in enumerate(heavy):
        n, x, y = max(group, key=lambda t: t[0].ops)
        more = f" (+{len(group) - 1})" if len(group) > 1 else ""
        right = x > mid  # right half: the text goes left of the point, inside the axes
        dy = 6 if k % 2 == 0 else -14  # alternate above and below: neighbours do not overlap
        ax.annotate(label(n.name or n.op_type) + more, (x, y), fontsize=7, xytext=(-6 if right else 6, dy),
                    textcoords="offset points", ha="right" if right else "left")


def plt_colors(n: int) -> list[Any]:
    plt = _mpl()
    cmap = plt.get_cmap("tab10")
    return [cmap(i % 10) for i in range(n)]


def _top_types(roof: Roofline) -> list[str]:
    ops: dict[str, int] = {}
    for n in roof.nodes:
        ops[n.op_type] = ops.get(n.op_type, 0) + n.ops
    return sorted(ops, key=lambda k: -ops[k])[:_MAX_TYPES]


def _bars_axes(ax: Any, roof: Roofline) -> None:
    ops: dict[str, int] = {}
    nbytes: dict[str, int] = {}
    for n in roof.nodes:
        ops[n.op_type] = ops.get(n.op_type, 0) + n.ops
        nbytes[n.op_type] = nbytes.get(n.op_type, 0) + n.bytes
    types = sorted(ops, key=lambda k: -(ops[k] + nbytes[k]))[:12]
    ys = range(len(types))
    ax.barh([y - 0.2 for y in ys], [ops[t] for t in types], height=0.4, label="operations")
    ax.barh([y + 0.2 for y in ys], [nbytes[t] for t in types], height=0.4, label="bytes moved")
    ax.set_yticks(list(ys))
    ax.set_yticklabels([label(t, 24) for t in types], fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_title("operations and bytes by op type", fontsize=10)
    ax.legend(fontsize=7)


def save(roof: Roofline, path: str, measured_s: dict[str, float] | None = None) -> None:
    """Write the picture to ``path`` (.svg or .png), whole or not at all."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".svg", ".png"):
        raise PlotError(f"--plot {printable(path, 120)}: give a .svg or .png file name")
    from onnx_cost.output import check_writable

    target = check_writable(path)
    fig = figure(roof, measured_s)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=ext, dir=str(target.parent))
    try:
        with os.fdopen(fd, "wb") as fh:
            fig.savefig(fh, format=ext[1:], dpi=110)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as a plain open() would make it (mkstemp makes 0600)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    finally:
        _mpl().close(fig)
