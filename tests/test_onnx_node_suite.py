"""The ~1,900 node test cases shipped in the onnx wheel, run as a peer test.

Each case's model is analyzed twice: as shipped (graph inputs with symbolic
dims bound to the reference inputs' shapes), and "frozen", with its integer,
bool and scalar inputs turned into initializers of the case's values (axes,
sizes, Range bounds, flags: static in a deployed model). Neither may raise;
every graph output whose shape we infer fully must have the reference
output's shape; every default-domain node of the frozen model must end
counted or zero, but for the allow-list below. Other domains (ai.onnx.ml,
training, preview) are listed by the script, not checked.

Collected and analyzed once per module (about 15 s of CPU); the tests only
read the results. For the full per-op summary run the file as a script:
``.venv/bin/python tests/test_onnx_node_suite.py``.
"""

from __future__ import annotations

import traceback
import warnings
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import onnx_cost

# op_type -> (the one status its nodes may end in besides counted/zero, why). Empty: with the cases'
# integer, bool and scalar inputs frozen into initializers (see _frozen), no op of the default domain
# needs an excuse. An op whose count depends on a value only a run can give belongs here, with the reason.
ALLOWED: dict[str, tuple[str, str]] = {}

Shape = tuple[Any, ...]


@dataclass
class Outcome:
    name: str
    report: Any = None  # onnx_cost Report of the model as shipped, or None when analyze raised
    error: str = ""  # exception type, message and the traceback's last lines
    frozen: Any = None  # Report of the model with its int/bool/scalar inputs made initializers
    frozen_error: str = ""
    unbindable: bool = False  # a graph input is a sequence or optional: its element dims cannot be bound
    expected: tuple[Shape | None, ...] = ()  # reference output shapes (None: a sequence/optional)


def _shape(value: Any) -> Shape | None:
    """Shape of one reference value; None for sequences, optionals and the like."""
    if isinstance(value, (np.ndarray, np.generic)):
        return tuple(value.shape)
    if isinstance(value, onnx.TensorProto):
        return tuple(value.dims)
    return None


def _bindings(model: onnx.ModelProto, inputs: list[Any]) -> dict[str, Shape]:
    """Actual input shapes for the graph inputs declared with symbolic or unknown dims."""
    g = model.graph
    init = {t.name for t in g.initializer}
    out: dict[str, Shape] = {}
    for vi, arr in zip([i for i in g.input if i.name not in init], inputs):
        shape = _shape(arr)
        if shape is None or not vi.type.HasField("tensor_type"):
            continue
        tt = vi.type.tensor_type
        declared = list(tt.shape.dim) if tt.HasField("shape") else None
        partial = declared is None or any(not d.HasField("dim_value") for d in declared)
        if partial and (declared is None or len(declared) == len(shape)):
            out[vi.name] = shape
    return out


def _frozen(model: onnx.ModelProto, inputs: list[Any]) -> onnx.ModelProto:
    """The model with its integer, bool and scalar inputs turned into initializers of the case's values:
    axes, sizes, indices, flags and Range bounds then are static, as in a deployed model."""
    g = model.graph
    init = {t.name for t in g.initializer}
    values = {}
    for vi, arr in zip([i for i in g.input if i.name not in init], inputs):
        if isinstance(arr, np.generic):
            arr = np.asarray(arr)
        if isinstance(arr, np.ndarray) and (arr.ndim == 0 or arr.dtype.kind in "biu"):
            values[vi.name] = arr
    if not values:
        return model
    m = onnx.ModelProto()
    m.CopyFrom(model)
    keep = [i for i in m.graph.input if i.name not in values]
    del m.graph.input[:]
    m.graph.input.extend(keep)
    m.graph.initializer.extend(numpy_helper.from_array(v, n) for n, v in values.items())
    return m


def _analyze(model: onnx.ModelProto, inputs: list[Any]) -> tuple[Any, str]:
    """(report, "") or (None, the exception and its traceback's last lines)."""
    try:
        return onnx_cost.analyze(model, inputs=_bindings(model, inputs)), ""
    except Exception as e:  # any exception out of analyze is a core bug: collected, reported below
        tail = "".join(traceback.format_exception(e)[-3:]).strip()
        return None, f"{type(e).__name__}: {e}\n{tail}"


def _run(case: Any) -> Outcome:
    ins, outs = case.data_sets[0] if case.data_sets else ([], [])
    ins = list(ins)
    res = Outcome(case.name, expected=tuple(_shape(v) for v in outs))
    res.unbindable = any(not vi.type.HasField("tensor_type") for vi in _graph_inputs(case.model))
    res.report, res.error = _analyze(case.model, ins)
    frozen = _frozen(case.model, ins)
    if frozen is case.model:
        res.frozen, res.frozen_error = res.report, res.error
    else:
        kept = [a for vi, a in zip(_graph_inputs(case.model), ins) if vi.name in {i.name for i in frozen.graph.input}]
        res.frozen, res.frozen_error = _analyze(frozen, kept)
    return res


def _graph_inputs(model: onnx.ModelProto) -> list[onnx.ValueInfoProto]:
    init = {t.name for t in model.graph.initializer}
    return [i for i in model.graph.input if i.name not in init]


