"""The bundle's self-test, run from source on a real (tiny, random) ONNX-only weights bundle.

The frozen build itself is checked by packaging/test_bundle.sh, not here.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from cardioview.frozen import install_safe_streams, route
from cardioview.resources import resources_dir
from cardioview.selftest import runner as selftest
from cardioview.selftest.checks import Checks, NetworkGuard

pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def onnx_only_bundle(tiny_bundle, tmp_path_factory) -> Path:
    """What the clinical bundle ships: manifest.json and model.onnx, no safetensors."""
    root = tmp_path_factory.mktemp("shipped") / "cxa_onnx_only"
    root.mkdir()
    for name in ("manifest.json", "model.onnx"):
        shutil.copy2(tiny_bundle / name, root / name)
    return root


@pytest.fixture(scope="module")
def full_run(onnx_only_bundle, tmp_path_factory):
    """One complete self-test (main window included), shared by the tests that read its results."""
    out = tmp_path_factory.mktemp("selftest_out")
    lines: list[str] = []
    results = selftest.run_selftest(onnx_only_bundle, out_dir=out, device="cpu", gui=None, emit=lines.append)
    return results, lines, out


def test_every_check_passes_on_an_onnx_only_bundle(full_run):
    results, lines, _ = full_run
    assert [c.status for c in results] == ["PASS"] * len(results), "\n".join(lines)
    names = [c.name for c in results]
    assert names == [
        "weights",
        "decoders",
        "segmenter",
        *(i.label for i in selftest.INPUTS),
        "gui",
        "qt binding",
        "network",
    ]
    assert lines == [c.line for c in results]  # one printed line per check
    weights = results[0].detail
    assert "onnxruntime CPU" in weights and "files: model.onnx" in weights and "safetensors" not in weights


def test_qt_binding_check_measures_none_refcount(full_run):
    """issue 18: the bundle's self-test makes 20,000 None-returning Qt calls and reports None's count."""
    import sys

    detail = {c.name: c for c in full_run[0]}["qt binding"].detail
    assert "None refcount" in detail and "20,004 None-returning Qt calls" in detail
    if sys.version_info < (3, 12):
        before, after = (int(n) for n in detail.split("None refcount ")[1].split(" after")[0].split(" -> "))
        assert abs(after - before) <= 8


def test_compressed_inputs_match_the_uncompressed_sample(full_run):
    results, _, _ = full_run
    by_name = {c.name: c for c in results}
    for label in ("JPEG 2000 DICOM", "JPEG-LS DICOM", "JPEG lossless DICOM"):
        assert "identical to the uncompressed sample" in by_name[label].detail
    assert "pylibjpeg, gdcm, pillow" in by_name["decoders"].detail


def test_reports_and_screenshot_are_written_and_readable(full_run):
    from cardioview.render.report import read_report_metadata

    _, _, out = full_run
    reports = sorted(out.glob("selftest_rg1_*.png")) + sorted(out.glob("selftest_nih_*.png"))
    assert len(reports) == 5
    for report in reports:
        metadata = read_report_metadata(report)
        assert metadata["deidentified"] is True
        assert 0.0 <= metadata["prediction"]["probability"] <= 1.0
    assert (out / "selftest_main_window.png").stat().st_size > 10_000


def test_selftest_inputs_ship_in_resources():
    for item in selftest.INPUTS:
        assert (resources_dir() / item.relative).is_file(), item.relative
    for relative in selftest.DECODER_PLUGINS:
        assert 100_000 < (resources_dir() / relative).stat().st_size < 400_000


def test_a_corrupt_input_fails_its_checks(onnx_only_bundle, tmp_path):
    resources = tmp_path / "resources"
    shutil.copytree(resources_dir() / "samples", resources / "samples")
    shutil.copytree(resources_dir() / "selftest", resources / "selftest")
    broken = resources / "selftest" / "rg1_cr_jpegls_lossless.dcm"
    broken.write_bytes(broken.read_bytes()[:60_000])  # truncated mid-frame
    lines: list[str] = []
    checks = Checks(lines.append)
    selftest._check_decoders(checks, resources)
    jpegls = next(i for i in selftest.INPUTS if i.label == "JPEG-LS DICOM")
    predictor = selftest._check_weights(checks, onnx_only_bundle, "cpu")
    selftest._check_input(checks, jpegls, resources, predictor, tmp_path, reference=None)
    assert [(c.name, c.status) for c in checks.results] == [
        ("decoders", "FAIL"),
        ("weights", "PASS"),
        ("JPEG-LS DICOM", "FAIL"),
    ]
    assert all("rg1_cr_jpegls_lossless.dcm" in c.detail for c in checks.results if c.status == "FAIL")
    assert not list(tmp_path.glob("*.png"))  # no report for a failed input


def test_missing_weights_exit_non_zero_with_the_reason(tmp_path, capsys):
    code = selftest.main(["--weights", str(tmp_path / "nowhere"), "--no-gui", "--out", str(tmp_path / "out")])
    printed = capsys.readouterr().out.splitlines()
    assert code == 1
    assert printed[0].startswith("FAIL weights:") and "not a weights bundle" in printed[0]
    assert printed[-1].startswith("self-test FAILED")
    assert (tmp_path / "out" / "selftest.txt").read_text(encoding="utf-8").splitlines() == printed


def test_network_guard_refuses_and_counts_connections_then_restores():
    original = socket.create_connection
    with NetworkGuard() as guard:
        with pytest.raises(OSError, match="network access refused"):
            socket.create_connection(("192.0.2.1", 80), timeout=0.1)
        with pytest.raises(OSError, match="network access refused"):
            socket.getaddrinfo("example.org", 443)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(OSError):
            sock.connect(("192.0.2.1", 80))
    assert len(guard.attempts) == 3
    assert socket.create_connection is original


def test_frozen_entry_routes_arguments_to_the_cli():
    assert route([]) == ["gui"]
    assert route(["/data/chest.dcm"]) == ["gui", "/data/chest.dcm"]
    assert route(["predict", "x.png", "--out", "o"]) == ["predict", "x.png", "--out", "o"]
    assert route(["--version"]) == ["--version"]


def test_safe_streams_replace_missing_ones(monkeypatch):
    monkeypatch.setattr("sys.stdout", None)
    monkeypatch.setattr("sys.stderr", None)
    install_safe_streams()
    import sys

    print("goes nowhere, raises nothing")
    sys.stderr.write("neither does this\n")
    assert sys.stdout is not None and sys.stderr is not None
    sys.stdout.close()
    sys.stderr.close()
