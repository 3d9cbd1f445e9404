"""Re-create main_window.png: the NIH sample folder analysed, a cardiomegaly film with CTR calipers.

Usage (from the repository root, offscreen is fine; a temporary settings folder keeps yours out of it):
    CARDIOVIEW_CONFIG_DIR=$(mktemp -d) QT_QPA_PLATFORM=offscreen python resources/screenshots/make_main_window.py
Needs ../shared/data/nih1024; uses the shipped weights unless --weights is given.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from PySide6.QtCore import Qt  # noqa: E402

from cardioview.anatomy.cardiothoracic_ratio import Caliper  # noqa: E402
from cardioview.gui.app import SCREENSHOT_SIZE, create_application, predictor_factory, save_screenshot  # noqa: E402
from cardioview.gui.main_window import MainWindow  # noqa: E402
from cardioview.gui.state import CardiothoracicMeasurement  # noqa: E402
from cardioview.gui.study_tree import image_key  # noqa: E402

FOLDER = REPO.parent / "shared" / "data" / "nih1024" / "images"
IMAGE = FOLDER / "00000001_000.png"  # NIH label: cardiomegaly
# Read off this film by eye: widest cardiac silhouette and inner rib margins, in pixels.
HEART, THORAX = Caliper(360, 822, 662), Caliper(118, 906, 640)


def wait(app, condition, timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("screenshot step timed out")
        app.processEvents()
        time.sleep(0.01)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("main_window.png"))
    args = parser.parse_args()
    app = create_application()
    window = MainWindow(predictor_factory(args.weights))
    window.persist_opacity = False
    window.setWindowState(Qt.WindowState.WindowNoState)  # a screen smaller than 1480x900 opens it maximised
    window.resize(*SCREENSHOT_SIZE)
    window.show()
    wait(app, lambda: window.model_info is not None)
    done = {}
    window.folder_opened.connect(lambda n: done.setdefault("opened", n))
    window.batch_done.connect(lambda n, c: done.setdefault("batch", n))
    window.open_folder(FOLDER)
    wait(app, lambda: "opened" in done)
    window.analyse_all()
    wait(app, lambda: "batch" in done)
    window.browser.select(image_key(IMAGE))
    wait(app, lambda: window.state.current_key == image_key(IMAGE) and window.state.prediction() is not None)
    window.state.set_opacity(0.3)
    window.state.set_measurement(CardiothoracicMeasurement(HEART, THORAX))
    for _ in range(30):
        app.processEvents()
        time.sleep(0.01)
    print(save_screenshot(window, args.out))
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
