"""A model whose counts stay polynomials in a symbolic dim: the table, Markdown and HTML show
the same per op type, per module and per node polynomials (never the default binding's 0s),
with exact coefficients, in one op-type order (issue 19's review, findings 6, 19, 22).

The model: x [batch, seq, 64] -> LayerNorm -> q, k, v = x·W (64×64) -> scores = q·kᵀ ->
Softmax -> av = a·v -> proj = o·W -> + x; batch defaults to 1, seq stays free.
MatMul FLOPs = (2K - 1) per output, MACs = K per output (docs/counting.md):
  q, k, v, proj: 64·seq outputs, K = 64 -> 127·64·seq = 8128·seq FLOPs, 4096·seq MACs
  scores: seq² outputs, K = 64 -> 127·seq² FLOPs, 64·seq² MACs
  av: 64·seq outputs, K = seq -> (2·seq - 1)·64·seq = 128·seq² - 64·seq FLOPs, 64·seq² MACs
  av's bytes: reads (seq² + 64·seq)·4, writes 64·seq·4 -> 4·seq² + 512·seq
  all MatMuls: 255·seq² + 32448·seq FLOPs; the model (review19.md's hand check):
  260·seq² + 32962·seq FLOPs, 16512 params.
"""

from __future__ import annotations

import json
import re

import numpy as np
import onnx
import pytest
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh
from typer.testing import CliRunner

from onnx_cost.cli import app

runner = CliRunner()
D = 64


def _init(name: str, shape: list[int]) -> onnx.TensorProto:
    return nh.from_array(np.ones(shape, dtype=np.float32), name)


@pytest.fixture(scope="module")
def blk(tmp_path_factory) -> str:
    x = h.make_tensor_value_info("x", T.FLOAT, ["batch", "seq", D])
    y = h.make_tensor_value_info("y", T.FLOAT, ["batch", "seq", D])
    nodes = [
        h.make_node("LayerNormalization", ["x", "ln_s", "ln_b"], ["ln"], name="ln1", axis=-1),
        h.make_node("MatMul", ["ln", "wq"], ["q"], name="q"),
        h.make_node("MatMul", ["ln", "wk"], ["k"], name="k"),
        h.make_node("MatMul", ["ln", "wv"], ["v"], name="v"),
        h.make_node("Transpose", ["k"], ["kt"], name="kt", perm=[0, 2, 1]),
        h.make_node("MatMul", ["q", "kt"], ["s"], name="scores"),
        h.make_node("Softmax", ["s"], ["a"], name="softmax", axis=-1),
        h.make_node("MatMul", ["a", "v"], ["o"], name="av"),
        h.make_node("MatMul", ["o", "wo"], ["o2"], name="proj"),
        h.make_node("Add", ["o2", "x"], ["y"], name="resid"),
    ]
    inits = [_init("ln_s", [D]), _init("ln_b", [D])] + [_init(w, [D, D]) for w in ("wq", "wk", "wv", "wo")]
    g = h.make_graph(nodes, "blk", [x], [y], inits)
    path = tmp_path_factory.mktemp("blk") / "blk.onnx"
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 17)]), path)
    return str(path)


def _out(*args: str) -> str:
    r = runner.invoke(app, list(args))
    assert r.exit_code == 0, r.output
    return r.stdout


def _section(md: str, title: str) -> list[list[str]]:
    """The body rows of the Markdown table under ``## title``, as cells."""
    part = md.split(f"## {title}", 1)[1].split("\n## ", 1)[0]
    lines = [x for x in part.splitlines() if x.startswith("|")][2:]
    return [[c.strip() for c in x.strip("|").split("|")] for x in lines]


# the op types ranked as the table ranks them (by ops, largest growth first): MatMul (degree 2,
# 255), Softmax (degree 2, 5), LayerNormalization (452·seq), Add (64·seq), Transpose (0)
ORDER = ["MatMul", "Softmax", "LayerNormalization", "Add", "Transpose"]


def test_markdown_modules_and_nodes_are_polynomials(blk):
    md = _out(blk, "--format", "markdown")
    nodes = _section(md, "Top 10 nodes")
    # node, op, module, FLOPs, MACs, ops, params, bytes, % (no share for a polynomial)
    assert nodes[0] == ["av", "MatMul", "", "128·seq^2 - 64·seq", "64·seq^2", "128·seq^2 - 64·seq", "0",
                        "4·seq^2 + 512·seq", ""]
    assert nodes[1][:5] == ["scores", "MatMul", "", "127·seq^2", "64·seq^2"]
    q = next(r for r in nodes if r[0] == "q")
    assert q[3:7] == ["8128·seq", "4096·seq", "8128·seq", "4096"]
    assert [r[0] for r in nodes] == ["av", "scores", "softmax", "q", "k", "v", "proj", "ln1", "resid", "kt"]
    (model,) = _section(md, "By module (depth 2)")
    assert model[:5] == ["(model)", "260·seq^2 + 32962·seq", "128·seq^2 + 16384·seq", "260·seq^2 + 32962·seq",
                         "16512"]
    assert "show 0" not in md


