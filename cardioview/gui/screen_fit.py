"""Windows that fit the screen they open on (issue 18).

A 1480x900 first window on a 1366x768 laptop put the result panel, the title-bar buttons and
the status bar off screen; a geometry remembered on a large monitor did the same on a small
one. The first window takes the preferred size where the screen has room and opens maximised
where it has not. A remembered geometry is restored by Qt, which fits it into the current
screen's free area, but refuses it outright when the screen is over 25 % wider or narrower
than the one it was saved on: then the window is fitted as a first one. Dialogs are never
taller or wider than the screen's free area.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

#: The main window's size where the screen has room for it.
PREFERRED_SIZE = (1480, 900)
#: Room left for a window manager's title bar and borders around a dialog.
FRAME_ALLOWANCE = (16, 48)


def _maximise(window: QWidget, room: QRect, size: tuple[int, int]) -> None:
    """Maximised, with a normal geometry that fits ``room`` for when the user restores it."""
    width = min(size[0], room.width() - FRAME_ALLOWANCE[0])
    height = min(size[1], room.height() - FRAME_ALLOWANCE[1])
    window.setGeometry(
        QRect(room.x() + (room.width() - width) // 2, room.y() + (room.height() - height) // 2, width, height)
    )
    window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)


def fit_first_window(window: QWidget, preferred: tuple[int, int] = PREFERRED_SIZE) -> None:
    """The preferred size, centred, where the screen has room; maximised where it is smaller."""
    room = QGuiApplication.primaryScreen().availableGeometry()
    if room.width() < preferred[0] + FRAME_ALLOWANCE[0] or room.height() < preferred[1] + FRAME_ALLOWANCE[1]:
        _maximise(window, room, preferred)
        return
    window.resize(*preferred)
    window.move(room.x() + (room.width() - preferred[0]) // 2, room.y() + (room.height() - preferred[1]) // 2)


def fit_dialog(dialog: QWidget, size: tuple[int, int]) -> None:
    """Resize ``dialog`` to ``size``, or less where the screen's free area is smaller."""
    room = (dialog.parentWidget() or dialog).screen().availableGeometry()
    dialog.resize(min(size[0], room.width() - FRAME_ALLOWANCE[0]), min(size[1], room.height() - FRAME_ALLOWANCE[1]))
