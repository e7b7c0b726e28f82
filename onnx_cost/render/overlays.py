"""Per-node costs as files the graph viewers overlay on the model: Google's Model Explorer
("node data", ``--format model-explorer``) and Netron (an attachment, ``--format netron``).

Both schemas follow the viewers' sources (docs/reports.md cites the files and commits):

- Model Explorer (``model_explorer/node_data_builder.py``, ``ModelNodeData``): one metric per
  file, ``{graph id: {"results": {node id: {"value": v, "bgColor"?: css}}, "thresholds": [...]}}``;
  the graph and node ids are those of its ONNX adapter (``viewer_keys``).
- Netron (``source/view.js``, ``metadata.Attachment``): ``{"signature": "netron:attachment",
  "metrics": [{"kind": "node"|"model", "target": name, "name": metric, "value": v}]}``, every
  metric in one file, shown in the node's (and the model's) sidebar under Metrics.

Values come from the report's node records, exactly as ``--json`` writes them (per execution
of the node); the hardware ones from ``views.hardware``: a node's roofline floor, its kernel's
predicted time on the node heading the kernel (none on a node fused into another), and with
--measure the run's rows, each against the floor and prediction of the kernel it timed.
A node we could not count gets no value (it stays uncoloured), never 0. Names from the model
reach these files only as JSON strings, escaped by ``json.dumps``.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Callable, Sequence
from functools import cached_property
from itertools import chain, repeat
from operator import add
from pathlib import Path
from typing import Any

import onnx

from onnx_cost.errors import InternalError, OutputError
from onnx_cost.model.report import COUNTED, ZERO, NodeRecord, Report
from onnx_cost.render.viewer_keys import Target, targets
from onnx_cost.views._gc import paused_gc

Value = float | int | str

# The per-node counts: name -> the record's number (docs/json.md, "Each item of nodes").
COUNTS: dict[str, Callable[[NodeRecord], int]] = {
    "ops": lambda r: r.cost.flops + r.cost.int_ops,
    "flops": lambda r: r.cost.flops,
    "macs": lambda r: r.cost.macs,
    "int_ops": lambda r: r.cost.int_ops,
    "params": lambda r: r.params,
    "bytes": lambda r: r.read_bytes + r.write_bytes,
    "read_bytes": lambda r: r.read_bytes,
    "write_bytes": lambda r: r.write_bytes,
}
HARDWARE = ("floor_us", "predicted_us", "bound", "intensity")  # --device (views.hardware)
MEASURED = ("measured_us", "measured_over_predicted", "measured_over_floor")  # --measure
METRICS = (*COUNTS, *HARDWARE, *MEASURED)
DEFAULT_METRIC = "ops"
_COUNTED_STATES = (COUNTED, ZERO)  # a node with a value
NETRON_NAMES = {"intensity": "intensity_op_per_byte"}  # Netron shows the name: the unit goes in it

# The colour scale. Costs are heavy-tailed (a few contractions carry most of the work), so a
# linear gradient from min to max would paint all but the top nodes in its palest colour:
# thresholds at quantiles of the non-zero values give each band a share of the nodes instead.
QUANTILES = (0.5, 0.75, 0.9, 0.975, 1.0)
PALETTE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")  # ColorBrewer YlOrRd-5, light to dark
ZERO_COLOR = "#ffffff"
BOUND_COLORS = {"compute": "#d7301f", "memory": "#2b8cbe", "unknown": "#bdbdbd", "mixed": "#984ea3"}


class Overlay:
    """Every metric of every viewer node of one report: ``values[metric][i]`` belongs to
    ``targets[i]`` (None: no value, the node stays uncoloured). A metric's values are worked
    out when first read (Model Explorer's file holds one metric)."""

    def __init__(self, report: Report, proto: onnx.ModelProto) -> None:
        self.report = report
        self.targets = targets(proto, report.nodes)
        self.hw = _hardware_rows(report)
        # each target's records, read once for every metric; None: one is not counted
        self.counted: list[list[NodeRecord] | None] = []
        nodes, put = report.nodes, self.counted.append
        for t in self.targets:
            if len(t.records) == 1:  # most targets: _counted's answer without its loops
                r = nodes[t.records[0]]
                put([r] if r.status in _COUNTED_STATES else None)
            else:
                put(self._counted(t))
        self.values: dict[str, list[Value | None]] = _Columns(self._column)

    def _column(self, m: str) -> list[Value | None]:
        """Metric ``m`` of every target."""
        if m not in self.metrics:
            raise KeyError(m)
        count = COUNTS.get(m)
        if count is not None:  # most targets are one node: its count as it is
            return [None if recs is None else count(recs[0]) if len(recs) == 1 else sum(count(r) for r in recs)
                    for recs in self.counted]
        return [None if recs is None else self._hardware(m, t) for t, recs in zip(self.targets, self.counted)]

    @cached_property  # read once per node by netron_data: its scan of every row, once
    def metrics(self) -> tuple[str, ...]:
        """The metrics this report has: the counts; the hardware ones with --device
        (``predicted_us`` when the view predicts per node); the measured ones with --measure."""
        out = list(COUNTS)
        rows = [row for row in self.hw if row is not None]
        if rows:
            out += [m for m in HARDWARE if m != "predicted_us" or any(r.get("predicted_s") is not None for r in rows)]
            if any("measured_s" in r for r in rows):
                out += [m for m in MEASURED if m != "measured_over_predicted" or "predicted_us" in out]
        return tuple(out)

    def _counted(self, t: Target) -> list[NodeRecord] | None:
        """The target's records, or None when it has none or one is not counted (or not ours):
        no value then, never a silent 0."""
        recs = [self.report.nodes[i] for i in t.records]
        if not recs or any(r.status not in _COUNTED_STATES for r in recs):
            return None
        return recs

    def _hardware(self, metric: str, t: Target) -> Value | None:
        """A hardware metric of a target whose records are all counted."""
        rows = [self.hw[i] for i in t.records]
        if any(row is None for row in rows):
            return None
        return _hardware_value(metric, rows)  # type: ignore[arg-type]  # None ruled out above


class _Columns(dict[str, list[Value | None]]):
    """Overlay.values: a metric's column made when first read."""

    def __init__(self, make: Callable[[str], list[Value | None]]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, metric: str) -> list[Value | None]:
        column = self[metric] = self.make(metric)
        return column


def _hardware_rows(report: Report) -> list[dict[str, Any] | None]:
    """Per record, its row of ``views.hardware.data.nodes`` (with ``measured_s`` from the run
    when --measure matched it), or None: the roofline holds the counted nodes of non-zero
    weight, in report order."""
    out: list[dict[str, Any] | None] = [None] * len(report.nodes)
    view = report.views.get("hardware")
    if view is None:
        return out
    rows = list(view.data.get("nodes", []))
    placed = [i for i, r in enumerate(report.nodes) if r.status in (COUNTED, ZERO) and r.weight]
    if len(placed) != len(rows) or any(report.nodes[i].name != row["name"] for i, row in zip(placed, rows)):
        raise InternalError("the overlay", "", "", ValueError("views.hardware.nodes is not in report order"))
    # the run's rows: per kernel (under its head node's name) or per node, each with the floor
    # and prediction it was timed against; a kernel's time is never put against one node's floor
    run = {m["name"]: m for m in view.data.get("run", {}).get("nodes", [])}
    for i, row in zip(placed, rows):
        m = run.get(row["name"])
        out[i] = row if m is None else dict(row, measured_s=m["measured_s"], run_floor_s=m.get("floor_s"),
                                            run_predicted_s=m.get("predicted_s"))
    return out


def _hardware_value(metric: str, rows: Sequence[dict[str, Any]]) -> Value | None:
    """One node's hardware metric (a function call: over the nodes it was inlined into)."""
    if metric == "bound":
        labels = {r["bound"] for r in rows}
        return labels.pop() if len(labels) == 1 else "mixed"
    if metric == "intensity":
        if len(rows) == 1:
            return rows[0]["intensity"]  # None: no bytes moved
        nbytes = sum(r["bytes"] for r in rows)
        return sum(r["ops"] for r in rows) / nbytes if nbytes else None
    if metric == "floor_us":
        return sum(r["floor_s"] for r in rows) * 1e6
    if metric == "predicted_us":
        if any(r.get("predicted_s") is None or r.get("fused_into") for r in rows):
            return None  # no prediction, or a node fused into another: its time is its kernel's, on the head
        return sum(r["predicted_s"] for r in rows) * 1e6
    if any("measured_s" not in r for r in rows):
        return None
    measured = sum(r["measured_s"] for r in rows)
    if metric == "measured_us":
        return measured * 1e6
    key = "run_predicted_s" if metric == "measured_over_predicted" else "run_floor_s"
    if any(r.get(key) is None for r in rows):
        return None
    base = sum(r[key] for r in rows)
    return measured / base if base else None


def _finite(v: Value | None) -> bool:
    return v is not None and not (isinstance(v, float) and not math.isfinite(v))


def thresholds(values: Sequence[float | int]) -> list[dict[str, Any]]:
    """Model Explorer thresholds (a value at or below a threshold takes its colour): white
    for 0, then the palette at the QUANTILES of the positive values (nearest rank); the
    largest value always takes the darkest colour."""
    pos = sorted(v for v in values if v > 0)
    out: list[dict[str, Any]] = [{"value": 0, "bgColor": ZERO_COLOR}]
    for q, color in zip(QUANTILES, PALETTE) if pos else ():
        v = pos[max(0, math.ceil(q * len(pos)) - 1)]
        if v == out[-1]["value"] and len(out) > 1:
            out[-1]["bgColor"] = color  # equal quantiles: the darker colour, so the costliest is darkest
        elif v > out[-1]["value"]:
            out.append({"value": v, "bgColor": color})
    return out


def model_explorer_data(ov: Overlay, metric: str) -> dict[str, Any]:
    """One metric as Model Explorer node data: graph id -> results and colour scale."""
    if metric not in ov.metrics:
        why = ("needs --device" if metric in HARDWARE else "needs --measure" if metric in MEASURED
               else f"unknown (metrics: {', '.join(METRICS)}, all)")
        if metric in ("predicted_us", "measured_over_predicted") and ov.report.views.get("hardware"):
            why = "this version's hardware view predicts no per-node time"
        raise OutputError(f"--metric {metric}: {why}")
    graphs: dict[str, dict[str, Any]] = {}
    numbers: list[float | int] = []
    for t, v in zip(ov.targets, ov.values[metric]):
        if t.graph is None or not _finite(v):
            continue
        result: dict[str, Any] = {"value": v}
        if isinstance(v, str):
            result["bgColor"] = BOUND_COLORS.get(v, BOUND_COLORS["unknown"])
        else:
            numbers.append(v)  # type: ignore[arg-type]  # _finite: a number here
        graphs.setdefault(t.graph, {"results": {}})["results"][t.node] = result
    if numbers:
        scale = thresholds(numbers)
        for g in graphs.values():
            g["thresholds"] = scale
    return graphs


def _netron_model(ov: Overlay) -> list[tuple[str, Value]]:
    """The model's metrics of the Netron attachment: (Netron's name, value), finite ones only."""
    from onnx_cost.render.report import symbolic_totals

    # as --json's "total": a count that stays a polynomial in a symbolic dim is left out (None)
    total = symbolic_totals(ov.report, ov.report.dynamic)
    model: dict[str, Value | None] = {k: total[k] for k in COUNTS if k in total}
    rb, wb = total.get("read_bytes"), total.get("write_bytes")
    model["bytes"] = None if rb is None or wb is None else rb + wb
    model["coverage_percent"] = round(100.0 * ov.report.counted_coverage.fraction, 2)
    hw = ov.report.views.get("hardware")
    if hw is not None:
        from onnx_cost.views.hardware.latency import PREDICTED, latency_source

        model["floor_us"] = hw.data["floor_s"] * 1e6  # the model's floor: a lower bound
        if latency_source(hw.data) == PREDICTED:  # the latency as check and diff read it
            model["predicted_us"] = hw.data[PREDICTED] * 1e6
        if "measured" in hw.data:
            model["measured_us"] = hw.data["measured"]["seconds"] * 1e6
    return [(NETRON_NAMES.get(name, name), v) for name, v in model.items() if v is not None and _finite(v)]


def _netron_nodes(ov: Overlay) -> tuple[list[str], list[str], list[tuple[str, list[Value | None]]]]:
    """The nodes of the Netron attachment, as columns: the names of the nodes Netron can
    name, their statuses, and per metric (Netron's name) each node's value, None where the
    node gets none (not counted, or not finite)."""
    twice = {n for n, c in Counter(t.name for t in ov.targets).items() if c > 1}
    # Netron keys nodes by name alone: an unnamed node and a name used twice are left out
    idx = [i for i, t in enumerate(ov.targets) if t.name and t.name not in twice and t.records]
    nodes = ov.report.nodes
    names, statuses = [], []
    for i in idx:
        t = ov.targets[i]
        names.append(t.name)
        if len(t.records) == 1:
            statuses.append(nodes[t.records[0]].status)
        else:
            status = {nodes[j].status for j in t.records}
            statuses.append(status.pop() if len(status) == 1 else "mixed")
    columns: list[tuple[str, list[Value | None]]] = []
    for m in ov.metrics:
        col = list(map(ov.values[m].__getitem__, idx))
        if float in set(map(type, col)):  # only a float can be non-finite
            col = [v if _finite(v) else None for v in col]
        columns.append((NETRON_NAMES.get(m, m), col))
    return names, statuses, columns


def netron_data(ov: Overlay) -> dict[str, Any]:
    """Every metric as one Netron attachment: the nodes Netron can name, and the model's totals."""
    metrics: list[dict[str, Value | None]] = [
        {"kind": "model", "target": "", "name": name, "value": v} for name, v in _netron_model(ov)]
    names, statuses, columns = _netron_nodes(ov)
    for i, (target, status) in enumerate(zip(names, statuses)):
        metrics.append({"kind": "node", "target": target, "name": "status", "value": status})
        for name, col in columns:
            if col[i] is not None:
                metrics.append({"kind": "node", "target": target, "name": name, "value": col[i]})
    return {"signature": "netron:attachment", "metrics": metrics}


def _leaf(v: Value | None) -> str:
    """A value's JSON text as _indented writes it; "" for None (no entry)."""
    if v is None:
        return ""
    t = type(v)
    if t is str:
        return _string(v)  # type: ignore[arg-type]  # its type checked
    if t is int:
        return int.__repr__(v)
    if t is float:  # finite: _netron_nodes left out the rest
        return float.__repr__(v)
    raise _Unusual


def _netron_text(ov: Overlay) -> str:
    """``_text(netron_data(ov))``, the same text, written a column at a time: every entry has
    the same four keys, so its text is a template around the node's name and the value (the
    generic writer walks ~10 small dicts a node). ``< > &`` can only be in a string: each
    string is escaped (not the whole text again). Raises _Unusual for a value that is not a
    str, int or float."""

    def head(kind: str, target: str) -> str:  # the previous entry's end, and this one up to its name
        return f'\n  }},\n  {{\n   "kind": "{kind}",\n   "target": {_string(target)},\n   "name": '

    def mid(name: str) -> str:
        return f'{_string(name)},\n   "value": '

    pieces = [head("model", "") + mid(name) + _leaf(v) for name, v in _netron_model(ov)]
    names, statuses, columns = _netron_nodes(ov)
    if names:
        n = len(names)
        heads = [head("node", t) for t in names]
        parts = [list(map(add, map(add, heads, repeat(mid("status"), n)), map(_string, statuses)))]
        for name, col in columns:
            types = set(map(type, col))
            if types <= {int, float, type(None)}:  # the C encoder: the same text (null for None)
                texts = json.dumps(col, allow_nan=False)[1:-1].split(", ")
            else:
                texts = list(map(_leaf, col))
            if type(None) in types:  # a node without the value: no entry
                m = mid(name)
                parts.append([h + m + x if x and x != "null" else "" for h, x in zip(heads, texts)])
            else:  # (a C loop)
                parts.append(list(map(add, map(add, heads, repeat(mid(name), n)), texts)))
        pieces.append("".join(chain.from_iterable(zip(*parts))))  # node by node, its entries in order
    if not pieces:
        return '{\n "signature": "netron:attachment",\n "metrics": []\n}\n'
    pieces[0] = pieces[0][len("\n  },"):]  # the first entry follows the list's "[", not an entry
    return "".join(['{\n "signature": "netron:attachment",\n "metrics": [', *pieces, "\n  }\n ]\n}\n"])


def _string(s: str) -> str:
    """A string's JSON text as _text writes it: ASCII, ``< > &`` as ``\\uXXXX`` escapes."""
    text: str = _ESCAPE(s)
    if "<" in text or ">" in text or "&" in text:
        return _safe(text)[:-1]
    return text


def _me_text(graphs: dict[str, dict[str, Any]]) -> str:
    """``_text(graphs)`` for Model Explorer's node data, the same text: each node's result
    (a value, and a colour for a label) from one template, the rest by the generic writer.
    Raises _Unusual for a value that is not a str, int or float."""
    out = []
    for gid, g in graphs.items():  # a result is one of the two dicts model_explorer_data makes
        results = ",".join([
            f'\n   {_ESCAPE(node)}: {{\n    "value": {_leaf(r["value"])}\n   }}' if len(r) == 1 else
            f'\n   {_ESCAPE(node)}: {{\n    "value": {_leaf(r["value"])},\n    "bgColor": {_ESCAPE(r["bgColor"])}'
            '\n   }' for node, r in g["results"].items()])
        rest = ',\n  "thresholds": ' + _indented(g["thresholds"], "\n  ") if "thresholds" in g else ""
        out.append(f'\n {_ESCAPE(gid)}: {{\n  "results": {{{results}\n  }}{rest}\n }}')
    return _safe("{" + ",".join(out) + "\n}" if out else "{}")


def _text(data: dict[str, Any]) -> str:
    """The file: JSON with every non-ASCII character and ``< > &`` as ``\\uXXXX`` escapes (the
    same data once parsed; a model's names never reach a viewer as markup, whatever it does)."""
    try:
        text = _indented(data)
    except _Unusual:  # the stdlib's own text, or its own error (a NaN, a non-string key)
        text = json.dumps(data, indent=1, allow_nan=False)  # ensure_ascii: \u2028 and the like escaped
    return _safe(text)


def _safe(text: str) -> str:
    """The file's text: ``< > &`` as ``\\uXXXX`` escapes, and the last newline."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"


class _Unusual(Exception):
    """A value _indented leaves to json.dumps."""


_ESCAPE = json.encoder.encode_basestring_ascii  # the one json.dumps uses (ensure_ascii)


def _indented(data: Any, nl: str = "\n") -> str:
    """``json.dumps(data, indent=1, allow_nan=False)``, the same text, several times faster
    (with an indent the stdlib runs its pure-Python encoder: 35 us a node on a large model).
    Raises _Unusual for anything but dicts with string keys, lists, strings, ints, finite
    floats, booleans and None."""
    out: list[str] = []
    put = out.append

    def emit(o: Any, nl: str) -> None:
        if isinstance(o, str):
            put(_ESCAPE(o))
        elif o is None:
            put("null")
        elif o is True:
            put("true")
        elif o is False:
            put("false")
        elif isinstance(o, int):
            put(int.__repr__(o))
        elif isinstance(o, float):
            if not math.isfinite(o):
                raise _Unusual
            put(float.__repr__(o))
        elif isinstance(o, dict):
            if not o:
                put("{}")
                return
            inner, sep = nl + " ", "{"
            for k, v in o.items():
                if not isinstance(k, str):
                    raise _Unusual
                key = sep + inner + _ESCAPE(k) + ": "
                sep = ","
                t = type(v)  # the common leaves inline (exact types: a bool is not an int here)
                if t is str:
                    put(key + _ESCAPE(v))
                elif t is int:
                    put(key + int.__repr__(v))
                elif t is float and math.isfinite(v):
                    put(key + float.__repr__(v))
                else:
                    put(key)
                    emit(v, inner)
            put(nl + "}")
        elif isinstance(o, (list, tuple)):
            if not o:
                put("[]")
                return
            inner, sep = nl + " ", "["
            for v in o:
                put(sep + inner)
                sep = ","
                emit(v, inner)
            put(nl + "]")
        else:
            raise _Unusual

    emit(data, nl)  # nl: the indent of the line ``data`` starts on (a part of a larger text)
    return "".join(out)


def _proto(source: Any) -> onnx.ModelProto:
    """The model as the viewers read it: the file as written (functions not inlined), no weights."""
    if source.path == "<in-memory>":
        raise OutputError("the viewer formats need the model file (the viewers read it)")
    return onnx.load(source.path, load_external_data=False)


@paused_gc
def model_explorer(report: Report, metric: str | None = None, source: Any = None, output: str | None = None,
                   **_: Any) -> str | None:
    """``--format model-explorer``: the node data of ``metric`` as JSON text, or with
    ``metric="all"`` one file per metric in folder ``output`` (written here; returns None)."""
    ov = Overlay(report, _proto(source))
    if metric != "all":
        data = model_explorer_data(ov, metric or DEFAULT_METRIC)
        try:
            return _me_text(data)
        except _Unusual:  # the generic writer's text, or its own error
            return _text(data)
    if output in (None, "-"):
        raise OutputError("--metric all writes one file per metric: give -o FOLDER")
    write_folder(ov, str(output), source)
    return None


@paused_gc
def netron(report: Report, source: Any = None, **_: Any) -> str:
    """``--format netron``: one attachment with every per-node metric and the model's totals."""
    ov = Overlay(report, _proto(source))
    try:
        return _netron_text(ov)
    except _Unusual:  # the generic writer's text, or its own error
        return _text(netron_data(ov))


def check_folder(folder: str) -> None:
    """Fail early (before the analysis) when ``folder`` cannot hold the metric files."""
    p = Path(folder)
    if p.exists() and not p.is_dir():
        raise OutputError(f"-o {folder}: --metric all writes a folder, and this is a file")
    parent = p.parent if str(p.parent) else Path(".")
    if not p.exists() and not parent.is_dir():
        raise OutputError(f"-o {folder}: folder {parent} does not exist")


def write_folder(ov: Overlay, folder: str, source: Any) -> None:
    """``<folder>/<metric>.json`` for every metric of ``ov`` (each written whole; never over
    the model or its external data)."""
    from onnx_cost.analyzer.external import refuse_model_data
    from onnx_cost.output import refuse_model, write_atomic

    check_folder(folder)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise OutputError(f"-o {folder}: cannot make the folder: {e.strerror or e}") from None
    texts = {os.path.join(folder, f"{m}.json"): _text(model_explorer_data(ov, m)) for m in ov.metrics}
    for path in texts:  # all checked before any is written
        refuse_model(path, source.path)
        refuse_model_data(path, source)
    for path, text in texts.items():
        write_atomic(path, text)
