"""views/_gc.paused_gc: the collector off while a view runs, and as it was after."""

from __future__ import annotations

import gc

import pytest

from onnx_cost.views._gc import paused_gc


@paused_gc
def _state(fail: bool = False) -> bool:
    if fail:
        raise ValueError("boom")
    return gc.isenabled()


def test_the_collector_is_off_inside_and_as_it_was_after():
    was = gc.isenabled()
    try:
        gc.enable()
        assert _state() is False and gc.isenabled()
        with pytest.raises(ValueError):
            _state(fail=True)
        assert gc.isenabled()  # back on after an exception too
        gc.disable()
        assert _state() is False and not gc.isenabled()  # left off when it was off
    finally:
        (gc.enable if was else gc.disable)()


def test_the_views_run_with_it():
    from onnx_cost.render.overlays import model_explorer, netron
    from onnx_cost.views.hardware import footprint, hardware_dict, roofline
    from onnx_cost.views.hardware.predict import predict

    for fn in (roofline, footprint, predict, hardware_dict, netron, model_explorer):
        assert fn.__wrapped__.__name__ == fn.__name__  # type: ignore[attr-defined]
