"""Starting the viewer: the QApplication, its look, the command-line options and scripted runs.

``cardioview gui [PATH] [--analyze-all] [--opacity X] [--screenshot FILE] [--quit-after]``
opens PATH, optionally analyses everything, shows the first image with its
heat map, saves a screenshot of the whole window and exits 0 with
``--quit-after``. Works under ``QT_QPA_PLATFORM=offscreen``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QObject, Qt, QTimer, qInstallMessageHandler
from PySide6.QtGui import QColor, QFontDatabase, QPalette
from PySide6.QtWidgets import QApplication

from cardioview.atomic import atomic_write_bytes
from cardioview.gui.audit import log_dir
from cardioview.gui.main_window import MainWindow
from cardioview.gui.options import add_gui_arguments
from cardioview.imaging.file_kind import not_regular_reason
from cardioview.library_output import route_library_output
from cardioview.resources import resources_dir

#: A scripted run that has not finished by then gives up with exit code 2
#: (CARDIOVIEW_SCRIPT_TIMEOUT_S overrides it, e.g. for CI).
SCRIPT_TIMEOUT_S = float(os.environ.get("CARDIOVIEW_SCRIPT_TIMEOUT_S", "300"))
#: After giving up, this long for the window and its threads to close before the process is ended anyway.
GIVE_UP_GRACE_S = 15.0


def start_watchdog(seconds: float, code: int, message: str) -> threading.Timer:
    """End the process with ``code`` after ``seconds`` unless cancelled, whatever the GUI thread is doing.

    A scripted run must exit when it gives up, even if the event loop or a worker thread is
    stuck in a read that never returns (a named pipe, a device): the timer thread prints
    ``message`` and calls os._exit.
    """

    def fire() -> None:
        print(message, file=sys.stderr, flush=True)
        os._exit(code)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    return timer


#: Window size for --screenshot runs.
SCREENSHOT_SIZE = (1480, 920)


def predictor_factory(weights: Path | None, backend: str = "auto", device: str = "auto") -> Callable:
    """A callable that builds the Predictor; called in the worker thread, so the
    backend import (onnxruntime / torch) and the model load never delay the window.

    Inference leaves one CPU core to the GUI thread (unless CARDIOVIEW_THREADS says otherwise),
    so analysing a folder never starves the interface.
    """
    os.environ.setdefault("CARDIOVIEW_THREADS", str(max(1, (os.cpu_count() or 2) - 1)))

    def build():
        from cardioview.inference.predictor import Predictor

        return Predictor(weights, backend=backend, device=device)

    return build


def _register_fonts() -> None:
    # Offscreen and minimal systems may have no fonts: use the ones the report renderer ships.
    fonts = Path(__file__).resolve().parent.parent / "render" / "fonts"
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        if (fonts / name).is_file():
            QFontDatabase.addApplicationFont(str(fonts / name))


def _dark_palette() -> QPalette:
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#16191e",
        QPalette.ColorRole.WindowText: "#d8dde6",
        QPalette.ColorRole.Base: "#12151a",
        QPalette.ColorRole.AlternateBase: "#151920",
        QPalette.ColorRole.Text: "#d8dde6",
        QPalette.ColorRole.Button: "#222833",
        QPalette.ColorRole.ButtonText: "#dfe4ec",
        QPalette.ColorRole.Highlight: "#2b3a55",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#232833",
        QPalette.ColorRole.ToolTipText: "#e8ecf2",
        QPalette.ColorRole.PlaceholderText: "#6f7888",
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    return palette


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication with CardioView's fonts, palette and style sheet (reused if one exists)."""
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("CardioView")
    app.setOrganizationName("CardioView")
    app.setStyle("Fusion")
    _register_fonts()
    app.setPalette(_dark_palette())

    style = resources_dir() / "style.qss"
    if style.is_file():
        app.setStyleSheet(style.read_text(encoding="utf-8"))
    return app


def save_screenshot(widget, path: Path) -> Path:
    """Grab ``widget`` and write it as PNG atomically.

    The file named on the command line is the user's explicit target, so an
    existing one is replaced (and the caller says so).
    """
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not widget.grab().save(buffer, "PNG"):
        raise OSError(f"{Path(path).name}: could not encode the screenshot")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_bytes(path, bytes(buffer.data()), overwrite=True)


