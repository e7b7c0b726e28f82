"""The ``--format`` renderers this package gives the CLI (``cli.common.FORMATS``):
each is called as ``renderer(report, **options)`` with the options that apply."""

from __future__ import annotations

from typing import Any

from onnx_cost.model.report import Report

DEFAULT_TOP = 10


def table(
    report: Report,
    all_nodes: bool = False,
    top: int | None = None,
    sort: str | None = None,
    by: str | None = None,
    depth: int = 2,
    dynamic: Any = None,
) -> str:
    """``--format table``: the default report (``--sort`` by a count ranks its tables;
    ``dynamic``: the free dims' formulas), or the ``--by module|op|node`` table.
    ``--sort nodes|name|order`` without ``--by`` ranks the nodes (``--by node``)."""
    if by is None and sort in (None, "ops", "flops", "macs", "params", "bytes"):
        from onnx_cost.render.report import to_table

        return to_table(report, all_nodes=all_nodes, top=DEFAULT_TOP if top is None else top, sort=sort or "ops",
                        dynamic=dynamic)
    from onnx_cost.render.tables import by_table

    if all_nodes:
        top = None
    return by_table(report, by or "node", depth, top, sort, binding=_binding(dynamic))


def _binding(dynamic: Any) -> Any:
    """The default binding the analysis applied to free dims (symbolic.binding.Binding), or None."""
    if dynamic is None or not dynamic.free:
        return None
    from onnx_cost.symbolic.binding import Binding

    return Binding({}, tuple(dynamic.free), dict(dynamic.defaults))


def markdown(report: Report, top: int | None = None, sort: str | None = None, depth: int = 2,
             dynamic: Any = None) -> str:
    """``--format markdown``; ``dynamic``: the free dims, counted at the default binding."""
    from onnx_cost.render.markdown import to_markdown

    return to_markdown(report, depth=depth, top=DEFAULT_TOP if top is None else top, sort=sort,
                       binding=_binding(dynamic))


def html(report: Report, depth: int = 2, device: Any = None, dynamic: Any = None) -> str:
    """``--format html``; with ``--device`` (a preset name, a .toml file or a Device)
    the page adds the roofline chart; ``dynamic``: the free dims, counted at the default binding."""
    from onnx_cost.render.html import to_html

    roof = None
    if device is not None:
        from onnx_cost.views.hardware import load_device, roofline_dict

        dev = load_device(device) if isinstance(device, str) else device
        roof = roofline_dict(report, dev)
        from onnx_cost.views.hardware.predict import predict
        from onnx_cost.views.hardware.view import prediction_dict

        roof["latency"] = prediction_dict(predict(report, dev, depth=depth))  # floor, predicted, verdict
    return to_html(report, depth=depth, roofline=roof, binding=_binding(dynamic))
