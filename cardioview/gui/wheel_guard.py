"""The wheel scrolls the panel, never an unfocused control under the pointer.

Scrolling the result panel used to change the Scale box, the opacity slider or a spin box as they
passed under the pointer (and the new values were remembered). The usual Qt cure: such controls take
focus only by click or Tab (Qt.StrongFocus), and while they have no focus a filter hands their wheel
events to the enclosing scroll area, which scrolls instead. (Forwarded explicitly: Qt passes an ignored
wheel event up to the parents only for events from the window system, not for ones sent by code.)
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSlider, QAbstractSpinBox, QApplication, QComboBox, QWidget

GUARDED = (QComboBox, QAbstractSlider, QAbstractSpinBox)


class WheelGuard(QObject):
    """Event filter: a wheel event over an unfocused guarded control goes on to its parent."""

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Wheel and isinstance(obj, QWidget) and not _focused(obj):
            event.ignore()
            area = next((p for p in _parents(obj) if isinstance(p, QAbstractScrollArea)), None)
            if area is not None:
                QApplication.sendEvent(area.viewport(), event)  # accepted there: Qt stops passing it on
            return True  # never delivered to the control
        return super().eventFilter(obj, event)


def _focused(widget: QWidget) -> bool:
    """The control (or, for a spin box's line edit, its spin box) has keyboard focus."""
    return widget.hasFocus() or any(isinstance(p, GUARDED) and p.hasFocus() for p in _parents(widget))


def _parents(widget: QWidget):
    parent = widget.parentWidget()
    while parent is not None:
        yield parent
        parent = parent.parentWidget()


def guard_wheel(container: QWidget) -> WheelGuard:
    """Guard every combo box, slider and spin box inside ``container`` (a spin box's line edit too).

    Returns:
        The filter (parented to ``container``, so it lives as long as the controls).
    """
    guard = WheelGuard(container)
    for control in container.findChildren(QWidget):
        if isinstance(control, GUARDED):
            control.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            control.installEventFilter(guard)
            if isinstance(control, QAbstractSpinBox):  # not a combo's popup list: it scrolls when open
                control.lineEdit().installEventFilter(guard)
    return guard
