"""The command-line side of the conventions: ``--convention NAME`` on the analysis and
the ``onnx-cost conventions`` subcommand. cli.py only calls into here."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import TYPE_CHECKING, Any

from onnx_cost.cli.common import emit, fail, guarded, pick_format
from onnx_cost.cli.options import CONVENTIONS_FORMATS, ConventionsFormatOpt, ConventionsJsonOpt, OutputOpt

if TYPE_CHECKING:
    import onnx

ALL = "all"
EXACT = "exact"  # views.conventions.DEFAULT, named here so the default table needs no import of the profiles
ALL_HEADER = "convention: all (one row per profile; `onnx-cost conventions` says what each counts)\n"


def results(report: Any, name: str, model: onnx.ModelProto | None, by_family: bool = True) -> list[Any]:
    """The results asked for: one profile, or every profile for ``all``."""
    from onnx_cost.views.conventions import DEFAULT, apply, apply_all, exact_result, get
    from onnx_cost.views.conventions.modes import string_attrs

    if name != ALL:
        try:
            get(name)
        except ValueError as e:
            fail(f"--convention: {e}")
    if name == DEFAULT:
        return [exact_result(report, by_family)]
    attrs = string_attrs(model) if model is not None else None
    return apply_all(report, attrs) if name == ALL else [apply(report, name, attrs)]


def decorate(report: Any, text: str, fmt: str, name: str, model: onnx.ModelProto | None) -> str:
    """The analysis output under convention ``name``: its header and totals in the table,
    Markdown and HTML (under the lines that name the model and state the binding its numbers
    are counted at, never above them), its object in JSON, its columns in CSV (docs/json.md)."""
    if name == EXACT and fmt in ("table", "markdown", "html"):
        return text  # the default convention needs no line above the report (docs/conventions.md)
    from onnx_cost.render.conventions import comparison_text, result_text

    res = results(report, name, model, by_family=fmt == "json")
    if fmt == "json":
        return _json(report, text, res, name)
    if fmt == "csv":
        return _csv(report, res, name)
    exact = name != ALL and res[0].profile.name == "exact"
    if exact and fmt in ("table", "markdown", "html"):
        return text  # the default convention needs no line above the report (docs/conventions.md)
    block = ALL_HEADER + comparison_text(report, res) if name == ALL else result_text(res[0])
    if fmt == "html":
        return _html(text, res, name, block)
    if fmt == "markdown":  # the heading and the Dims line, the block as code, then the sections
        head, body = _split(text, "\n## ")
        fence = "`" * max(3, 1 + max((len(r) for r in re.findall("`+", block)), default=0))  # op types: no way out
        out = head.rstrip("\n") + f"\n\n{fence}\n" + block.rstrip("\n") + f"\n{fence}\n"
        return out if name == ALL else out + "\nexact counts (docs/counting.md):\n\n" + body
    head, body = _split(text, "\n\n")  # the table: the model line and the binding's lines first
    out = head + "\n" + block
    return out if name == ALL else out + "exact counts (docs/counting.md):\n" + body


def _split(text: str, sep: str) -> tuple[str, str]:
    """``text`` cut after the line that ends before the first ``sep``: its head (the lines
    that name the model and state the binding) and the rest; all head when there is none."""
    at = text.find(sep)
    if at < 0:
        return text, ""
    return text[: at + 1], text[at + 1:].lstrip("\n")


def _html(text: str, res: list[Any], name: str, block: str) -> str:
    """The convention as a data block the page's script draws under its title and the line
    that states the binding (the page is drawn by the script: a paragraph in the HTML would
    come above them); its text is escaped as the report's data is (render.html.embed_json)."""
    from onnx_cost.render.conventions import header
    from onnx_cost.render.html import DATA_OPEN, embed_json

    line = ALL_HEADER.strip() if name == ALL else header(res[0])
    data = embed_json({"name": name if name == ALL else res[0].profile.name, "header": line,
                       "text": block.rstrip("\n")})
    tag = f'<script type="application/json" id="onnx-cost-convention">{data}</script>\n'
    at = text.find(DATA_OPEN)
    return text[:at] + tag + text[at:] if at >= 0 else text


