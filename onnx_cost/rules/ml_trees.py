"""Tree ensembles of ai.onnx.ml: TreeEnsembleClassifier, TreeEnsembleRegressor (opsets 1-3,
one list entry per node) and TreeEnsemble (opset 5, leaves apart, modes in a tensor).

The work of a tree depends on the path a row takes. Per tree we compute from the stored
structure the exact worst case (the deepest leaf: the most comparisons a row can take) and the
average over its leaves (``tree_depths``); the totals use the worst case, an upper bound.
"""

from __future__ import annotations

from collections import Counter
from statistics import fmean

from onnx_cost.rules._dims import text
from onnx_cost.rules._ml import ML, argmax, batch_dim, classifier_shapes, labels, post_transform, rows_features, seq
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError
from onnx_cost.rules.registry import rule, shape_of

LEAF = "LEAF"
AGGREGATES = {"0": "AVERAGE", "1": "SUM", "2": "MIN", "3": "MAX"}
MAX_NODES = 10_000_000  # a guard against a hostile attribute, far above any real forest


def _walk(children: dict[object, tuple[object, object] | None], root: object, where: str) -> list[int]:
    """Depths (branches on the path) of every leaf reachable from ``root``; a node is a leaf when
    ``children[node]`` is None. Iterative, and refuses cycles."""
    depths, stack, seen = [], [(root, 0)], 0
    while stack:
        node, d = stack.pop()
        seen += 1
        if seen > MAX_NODES or d > len(children):
            raise RuleError(f"{where}: the tree has a cycle or is too large")
        if node not in children:
            raise RuleError(f"{where}: node {node} is referenced but not defined")
        kids = children[node]
        if kids is None:
            depths.append(d)
        else:
            stack.extend((k, d + 1) for k in kids)
    return depths


def _legacy_trees(view: NodeView) -> dict[int, list[int]]:
    """Opsets 1-3: tree id -> leaf depths, from the nodes_* lists."""
    tids, nids = seq(view.attr("nodes_treeids")), seq(view.attr("nodes_nodeids"))
    modes = [text(m) for m in seq(view.attr("nodes_modes"))]
    true, false = seq(view.attr("nodes_truenodeids")), seq(view.attr("nodes_falsenodeids"))
    if not (len(tids) == len(nids) == len(modes) == len(true) == len(false)):
        raise RuleError(f"{view.op_type} '{view.name}': the nodes_* attributes have different lengths")
    trees: dict[int, dict[object, tuple[object, object] | None]] = {}
    targets: dict[int, set[object]] = {}
    for t, n, m, a, b in zip(tids, nids, modes, true, false):
        trees.setdefault(int(t), {})[int(n)] = None if m == LEAF else (int(a), int(b))
        if m != LEAF:
            targets.setdefault(int(t), set()).update((int(a), int(b)))
    out = {}
    for t, nodes in trees.items():
        roots = [n for n in nodes if n not in targets.get(t, set())]
        if len(roots) != 1:
            raise RuleError(f"{view.op_type} '{view.name}': tree {t} has {len(roots)} roots")
        out[t] = _walk(nodes, roots[0], f"{view.op_type} '{view.name}' tree {t}")
    return out


def _v5_trees(view: NodeView) -> dict[int, list[int]]:
    """Opset 5: tree index -> leaf depths, from tree_roots and the true/false leaf flags."""
    true, false = seq(view.attr("nodes_truenodeids")), seq(view.attr("nodes_falsenodeids"))
    tleaf, fleaf = seq(view.attr("nodes_trueleafs")), seq(view.attr("nodes_falseleafs"))
    if not (len(true) == len(false) == len(tleaf) == len(fleaf)):
        raise RuleError(f"TreeEnsemble '{view.name}': the nodes_* attributes have different lengths")
    children: dict[object, tuple[object, object] | None] = {}
    for i in range(len(true)):
        kids = (_child(true[i], tleaf[i]), _child(false[i], fleaf[i]))
        children[i] = kids
        for k in kids:
            if isinstance(k, tuple):
                children[k] = None
    where = f"TreeEnsemble '{view.name}'"
    return {t: _walk(children, int(r), f"{where} tree {t}") for t, r in enumerate(seq(view.attr("tree_roots")))}


def _child(index: object, leaf: object) -> object:
    """A child of an opset-5 node: a node index, or ("leaf", index) into the leaf arrays."""
    return ("leaf", int(index)) if leaf else int(index)  # type: ignore[call-overload]


