"""Device presets and device files: every figure sourced, the seeds' figures, each
validation error naming its field."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from onnx_cost.views.hardware import DeviceError, load_device, load_device_file, presets
from onnx_cost.views.hardware.devices import PRECISIONS

REQUIRED = {
    "p100", "t4", "hi3519av100", "a100-40gb", "a100-80gb", "h100-sxm", "h200", "l4",
    "rtx4090", "jetson-orin-nano", "jetson-agx-orin", "apple-m2", "rpi5",
}


def test_required_presets_exist() -> None:
    assert set(presets()) >= REQUIRED


@pytest.mark.parametrize("key", sorted(REQUIRED))
def test_every_figure_has_a_source(key: str) -> None:
    dev = presets()[key]
    figures = [*dev.peaks.values(), dev.bandwidth, dev.capacity, dev.cache]
    for f in figures:
        if f is not None:
            assert f.source.strip(), f"{key}: a figure without a source"
            # a year beside every figure: a datasheet/whitepaper name and its year
            assert any(str(y) in f.source for y in range(2015, 2027)) or "undated" in f.source, f"{key}: {f.source!r} names no year"
    # what is left out is said, not silently absent
    if dev.bandwidth is None:
        assert "bandwidth" in dev.not_found
    assert all(p in PRECISIONS for p in dev.peaks)


def test_sparse_only_figures_are_halved_and_say_so() -> None:
    h100 = presets()["h100-sxm"]
    # datasheet: FP16 Tensor Core 1,979 TFLOPS with sparsity -> 1979 / 2 = 989.5 dense
    assert h100.peaks["fp16"].value == 989.5e12
    assert "halved" in h100.peaks["fp16"].source
    l4 = presets()["l4"]
    # datasheet: INT8 485 TOPS with sparsity -> 242.5 dense
    assert l4.peaks["int8"].value == 242.5e12 and "halved" in l4.peaks["int8"].source


def test_seed_figures() -> None:
    # seed 004: P100 5.3 / 10.6 / 21.2 TFLOPS at FP64 / FP32 / FP16; T4 130 TOPS INT8, 260 INT4
    p100, t4, hi = presets()["p100"], presets()["t4"], presets()["hi3519av100"]
    assert [p100.peaks[p].value for p in ("fp64", "fp32", "fp16")] == [5.3e12, 10.6e12, 21.2e12]
    assert (t4.peaks["int8"].value, t4.peaks["int4"].value) == (130e12, 260e12)
    # seed 000: Hi3519AV100 1.7 TOPS, precision not stated
    assert hi.peaks["unspecified"].value == 1.7e12


def test_units() -> None:
    a100 = presets()["a100-40gb"]
    assert a100.bandwidth is not None and a100.bandwidth.value == 1555e9  # GB/s -> B/s
    assert a100.capacity is not None and a100.capacity.value == 40 * 2**30  # GB as printed -> 2^30
    assert a100.cache is not None and a100.cache.value == 40 * 2**20  # 40960 KB L2


@pytest.mark.parametrize("spec,key", [("h100", "h100-sxm"), ("H100_SXM", "h100-sxm"), ("T4", "t4"), ("rtx 4090", "rtx4090")])
def test_names_and_aliases(spec: str, key: str) -> None:
    assert load_device(spec).key == key


def test_unknown_preset_lists_presets() -> None:
    with pytest.raises(DeviceError, match=r"no such preset \(presets: .*t4"):
        load_device("tpu9000")


def _write(tmp_path: Path, text: str) -> str:
    p = tmp_path / "my_chip.toml"
    p.write_text(text)
    return str(p)


def test_user_file(tmp_path: Path) -> None:
    path = _write(tmp_path, 'name = "Chip"\n[peaks]\nfp32 = 2\nint8 = { value = 8, source = "mine" }\n[memory]\nbandwidth = 50\n')
    dev = load_device(path)
    assert dev.name == "Chip" and dev.key == path
    assert dev.peaks["fp32"].value == 2e12 and dev.peaks["int8"].source == "mine"
    assert dev.bandwidth is not None and dev.bandwidth.value == 50e9
    assert dev.capacity is None


@pytest.mark.parametrize(
    "text,field",
    [
        ('name = "C"\n[peaks]\nfp23 = 1\n', "peaks.fp23: unknown precision"),
        ('name = "C"\n[peaks]\nfp32 = "fast"\n', "peaks.fp32: expected a positive number"),
        ('name = "C"\n[peaks]\nfp32 = -1\n', "peaks.fp32: expected a positive number"),
        ('name = "C"\n[peaks]\nfp32 = { value = 0 }\n', "peaks.fp32.value: expected a positive number"),
        ('name = "C"\n[peaks]\nfp32 = { source = "x" }\n', "peaks.fp32.value: missing"),
        ('name = "C"\n[peaks]\nfp32 = { value = 1, unit = "T" }\n', "peaks.fp32.unit: unknown key"),
        ('name = "C"\n[peaks]\nfp32 = { value = 1, source = 3 }\n', "peaks.fp32.source: expected a string"),
        ('name = "C"\n', "peaks: missing"),
        ('[peaks]\nfp32 = 1\n', "name: missing"),
        ('name = ""\n[peaks]\nfp32 = 1\n', "name: missing"),
        ('name = "C"\nspeed = 1\n[peaks]\nfp32 = 1\n', "speed: unknown key"),
        ('name = "C"\n[peaks]\nfp32 = 1\n[memory]\nbw = 1\n', "memory.bw: unknown key"),
        ('name = "C"\n[peaks]\nfp32 = 1\n[memory]\nbandwidth = true\n', "memory.bandwidth: expected a positive number"),
        ('name = "C"\nmemory = 3\n[peaks]\nfp32 = 1\n', "memory: expected a table"),
        ('name = "C"\naliases = "c"\n[peaks]\nfp32 = 1\n', "aliases: expected a list"),
        ('name = "C"\n[peaks\n', "not valid TOML"),
    ],
)
def test_file_errors_name_the_field(tmp_path: Path, text: str, field: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(DeviceError) as e:
        load_device_file(path)
    assert field in str(e.value) and path in str(e.value)
    assert e.value.exit_code == 2


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DeviceError, match="cannot read the device file"):
        load_device(str(tmp_path / "nope.toml"))


def test_ridge_of_a_preset() -> None:
    t4 = presets()["t4"]
    # T4 fp32: 8.1e12 op/s / 320e9 B/s = 25.3125 op/B
    assert t4.bandwidth is not None
    assert math.isclose(t4.peaks["fp32"].value / t4.bandwidth.value, 25.3125)


def test_devices_lists_bytes_in_decimal_naming_the_vendors_binary_figure() -> None:
    """Review of issue 19, finding 15: one byte family on every screen. The A100 40GB preset
    holds 40 * 2^30 bytes of memory = 42.95 GB, and 40 * 2^20 bytes of L2 = 41.94 MB."""
    from typer.testing import CliRunner

    from onnx_cost.cli import app

    out = CliRunner().invoke(app, ["devices", "a100-40gb"], env={"COLUMNS": "200"}).output
    assert "capacity         42.95 GB    the vendor's 40 GiB (binary);" in out
    assert "cache            41.94 MB    the vendor's 40 MiB (binary);" in out
