"""--format html: one self-contained page, escaped names, and a real browser run.

The browser tests use Debian's ``chromium`` and ``chromium-driver`` through selenium
(no browser download). Locally they skip when either is missing; in CI (``CI`` set)
a missing browser fails: ``.ci/run`` installs it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from onnx import helper

import onnx_cost
from onnx_cost.render.html import embed_json, to_html

from helpers import init, make_model

FIX = Path(__file__).resolve().parent.parent / "fixtures"
XSS = "<script>alert(1)</script>"
TRICKS = ["</script><script>alert(2)</script>", "<!--", "<img src=x onerror=alert(3)>", "a&amp;b\u2028c"]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


def hostile_report():
    """Two nodes under a module whose names and scopes are markup."""
    n = helper.make_node
    nodes = [n("MatMul", ["x", "w"], ["h"], XSS), n("Relu", ["h"], ["y"], f"/{TRICKS[2]}/{TRICKS[0]}")]
    for i, t in enumerate([TRICKS[1], TRICKS[3]]):
        helper.set_metadata_props(nodes[i], {"doc": t})
    m = make_model(nodes, [("x", "float32", [1, 4])], [("y", "float32", [1, 2])], [init("w", "float32", [4, 2])])
    return onnx_cost.analyze(m)


def roofline_for(report) -> dict:
    """A roofline dict in the agreed shape: a 100 Tops/s, 1 TB/s device."""
    peak, bw = 1e14, 1e12
    nodes = []
    for r in report.nodes:
        b = r.read_bytes + r.write_bytes
        i = r.cost.flops / b if b else None
        nodes.append({"name": r.name, "op_type": r.op_type, "ops": r.cost.flops, "bytes": b, "intensity": i,
                      "attainable_ops_per_s": min(peak, bw * i) if i else None,
                      "bound": "compute" if i and i > peak / bw else "memory", "floor_s": 0.0})
    return {"device": {"name": "Test <b>GPU</b>", "peak_ops_per_s": peak, "bandwidth_bytes_per_s": bw,
                       "ridge_ops_per_byte": peak / bw}, "nodes": nodes}


def test_embedded_json_cannot_close_its_script_or_open_a_comment():
    text = embed_json({"names": [XSS, *TRICKS]})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"names": [XSS, *TRICKS]}


def test_page_is_self_contained_and_names_appear_only_as_json():
    page = to_html(hostile_report(), roofline=roofline_for(hostile_report()))
    assert len(re.findall(r"<script\b", page)) == 2  # the data block and our one script
    assert "alert(" not in page.split('id="onnx-cost-data">', 1)[0]
    assert "<!--" not in page and "onerror=" not in page.replace("onerror=alert(3)", "")
    for banned in ("http://", "https://", "//cdn", "@import", "src=\"http"):
        assert banned not in page.replace("http://www.w3.org/2000/svg", "")
    assert "innerHTML" not in page and "insertAdjacentHTML" not in page and "document.write" not in page
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp and "default-src 'none'" in csp.group(1)


# -- in a real browser ---------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    try:
        from selenium import webdriver
    except ImportError:
        webdriver = None
    if not (CHROMIUM and DRIVER and webdriver):
        missing = "selenium" if CHROMIUM and DRIVER else "chromium and chromium-driver"
        if os.environ.get("CI"):
            pytest.fail(f"{missing} required in CI (.ci/run installs the browser, the test extra selenium)")
        pytest.skip(f"no {missing} here (apt-get install chromium chromium-driver)")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1400"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(DRIVER), options=opts)
    yield drv
    drv.quit()


def open_page(browser, tmp_path, page: str):
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    browser.get(path.as_uri())
    return browser


def errors(browser) -> list[str]:
    return [e["message"] for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def visible_rows(browser, css: str) -> list[str]:
    """Text of the rows the browser lays out (offsetParent is null for hidden ones)."""
    js = "return Array.from(document.querySelectorAll(arguments[0])).filter(e => e.offsetParent !== null).map(e => e.textContent)"
    return browser.execute_script(js, css)


def column(browser, i: int) -> list[str]:
    js = "return Array.from(document.querySelectorAll('table.nodes tbody tr')).map(tr => tr.cells[arguments[0]].textContent)"
    return browser.execute_script(js, i)


def test_tree_expands_and_collapses(browser, tmp_path):
    b = open_page(browser, tmp_path, to_html(onnx_cost.analyze(FIX / "tiny_resnet_dynamo.onnx"), depth=2))
    rows = visible_rows(b, "table.tree tbody tr")
    # (model), 7 top modules, layer1.0 and layer2.0 at depth 2
    assert len(rows) == 10 and not any("conv2" in r for r in rows)
    block = next(tr for tr in b.find_elements("css selector", "table.tree tbody tr") if "layer1.0 (BasicBlock)" in tr.text)
    block.find_element("css selector", "button.toggle").click()
    rows = visible_rows(b, "table.tree tbody tr")
    assert len(rows) == 15  # + conv1, bn1, relu, conv2, bn2 of layer1.0 (its Add belongs to layer1.0 itself)
    block.find_element("css selector", "button.toggle").click()
    assert len(visible_rows(b, "table.tree tbody tr")) == 10
    assert errors(b) == []


def test_node_table_sorts_and_filters(browser, tmp_path):
    b = open_page(browser, tmp_path, to_html(onnx_cost.analyze(FIX / "tiny_resnet_dynamo.onnx")))
    first = b.find_element("css selector", "table.nodes tbody tr td").text
    assert first == "node_conv2d_13"  # the costliest node first (73.2 K FLOPs, see test_reports_markdown)
    b.find_element("css selector", "table.nodes th[data-key='name']").click()
    names = column(b, 0)
    assert names == sorted(names) and len(names) == 22
    b.find_element("css selector", "table.nodes th[data-key='name']").click()
    names = column(b, 0)
    assert names == sorted(names, reverse=True)
    box = b.find_element("id", "node-filter")
    box.send_keys("relu")
    assert column(b, 1) == ["Relu"] * 5
    assert "5 of 22 nodes" in b.find_element("css selector", "#nodes .controls").text
    assert errors(b) == []


def test_hostile_names_render_as_text_and_nothing_runs(browser, tmp_path):
    r = hostile_report()
    b = open_page(browser, tmp_path, to_html(r, roofline=roofline_for(r)))
    names = column(b, 0)
    assert XSS in names and f"/{TRICKS[2]}/{TRICKS[0]}" in names
    assert b.execute_script("return document.querySelectorAll('img').length") == 0
    assert b.execute_script("return document.scripts.length") == 2
    assert "Test <b>GPU</b>" in b.find_element("css selector", "#roofline h2").text
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        _ = b.switch_to.alert.text
    assert errors(b) == []


def test_roofline_draws_one_point_per_placeable_node(browser, tmp_path):
    r = onnx_cost.analyze(FIX / "tiny_resnet_dynamo.onnx")
    roof = roofline_for(r)
    b = open_page(browser, tmp_path, to_html(r, roofline=roof))
    placeable = sum(1 for n in roof["nodes"] if n["intensity"] and n["attainable_ops_per_s"])
    assert len(b.find_elements("css selector", "#roofline svg.plot circle")) == placeable
    assert errors(b) == []
