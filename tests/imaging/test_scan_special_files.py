"""Named pipes, devices, sockets and odd links beside real images: never opened, each with a reason."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from pathlib import Path

import pytest

from cardioview.imaging import scan
from cardioview.imaging.file_kind import not_regular_reason
from cardioview.inputs import collect_inputs
from tests.dicom_factory import pydicom_file

SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"
pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")


def _in_thread(fn, *args, timeout: float = 60.0):
    """Run fn in a daemon thread; a hang fails the test instead of blocking the suite."""
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("value", fn(*args)), daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"{fn.__name__} hung on a special file"
    return box["value"]


@pytest.fixture
def special_folder(tmp_path) -> Path:
    root = tmp_path / "incoming"
    root.mkdir()
    shutil.copy(pydicom_file("RG1_UNCR.dcm"), root / "chest.dcm")
    shutil.copy(SAMPLES / "nih_00000001_000_cardiomegaly.png", root / "film.png")
    os.mkfifo(root / "x.dcm")  # a writer-less pipe: open() blocks forever
    (root / "zero.dcm").symlink_to("/dev/zero")  # reading never ends
    (root / "null.png").symlink_to("/dev/null")
    (root / "linked.png").symlink_to(root / "film.png")  # a link to a regular file: followed
    (root / "dangling.dcm").symlink_to(root / "gone.dcm")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(root / "s.dcm"))
    except OSError:  # path too long for AF_UNIX on some systems
        pass
    yield root
    sock.close()


def test_scan_skips_every_special_file_with_a_reason(special_folder):
    index = _in_thread(scan, special_folder)
    indexed = {e.path.name for p in index.patients for st in p.studies for se in st.series for e in se.images}
    assert indexed == {"chest.dcm", "film.png", "linked.png"}
    reasons = {e.path.name: e.reason for e in index.errors}
    assert "named pipe (FIFO)" in reasons["x.dcm"]
    assert "character device reached through a symbolic link" in reasons["zero.dcm"]
    assert "character device" in reasons["null.png"]
    assert reasons["dangling.dcm"] == "a broken symbolic link: skipped"
    if (special_folder / "s.dcm").exists():
        assert "socket" in reasons["s.dcm"]
    assert all("skipped" in r for r in reasons.values())


def test_input_collection_never_opens_special_files(special_folder):
    inputs = _in_thread(collect_inputs, [special_folder, special_folder / "x.dcm", special_folder / "zero.dcm"])
    # linked.png is another name of film.png: every name gets its row (issue 21)
    assert sorted(p.name for p in inputs.files) == ["chest.dcm", "film.png", "linked.png"]
    rejected = {p.name: reason for p, reason in inputs.rejected}
    assert {"x.dcm", "zero.dcm", "null.png", "dangling.dcm"} <= set(rejected)
    assert "named pipe" in rejected["x.dcm"] and "character device" in rejected["zero.dcm"]


def test_reason_for_regular_files_and_folders(special_folder):
    assert not_regular_reason(special_folder / "chest.dcm") is None
    assert not_regular_reason(special_folder / "linked.png") is None
    assert "a folder" in not_regular_reason(special_folder)
    assert "longer than this system allows" in not_regular_reason(special_folder / ("n" * 300 + ".dcm"))
