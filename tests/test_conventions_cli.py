"""--convention on the analysis (table header, JSON, CSV, `all`) and `onnx-cost conventions`."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import onnx
import pytest
from typer.testing import CliRunner

from onnx_cost.cli import app

from models import Builder

runner = CliRunner()


def _conv_model(folder, batch: int | str) -> str:
    # Conv 3→8 3×3 pad 1 (no bias) on batch×3×8×8, BatchNormalization, Relu, Resize ×2 (linear).
    # At batch 1: Conv MACs 64·8·27 = 13,824; BN N = 512; Resize out 1×8×16×16 = 2,048.
    b = Builder(external=False)
    y = b.conv_bn("x", 3, 8, 3, 1, "Relu")
    b.node("Resize", [y, "", b.const([1.0, 1.0, 2.0, 2.0])], mode="linear")
    path = folder / "m.onnx"
    onnx.save(b.model(("x", [batch, 3, 8, 8]), opset=13), path)
    return str(path)


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> str:
    return _conv_model(tmp_path_factory.mktemp("conv"), 1)


def run(*args: str):
    return runner.invoke(app, list(args))


@pytest.mark.parametrize("fmt", ["table", "markdown", "html"])
def test_default_convention_adds_no_line(model, fmt):
    # the default (exact) convention is not announced above the report: a Markdown report
    # starts with its heading, an HTML page with its doctype, a table with the model line
    r = run(model, "--format", fmt)
    assert r.exit_code == 0, r.output
    assert "convention: exact" not in r.stdout
    first = r.stdout.splitlines()[0]
    assert first.startswith({"table": model, "markdown": "# onnx-cost:", "html": "<!DOCTYPE html>"}[fmt])


def test_table_under_fvcore(model):
    r = run(model, "--convention", "fvcore")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    # the model line first, then (after its blank line) the convention's block
    assert lines[0].startswith(model) and lines[1] == ""
    assert lines[2].startswith("convention: fvcore (") and "fvcore 0.1.6" in lines[2]
    # fvcore: conv 13,824 + BN 2·512 = 1,024 + bilinear upsample 4·2,048 = 8,192 → 23,040; Relu ignored.
    assert "23,040" in r.stdout
    assert "exact counts (docs/counting.md):" in r.stdout


def test_json_carries_the_convention(model):
    d = json.loads(run(model, "--convention", "thop", "--json").stdout)
    assert d["convention"] == "thop"
    (c,) = d["conventions"]
    # thop: conv 13,824 + BN 4·512 = 2,048 + upsample bilinear 11·2,048 = 22,528 → 38,400.
    assert c["name"] == "thop" and c["total"] == {"macs": 38_400}
    assert c["by_family"]["upsample"] == {"macs": 22_528}
    assert [n["convention"]["family"] for n in d["nodes"]] == ["conv", "batchnorm", "relu", "upsample"]
    assert json.loads(run(model, "--json").stdout)["convention"] == "exact"


def test_csv_carries_the_convention(model):
    rows = list(csv.DictReader(io.StringIO(run(model, "--csv", "--convention", "calflops").stdout)))
    assert [r["convention"] for r in rows] == ["calflops"] * 4
    # calflops: conv FLOPs 2·13,824 = 27,648 (no bias), MACs 13,824; Resize by scales: input elements 512.
    assert (rows[0]["convention_macs"], rows[0]["convention_flops"]) == ("13824", "27648")
    assert rows[3]["convention_family"] == "upsample" and rows[3]["convention_flops"] == "512"
    plain = list(csv.DictReader(io.StringIO(run(model, "--csv").stdout)))
    assert plain[0]["convention"] == "exact"


def test_all_prints_one_row_per_profile(model):
    r = run(model, "--convention", "all")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].startswith(model) and lines[2].startswith("convention: all (")
    names = [line.split()[0] for line in lines[lines.index(next(x for x in lines if x.startswith("---"))) + 1:]]
    assert names == ["exact", "torchvision", "fvcore", "thop", "ptflops", "ptflops-aten", "calflops", "torch", "onnx-tool"]
    rows = list(csv.DictReader(io.StringIO(run(model, "--convention", "all", "--csv").stdout)))
    assert {r["convention"]: r["macs"] for r in rows}["torchvision"] == "13824"


def test_unknown_convention_is_a_usage_error(model):
    r = run(model, "--convention", "nope")
    assert r.exit_code == 2
    assert "unknown convention 'nope'" in r.output and "torchvision" in r.output


def test_convention_does_not_apply_to_sweep(model):
    r = run(model, "--convention", "thop", "--formula")
    assert r.exit_code == 2 and "--convention does not apply" in r.output


def test_conventions_subcommand_lists_every_profile_and_family():
    r = run("conventions")
    assert r.exit_code == 0, r.output
    for name in ("torchvision", "fvcore", "thop", "ptflops", "ptflops-aten", "calflops", "torch", "onnx-tool"):
        assert f"\n{name}: " in "\n" + r.stdout, name
    assert "layernorm" in r.stdout and "source: fvcore 0.1.6" in r.stdout
    md = run("conventions", "--format", "markdown").stdout
    assert md.startswith("| family | torchvision | fvcore |")
    d = json.loads(run("conventions", "--format", "json").stdout)
    assert d["profiles"][3]["families"]["relu"] == "0: zero_ops"


def test_docs_table_matches_the_profiles():
    # docs/conventions.md embeds the per-family table; `make docs` regenerates it.
    import subprocess
    import sys

    script = Path(__file__).resolve().parent.parent / "scripts" / "gen_conventions_doc.py"
    r = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr



def test_markdown_and_html_name_the_convention(model):
    md = run(model, "--format", "markdown", "--convention", "torch").stdout
    assert md.startswith("# onnx-cost: ")
    assert "\n```\nconvention: torch (" in md
    # torch: 2·13,824 = 27,648 (conv only)
    assert "27,648" in md.split("```")[1]
    page = run(model, "--format", "html", "--convention", "fvcore").stdout
    block = re.search(r'id="onnx-cost-convention">(.*?)</script>', page, re.S)
    assert block is not None
    c = json.loads(block.group(1))
    assert c["name"] == "fvcore" and c["header"].startswith("convention: fvcore (")
    assert "23,040" in c["text"]  # the fvcore total (test_table_under_fvcore) reaches the page


# -- a non-default convention on a model with a default binding: under the lines stating it ----


@pytest.fixture(scope="module")
def batch_model(tmp_path_factory) -> str:
    # the module fixture's model with a free batch (counted at batch=1, the default binding):
    # the same numbers as above, fvcore 23,040 flops, torch 27,648
    return _conv_model(tmp_path_factory.mktemp("convb"), "batch")


def _before(text: str, first: str, then: str) -> None:
    assert first in text and then in text, (first, then)
    assert text.index(first) < text.index(then), (first, then)


@pytest.mark.parametrize("name", ["fvcore", "torch", "all"])
def test_table_block_after_the_binding_line(batch_model, name):
    out = run(batch_model, "--convention", name).stdout
    lines = out.splitlines()
    assert lines[0].startswith(batch_model)
    assert lines[1] == "free dims: batch (shown at batch=1)"
    assert lines[2].startswith("  bind ") and lines[2].endswith(": --dim batch=1")  # the binding's flag
    _before(out, "--dim batch=1\n", f"convention: {name} (")
    if name == "all":  # the comparison alone, under the binding
        assert "\nfvcore" in out and "23,040" in out and "Totals" not in out
    else:
        _before(out, f"convention: {name} (", "exact counts (docs/counting.md):\nTotals at batch=1")
        assert ("23,040" if name == "fvcore" else "27,648") in out.split("exact counts")[0]


@pytest.mark.parametrize("name", ["fvcore", "all"])
def test_markdown_block_after_heading_and_dims(batch_model, name):
    md = run(batch_model, "--format", "markdown", "--convention", name).stdout
    assert md.startswith("# onnx-cost: ")
    _before(md, "\nDims: batch=1\\*", f"\n```\nconvention: {name} (")
    _before(md, "Dims: batch=1", "23,040")
    if name == "all":
        assert "## Totals" not in md and md.rstrip().endswith("```")
    else:
        _before(md, "\n```\n\nexact counts (docs/counting.md):\n\n## Totals", "## By op type")


@pytest.mark.parametrize("name", ["fvcore", "all"])
def test_html_block_drawn_after_the_title(batch_model, name):
    page = run(batch_model, "--format", "html", "--convention", name).stdout
    # no markup above the page's app; the convention is data the script draws after the header
    assert '<p class="convention">' not in page
    _before(page, '<main id="app">', 'id="onnx-cost-convention"')
    c = json.loads(re.search(r'id="onnx-cost-convention">(.*?)</script>', page, re.S).group(1))
    assert c["name"] == name and "23,040" in c["text"]
    _before(page, "  header();\n  convention();\n", "  totals();")


def test_json_and_csv_under_fvcore_with_a_binding(batch_model):
    d = json.loads(run(batch_model, "--convention", "fvcore", "--json").stdout)
    assert d["convention"] == "fvcore" and d["default_binding"] == {"batch": 1}
    assert d["conventions"][0]["total"] == {"flops": 23_040}
    rows = list(csv.DictReader(io.StringIO(run(batch_model, "--csv", "--convention", "fvcore").stdout)))
    # fvcore per node: conv 13,824, BN 1,024, Relu 0 (ignored), Resize 8,192
    assert [r["convention_flops"] for r in rows] == ["13824", "1024", "0", "8192"]


def test_json_views_carry_each_peer_convention(model):
    # The report layer's views: one per peer profile counted, the tool's numbers in our fields
    # (thop prints MACs only: macs 38,400, flops 2·38,400 = 76,800; fvcore prints flops only: 23,040).
    d = json.loads(run(model, "--convention", "all", "--json").stdout)
    views = d["views"]
    assert "convention:exact" not in views
    assert views["convention:thop"]["total"]["macs"] == 38_400
    assert views["convention:thop"]["total"]["flops"] == 76_800
    assert views["convention:fvcore"]["total"]["flops"] == 23_040 and views["convention:fvcore"]["total"]["macs"] == 0
    assert views["convention:thop"]["data"]["by_family"]["upsample"] == {"macs": 22_528}


def test_alias_and_formats_the_conventions_command_refuses(model):
    # mmengine follows fvcore's handles: the same numbers, under its own name in the header.
    a, b = run(model, "--convention", "mmengine", "--json"), run(model, "--convention", "fvcore", "--json")
    assert json.loads(a.stdout)["conventions"] == json.loads(b.stdout)["conventions"]
    r = run("conventions", "--format", "csv")
    assert r.exit_code == 2 and "does not apply to conventions (use table, markdown, json)" in r.output


def test_the_cli_names_the_default_convention_as_the_profiles_do() -> None:
    from onnx_cost.cli.conventions import EXACT
    from onnx_cost.views.conventions import DEFAULT

    assert EXACT == DEFAULT
