"""Menus, toolbar and shortcuts of the main window, and the file dialogs they open."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QFileDialog,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QTextEdit,
    QToolButton,
)

from cardioview import __version__
from cardioview.gui.compare_actions import install_compare_actions
from cardioview.gui.export import free_target, report_stem
from cardioview.gui.pacs_actions import install_pacs_actions
from cardioview.gui.reading_actions import install_reading_actions, preset_shortcut
from cardioview.gui.tags_dialog import TagsDialog
from cardioview.render.report import unique_path

if TYPE_CHECKING:
    from cardioview.gui.main_window import MainWindow

IMAGE_FILTER = "Images (*.dcm *.dicom *.DCM *.png *.jpg *.jpeg *.tif *.tiff *.bmp);;All files (*)"


_TEXT_FIELDS = (QLineEdit, QAbstractSpinBox, QTextEdit, QPlainTextEdit)
_COMMAND_MODIFIERS = (
    Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.MetaModifier
)


class TextFieldShortcutGuard(QObject):
    """Keeps single-key viewer shortcuts (1, F, H, M, I...) out of text fields.

    Qt asks the focus widget first (ShortcutOverride); a spin box does not claim
    digits or letters, so "1" typed as a threshold would set 1:1 zoom. Accepting
    the override for a plain printable key while a text field has focus hands the
    key to the field; anywhere else, and for Ctrl/Alt chords, shortcuts fire as usual.
    """

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(QApplication.focusWidget(), _TEXT_FIELDS):
            if (
                obj is QApplication.focusWidget()
                and event.text().isprintable()
                and event.text()
                and not event.modifiers() & _COMMAND_MODIFIERS
            ):
                event.accept()
        return False


class WindowActions:
    """Creates every action of ``window`` and keeps their enabled state in step."""

    def __init__(self, window: MainWindow):
        self.w = window
        self._tags_dialog = None
        self.shortcut_guard = TextFieldShortcutGuard(window)
        QApplication.instance().installEventFilter(self.shortcut_guard)
        bar = window.menuBar()
        toolbar = window.addToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)

        file_menu = bar.addMenu("&File")
        self.open_file = self._action("Open image…", QKeySequence.StandardKey.Open, self.choose_file, file_menu)
        self.open_folder = self._action("Open folder…", "Ctrl+Shift+O", self.choose_folder, file_menu)
        self.recent_menu = file_menu.addMenu("Open recent")
        file_menu.addSeparator()
        self.export = self._action("Export report…", "Ctrl+E", self.choose_export, file_menu)
        self.export_all = self._action("Export all analysed…", "Ctrl+Shift+E", self.choose_export_all, file_menu)
        self.deidentify = self._action(
            "De-identify exported reports", None, self._set_deidentify, file_menu, checkable=True
        )
        self.deidentify.setChecked(window.settings.deidentify)
        file_menu.addSeparator()

        self.pacs = install_pacs_actions(self, file_menu)
        file_menu.addSeparator()
        quit_action = self._action("Quit", QKeySequence.StandardKey.Quit, window.close, file_menu)

        view = bar.addMenu("&View")
        self.fit = self._action("Fit to window", "F", window.canvas.fit, view)
        self.actual = self._action("Actual size (1:1)", "1", window.canvas.actual_size, view)
        self.invert = self._action("Invert grey scale", "I", window.canvas.set_invert, view, checkable=True)
        self.reset_view = self._action("Reset view (fit, default window, no invert)", "R", self._reset_view, view)
        self.window_menu = view.addMenu("Window / level")
        view.addSeparator()
        self.heat = self._action("Heat map", "H", self._toggle_heat, view, checkable=True)
        self.heat.setChecked(window.state.heatmap_visible)
        window.state.display_changed.connect(lambda: self.heat.setChecked(window.state.heatmap_visible))
        self.tags = self._action("DICOM tags…", "Ctrl+T", self.show_tags, view)
        view.addSeparator()
        self._action("Next image", "PgDown", lambda: window.browser.select_step(1), view)
        self._action("Previous image", "PgUp", lambda: window.browser.select_step(-1), view)

        analysis = bar.addMenu("&Analysis")
        self.analyse = self._action("Analyse all", "Ctrl+R", window.analyse_all, analysis)
        self.cancel = self._action("Cancel analysis", "Esc", window.cancel_batch, analysis)
        self.measure = self._action(
            "Measure cardiothoracic ratio", "M", lambda: window.panel.measure_button.toggle(), analysis
        )
        self.restore_calipers = self._action("Restore automatic calipers", "Shift+M", self._restore_calipers, analysis)
        self.comparison = install_compare_actions(self, analysis)  # issue 23: priors, compare, trend

        help_menu = bar.addMenu("&Help")
        self._action("About CardioView", None, self.about, help_menu)

        self.reading = install_reading_actions(self, file_menu, view, help_menu, quit_action)

        toolbar.addAction(self.open_folder)
        toolbar.addAction(self.open_file)
        toolbar.addSeparator()
        toolbar.addAction(self.analyse)
        toolbar.addSeparator()
        toolbar.addAction(self.fit)
        toolbar.addAction(self.actual)
        toolbar.addAction(self.invert)
        presets = QToolButton()
        presets.setText("Window ▾")
        presets.setMenu(self.window_menu)
        presets.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        toolbar.addWidget(presets)
        toolbar.addSeparator()
        toolbar.addAction(self.heat)
        toolbar.addAction(self.tags)
        toolbar.addSeparator()
        toolbar.addAction(self.export)

        window.browser.analyse_requested.connect(window.analyse_all)
        window.state.image_changed.connect(self._refresh_enabled)
        window.state.prediction_changed.connect(lambda _key: self._refresh_enabled())
        self.set_model_available(False)
        self.set_batch_running(False)
        self.refresh_recent()
        self.refresh_windows()

    def _action(self, text, shortcut, slot, menu, checkable: bool = False) -> QAction:
        action = QAction(text, self.w)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{text.rstrip('…')} ({keys})")
        action.setCheckable(checkable)
        (action.toggled if checkable else action.triggered).connect(slot)
        menu.addAction(action)
        return action

    # -- enabled state ---------------------------------------------------------
    def _refresh_enabled(self) -> None:
        has_image = self.w.state.current_xray is not None
        self.tags.setEnabled(has_image)
        self.export.setEnabled(has_image and self.w.state.prediction() is not None)
        self.export_all.setEnabled(bool(self.w.state.predictions))

    def set_model_available(self, available: bool) -> None:
        self.set_batch_running(self.w._batch_running)
        self._refresh_enabled()

    def set_batch_running(self, running: bool) -> None:
        """Analyse all (toolbar, menu and browser) works only with a model, images open and no batch running."""
        self.cancel.setEnabled(running)
        can_analyse = not running and self.w.model_info is not None and bool(self.w.browser.model.items)
        self.analyse.setEnabled(can_analyse)
        self.w.browser.analyse_button.setEnabled(can_analyse)

    def refresh_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.w.settings.recent_paths:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.w.open_path(p))
        self.recent_menu.setEnabled(bool(self.w.settings.recent_paths))

    def refresh_windows(self) -> None:
        """Rebuild the window/level menu from the current image's presets."""
        self.window_menu.clear()

        for index, preset in enumerate(self.w.canvas.presets):
            action = self.window_menu.addAction(preset.name)
            action.setShortcut(preset_shortcut(index) or QKeySequence())  # Ctrl+1..9 (issue 18)
            action.setStatusTip(f"Window/level preset: {preset.name}")
            action.triggered.connect(lambda _=False, p=preset: self.w.canvas.set_window(p))
        self.window_menu.setEnabled(bool(self.w.canvas.presets))

    # -- slots ---------------------------------------------------------------------
    def _reset_view(self) -> None:
        self.invert.setChecked(False)
        self.w.canvas.reset_view()

    def _restore_calipers(self) -> None:
        if not self.w.anatomy_view.restore_automatic():
            self.w.notifier.warn("This image has no automatic calipers (no CTR from the segmentation)")

    def _toggle_heat(self, visible: bool) -> None:
        self.w.state.set_heatmap_visible(visible)

    def _set_deidentify(self, on: bool) -> None:
        self.w.settings.deidentify = on

    def _start_dir(self) -> str:
        return self.w.settings.last_folder or str(Path.home())

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.w, "Open chest X-ray", self._start_dir(), IMAGE_FILTER)
        if path:
            self.w.open_path(path)

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self.w, "Open folder of studies", self._start_dir())
        if path:
            self.w.open_path(path)

    def choose_export(self) -> None:
        xray = self.w.state.current_xray
        if xray is None:
            return
        folder = self._export_dir()
        suggested = unique_path(folder, report_stem(xray, self.w.settings.deidentify))
        path, _ = QFileDialog.getSaveFileName(
            self.w,
            f"Export report — {self._deidentify_state()}",
            str(suggested),
            "PNG image (*.png)",
            options=QFileDialog.Option.DontConfirmOverwrite,
        )
        if not path:
            return
        chosen = Path(path).with_suffix(".png")
        target = free_target(chosen)
        if target != chosen:  # never overwritten; the user decides whether the next free name will do
            answer = QMessageBox.question(
                self.w,
                "Report exists",
                f"{chosen.name} already exists and will be kept.\n\nSave this report as {target.name} instead?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.w.settings.export_dir = str(target.parent)
        self.w.export_current(target)

    def _export_dir(self) -> Path:
        """Where export dialogs open: the last export folder, never the study folder (reports stay out of it)."""
        last = self.w.settings.export_dir
        if last and Path(last).is_dir():
            return Path(last)
        documents = Path.home() / "Documents"
        return documents if documents.is_dir() else Path.home()

    def _deidentify_state(self) -> str:
        return "de-identified (no patient details)" if self.w.settings.deidentify else "WITH patient details"

    def choose_export_all(self) -> None:
        start = str(self._export_dir())
        folder = QFileDialog.getExistingDirectory(
            self.w, f"Export all reports to (existing files are kept) — {self._deidentify_state()}", start
        )
        if folder:
            self.w.settings.export_dir = folder
            self.w.export_all(Path(folder))

    def show_tags(self) -> None:
        xray = self.w.state.current_xray
        if xray is not None:
            self._tags_dialog = TagsDialog(xray, self.w)
            self._tags_dialog.show()

    def about(self) -> None:
        QMessageBox.about(
            self.w,
            "About CardioView",
            f"<b>CardioView {__version__}</b><br>Cardiomegaly probability and attention map "
            "for frontal chest X-rays (DenseNet-121 + attention mapping mechanism).<br><br>"
            "Decision support only: the radiologist reads the image.",
        )


def build_menus(window: MainWindow) -> WindowActions:
    return WindowActions(window)