def collect() -> list[Outcome]:
    """Every node case of the installed onnx, analyzed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the case generators overflow casts on purpose
        from onnx.backend.test.case.node import collect_testcases

        cases = collect_testcases(None)
    return [_run(c) for c in cases]


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    return collect()


def _op_key(rec: Any) -> str:
    return f"{rec.domain}::{rec.op_type}" if rec.domain else rec.op_type


def crashes(outcomes: list[Outcome]) -> list[str]:
    out = [f"{o.name}: {o.error}" for o in outcomes if o.error]
    out += [f"{o.name} (inputs frozen): {o.frozen_error}" for o in outcomes if o.frozen_error and not o.error]
    return out


def not_counted(outcomes: list[Outcome], default_domain: bool = True) -> dict[str, dict[str, Any]]:
    """Op key -> {'statuses': status -> nodes, 'cases': case names, 'detail': one reason} of the nodes
    (of the default domain, or of the others) neither counted nor zero nor allow-listed, in the frozen models."""
    out: dict[str, dict[str, Any]] = defaultdict(lambda: {"cases": [], "statuses": defaultdict(int), "detail": ""})
    for o in outcomes:
        if o.frozen is None:
            continue
        for rec in o.frozen.nodes:
            if rec.status in ("counted", "zero") or (rec.domain == "") != default_domain:
                continue
            allowed = ALLOWED.get(rec.op_type) if not rec.domain else None
            if allowed is not None and rec.status == allowed[0]:
                continue
            if rec.status == "shape_unknown" and rec.missing and o.unbindable:
                continue  # asks for a symbolic dim of a sequence input, which only a caller can give
            entry = out[_op_key(rec)]
            entry["statuses"][rec.status] += 1
            entry["detail"] = entry["detail"] or rec.detail
            if o.name not in entry["cases"]:
                entry["cases"].append(o.name)
    return dict(out)


def shape_mismatches(outcomes: list[Outcome]) -> list[str]:
    """Graph outputs whose fully known inferred shape differs from the reference output's."""
    bad = []
    for o in outcomes:
        for tag, rep in (("", o.report), (" (inputs frozen)", o.frozen)):
            if rep is None or (tag and rep is o.report):
                continue
            for (name, _dt, got), want in zip(rep.model.outputs, o.expected):
                if want is None or got is None or not all(type(d) is int for d in got):
                    continue
                if tuple(got) != want:
                    bad.append(f"{o.name}{tag}: output '{name}' inferred {list(got)}, reference {list(want)}")
    return bad


def summary(table: dict[str, dict[str, Any]]) -> str:
    lines = []
    for op in sorted(table):
        e = table[op]
        st = ", ".join(f"{k} {v}" for k, v in sorted(e["statuses"].items()))
        more = f" (+{len(e['cases']) - 3} more)" if len(e["cases"]) > 3 else ""
        lines.append(f"  {op}: {st} nodes in {len(e['cases'])} cases, e.g. {', '.join(e['cases'][:3])}{more}")
        lines.append(f"      {e['detail'][:160]}")
    return "\n".join(lines)


def test_the_suite_is_there(outcomes: list[Outcome]) -> None:
    assert len(outcomes) > 1500  # the onnx wheel ships ~1,900 node cases


def test_analyze_never_raises(outcomes: list[Outcome]) -> None:
    bad = crashes(outcomes)
    if bad:
        pytest.fail(f"{len(bad)} cases raised out of analyze:\n" + "\n\n".join(bad), pytrace=False)


def test_output_shapes_match_the_reference(outcomes: list[Outcome]) -> None:
    bad = shape_mismatches(outcomes)
    if bad:
        pytest.fail(f"{len(bad)} inferred output shapes differ from the reference:\n" + "\n".join(bad), pytrace=False)


def test_every_node_is_counted_or_zero(outcomes: list[Outcome]) -> None:
    table = not_counted(outcomes)
    if table:
        pytest.fail(f"{len(table)} op types have nodes neither counted nor zero:\n" + summary(table), pytrace=False)


def test_the_allow_list_is_needed(outcomes: list[Outcome]) -> None:
    """Every allow-listed op still has a node that needs it (else the entry is stale)."""
    used = {
        rec.op_type
        for o in outcomes
        if o.frozen is not None
        for rec in o.frozen.nodes
        if not rec.domain and rec.op_type in ALLOWED and rec.status == ALLOWED[rec.op_type][0]
    }
    assert used == set(ALLOWED), f"allow-list entries no case needs: {sorted(set(ALLOWED) - used)}"


if __name__ == "__main__":  # the full summary, for a coverage check by hand
    import time

    t0 = time.time()
    res = collect()
    print(f"{len(res)} cases analyzed in {time.time() - t0:.1f} s")
    print(f"crashes: {len(crashes(res))}")
    for c in crashes(res):
        print(" ", c)
    print("shape mismatches:", *shape_mismatches(res), sep="\n  ")
    print("not counted (default domain):\n" + summary(not_counted(res)))
    print("not counted (other domains, not checked):\n" + summary(not_counted(res, default_domain=False)))
