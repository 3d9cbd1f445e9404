"""The scripted path: `cardioview gui PATH --screenshot FILE --quit-after` under offscreen Qt."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
from PIL import Image

from tests.gui.conftest import REPO_ROOT, nih_png


def test_screenshot_and_quit_after_exits_zero_and_writes_the_window(tmp_path, tiny_bundle):
    image = nih_png()
    shot = tmp_path / "shots" / "window.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO_ROOT),
               CARDIOVIEW_CONFIG_DIR=str(tmp_path / "config"), CARDIOVIEW_LOG_DIR=str(tmp_path / "logs"))
    done = subprocess.run(
        [sys.executable, "-m", "cardioview", "gui", str(image.parent), "--analyze-all", "--opacity", "0.4",
         "--weights", str(tiny_bundle), "--screenshot", str(shot), "--quit-after"],
        env=env, capture_output=True, text=True, timeout=240)
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
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO_ROOT),
               CARDIOVIEW_CONFIG_DIR=str(tmp_path / "config"), CARDIOVIEW_LOG_DIR=str(tmp_path / "logs"))
    for module in (["cardioview", "gui"], ["cardioview.gui.app"]):
        done = subprocess.run([sys.executable, "-m", *module, "--opacity", "3", "--quit-after"],
                              env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and "within 0..1" in done.stderr, (module, done.stderr[-500:])
