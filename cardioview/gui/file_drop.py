"""Files and folders dropped on the main window open as if chosen from the File menu.

``FileDropMixin`` is a part of MainWindow (it calls the window's ``open_folder``/``open_files``); it must come
before QMainWindow among the window's bases, so that its event handlers are the ones Qt calls.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QDragEnterEvent, QDropEvent


class FileDropMixin:
    """Accepts drops of local files and folders: the first folder opens, else the files."""

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if not paths:
            self.notifier.warn("Only local files and folders can be dropped")
            return
        event.acceptProposedAction()
        folders = [p for p in paths if p.is_dir()]
        files = [p for p in paths if p.is_file()]
        if folders:
            self.open_folder(folders[0])
        elif files:
            self.open_files(files)
        for missing in (p for p in paths if not p.exists()):
            self.notifier.warn(f"{missing.name}: no such file or folder")
