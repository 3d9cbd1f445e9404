"""Fixtures for the Qt viewer tests: offscreen Qt, temporary settings and log folders,
a real (tiny, randomly initialised) predictor wrapped to count its calls, and
folders of real files from pydicom-data and ../shared/data/nih1024."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
NIH_IMAGES = REPO_ROOT.parent / "shared" / "data" / "nih1024" / "images"


def dicom_file(name: str) -> Path:
    data = pytest.importorskip("pydicom.data")
    try:
        return Path(data.get_testdata_file(name))
    except Exception:  # pydicom-data absent or the name unknown
        pytest.skip(f"pydicom test file {name} is not available (install pydicom-data)")


def nih_png(name: str = "00000001_000.png") -> Path:
    path = NIH_IMAGES / name
    if not path.is_file():
        pytest.skip(f"needs the NIH images at {NIH_IMAGES} (../shared/data beside the repo); absent here")
    return path


class CountingPredictor:
    """The real Predictor, counting its predict() calls (thread-safe) and which images they were for."""

    def __init__(self, predictor):
        self._predictor = predictor
        self._lock = threading.Lock()
        self.calls: list[str] = []

    def predict(self, xray):
        with self._lock:
            self.calls.append(Path(xray.source).name)
        return self._predictor.predict(xray)

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.calls)

    def __getattr__(self, name):
        return getattr(self._predictor, name)


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path, monkeypatch):
    """Settings and audit log go to a temporary folder, never the user's own."""
    monkeypatch.setenv("CARDIOVIEW_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("CARDIOVIEW_LOG_DIR", str(tmp_path / "logs"))
    return tmp_path


@pytest.fixture(scope="session")
def real_predictor(tiny_bundle):
    from cardioview.inference.predictor import Predictor

    return Predictor(tiny_bundle, backend="onnx", device="cpu", anatomy=False)  # the segmenter has its own tests


@pytest.fixture
def predictor(real_predictor) -> CountingPredictor:
    return CountingPredictor(real_predictor)


@pytest.fixture
def window(qtbot, predictor):
    """A shown main window whose model is loaded."""
    yield from shown_window(qtbot, predictor)


def shown_window(qtbot, predictor):
    """Generator for fixtures: the real main window at 1280x800 with ``predictor`` loaded; shut down after."""
    from PySide6.QtCore import Qt

    from cardioview.gui.app import create_application
    from cardioview.gui.main_window import MainWindow

    create_application()
    win = MainWindow(lambda: predictor)
    qtbot.addWidget(win)
    # The offscreen screen (800x800) is smaller than the preferred size, so a first window opens
    # maximised there (issue 18); these tests choose their own size.
    win.setWindowState(Qt.WindowState.WindowNoState)
    win.resize(1280, 800)
    win.show()
    qtbot.waitUntil(lambda: win.model_info is not None, timeout=30000)
    yield win
    win.shutdown()


@pytest.fixture
def study_folder(tmp_path) -> Path:
    """Real radiographs plus the kinds of bad input a clinical folder holds.

    chest CR (RG1), extremity CR (RG3), an NIH PNG, a DICOM whose pixel data is
    cut short (its header scans, its pixels do not load), a text file named
    .png (unreadable), and a note (not an image: skipped).
    """
    folder = tmp_path / "studies"
    folder.mkdir()
    shutil.copy(dicom_file("RG1_UNCR.dcm"), folder / "chest_cr.dcm")
    shutil.copy(dicom_file("RG3_UNCR.dcm"), folder / "hand_cr.dcm")
    shutil.copy(dicom_file("emri_small_jpeg_2k_lossless_too_short.dcm"), folder / "truncated.dcm")
    shutil.copy(nih_png(), folder / "nih_chest.png")
    (folder / "broken.png").write_text("this is not a PNG\n")
    (folder / "notes.txt").write_text("reading list\n")
    return folder


def open_folder_and_wait(qtbot, window, folder: Path) -> int:
    """Open ``folder``; returns the number of images the scan found."""
    with qtbot.waitSignal(window.folder_opened, timeout=30000) as opened:
        window.open_folder(folder)
    return opened.args[0]


def show_and_wait(qtbot, window, path: Path) -> str:
    """Select the image at ``path`` in the browser and wait until its result is drawn; returns its key."""
    from cardioview.gui.study_tree import image_key

    key = image_key(path)
    window.browser.select(key)
    qtbot.waitUntil(lambda: window.state.current_key == key and window.state.prediction() is not None, timeout=30000)
    return key
