"""Re-create compare_with_prior.png and trend_view.png (issue 23) at 1366x768 on a real X server.

Usage (from the repository root; a temporary settings folder keeps yours out of it):
    CARDIOVIEW_CONFIG_DIR=$(mktemp -d) xvfb-run -s "-screen 0 1366x768x24" \
        python resources/screenshots/make_comparison.py
NIH patient 4342's three films (AP 2019, PA 2020, PA 2021; ../shared/data/nih-boxes) as dated DICOM studies,
analysed with the shipped weights and heart/lung segmenter. Writes into --out (default: this folder).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from PySide6.QtCore import Qt  # noqa: E402

from cardioview.gui.app import create_application, predictor_factory  # noqa: E402
from cardioview.gui.main_window import MainWindow  # noqa: E402
from cardioview.gui.study_tree import image_key  # noqa: E402
from tests.comparison_films import nih_patient_studies  # noqa: E402


def wait(app, condition, timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("screenshot step timed out")
        app.processEvents()
        time.sleep(0.01)


def settle(app, seconds: float = 0.5) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)


def screen(app):
    """The whole screen as the user sees it (1366x768 under the xvfb-run above)."""
    return app.primaryScreen().grabWindow(0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(Path(__file__).parent))
    out = Path(parser.parse_args().out)
    folder = Path(tempfile.mkdtemp())
    films = nih_patient_studies(folder / "patient", size=1024)
    app = create_application()
    window = MainWindow(predictor_factory(None))
    window.setWindowState(Qt.WindowState.WindowNoState)
    window.resize(1366, 768)
    window.show()
    wait(app, lambda: window.model_info is not None)
    window.open_folder(folder)
    wait(app, lambda: len(window.browser.image_items()) == 3)
    key = image_key(films[1])
    window.browser.select(key)
    wait(app, lambda: window.state.current_key == key and window.state.prediction() is not None)
    compare = window.actions_.comparison.compare_with_prior()
    compare.setGeometry(0, 0, 1366, 768)  # the whole screen (xvfb has no window manager to maximise it)
    wait(
        app,
        lambda: (
            compare.prior_pane.state.current_xray is not None and window.state.prediction(compare.prior.key) is not None
        ),
    )
    settle(app)
    compare.current_pane.canvas.fit()
    compare._sync_view(compare.current_pane, compare.prior_pane)
    settle(app)
    screen(app).save(str(out / "compare_with_prior.png"))
    compare.close()
    trend = window.actions_.comparison.show_trend()
    trend.setGeometry(0, 0, 1366, 768)
    wait(app, lambda: all(f.probability is not None for f in trend.points()))
    settle(app)
    screen(app).save(str(out / "trend_view.png"))
    window.close()


if __name__ == "__main__":
    main()
