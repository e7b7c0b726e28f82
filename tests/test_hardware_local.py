"""--device local: measured once, cached by CPU model, said to be measured. The tests
inject a fake measurement and a temporary cache directory: nothing is timed here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from onnx_cost.runners.local import cache_dir, cpu_model, local_device
from onnx_cost.views.hardware import load_device

FAKE = {"gemm_flops": 5e10, "copy_bytes_per_s": 2e10, "memory_bytes": 8 * 2**30}


def test_measures_once_then_uses_the_cache(tmp_path: Path) -> None:
    calls = []

    def fake() -> dict[str, float]:
        calls.append(1)
        return dict(FAKE)

    d1 = local_device(cache=tmp_path, measure_fn=fake)
    d2 = local_device(cache=tmp_path, measure_fn=fake)
    assert len(calls) == 1
    assert d1.measured and d2.measured and d1.key == "local"
    assert d2.peaks["fp32"].value == 5e10 and d2.bandwidth is not None and d2.bandwidth.value == 2e10
    assert d2.capacity is not None and d2.capacity.value == 8 * 2**30
    assert "measured on this machine" in d2.peaks["fp32"].source
    (f,) = tmp_path.iterdir()
    data = json.loads(f.read_text())
    assert data["cpu"] == cpu_model() and data["measurement"] == FAKE


def test_refresh_and_damaged_cache(tmp_path: Path) -> None:
    calls = []

    def fake() -> dict[str, float]:
        calls.append(1)
        return dict(FAKE)

    local_device(cache=tmp_path, measure_fn=fake)
    (f,) = tmp_path.iterdir()
    f.write_text("{not json")
    local_device(cache=tmp_path, measure_fn=fake)
    local_device(cache=tmp_path, measure_fn=fake, refresh=True)
    assert len(calls) == 3


def test_xdg_cache_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "onnx-cost"


def test_load_device_local_without_onnxruntime_reads_the_numpy_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    local_device(measure_fn=lambda: dict(FAKE))  # fills the cache
    import onnx_cost.runners.calibrate as calibrate
    import onnx_cost.runners.local as local

    def boom() -> dict[str, float]:
        raise AssertionError("measured again")

    def no_ort() -> None:
        raise calibrate.CalibrationError("calibration needs onnxruntime")

    monkeypatch.setattr(local, "measure", boom)
    monkeypatch.setattr(calibrate, "_ort", no_ort)
    d = load_device("local")
    assert d.peaks["fp32"].value == 5e10 and d.efficiency is None


def test_load_device_local_reads_the_calibration(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    import onnx_cost.runners.calibrate as calibrate

    write_fake_calibration()

    def boom(*a: object, **k: object) -> None:
        raise AssertionError("calibrated again")

    monkeypatch.setattr(calibrate, "calibrate", boom)
    d = load_device("local")
    assert d.key == "local" and d.measured and d.efficiency is not None and d.efficiency.calibrated
    assert d.peaks["fp32"].value == 1e11 and d.efficiency.dispatch_s == 2e-6


def write_fake_calibration() -> Path:
    """A calibration file in the cache, from a synthetic fit: nothing timed."""
    from onnx_cost.runners.calibrate import cache_path, device_toml
    from onnx_cost.views.hardware.efficiency import Curve, Efficiency

    eff = Efficiency({"gemm": Curve(((1e6, 5e10), (1e9, 1e11))), "elementwise": Curve(((1e4, 1e9), (1e8, 1e10)))},
                     2e-6, 1e-5)
    info = {"date": "2026-01-01 00:00 UTC", "cpu": "fake", "threads": 2, "onnxruntime": "0", "spread": 0.05}
    p = cache_path()
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(device_toml(eff, {"fp32": 1e11, "bandwidth": 1e10}, info), encoding="utf-8")
    return p
