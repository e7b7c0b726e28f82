"""One self-contained HTML file: totals, module tree, node table, bar charts, roofline.

Nothing is fetched: the CSS and JS (``assets/``) are inlined, the charts are SVG the
script draws, and the report's data is a JSON block. A Content-Security-Policy with
the script's hash forbids any other script and any network access. Model strings are
carried only inside that JSON (with ``<``, ``>``, ``&`` escaped so ``</script>`` or
``<!--`` cannot end the block) and put into the page with ``textContent``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from importlib import resources
from typing import Any

from onnx_cost._version import __version__
from onnx_cost.model.report import Report
from onnx_cost.render import symbolic as S
from onnx_cost.render.report import coverage_line, shape_str, symbolic_texts, symbolic_totals
from onnx_cost.render.tables import node_totals
from onnx_cost.symbolic.binding import DEFAULT_LEGEND, Binding
from onnx_cost.text import escape
from onnx_cost.views import tree as T
from onnx_cost.views.scope import full_path

_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


DATA_OPEN = '<script type="application/json" id="onnx-cost-data">'  # the page's one data block
_NOT_ASCII = re.compile(r"[^\x00-\x7e]")


def _shown(m: re.Match[str]) -> str:
    """A character past ASCII as the JSON text carries it: DEL, C1 controls and the other
    non-printable ones (bidi overrides...) as the escape a terminal table shows (``\\x9b``,
    its backslash escaped for JSON), so the page shows them as text, never raw."""
    c = m.group(0)
    return c if c.isprintable() or c in _JSON_ESCAPES else "\\" + escape(c)


def embed_json(data: Any) -> str:
    """JSON that is inert inside ``<script type="application/json">``: no ``<``, ``>``
    or ``&`` appears literally, so no string can close the element or open a comment;
    no DEL or C1 control (or other non-printable character) appears raw in the page."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if not text.isascii():
        text = _NOT_ASCII.sub(_shown, text)
    return "".join(_JSON_ESCAPES.get(c, c) for c in text) if any(c in text for c in _JSON_ESCAPES) else text


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("assets").joinpath(name).read_text(encoding="utf-8")


def html_data(report: Report, depth: int = 2, roofline: dict[str, Any] | None = None,
              binding: Binding | None = None) -> dict[str, Any]:
    """Everything the page shows, as JSON-able data; ``binding``: the dims free dims were counted at."""
    root = T.build_tree(report)
    m = report.model
    nodes = []
    for i, r in enumerate(report.nodes):
        t = node_totals(r)
        nodes.append({
            "index": i, "name": f"{r.graph}:{r.name}" if r.graph else r.name,
            "op": r.op_type if not r.domain else f"{r.domain}::{r.op_type}",
            "module": full_path(r), "status": r.status, "flops": t.flops, "macs": t.macs, "ops": t.ops,
            "params": r.params, "bytes": t.memory_bytes, "output": shape_str(r.outputs[0]) if r.outputs else "",
        })
    cut = [{"label": T.path_label(x), **x.totals.as_dict(),
            "memory_bytes": x.totals.memory_bytes} for x in T.cut(root, depth)]
    tree = T.module_dict(root)
    ops = [{"op": k, **v.as_dict(), "memory_bytes": v.memory_bytes} for k, v in report.by_op_type.items()]
    if report.symbolic:  # the polynomials in place of the default binding's 0s
        _symbolic_nodes(report, nodes)
        for c, x in zip(cut, T.cut(root, depth)):
            _put(c, S.module_values(report, x.path, S.SHOWN))
        _symbolic_tree(report, tree)
        rank: dict[str, tuple[Any, ...]] = {}
        for o in ops:
            key = str(o["op"])
            v = S.op_values(report, key, S.SHOWN)
            _put(o, v)
            rank[key] = S.rank(v["ops"])
        ops.sort(key=lambda o: (rank[str(o["op"])], str(o["op"])))  # the table's and Markdown's order
    return {
        "version": __version__,
        "model": {
            "path": m.path, "producer": m.producer, "opset": m.opsets.get("", 0),
            "inputs": [{"name": n, "dtype": d, "shape": shape_str(s)} for n, d, s in m.inputs],
        },
        "partial": report.partial,
        "total": symbolic_totals(report, report.dynamic),
        "formula": symbolic_texts(report),
        "coverage": {"percent": round(100.0 * report.counted_coverage.fraction, 2), "line": coverage_line(report)},
        "depth": depth,
        "tree": tree,
        "cut": cut,
        "ops": ops,
        "symbolic": list(report.symbolic),
        "nodes": nodes,
        "roofline": roofline,
        "warnings": report.warnings + _symbolic_warning(report),
        "binding": "" if binding is None else binding.text(str) + (f" ({DEFAULT_LEGEND})" if binding.defaults else ""),
    }


