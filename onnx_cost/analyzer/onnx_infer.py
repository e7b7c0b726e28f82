"""ONNX's own whole-graph shape inference, run on a weightless copy, as hints.

onnx's data propagation carries symbolic dims through Shape -> Gather ->
Concat -> Reshape chains ("batch" stays "batch"), which our per-node pass
cannot do with concrete values alone. Inference serializes the model, so it
gets a copy whose large initializers (and large Constant nodes) are replaced by
typed graph inputs of the same shape: no weight bytes are copied, and models
past protobuf's 2 GB limit still work.
"""

from __future__ import annotations

import os
import select
import signal
import time

import onnx
from onnx import helper, shape_inference

from onnx_cost.analyzer.values import SMALL
from onnx_cost.rules.registry import norm_domain

_GRAPH_TYPES = (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS)


def _numel(dims: object) -> int:
    n = 1
    for d in dims:  # type: ignore[attr-defined]  # a protobuf repeated field
        n *= d
    return n


def weightless_copy(model: onnx.ModelProto) -> onnx.ModelProto:
    """The model's graph without weight bytes, and without what onnx's C++ asserts or
    allocates on: big initializers and Constants become typed inputs (big integer ones
    with their rank only: data propagation would build vectors of their declared size),
    negative or absurd declared dims are unknown, and nodes whose attributes attrs.decode
    refuses are left out."""
    from onnx_cost.analyzer.attrs import decode

    g = model.graph
    copy = onnx.ModelProto()
    copy.ir_version = max(model.ir_version, 4)  # initializers need not be inputs
    copy.opset_import.extend(model.opset_import)
    opsets = {norm_domain(o.domain): o.version for o in model.opset_import}
    cg = copy.graph
    cg.name = g.name
    declared = {i.name for i in g.input}
    cg.input.extend(g.input)
    for t in g.initializer:
        small = t.data_location != onnx.TensorProto.EXTERNAL and _numel(t.dims) <= SMALL
        if small:
            cg.initializer.append(t)
        elif t.name not in declared:
            cg.input.append(_typed(t.name, t.data_type, list(t.dims)))
    for n in g.node:
        domain = norm_domain(n.domain)
        if decode(n, opsets.get(domain, 1), domain)[1]:
            continue  # malformed attributes: the node stays out of onnx's reach
        if n.op_type == "Einsum" and domain == "" and _bad_einsum(n):
            continue  # onnx's inference never returns on some malformed equations: leave it out
        if n.op_type == "Constant" and domain == "":
            big = next((a.t for a in n.attribute if a.name == "value" and _numel(a.t.dims) > SMALL), None)
            if big is not None:
                cg.input.append(_typed(n.output[0], big.data_type, list(big.dims)))
                continue
        cg.node.append(n)
    cg.output.extend(g.output)
    cg.value_info.extend(g.value_info)
    for v in (*cg.input, *cg.output, *cg.value_info):
        _sane(v)
    return copy


_FLOATS = frozenset({1, 10, 11, 14, 15, 16, 17, 18, 19, 20, 23, 24, 25})  # float, complex, bfloat and float8 codes


def _typed(name: str, elem_type: int, dims: list[int]) -> onnx.ValueInfoProto:
    if elem_type not in _FLOATS:  # an integer tensor past SMALL: no shape tensor, keep the rank only
        v = helper.make_tensor_value_info(name, elem_type, None)
        shape = v.type.tensor_type.shape
        for _ in dims:
            shape.dim.add()
        return v
    return helper.make_tensor_value_info(name, elem_type, dims)


def _sane(v: onnx.ValueInfoProto) -> None:
    """Declared dims onnx's C++ would trust: a negative one, or all of them past 2^48
    elements (load.MAX_NUMEL), become unknown."""
    if not v.type.HasField("tensor_type") or not v.type.tensor_type.HasField("shape"):
        return
    dims = v.type.tensor_type.shape.dim
    n = 1
    for d in dims:
        if d.HasField("dim_value"):
            if d.dim_value < 0:
                d.Clear()
            else:
                n *= d.dim_value
    if n > 2**48:
        for d in dims:
            d.Clear()


