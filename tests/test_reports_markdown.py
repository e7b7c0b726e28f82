"""--format markdown: valid GFM whose tables keep their shape whatever the names hold."""

from __future__ import annotations

from pathlib import Path

from markdown_it import MarkdownIt
from onnx import helper

import onnx_cost
from onnx_cost.render.markdown import md_table, md_text, to_markdown

from helpers import make_model

FIX = Path(__file__).resolve().parent.parent / "fixtures"
HOSTILE = "a|b`c`*d*_e_[l](http://x)<script>alert(1)</script>&amp;\\|~~s~~"


def md() -> MarkdownIt:
    """CommonMark plus GFM tables and strikethrough (linkify needs an extra package)."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def gfm(text: str):
    return md().parse(text)


def table_widths(tokens) -> list[set[int]]:
    """For every table, the set of its rows' cell counts (one value: rectangular)."""
    tables: list[set[int]] = []
    cells = 0
    for t in tokens:
        if t.type == "table_open":
            tables.append(set())
        elif t.type == "tr_open":
            cells = 0
        elif t.type in ("td_open", "th_open"):
            cells += 1
        elif t.type == "tr_close":
            tables[-1].add(cells)
    return tables


def test_md_text_round_trips_to_the_literal_string():
    html = md().render(md_table(["x"], [[md_text(HOSTILE)]]))
    # the cell renders as the literal text, HTML-escaped once by the renderer
    expected = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert f"<td>{expected}</td>" in html
    assert "<script>" not in html and "<a " not in html and "<code>" not in html and "<em>" not in html


def test_hostile_node_names_keep_every_table_rectangular():
    n = helper.make_node
    nodes = [
        n("Relu", ["x"], ["h"], f"/{HOSTILE}/Relu"),
        n("Relu", ["h"], ["y"], "a\nb|c"),
    ]
    m = make_model(nodes, [("x", "float32", [2])], [("y", "float32", [2])])
    text = to_markdown(onnx_cost.analyze(m), depth=3)
    tokens = gfm(text)
    # totals, by op type, by module, top nodes: every row as wide as the header
    assert table_widths(tokens) == [{3}, {8}, {7}, {9}]
    last = max(i for i, t in enumerate(tokens) if t.type == "table_open")
    assert sum(t.type == "tr_open" for t in tokens[last:]) == 3  # header + the two nodes: no name split a row
    html = md().render(text)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_markdown_report_has_totals_ops_and_the_module_tree():
    text = to_markdown(onnx_cost.analyze(FIX / "tiny_resnet_dynamo.onnx"), depth=2)
    assert "## Totals" in text and "## By op type" in text and "## By module (depth 2)" in text
    assert "| FLOPs | 338 K | 337,640 |" in text  # checked by hand in test_reports_tree (blocks) + stem and head
    assert "&emsp;&emsp;layer1.0 (BasicBlock) (+5) |" in text
    assert "| Conv | 6 |" in text
