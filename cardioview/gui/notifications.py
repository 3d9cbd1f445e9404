"""Non-modal messages: a line in the status bar plus a list the user can open later."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QStatusBar, QToolButton, QVBoxLayout, QWidget

MAX_MESSAGES = 200


class NotificationList(QWidget):
    """A popup listing recent warnings and errors, newest first."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Popup)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(1, 1, 1, 1)
        layout.addWidget(self.list)
        self.resize(520, 300)


class Notifier:
    """Shows each message in the status bar and keeps it in a list behind a status-bar button.

    Args:
        status_bar: where messages appear.
    """

    def __init__(self, status_bar: QStatusBar):
        self.status_bar = status_bar
        self.messages: list[str] = []
        self.popup = NotificationList(status_bar)
        self.button = QToolButton()
        self.button.setObjectName("notice")
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.button.setToolTip("Warnings and errors of this session")
        self.button.clicked.connect(self._show_popup)
        self.button.hide()
        status_bar.addPermanentWidget(self.button)

    def info(self, text: str, timeout_ms: int = 6000) -> None:
        self.status_bar.showMessage(text, timeout_ms)

    def warn(self, text: str) -> None:
        """A problem the user should know about; never blocks, never raises."""
        stamp = datetime.now().strftime("%H:%M:%S")
        self.messages.insert(0, f"{stamp}  {text}")
        del self.messages[MAX_MESSAGES:]
        self.popup.list.insertItem(0, QListWidgetItem(f"{stamp}  {text}"))
        while self.popup.list.count() > MAX_MESSAGES:
            self.popup.list.takeItem(self.popup.list.count() - 1)
        self.button.setText(f"⚠ {len(self.messages)}")
        self.button.show()
        self.status_bar.showMessage(f"⚠ {text}", 10000)

    def _show_popup(self) -> None:
        pos = self.button.mapToGlobal(self.button.rect().topRight())
        self.popup.move(pos.x() - self.popup.width(), pos.y() - self.popup.height())
        self.popup.show()