def _json(report: Any, text: str, res: list[Any], name: str) -> str:
    from onnx_cost.render.report import to_dict
    from onnx_cost.views.conventions.views import register

    for r in res:
        if r.profile.name != "exact":
            report = register(report, r)
    # the renderer's dict, views registered above included: the free dims' formulas come from
    # report.dynamic, as the CLI hands the renderer (``text`` is not read again: no second parse)
    d = to_dict(report)
    d["convention"] = name
    # a profile's numbers are per node: with symbolic dims there are none (the totals are polynomials)
    d["conventions"] = [] if report.symbolic else [r.as_dict() for r in res]
    if name not in (ALL, "exact"):
        for node, (_rec, fam, vals) in zip(d["nodes"], res[0].nodes):
            node["convention"] = {"family": fam, **dict(zip(res[0].profile.columns, vals))}
    return json.dumps(d, separators=(",", ":")) + "\n"


def _csv(report: Any, res: list[Any], name: str) -> str:
    from onnx_cost.render.conventions import CSV_COLUMNS as EXTRA
    from onnx_cost.render.conventions import csv_cells
    from onnx_cost.render.report import CSV_COLUMNS
    from onnx_cost.render.report import csv_row as node_row

    buf = io.StringIO()
    if name == ALL:  # one row per profile
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(["convention", "macs", "flops", "params", "unsupported", "not_modelled", "partial"])
        for r in res:
            t = r.totals
            w.writerow([r.profile.name, t.get("macs", ""), t.get("flops", ""), r.params,
                        ";".join(sorted(r.unsupported)), ";".join(sorted(r.not_modelled)), int(r.partial)])  # fmt: skip
        return buf.getvalue()
    extra = csv_cells(res[0]) if res[0].nodes else None
    cols = (*CSV_COLUMNS, *EXTRA) if extra else (*CSV_COLUMNS, "convention")
    w2 = csv.DictWriter(buf, fieldnames=cols, lineterminator="\r\n")
    w2.writeheader()
    for i, rec in enumerate(report.nodes):
        row = node_row(rec)
        row.update(extra[i] if extra else {"convention": name})
        w2.writerow(row)
    return buf.getvalue()


def conventions(fmt: ConventionsFormatOpt = None, json_: ConventionsJsonOpt = False, output: OutputOpt = None) -> None:
    """What each counting convention (--convention NAME) counts, op family by op family,
    and the tool version its formulas were read from (docs/conventions.md)."""
    name = pick_format(fmt, False, json_, CONVENTIONS_FORMATS, "conventions")
    with guarded():
        from onnx_cost.render.conventions import conventions_markdown, conventions_text
        from onnx_cost.views.conventions import PROFILES
        from onnx_cost.views.conventions.families import FAMILIES

        profiles = list(PROFILES.values())
        if name == "json":
            text = json.dumps({"profiles": [_profile_json(p) for p in profiles], "families": FAMILIES}, indent=1) + "\n"
        elif name == "markdown":
            text = conventions_markdown(profiles)
        elif name == "table":
            text = conventions_text(profiles)
        else:
            fail(f"--format {name} does not apply to `conventions` (table, markdown or json)")
        emit(text, output)


def _profile_json(p: Any) -> dict[str, Any]:
    from onnx_cost.render.conventions import cell
    from onnx_cost.views.conventions.families import FAMILIES

    return {
        "name": p.name,
        "tool": p.tool,
        "summary": p.summary,
        "columns": list(p.columns),
        "params": p.params,
        "families": {f: cell(p, f) for f in FAMILIES},
        "notes": list(p.notes),
    }
