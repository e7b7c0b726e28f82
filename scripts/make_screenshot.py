"""Render fixtures/tiny_resnet_dynamo.onnx as an HTML report (with the T4 roofline)
in headless Chromium and save docs/html-report.png for the README.

Needs Debian's chromium and chromium-driver and the test extra (selenium):
    .venv/bin/python scripts/make_screenshot.py
"""

from __future__ import annotations

import base64
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "html-report.png"


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    import onnx_cost
    from onnx_cost.render.formats import html

    report = onnx_cost.analyze(ROOT / "fixtures" / "tiny_resnet_dynamo.onnx")
    report.model = type(report.model)(**{**report.model.__dict__, "path": "fixtures/tiny_resnet_dynamo.onnx"})
    opts = Options()
    opts.binary_location = shutil.which("chromium") or "chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,900"):
        opts.add_argument(a)
    drv = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "chromedriver"), options=opts)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            page = Path(tmp) / "report.html"
            page.write_text(html(report, depth=2, device="t4"), encoding="utf-8")
            drv.get(page.as_uri())
            rows = drv.find_elements("css selector", "table.tree tbody tr")
            block = next(r for r in rows if "layer1.0 (BasicBlock)" in r.text)
            block.find_element("css selector", "button.toggle").click()
            # The whole page, not only the window: the roofline sits below the fold.
            h = drv.execute_script("return document.documentElement.scrollHeight")
            shot = drv.execute_cdp_cmd("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": 1280, "height": min(h, 1700), "scale": 0.8},
            })
            OUT.write_bytes(base64.b64decode(shot["data"]))
    finally:
        drv.quit()
    print(f"{OUT.relative_to(ROOT)}: {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