def _put(row: dict[str, Any], values: S.Values) -> None:
    """``row``'s counts from their polynomials: a number where one is, else null with its
    text in ``row["text"]`` (the page shows the text; the charts draw nothing). The counts
    the page does not show (dots, arith, ...) are dropped rather than fitted."""
    nums, texts = S.numbers(values)
    for k in S.UNSHOWN:  # the default binding's numbers (0 where a dim is needed): not carried
        row.pop(k, None)
    row.update(nums)
    row["text"] = texts


def _symbolic_tree(report: Report, d: dict[str, Any]) -> None:
    _put(d, S.module_values(report, tuple(d["path"]), S.SHOWN))
    for c in d["children"]:
        _symbolic_tree(report, c)


def _symbolic_nodes(report: Report, nodes: list[dict[str, Any]]) -> None:
    """Each node's counts as polynomials (null and text), and per count its rank among the
    nodes (0: the largest) for the page's sorting; nulls without text when the grid's
    analyses do not line up node for node."""
    values = [S.node_values(report, i) for i in range(len(nodes))]
    if any(v is None for v in values):
        for n in nodes:
            n.update(dict.fromkeys(S.METRICS))
            n["text"] = {}
        return
    for n, v in zip(nodes, values):
        assert v is not None
        n.update(S.numbers(v)[0])
        n["text"] = S.numbers(v)[1]
    for k in S.METRICS:
        order = sorted(range(len(nodes)), key=lambda i: (S.rank(values[i][k]), i))  # type: ignore[index]
        for pos, i in enumerate(order):
            nodes[i].setdefault("rank", {})[k] = pos


def _symbolic_warning(report: Report) -> list[str]:
    """With symbolic dims the page's counts are polynomials: the tables show them, the
    charts (which need numbers) are not drawn; say so above them."""
    if not report.symbolic:
        return []
    dims = ", ".join(report.symbolic)
    flags = " ".join(f"--dim {d}=N" for d in report.symbolic)
    return [f"the counts are exact polynomials in {dims} at the default binding: the tables show them, "
            f"the charts are not drawn (a polynomial is not a bar; bind with {flags} to draw them)"]


def to_html(report: Report, depth: int = 2, roofline: dict[str, Any] | None = None,
            binding: Binding | None = None) -> str:
    """The report as one HTML page (``--format html``); ``roofline`` is the hardware
    view's ``roofline_dict`` when a device was given."""
    script = _asset("report.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{digest}'"
    data = embed_json(html_data(report, depth, roofline, binding))
    title = html.escape(escape(f"onnx-cost: {report.model.path}"), quote=True)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<link rel=\"icon\" href=\"data:,\">\n"
        f"<title>{title}</title>\n<style>\n{_asset('report.css')}</style>\n</head>\n<body>\n"
        "<noscript>This report draws its tables and charts with JavaScript.</noscript>\n<main id=\"app\"></main>\n"
        f"{DATA_OPEN}{data}</script>\n"
        f"<script>{script}</script>\n</body>\n</html>\n"
    )