class ScriptedRun(QObject):
    """Drives the window through open -> (analyse all) -> first image with result -> screenshot -> quit."""

    def __init__(self, window, args: argparse.Namespace, app: QApplication):
        super().__init__(window)
        self.window, self.args, self.app = window, args, app
        self.exit_code = 0
        self.phase = "open"
        self._flags: set[str] = set()
        self._deadline = time.monotonic() + SCRIPT_TIMEOUT_S
        self._settle_until = 0.0
        self._missing_path = False
        window.folder_opened.connect(lambda _n: self._flags.add("opened"))
        window.image_shown.connect(lambda _k: self._flags.add("opened"))
        window.batch_done.connect(lambda _n, _c: self._flags.add("batch"))
        # An unreadable file never emits image_shown: its error is on screen, so the run goes on.
        window.loader.failed.connect(self._on_load_failed)
        self._load_failed = False
        if window.worker is not None:
            window.worker.model_ready.connect(lambda _i: self._flags.add("model"))
            window.worker.model_failed.connect(lambda _r: self._flags.add("model"))
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self.watchdog: threading.Timer | None = None

    def start(self) -> None:
        self.watchdog = start_watchdog(
            SCRIPT_TIMEOUT_S + GIVE_UP_GRACE_S,
            2,
            f"cardioview gui: gave up after {SCRIPT_TIMEOUT_S:.0f} s (the window did not respond); exiting",
        )
        if self.args.path is not None:
            target = Path(self.args.path)
            self.window.open_path(target)
            if not target.exists():
                print(f"cardioview gui: {self.args.path}: no such file or folder", file=sys.stderr)
                self._missing_path = True
                self._flags.add("opened")
            elif not target.is_dir() and (reason := not_regular_reason(target)) is not None:
                # a named pipe or device is never opened: nothing will arrive, so do not wait for it
                print(f"cardioview gui: {self.args.path}: {reason}", file=sys.stderr)
                self._missing_path = True
                self._flags.add("opened")
        else:
            self._flags.add("opened")
        self._timer.start(50)

    def _on_load_failed(self, _request_id: int, _key: str, reason: str) -> None:
        if self.args.path is not None and Path(self.args.path).is_file():
            print(f"cardioview gui: {reason}", file=sys.stderr)
            self._load_failed = True
        self._flags.add("opened")

    def _tick(self) -> None:
        w = self.window
        if time.monotonic() > self._deadline:
            print(f"cardioview gui: gave up after {SCRIPT_TIMEOUT_S:.0f} s in step '{self.phase}'", file=sys.stderr)
            self._finish(2)
            return
        if self.phase == "open" and "opened" in self._flags:
            self.phase = "model"
        if self.phase == "model" and ("model" in self._flags or w.worker is None):
            if self.args.analyze_all and w.model_info is not None and w.browser.model.items:
                self.phase = "analyse"
                w.analyse_all()
            else:
                self.phase = "show"
        if self.phase == "analyse" and "batch" in self._flags:
            w.browser.select_first()
            self.phase = "show"
        if self.phase == "show" and self._shown():
            self.phase = "settle"
            self._settle_until = time.monotonic() + 0.3  # let queued paints land
        if self.phase == "settle" and time.monotonic() >= self._settle_until:
            self._timer.stop()
            self._screenshot_and_maybe_quit()

    def _shown(self) -> bool:
        w = self.window
        key = w.state.current_key
        if key is None or key in w.failed_keys:
            return True
        if w.state.current_xray is None:
            return False
        return w.model_info is None or w.state.prediction() is not None

    def _screenshot_and_maybe_quit(self) -> None:
        code = 1 if self._missing_path or self._load_failed else 0
        if self.args.screenshot is not None:
            try:
                existed = Path(self.args.screenshot).exists()
                path = save_screenshot(self.window, self.args.screenshot)
                print(f"screenshot {'replaced' if existed else 'written'}: {path}")
            except OSError as exc:
                print(f"cardioview gui: {exc}", file=sys.stderr)
                code = 1
        self.phase = "done"
        if self.args.quit_after:
            self._finish(code)
        else:
            self.exit_code = code

    def _finish(self, code: int) -> None:
        self._timer.stop()
        self.exit_code = code
        self.window.close()
        self.app.exit(code)


def _route_library_output() -> None:
    """Library warnings, codec and Qt messages to debug.log in the audit-log folder, not the terminal."""
    folder = log_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        route_library_output(folder / "debug.log")
    except OSError:
        route_library_output(None)
    qt_log = logging.getLogger("qt")
    qInstallMessageHandler(lambda _kind, _context, message: qt_log.info(message))


def run_gui(args: argparse.Namespace) -> int:
    """Open the viewer as ``args`` says and return the exit code (2: bad arguments)."""
    if args.opacity is not None and not 0.0 <= float(args.opacity) <= 1.0:
        print(f"cardioview gui: --opacity must be within 0..1, got {args.opacity}", file=sys.stderr)
        return 2

    _route_library_output()
    app = create_application()
    weights = getattr(args, "weights", None)
    factory = predictor_factory(
        Path(weights) if weights else None, getattr(args, "backend", "auto"), getattr(args, "device", "auto")
    )
    window = MainWindow(factory)
    if args.opacity is not None:
        window.persist_opacity = False  # a command-line value is for this session only
        window.state.set_opacity(float(args.opacity))
    if args.screenshot is not None:
        window.setWindowState(Qt.WindowState.WindowNoState)  # not maximised on a small screen: this size
        window.resize(*SCREENSHOT_SIZE)  # reproducible pictures, whatever geometry was remembered
    window.show()
    script = None
    if args.screenshot is not None or args.quit_after or args.analyze_all:
        script = ScriptedRun(window, args, app)
        QTimer.singleShot(0, script.start)
    elif args.path is not None:
        QTimer.singleShot(0, lambda: window.open_path(args.path))
    code = app.exec()
    if script is not None and script.phase != "done" and script.watchdog is not None:
        script.watchdog.cancel()  # gave up: a stuck worker must not keep the process alive
        start_watchdog(GIVE_UP_GRACE_S, code or 2, "cardioview gui: background work did not stop; exiting")
    window.shutdown()
    if script is not None and script.watchdog is not None:
        script.watchdog.cancel()
    return code or (script.exit_code if script is not None else 0)


def main(argv: list[str] | None = None) -> int:
    """``python -m cardioview.gui.app`` (the lead's CLI calls run_gui directly)."""
    parser = add_gui_arguments(argparse.ArgumentParser(prog="cardioview gui"))
    return run_gui(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