def tree_depths(view: NodeView) -> list[tuple[int, float]]:
    """(worst case, average over leaves) of the comparisons per row, one pair per tree."""
    trees = _v5_trees(view) if view.op_type == "TreeEnsemble" else _legacy_trees(view)
    return [(max(d), fmean(d)) for _, d in sorted(trees.items())]


def _leaf_entries(view: NodeView, prefix: str) -> int:
    """Σ over trees of the most weights any one of its leaves adds (opsets 1-3)."""
    per_leaf = Counter(zip(seq(view.attr(f"{prefix}_treeids")), seq(view.attr(f"{prefix}_nodeids"))))
    most: dict[object, int] = {}
    for (t, _), k in per_leaf.items():
        most[t] = max(most.get(t, 0), k)
    return sum(most.values())


def _ensemble(view: NodeView, rows: int, targets: int, adds: int) -> Cost:
    """Walk every tree (worst case), add the leaf weights, aggregate, add base values."""
    compares = sum(w for w, _ in tree_depths(view))
    agg = text(view.attr("aggregate_function"))
    agg = AGGREGATES.get(agg, agg)  # opset 5 stores the enumeration's number
    cost = Cost(compare=rows * compares)
    cost += Cost(compare=rows * adds) if agg in ("MIN", "MAX") else Cost(arith=rows * adds)
    if agg == "AVERAGE":
        cost += Cost(arith=rows * targets)
    base = len(seq(view.attr("base_values"))) or len(seq(view.attr("base_values_as_tensor")))
    return cost + Cost(arith=rows * base)


@rule("TreeEnsembleRegressor", domain=ML)
def tree_ensemble_regressor(view: NodeView) -> Cost:
    """Per row: Σ over trees of the depth of its deepest leaf compares (the worst case; the average
    over leaves is the other bound, tree_depths); the weights of the reached leaves added into
    the T = n_targets outputs (per tree the most weights a leaf holds, as arith; as compare for
    aggregate MIN/MAX); AVERAGE + T divides; + 1 add per base value; post_transform on T.
    """
    n, _ = rows_features(view)
    if view.attr("n_targets") is None:  # optional in the schema, without a default: no output size
        raise RuleError(f"TreeEnsembleRegressor '{view.name}': attribute 'n_targets' is missing")
    t = int(view.attr("n_targets"))
    return _ensemble(view, n, t, _leaf_entries(view, "target")) + post_transform(view, n, t)


@rule("TreeEnsembleClassifier", domain=ML)
def tree_ensemble_classifier(view: NodeView) -> Cost:
    """Per row: Σ over trees of the deepest leaf's depth compares (worst case; the average over
    leaves is the other bound), the leaf class weights added into the E class scores (per tree the
    most a leaf holds, arith), + 1 add per base value; a binary model (one class id) fills the second
    score (1 − s or −s): + 1 arith; post_transform on the E' scores; label E' − 1 compares.
    """
    n, _ = rows_features(view)
    e = len(labels(view))
    binary = len(set(seq(view.attr("class_ids")))) == 1
    scores = max(e, 2) if binary else e
    cost = _ensemble(view, n, e, _leaf_entries(view, "class")) + Cost(arith=n if binary else 0)
    return cost + post_transform(view, n, scores) + argmax(n, scores)


@rule("TreeEnsemble", domain=ML)
def tree_ensemble(view: NodeView) -> Cost:
    """Per row: Σ over trees of the deepest leaf's depth compares (worst case; the average over
    leaves is the other bound), 1 leaf weight added per tree (arith; compare for MIN/MAX),
    AVERAGE + n_targets divides; post_transform on n_targets. A BRANCH_MEMBER node counts 1 compare.
    """
    n, _ = rows_features(view)
    if view.attr("n_targets") is None:  # optional in the schema, without a default: no output size
        raise RuleError(f"TreeEnsembleRegressor '{view.name}': attribute 'n_targets' is missing")
    t = int(view.attr("n_targets"))
    return _ensemble(view, n, t, len(seq(view.attr("tree_roots")))) + post_transform(view, n, t)


@shape_of("TreeEnsembleRegressor", "TreeEnsemble", domain=ML, first=True)
def _regressor_shape(view: NodeView) -> list:
    t = view.attr("n_targets")
    return [((batch_dim(view), int(t) if t is not None else None), "float32")]


@shape_of("TreeEnsembleClassifier", domain=ML, first=True)
def _classifier_shape(view: NodeView) -> list:
    e = len(labels(view))
    binary = len(set(seq(view.attr("class_ids")))) == 1
    return classifier_shapes(view, max(e, 2) if binary else e)
