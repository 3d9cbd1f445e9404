"""What a radiologist expects of any viewer (issue 18): a shortcut sheet (F1), full screen (F11),
printing the report (Ctrl+P), window presets on Ctrl+1..9 and frames of a multi-frame file (, and .).

The shortcut sheet is read from the window's own actions and shortcuts when it opens, so it
always lists the keys that work, never a copy that could drift from them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRect
from PySide6.QtGui import QAction, QImage, QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import QAbstractItemView, QDialog, QHeaderView, QTableWidget, QTableWidgetItem, QVBoxLayout

from cardioview.gui.screen_fit import fit_dialog

if TYPE_CHECKING:
    from PySide6.QtPrintSupport import QPrinter

    from cardioview.gui.main_window import MainWindow
    from cardioview.gui.menus import WindowActions

#: Keys of the window/level presets, in the order of the image's preset menu.
PRESET_KEYS = tuple(f"Ctrl+{n}" for n in range(1, 10))
#: What the mouse and the list do; not shortcuts, so not in any action.
POINTER_ROWS = (
    ("Wheel", "Zoom around the pointer (1.12x a notch)"),
    ("Left drag", "Pan the X-ray"),
    ("Right drag", "Window/level: right widens, up brightens"),
    ("Up / Down (in the list)", "Previous / next row of the study browser"),
)


def shortcut_rows(window: MainWindow) -> list[tuple[str, str]]:
    """(keys, what they do) for every action and shortcut of ``window`` that has a key, sorted by keys.

    An action says what it does by its status tip when it has one, else by its menu text.
    """
    rows: dict[tuple[str, str], None] = {}
    native = QKeySequence.SequenceFormat.NativeText
    for action in window.findChildren(QAction):
        for sequence in action.shortcuts():
            rows[(sequence.toString(native), action.statusTip() or action.text().replace("&", "").rstrip("…"))] = None
    for shortcut in window.findChildren(QShortcut):
        rows[(shortcut.key().toString(native), shortcut.whatsThis() or "(no description)")] = None
    return sorted((keys, text) for keys, text in rows if keys)


class ShortcutSheet(QDialog):
    """A table of every shortcut, read from the window's actions when it opens."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(window) + list(POINTER_ROWS)
        self.table = QTableWidget(len(rows), 2)
        self.table.setHorizontalHeaderLabels(["Keys", "Does"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for row, (keys, text) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(keys))
            self.table.setItem(row, 1, QTableWidgetItem(text))
        QVBoxLayout(self).addWidget(self.table)
        fit_dialog(self, (560, 640))


def print_report(window: MainWindow, printer: QPrinter) -> bool:
    """Paint the current image's report (as Ctrl+E would export it) on ``printer``, fitted to the page.

    Returns:
        False when there is nothing to print (no image, or not analysed yet) or the printer cannot start.
    """
    from cardioview.gui.export import build_item_report

    item = window.current_export_item()
    if item is None:
        window.notifier.warn("Nothing to print: open an image and wait for its analysis")
        return False
    report, _ = build_item_report(item, window.export_style())
    height, width = report.image.shape[:2]
    image = QImage(report.image.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
    # Audited like an export; the output is named by kind only (a PDF's file name may carry a patient's name).
    output = "pdf" if printer.outputFormat() == printer.OutputFormat.PdfFormat else "printer"
    painter = QPainter()
    if not painter.begin(printer):
        window.notifier.warn("The printer could not be started")
        window.audit.record("print", item.xray, item.prediction, outcome="failure", output=output)
        return False
    page = printer.pageLayout().paintRectPixels(printer.resolution())
    scale = min(page.width() / width, page.height() / height)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    painter.drawImage(QRect(0, 0, int(width * scale), int(height * scale)), image)
    painter.end()
    window.audit.record("print", item.xray, item.prediction, outcome="success", output=output)
    return True


class ReadingActions:
    """Adds the actions above to the window's menus (one call from menus.py)."""

    def __init__(self, actions: WindowActions, file_menu, view_menu, help_menu, before_quit: QAction):
        self.w = window = actions.w
        self.sheet: ShortcutSheet | None = None
        self._was_maximised = False
        self.print = actions._action("Print report…", QKeySequence.StandardKey.Print, self.choose_print, file_menu)
        file_menu.removeAction(self.print)
        file_menu.insertAction(before_quit, self.print)  # beside the exports, not after Quit
        self.full_screen = actions._action("Full screen", "F11", self.set_full_screen, view_menu, checkable=True)
        self.next_frame = actions._action("Next frame", ".", lambda: self.step_frame(1), view_menu)
        self.previous_frame = actions._action("Previous frame", ",", lambda: self.step_frame(-1), view_menu)
        self.shortcuts = actions._action("Keyboard shortcuts", "F1", self.show_shortcuts, help_menu)
        window.state.image_changed.connect(self._refresh_enabled)
        window.state.prediction_changed.connect(lambda _key: self._refresh_enabled())
        self._refresh_enabled()

    def _refresh_enabled(self) -> None:
        xray = self.w.state.current_xray
        self.print.setEnabled(xray is not None and self.w.state.prediction() is not None)
        frames = xray.frames if xray is not None else 1
        self.next_frame.setEnabled(xray is not None and xray.frame + 1 < frames)
        self.previous_frame.setEnabled(xray is not None and xray.frame > 0)

    def step_frame(self, step: int) -> None:
        xray = self.w.state.current_xray
        if xray is not None:
            self.w.show_frame(xray.frame + step)

    def set_full_screen(self, on: bool) -> None:
        if on:
            self._was_maximised = self.w.isMaximized()
            self.w.showFullScreen()
        elif self._was_maximised:
            self.w.showMaximized()
        else:
            self.w.showNormal()

    def show_shortcuts(self) -> None:
        self.sheet = ShortcutSheet(self.w)
        self.sheet.show()

    def choose_print(self) -> None:
        try:  # imported here: a build without Qt's print support still opens (and says why it cannot print)
            from PySide6.QtPrintSupport import QPrintDialog, QPrinter
        except ImportError as exc:
            self.w.notifier.warn(f"Printing is not available in this build ({exc})")
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self.w)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            print_report(self.w, printer)


def preset_shortcut(index: int) -> QKeySequence | None:
    """The key of the ``index``-th window/level preset (Ctrl+1..Ctrl+9), None past the ninth."""
    return QKeySequence(PRESET_KEYS[index]) if index < len(PRESET_KEYS) else None


def install_reading_actions(
    actions: WindowActions, file_menu, view_menu, help_menu, before_quit: QAction
) -> ReadingActions:
    return ReadingActions(actions, file_menu, view_menu, help_menu, before_quit)
