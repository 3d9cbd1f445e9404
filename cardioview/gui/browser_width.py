"""File names whole in the study browser when the window has room (issue 18).

The browser pane kept 330 px at any window size, so names were cut short even at 1920x1080.
After a folder opens, its splitter pane widens until the widest name fits, as far as the X-ray
keeps its room; a narrow window still elides (with the whole name in the tooltip).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QSplitter

if TYPE_CHECKING:
    from cardioview.gui.study_browser import StudyBrowser

#: Room a name cell needs besides indentation, thumbnail and text (margins, icon-text gap: 17 px in Fusion).
NAME_PADDING = 18
#: The X-ray never gets narrower than this for the sake of the names.
KEEP_FOR_CANVAS = 560


def widest_name(browser: StudyBrowser) -> int:
    """Pixels the name column needs for its widest image row: indentation, thumbnail and text.

    Measured from the texts, not from the view, which lays out rows lazily (the rows just added
    and expanded are not all measured yet).
    """
    tree = browser.tree
    metrics, icon, step = tree.fontMetrics(), tree.iconSize().width(), tree.indentation()
    widest = 0
    for item in browser.model.items.values():
        depth, parent = 1, item.parent()
        while parent is not None:
            depth, parent = depth + 1, parent.parent()
        widest = max(widest, depth * step + icon + metrics.horizontalAdvance(item.text()))
    return widest + NAME_PADDING


def widen_to_fit(browser: StudyBrowser, keep_for_canvas: int = KEEP_FOR_CANVAS) -> None:
    """Widen ``browser``'s pane of its splitter (taking from the next pane) until every name fits."""
    splitter = browser.parentWidget()
    if not isinstance(splitter, QSplitter) or splitter.count() < 2:
        return
    tree = browser.tree
    others = sum(tree.columnWidth(c) for c in range(1, browser.model.columnCount()))
    chrome = browser.width() - tree.viewport().width() + tree.verticalScrollBar().sizeHint().width()
    sizes = splitter.sizes()
    grow = min(widest_name(browser) + others + chrome - sizes[0], sizes[1] - keep_for_canvas)
    if grow > 0:
        sizes[0] += grow
        sizes[1] -= grow
        splitter.setSizes(sizes)