def test_markdown_and_table_one_op_order_exact_coefficients(blk):
    md = _out(blk, "--format", "markdown")
    ops = _section(md, "By op type")
    assert [r[0] for r in ops] == ORDER
    assert ops[0][2] == "255·seq^2 + 32448·seq"
    table = _out(blk)
    body = table.split("\nBy op type\n", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    assert [line.split()[0] for line in body] == ORDER
    # the totals' polynomials with exact coefficients (32962, never 33K; 2816, never 2.82K)
    flops = next(line for line in table.splitlines() if line.strip().startswith("FLOPs"))
    assert flops.split(None, 1)[1].strip() == "260·seq^2 + 32962·seq"
    read = next(line for line in table.splitlines() if line.strip().startswith("read bytes"))
    assert read.split("read bytes", 1)[1].strip() == "8·seq^2 + 2816·seq + 66048 B"
    assert "255·seq^2 + 32448·seq" in body[0]
    assert "K·" not in table


def _data(page: str) -> dict:
    return json.loads(re.search(r'id="onnx-cost-data">(.*?)</script>', page, re.S).group(1))


def test_html_data_has_no_zero_where_a_polynomial_is(blk):
    page = _out(blk, "--format", "html")
    d = _data(page)
    assert d["symbolic"] == ["seq"]
    assert [o["op"] for o in d["ops"]] == ORDER
    mm = d["ops"][0]
    assert mm["flops"] is None and mm["text"]["flops"] == "255·seq^2 + 32448·seq"
    assert mm["params"] == 16384 and "params" not in mm["text"]
    av = next(n for n in d["nodes"] if n["name"] == "av")
    assert av["flops"] is None and av["text"]["flops"] == "128·seq^2 - 64·seq"
    assert av["text"]["bytes"] == "4·seq^2 + 512·seq" and av["rank"]["flops"] == 0
    assert d["tree"]["flops"] is None and d["tree"]["text"]["flops"] == "260·seq^2 + 32962·seq"
    assert d["cut"][0]["text"]["macs"] == "128·seq^2 + 16384·seq"
    # every count of every row is a number only where its polynomial is one: a null has its text
    for row in [*d["ops"], *d["nodes"], *d["cut"], d["tree"]]:
        for k, v in row.items():
            if v is None:
                assert k in row["text"], (row, k)
    # the charts cannot draw a polynomial: the page says so (the script's note) instead of zero bars
    assert "a polynomial is not a bar" in " ".join(d["warnings"])
    assert "No charts: the counts are polynomials in " in page


# -- in a real browser (skipped without chromium, as tests/test_reports_html.py) -------------

from test_reports_html import browser, errors, open_page  # noqa: E402, F401  # the fixture


def test_browser_shows_polynomials_and_no_bars(browser, tmp_path, blk):  # noqa: F811
    b = open_page(browser, tmp_path, _out(blk, "--format", "html"))
    assert b.find_elements("css selector", "#charts rect.bar") == []
    assert "No charts: the counts are polynomials in seq" in b.find_element("css selector", "#charts").text
    first = b.execute_script("return Array.from(document.querySelector('table.nodes tbody tr').cells)"
                             ".map(c => c.textContent)")
    # sorted by FLOPs (growth), av first: node, op, module, status, FLOPs, MACs, ops, params, bytes
    assert first[0] == "av" and first[4:9] == ["128·seq^2 - 64·seq", "64·seq^2", "128·seq^2 - 64·seq", "0",
                                               "4·seq^2 + 512·seq B"]
    root = b.execute_script("return Array.from(document.querySelector('table.tree tbody tr').cells)"
                            ".map(c => c.textContent)")
    assert root[1] == "260·seq^2 + 32962·seq" and root[-1] == ""
    assert errors(b) == []


def test_browser_draws_the_convention_under_the_title(browser, tmp_path, blk):  # noqa: F811
    page = _out(blk, "--dim", "seq=4", "--format", "html", "--convention", "torch")
    b = open_page(browser, tmp_path, page)
    order = b.execute_script("return Array.from(document.querySelectorAll('#app > *')).map(e => e.tagName + ':' + "
                             "(e.id || e.className))")
    assert order[:3] == ["H1:", "DIV:meta", "DIV:meta"]  # the title, the model line, the dims line
    assert order[3] == "SECTION:convention" and order[4] == "SECTION:totals"
    text = b.find_element("css selector", "#convention pre").text
    assert text.startswith("convention: torch (")
    assert errors(b) == []
