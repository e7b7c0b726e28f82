"""The overlays in the real viewers: Model Explorer (with its ONNX adapter) and Netron, each
served from its PyPI package on 127.0.0.1 and opened in headless Chromium through selenium,
WebGL through SwiftShader.

Like the HTML report's browser test: Debian's ``chromium`` and ``chromium-driver`` (no browser
download); locally the tests skip when they are missing, in CI (``CI`` set) that fails:
``.ci/run`` installs the browser and the test extra the viewers. Nothing leaves the machine:
the pages' own calls out (fonts, analytics) fail offline and are not looked at.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import onnx_cost

FIX = Path(__file__).resolve().parent.parent / "fixtures"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
BIN = Path(sys.executable).parent
MODEL = FIX / "tiny_cnn.onnx"
CONV = "/features/conv1/Conv"  # the costliest node of tiny_cnn
SHOTS = os.environ.get("OVERLAY_SCREENSHOTS")  # a folder: save the screenshots docs/reports.md shows


def need(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} required in CI (.ci/run installs the browser, the test extra the viewers)")
    pytest.skip(f"no {what} here")


@pytest.fixture(scope="module")
def browser():
    try:
        from selenium import webdriver
    except ImportError:
        webdriver = None
    if not (CHROMIUM and DRIVER):
        need("chromium and chromium-driver (apt-get install chromium chromium-driver)")
    if webdriver is None:
        need("selenium (the test extra)")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000",
              "--use-angle=swiftshader", "--enable-unsafe-swiftshader"):
        opts.add_argument(a)
    drv = webdriver.Chrome(service=Service(DRIVER), options=opts)
    yield drv
    drv.quit()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(cmd: list[str], until: str, timeout: float = 90.0) -> Iterator[str]:
    """Run a viewer's server; yield the first line of its output that holds ``until``."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=BIN.parent)
    try:
        deadline = time.monotonic() + timeout
        assert proc.stdout is not None
        for line in proc.stdout:
            if until in line:
                break
            if time.monotonic() > deadline:
                pytest.fail(f"{cmd[0]} did not start in {timeout} s")
        else:
            pytest.fail(f"{cmd[0]} stopped (exit {proc.wait()})")
        yield line.strip()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_for(browser, js: str, timeout: float = 60.0):
    """Poll ``js`` (a script that returns a value) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = browser.execute_script(js)
        if got:
            return got
        time.sleep(0.5)
    return None


def shot(browser, name: str) -> None:
    if SHOTS:
        time.sleep(1.5)  # let the page's transitions (Netron's sidebar slides in) finish
        browser.save_screenshot(str(Path(SHOTS) / name))


def test_model_explorer_shows_our_node_data(browser, tmp_path):
    exe = BIN / "model-explorer"
    if not exe.exists():
        need("Model Explorer (ai-edge-model-explorer and model-explorer-onnx, the test extra)")
    data = tmp_path / "ops.json"
    r = subprocess.run([sys.executable, "-m", "onnx_cost", str(MODEL), "--format", "model-explorer", "-o", str(data)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    nodes = onnx_cost.analyze(MODEL).to_dict()["nodes"]
    conv_ops = next(n["flops"] + n["int_ops"] for n in nodes if n["name"] == CONV)
    total = sum(n["flops"] + n["int_ops"] for n in nodes)
    port = free_port()
    cmd = [str(exe), str(MODEL), "--extensions=model_explorer_onnx", f"--node_data_paths={data}",
           "--no_open_in_browser", "--host", "127.0.0.1", "--port", str(port)]
    with serve(cmd, f"http://127.0.0.1:{port}/") as line:
        browser.get(line[line.index("http://"):])
        # the side panel lists the node data it loaded, one row per node, with our value
        text = wait_for(browser, "const t = document.body.innerText; return t.includes('ops.json') && "
                                 "t.includes('Node data') ? t : null")
        assert text, "Model Explorer did not load the node data"
        assert re.search(rf"\bConv\s+{conv_ops}\b", text), text[-1500:]
        assert re.search(rf"\bSum\s+{total}\b", text)  # the aggregated stats: all nodes' values
        # the node data table: per node its label, our value, and the colour the viewer painted it
        rows = browser.execute_script(
            "return Array.from(document.querySelectorAll('tr')).filter(tr => tr.querySelector('td.node-label'))"
            ".map(tr => { const v = tr.querySelector('td.value-col');"
            " return [tr.querySelector('td.node-label').textContent.trim(), v ? v.textContent.trim() : '',"
            " v ? getComputedStyle(v).backgroundColor : '']; });")
        assert ["Conv", str(conv_ops), "rgb(189, 0, 38)"] in rows  # the costliest, in the darkest #bd0026
        assert ["Flatten", "0", "rgb(255, 255, 255)"] in rows  # a zero: white
        if SHOTS:  # open every layer (the toolbar's "expand all"), so the coloured nodes show
            browser.execute_script("const i = Array.from(document.querySelectorAll('mat-icon'))"
                                   ".find(e => e.textContent.trim() === 'unfold_more_double'); if (i) i.click();")
            time.sleep(3)
        shot(browser, "model-explorer-overlay.png")


def test_netron_shows_our_attachment(browser, tmp_path):
    exe = BIN / "netron"
    if not exe.exists():
        need("Netron (the netron package, the test extra)")
    att = tmp_path / "tiny_cnn.json"
    r = subprocess.run([sys.executable, "-m", "onnx_cost", str(MODEL), "--format", "netron", "-o", str(att)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    conv = next(n for n in onnx_cost.analyze(MODEL).to_dict()["nodes"] if n["name"] == CONV)
    port = free_port()
    with serve([str(exe), str(MODEL), "--host", "127.0.0.1", "-p", str(port)], "Serving"):
        browser.get(f"http://127.0.0.1:{port}/")
        # the page asks for consent (cookies) once it has started: accept it, then the model shows
        assert wait_for(browser, "const b = Array.from(document.querySelectorAll('button')).find(b => "
                                 "b.textContent.trim() === 'Accept' && b.offsetParent !== null); if (b) b.click();"
                                 f"return document.getElementById({json.dumps('node-name-' + CONV)}) !== null;")
        # open the attachment as a user does (Open... or drop): the page's own file handler
        done = browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "const f = new File([arguments[0]], 'tiny_cnn.json', {type: 'application/json'});"
            "window.__view__._host._open(f, [f]).then(() => done('ok'), (e) => done(String(e)));",
            att.read_text())
        assert done == "ok"
        node = browser.find_element("id", f"node-name-{CONV}")
        node.find_element("css selector", "path, rect").click()
        # the sidebar's Metrics section: (name, value) per item, as Netron draws them
        metrics = wait_for(browser, """
            const head = Array.from(document.querySelectorAll('#sidebar .sidebar-section'))
                .find(e => e.textContent === 'Metrics');
            if (!head) return null;
            const out = [];
            for (let e = head.nextElementSibling; e && e.classList.contains('sidebar-item'); e = e.nextElementSibling)
                out.push([e.querySelector('.sidebar-item-name input').value,
                          e.querySelector('.sidebar-item-value-line').textContent]);
            return out;""", 20)
        assert metrics, "Netron shows no Metrics section"
        got = dict(metrics)
        assert got["status"] == conv["status"] == "counted"
        for name in ("flops", "macs", "params", "read_bytes", "write_bytes"):
            assert got[name] == str(conv[name]), name
        assert got["ops"] == str(conv["flops"] + conv["int_ops"])
        shot(browser, "netron-overlay.png")
