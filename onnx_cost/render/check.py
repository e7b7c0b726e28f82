"""A check's result as text (table), JSON (docs/json.md, "check"), Markdown for a pull
request, JUnit XML for any CI system, and GitHub Actions workflow commands.

Dim names come from the model and reach the reasons: every format escapes them
(``errors.printable`` for text, ``md_text`` for Markdown, ElementTree for XML, the
workflow-command escapes for GitHub).
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from onnx_cost.errors import printable
from onnx_cost.views.check.decide import FAIL, PASS, UNKNOWN, Check
from onnx_cost.views.check.expr import json_number, show_value

if TYPE_CHECKING:
    from onnx_cost.runners.check import Result

_MARK = {PASS: "✅", FAIL: "❌", UNKNOWN: "❔"}


def rel(path: str | None) -> str:
    """A path relative to the current folder (Markdown for a pull request: no home folders)."""
    if not path:
        return ""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return os.path.basename(path)


def _counts(res: Result) -> str:
    errs = [c for c in res.checks if c.level == "error"]
    warns = [c for c in res.checks if c.level == "warning"]
    parts = [f"{sum(c.verdict == v for c in errs)} {w}" for v, w in ((FAIL, "failed"), (UNKNOWN, "unknown"),
                                                                     (PASS, "passed"))]
    if warns:
        parts.append(f"{sum(c.verdict != PASS for c in warns)} of {len(warns)} warning(s) raised")
    return ", ".join(parts)


def _context(res: Result) -> list[str]:
    """What the verdict was decided under, one item each (plain text, names not escaped yet)."""
    out = [f"convention {res.convention}"]
    if res.dims:
        # "*": the default binding the analysis applies (batch=1), as diff and batch mark it
        out.append("dims " + ", ".join(f"{k}={v}{'*' if k in res.defaults else ''}" for k, v in res.dims.items()))
    if res.ranges:
        out.append("ranges " + ", ".join(f"{k}={a}:{b}" for k, (a, b) in res.ranges.items()))
    if res.free:
        out.append("free " + ", ".join(res.free))
    if res.device:
        out.append(f"device {res.device}")
    if res.latency:
        out.append(f"latency {res.latency}")
    if res.baseline:
        out.append(f"baseline {rel(res.baseline)}")
    if res.config:
        out.append(f"config {rel(res.config)}")
    return out


def _verdict_word(c: Check) -> str:
    if c.level == "warning" and c.verdict != PASS:
        return "warn" if c.verdict == FAIL else "warn?"
    return c.verdict


def to_table(res: Result) -> str:
    """One line per check, then the verdict."""
    lines = [f"onnx-cost check {printable(res.model, 200)}  ({printable('; '.join(_context(res)), 400)})"]
    for c in res.checks:
        lines.append(f"  {_verdict_word(c):7} {printable(c.name, 200)}: {printable(c.reason, 600)}")
    if not res.checks:
        lines.append("  no budgets given (--budget, --warn, --max-increase or a config file)")
    unk = " (allowed: --allow-unknown)" if res.allow_unknown and res.verdict == UNKNOWN else ""
    lines.append(f"verdict: {res.verdict.upper()}{unk}: {_counts(res)}")
    return "\n".join(lines) + "\n"


def check_dict(c: Check) -> dict[str, Any]:
    return {
        "metric": c.metric,
        "op": c.op,
        "limit": json_number(c.limit),
        "value": json_number(c.value),
        "baseline": json_number(c.baseline),
        "verdict": c.verdict,
        "reason": c.reason,
        "where": dict(c.where),
        "level": c.level,
        "kind": c.kind,
        "expression": c.text,
        "max_increase_percent": json_number(c.percent),
    }


def to_dict(res: Result) -> dict[str, Any]:
    return {
        "verdict": res.verdict,
        "exit_code": res.exit_code,
        "model": res.model,
        "convention": res.convention,
        "device": res.device,
        "latency_source": res.latency,
        "dims": dict(res.dims),
        "ranges": {k: [a, b] for k, (a, b) in res.ranges.items()},
        "free_dims": list(res.free),
        "default_binding": dict(res.defaults),
        "baseline": res.baseline,
        "allow_unknown": res.allow_unknown,
        "config": res.config or None,
        "checks": [check_dict(c) for c in res.checks],
    }


def to_json(res: Result) -> str:
    return json.dumps(to_dict(res), indent=2, ensure_ascii=False) + "\n"


def to_markdown(res: Result) -> str:
    """A one-line verdict, a table of the checks, the details folded (a pull-request comment)."""
    from onnx_cost.render.markdown import md_text

    name = md_text(rel(res.model))
    lines = [f"**{_MARK[res.verdict]} onnx-cost check: {res.verdict}** for {name}: {_counts(res)}", ""]
    lines += ["| verdict | check | value | limit | baseline | where |", "|---|---|---:|---:|---:|---|"]
    for c in res.checks:
        where = ", ".join(f"{k}={v}" for k, v in c.where.items()) or "-"
        mark = "⚠️ warn" if c.level == "warning" and c.verdict != PASS else f"{_MARK[c.verdict]} {c.verdict}"
        lines.append(f"| {mark} | {md_text(c.name)} | {show_value(c.value, c.metric)} | "
                     f"{show_value(c.limit, c.metric)} | {show_value(c.baseline, c.metric)} | {md_text(where)} |")
    lines += ["", "<details><summary>Details</summary>", ""]
    lines += [f"- **{md_text(c.name)}** ({c.verdict}): {md_text(c.reason, 1000)}" for c in res.checks]
    lines += ["", "Decided under: " + md_text("; ".join(_context(res)), 1000) + ".", "", "</details>", ""]
    return "\n".join(lines)


def to_junit(res: Result) -> str:
    """JUnit XML: one testcase per check; a failure element for each failed or unknown
    error-level one (unknown ones are ``skipped`` under --allow-unknown); a warning
    that fails is reported in ``system-out`` only."""
    import xml.etree.ElementTree as ET

    errs = [c for c in res.checks if c.level == "error"]
    failures = sum(c.verdict == FAIL or (c.verdict == UNKNOWN and not res.allow_unknown) for c in errs)
    skipped = sum(c.verdict == UNKNOWN and res.allow_unknown for c in errs)
    suites = ET.Element("testsuites", name="onnx-cost check", tests=str(len(res.checks)), failures=str(failures))
    suite = ET.SubElement(suites, "testsuite", name=f"onnx-cost check {printable(rel(res.model), 200)}",
                          tests=str(len(res.checks)), failures=str(failures), errors="0", skipped=str(skipped))
    props = ET.SubElement(suite, "properties")
    for item in _context(res):
        k, _, v = item.partition(" ")
        ET.SubElement(props, "property", name=k, value=printable(v, 400))
    for c in res.checks:
        tc = ET.SubElement(suite, "testcase", classname="onnx-cost.check", name=printable(c.name, 200))
        msg = printable(c.reason, 1000)
        if c.level == "warning":
            if c.verdict != PASS:
                ET.SubElement(tc, "system-out").text = f"warning ({c.verdict}): {msg}"
        elif c.verdict == FAIL or (c.verdict == UNKNOWN and not res.allow_unknown):
            f = ET.SubElement(tc, "failure", message=f"{c.verdict}: {msg}", type=c.verdict)
            f.text = msg
        elif c.verdict == UNKNOWN:
            ET.SubElement(tc, "skipped", message=f"unknown (allowed): {msg}")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


RENDER = {"table": to_table, "json": to_json, "markdown": to_markdown, "junit": to_junit}


def _gh_escape(text: str) -> str:
    """A workflow command's message: %, CR and LF escaped (GitHub's own rule)."""
    return printable(text, 1000).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def gh_annotations(res: Result) -> str:
    """One ``::error`` (a failed or unknown budget) or ``::warning`` (a warning, or an
    unknown allowed by --allow-unknown) line per check that did not pass."""
    out = []
    for c in res.checks:
        if c.verdict == PASS:
            continue
        error = c.level == "error" and (c.verdict == FAIL or not res.allow_unknown)
        kind = "error" if error else "warning"
        out.append(f"::{kind} title=onnx-cost check::{_gh_escape(f'{c.name}: {c.verdict}: {c.reason}')}")
    return "".join(line + "\n" for line in out)
