"""Run by test_screen_fit.py in a child process whose offscreen screen has a given size.

``python -m tests.gui.screen_probe WIDTH HEIGHT STEP [SCREENSHOT_DIR]`` prints one JSON line:
the screen's free area, the main window's geometry and state, and for STEP "pacs" (a node saved) or
"pacs-new" (no node saved yet: the node editor open) the Open-from-PACS dialog's geometry and how many
result rows its table shows. STEP "remember:X,Y,W,H" gives the window that geometry and closes it, so the
settings (CARDIOVIEW_CONFIG_DIR) remember it. Under a real X server (QT_QPA_PLATFORM=xcb, e.g. xvfb-run with
a WIDTHxHEIGHT screen) the screen is the server's, for screenshots as a user sees them.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path


def _configure_screen(width: int, height: int) -> None:
    if os.environ.get("QT_QPA_PLATFORM") == "xcb":
        return  # the X server's screen (xvfb-run -s "-screen 0 WxHx24")
    screen = {
        "name": "probe",
        "x": 0,
        "y": 0,
        "width": width,
        "height": height,
        "logicalDpi": 96,
        "logicalBaseDpi": 96,
        "dpr": 1,
    }
    config = Path(tempfile.mkdtemp()) / "screen.json"
    config.write_text(
        json.dumps({"synchronousWindowSystemEvents": False, "windowFrameMargins": False, "screens": [screen]})
    )
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"


def _rect(r) -> list[int]:
    return [r.x(), r.y(), r.width(), r.height()]


def main(width: int, height: int, step: str, shots: str | None) -> dict:
    _configure_screen(width, height)
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QTableWidgetItem

    from cardioview.gui.app import create_application, save_screenshot
    from cardioview.gui.main_window import MainWindow

    app = create_application()
    window = MainWindow(None)
    window.show()
    for _ in range(5):
        app.processEvents()
    out = {
        "screen": _rect(app.primaryScreen().availableGeometry()),
        "window": _rect(window.frameGeometry()),
        "maximised": window.isMaximized(),
    }
    if shots:
        save_screenshot(window, Path(shots) / f"main_{width}x{height}.png")
    if step.startswith("remember:"):
        window.setWindowState(Qt.WindowState.WindowNoState)
        window.setGeometry(*(int(v) for v in step.split(":")[1].split(",")))
        app.processEvents()
        window.close()
    if step in ("pacs", "pacs-new"):
        from cardioview.gui.pacs_dialog import PacsDialog
        from cardioview.network.nodes import Node, NodeSettings, save_nodes

        if step == "pacs":
            save_nodes(NodeSettings(nodes=[Node(name="Orthanc", ae_title="ORTHANC", host="127.0.0.1", port=4242)]))
        dialog = PacsDialog(window)
        dialog.show()
        table = dialog.table
        table.setRowCount(12)
        for row in range(12):
            table.setItem(row, 0, QTableWidgetItem(f"study {row + 1}"))
        for _ in range(5):
            app.processEvents()
        out["dialog"] = _rect(dialog.frameGeometry())
        out["rows_shown"] = table.viewport().height() // max(1, table.rowHeight(0))
        out["node_editor_open"] = dialog.node_editor.isChecked()
        if shots:
            save_screenshot(dialog, Path(shots) / f"{step}_{width}x{height}.png")
        dialog.close()
    window.shutdown()
    QApplication.processEvents()
    return out


if __name__ == "__main__":
    w, h, step = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    print(json.dumps(main(w, h, step, sys.argv[4] if len(sys.argv) > 4 else None)))
