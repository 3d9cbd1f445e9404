"""The viewer fits the screen it opens on (issue 18): first window, remembered geometry, dialogs.

Each case runs the real window in a child process whose offscreen screen has a laptop's size
(Qt's offscreen platform takes the screen from a JSON config file), see screen_probe.py.
Set CARDIOVIEW_SCREENSHOT_DIR to keep the pictures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.gui.conftest import REPO_ROOT


def probe(tmp_path, width: int, height: int, step: str, config: str = "config") -> dict:
    env = dict(
        os.environ,
        PYTHONPATH=str(REPO_ROOT),
        CARDIOVIEW_CONFIG_DIR=str(tmp_path / config),
        CARDIOVIEW_LOG_DIR=str(tmp_path / "logs"),
        QT_LOGGING_RULES="qt.qpa.*=false;default.warning=false",
    )
    args = [sys.executable, "-m", "tests.gui.screen_probe", str(width), str(height), step]
    if os.environ.get("CARDIOVIEW_SCREENSHOT_DIR"):
        args.append(os.environ["CARDIOVIEW_SCREENSHOT_DIR"])
    done = subprocess.run(args, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def inside(rect, screen) -> bool:
    x, y, w, h = rect
    sx, sy, sw, sh = screen
    return x >= sx and y >= sy and x + w <= sx + sw and y + h <= sy + sh


@pytest.mark.parametrize("size", [(1280, 720), (1366, 768)])
def test_first_window_on_a_small_screen_opens_maximised_inside_it(tmp_path, size):
    result = probe(tmp_path, *size, "main")
    assert result["screen"] == [0, 0, *size]
    assert result["maximised"] and inside(result["window"], result["screen"])


def test_first_window_on_a_large_screen_takes_the_preferred_size_centred(tmp_path):
    result = probe(tmp_path, 1920, 1080, "main")
    assert not result["maximised"] and result["window"] == [220, 90, 1480, 900]


def test_geometry_remembered_on_a_large_screen_is_corrected_on_a_small_one(tmp_path):
    probe(tmp_path, 1920, 1080, "remember:400,150,1480,900")
    assert probe(tmp_path, 1920, 1080, "main")["window"] == [400, 150, 1480, 900]  # remembered as it was
    result = probe(tmp_path, 1366, 768, "main")  # Qt itself refuses it (screen 1.4x narrower): fitted afresh
    assert result["maximised"] and inside(result["window"], result["screen"])


def test_too_big_for_a_slightly_smaller_screen_fits_it(tmp_path):
    probe(tmp_path, 1600, 1000, "remember:60,40,1480,900")  # restored on 1366x768, too big there
    result = probe(tmp_path, 1366, 768, "main")
    assert inside(result["window"], result["screen"])


def test_window_remembered_off_the_side_of_a_smaller_screen_is_moved_back(tmp_path):
    probe(tmp_path, 1600, 900, "remember:650,300,900,420")
    result = probe(tmp_path, 1366, 768, "main")
    assert not result["maximised"] and inside(result["window"], result["screen"])
    assert result["window"][2:] == [900, 420]  # its size kept


@pytest.mark.parametrize("size", [(1280, 720), (1366, 768)])
@pytest.mark.parametrize("step", ["pacs", "pacs-new"])
def test_open_from_pacs_fits_and_shows_several_result_rows(tmp_path, size, step):
    """A node saved (its editor folded) or none yet ("pacs-new": the editor open beside the search form)."""
    result = probe(tmp_path, *size, step)
    assert result["node_editor_open"] == (step == "pacs-new")
    assert inside(result["dialog"], result["screen"])
    assert result["rows_shown"] >= 5
