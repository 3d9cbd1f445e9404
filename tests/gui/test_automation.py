"""The scripted path: `cardioview gui PATH --screenshot FILE --quit-after` under offscreen Qt."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
from PIL import Image

from tests.gui.conftest import nih_png
from tests.helpers import child_env, run_cardioview, viewer_env


def test_screenshot_and_quit_after_exits_zero_and_writes_the_window(tmp_path, tiny_bundle):
    image = nih_png()
    shot = tmp_path / "shots" / "window.png"
    env = viewer_env(tmp_path)
    done = run_cardioview(
        "gui",
        image.parent,
        "--analyze-all",
        "--opacity",
        "0.4",
        "--weights",
        tiny_bundle,
        "--screenshot",
        shot,
        "--quit-after",
        env=env,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    picture = np.asarray(Image.open(shot).convert("RGB"))
    assert picture.shape[:2] == (920, 1480)
    assert picture.std() > 20  # a real window with an X-ray in it, not a blank grab
    # Every image of the folder was analysed and logged (by hash: PNGs have no UID).
    log = (tmp_path / "logs" / "audit.jsonl").read_text().splitlines()
    assert len(log) == len(list(image.parent.glob("*.png")))
    # A command-line opacity is for that session only.
    assert "opacity" not in (tmp_path / "config" / "cardioview.ini").read_text()


def test_bad_opacity_is_refused(tmp_path):
    env = viewer_env(tmp_path)
    for module in (["cardioview", "gui"], ["cardioview.gui.app"]):
        done = subprocess.run(
            [sys.executable, "-m", *module, "--opacity", "3", "--quit-after"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2 and "within 0..1" in done.stderr, (module, done.stderr[-500:])


def test_a_missing_path_exits_non_zero(tmp_path):
    env = viewer_env(tmp_path, CARDIOVIEW_WEIGHTS=str(tmp_path / "no_bundle_here"))
    done = run_cardioview("gui", tmp_path / "absent", "--quit-after", env=env, timeout=120)
    assert done.returncode == 1 and "no such file or folder" in done.stderr


def test_the_inference_backend_is_imported_in_the_worker_thread_not_before_the_window(tmp_path, tiny_bundle):
    script = (
        "import sys, threading, time\n"
        "importers = {}\n"
        "class Spy:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name in ('onnxruntime', 'torch'):\n"
        "            importers.setdefault(name, threading.current_thread().name)\n"
        "        return None\n"
        "sys.meta_path.insert(0, Spy())\n"
        "from cardioview.gui.app import create_application, predictor_factory\n"
        "from cardioview.gui.main_window import MainWindow\n"
        "app = create_application()\n"
        f"window = MainWindow(predictor_factory({str(tiny_bundle)!r}))\n"
        "window.show()\n"
        "print('at show:', sorted(importers))\n"
        "deadline = time.time() + 60\n"
        "while window.model_info is None and time.time() < deadline:\n"
        "    app.processEvents(); time.sleep(0.01)\n"
        "print('backend:', window.model_info.backend, 'imported in:', importers.get('onnxruntime'))\n"
        "window.shutdown()\n"
    )
    env = viewer_env(tmp_path)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "at show: []" in done.stdout  # building and showing the window imports no backend
    backend_line = next(line for line in done.stdout.splitlines() if line.startswith("backend:"))
    assert "onnxruntime" in backend_line and "MainThread" not in backend_line and "None" not in backend_line


def test_the_view_model_modules_run_without_qt():
    script = (
        "import sys\n"
        "sys.modules['PySide6'] = None  # any Qt import now fails\n"
        "import cardioview.gui.state, cardioview.gui.audit, cardioview.gui.display_window, cardioview.gui.study_tree\n"
        "print('ok')\n"
    )
    env = child_env()
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr[-2000:]


def test_an_unreadable_file_shows_its_error_takes_the_screenshot_and_quits(tmp_path, tiny_bundle):
    """empty, truncated and text files: no hang; the error is in the window and on stderr; exit 1."""
    from tests.gui.conftest import dicom_file

    truncated = tmp_path / "truncated_half.dcm"
    original = dicom_file("JPEG2000.dcm").read_bytes()
    truncated.write_bytes(original[: len(original) // 2])
    empty = tmp_path / "empty.dcm"
    empty.write_bytes(b"")
    notes = tmp_path / "notes.txt"
    notes.write_text("reading list\n")
    env = viewer_env(tmp_path)
    for bad in (empty, truncated, notes):
        shot = tmp_path / f"{bad.stem}.png"
        done = run_cardioview(
            "gui", bad, "--weights", tiny_bundle, "--screenshot", shot, "--quit-after", env=env, timeout=120
        )
        assert done.returncode == 1, (bad.name, done.stderr[-1500:])
        assert bad.name in done.stderr and "Traceback" not in done.stderr
        assert np.asarray(Image.open(shot).convert("RGB")).shape[:2] == (920, 1480)


def test_the_watchdog_ends_a_process_whose_threads_are_stuck():
    script = (
        "import threading, time\n"
        "from cardioview.gui.app import start_watchdog\n"
        "start_watchdog(0.5, 2, 'cardioview gui: gave up')\n"
        "time.sleep(120)\n"
    )  # the main thread blocked, as in a read that never returns
    env = child_env(QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "gave up" in done.stderr


def test_a_scripted_run_on_a_named_pipe_or_device_exits_1_with_the_reason(tmp_path):
    if not hasattr(os, "mkfifo"):
        import pytest

        pytest.skip("named pipes need a POSIX system")
    fifo = tmp_path / "x.dcm"
    os.mkfifo(fifo)  # no writer: opening it would block for ever
    (tmp_path / "zero.dcm").symlink_to("/dev/zero")
    env = viewer_env(tmp_path, CARDIOVIEW_SCRIPT_TIMEOUT_S="60")
    for path, kind in ((fifo, "named pipe"), (tmp_path / "zero.dcm", "character device")):
        done = run_cardioview("gui", path, "--quit-after", env=env, timeout=120)  # never hangs the suite
        assert done.returncode == 1 and kind in done.stderr and "gave up" not in done.stderr, done.stderr[-2000:]


def test_a_scripted_run_that_gives_up_exits_2(tmp_path):
    fifo_folder = tmp_path / "never"
    fifo_folder.mkdir()
    env = viewer_env(tmp_path, CARDIOVIEW_SCRIPT_TIMEOUT_S="0")
    done = run_cardioview("gui", fifo_folder, "--quit-after", env=env, timeout=120)
    assert done.returncode == 2 and "gave up after 0 s" in done.stderr, done.stderr[-2000:]
