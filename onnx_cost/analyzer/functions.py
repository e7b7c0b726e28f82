"""Inline model-local functions, keeping the calling node as the scope.

onnx's own inliner renames body nodes with opaque suffixes, losing which call
they came from; ours names each inlined node ``<call name>/<body node name>``
and records the call in its metadata, so per-scope reports see the caller.
Bodies that hold subgraphs fall back on onnx's inliner.
"""

from __future__ import annotations

import onnx

from onnx_cost.errors import InvalidGraphError

MAX_DEPTH = 32  # nested function calls; deeper is treated as recursion
CALL_KEY = "onnx_cost.function_call"


def _key(domain: str, name: str, overload: str = "") -> tuple[str, str, str]:
    return (domain, name, overload)


def inline_functions(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy of ``model`` whose main-graph calls to local functions are inlined."""
    funcs = {_key(f.domain, f.name, getattr(f, "overload", "")): f for f in model.functions}
    subgraph = (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS)
    if any(a.type in subgraph for f in funcs.values() for n in f.node for a in n.attribute):
        from onnx import inliner

        return inliner.inline_local_functions(model)
    out = onnx.ModelProto()
    out.CopyFrom(model)
    del out.graph.node[:]
    counter = [0]
    out.graph.node.extend(_expand(list(model.graph.node), funcs, counter, 0))
    del out.functions[:]
    return out


def _expand(nodes: list[onnx.NodeProto], funcs: dict, counter: list[int], depth: int) -> list[onnx.NodeProto]:
    result: list[onnx.NodeProto] = []
    for n in nodes:
        f = funcs.get(_key(n.domain, n.op_type, getattr(n, "overload", "")))
        if f is None:
            result.append(n)
            continue
        if depth >= MAX_DEPTH:
            raise InvalidGraphError(f"function '{f.domain}::{f.name}' calls itself (nesting deeper than {MAX_DEPTH})")
        result.extend(_expand(_inline_call(n, f, counter), funcs, counter, depth + 1))
    return result


def _inline_call(call: onnx.NodeProto, f: onnx.FunctionProto, counter: list[int]) -> list[onnx.NodeProto]:
    counter[0] += 1
    label = call.name or f"{f.name}_{counter[0]}"
    rename: dict[str, str] = {}
    for formal, actual in zip(f.input, call.input):
        rename[formal] = actual
    for formal in list(f.input)[len(call.input) :]:
        rename[formal] = ""  # an optional input the call leaves out
    for formal, actual in zip(f.output, call.output):
        rename[formal] = actual
    call_attrs = {a.name: a for a in call.attribute}
    defaults = {a.name: a for a in f.attribute_proto}
    body: list[onnx.NodeProto] = []
    for k, bn in enumerate(f.node):
        nn = onnx.NodeProto()
        nn.CopyFrom(bn)
        nn.name = f"{label}/{bn.name or f'{bn.op_type}_{k}'}"
        del nn.input[:]
        del nn.output[:]
        nn.input.extend(_name(x, rename, label) for x in bn.input)
        nn.output.extend(_name(x, rename, label) for x in bn.output)
        attrs = []
        for a in bn.attribute:
            if a.ref_attr_name:
                src = call_attrs.get(a.ref_attr_name) or defaults.get(a.ref_attr_name)
                if src is None:
                    continue
                b = onnx.AttributeProto()
                b.CopyFrom(src)
                b.name = a.name
                attrs.append(b)
            else:
                attrs.append(a)
        del nn.attribute[:]
        nn.attribute.extend(attrs)
        nn.metadata_props.append(onnx.StringStringEntryProto(key=CALL_KEY, value=label))
        body.append(nn)
    return body


def _name(x: str, rename: dict[str, str], label: str) -> str:
    if not x:
        return ""
    if x in rename:
        return rename[x]
    return f"{label}/{x}"