def _bad_einsum(n: onnx.NodeProto) -> bool:
    from onnx_cost.rules.matmul import einsum_equation_error

    eq = next((a.s.decode("utf-8", "replace") for a in n.attribute if a.name == "equation"), "")
    return einsum_equation_error(eq) is not None


def onnx_hints(model: onnx.ModelProto) -> tuple[dict[str, onnx.TypeProto], str]:
    """Tensor types onnx infers (with data propagation); ({}, why) when it fails.

    Where the OS can fork, onnx's C++ runs in a child process under a memory limit:
    an assertion (SIGABRT), a crash or an allocation blow-up inside it costs the
    hints, never the analysis. The child sends back only the inferred types. The
    weightless copy is made here, before the fork: its attribute decodings stay cached
    for our own pass."""
    try:
        copy = weightless_copy(model)
    except Exception as e:  # a graph the copy cannot take: our own pass still runs
        return {}, _why(e)
    if GUARD and hasattr(os, "fork"):
        return _guarded(copy)
    try:
        return _types(_infer(copy)), ""
    except Exception as e:  # onnx rejects the graph: our own pass still runs
        return {}, _why(e)


GUARD = True  # tests switch it off to see what onnx alone would do
CHILD_MEMORY = 2**30  # bytes the child may allocate beyond what it inherits
CHILD_SECONDS = 120.0  # then the child is killed and the hints dropped


def _infer(copy: onnx.ModelProto) -> onnx.GraphProto:
    """The inferred types of every tensor onnx reaches in a weightless copy, as a GraphProto
    holding value_info only."""
    inferred = shape_inference.infer_shapes(copy, check_type=False, strict_mode=False, data_prop=True)
    from onnx_cost.analyzer.subgraphs import all_graphs

    out = onnx.GraphProto()
    for g in all_graphs(inferred.graph):
        out.value_info.extend(g.value_info)
        out.value_info.extend(g.output)
    return out


def _types(g: onnx.GraphProto) -> dict[str, onnx.TypeProto]:
    hints: dict[str, onnx.TypeProto] = {}
    for v in g.value_info:
        hints.setdefault(v.name, v.type)
    return hints


def _why(e: BaseException) -> str:
    lines = str(e).strip().splitlines()
    return (lines[-1] if lines else type(e).__name__)[:200]


def _guarded(copy: onnx.ModelProto) -> tuple[dict[str, onnx.TypeProto], str]:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        _child(copy, w)
    os.close(w)
    chunks: list[bytes] = []
    deadline = time.monotonic() + CHILD_SECONDS
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([r], [], [], left)[0]:
                os.kill(pid, signal.SIGKILL)
                break
            chunk = os.read(r, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(r)
        _, status = os.waitpid(pid, 0)
    data = b"".join(chunks)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        what = "timed out" if sig == signal.SIGKILL and time.monotonic() >= deadline else f"killed by signal {sig}"
        return {}, f"onnx's inference {what}"
    if not data or data[:1] != b"G":
        return {}, data[1:].decode("utf-8", "replace")[:200] or "onnx's inference ended without a result"
    return _types(onnx.GraphProto.FromString(data[1:])), ""


def _child(copy: onnx.ModelProto, w: int) -> None:
    """Run onnx's inference, write b"G" + the inferred types (or b"E" + why) to ``w``, exit."""
    code = 0
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)  # onnx's C++ prints its assertions: not on our one-line stderr
        import faulthandler

        faulthandler.disable()  # nor Python's fault handler (pytest's, PYTHONFAULTHANDLER) its report
        _limit_memory()
        try:
            out = b"G" + _infer(copy).SerializeToString()
        except BaseException as e:
            out = b"E" + _why(e).encode("utf-8", "replace")
        view = memoryview(out)
        while view:
            view = view[os.write(w, view):]
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _limit_memory() -> None:
    import resource

    try:
        with open("/proc/self/statm") as f:
            inherited = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    want = inherited + CHILD_MEMORY
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    if soft == resource.RLIM_INFINITY or want < soft:
        resource.setrlimit(resource.RLIMIT_AS, (want, hard))
