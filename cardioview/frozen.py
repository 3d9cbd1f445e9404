"""Entry point of the clinical bundle's executable (``CardioView``; see packaging/).

``CardioView``                    opens the viewer
``CardioView FILE_OR_FOLDER``     opens the viewer on it (what "Open with" passes)
``CardioView --self-test [...]``  runs cardioview.selftest, main window included
``CardioView predict|gui|...``    the ``cardioview`` command line (cardioview.cli)

Windowed builds (Windows, macOS) start with ``sys.stdout``/``sys.stderr`` set to
None, so the first ``print`` or warning would raise: :func:`install_safe_streams`
runs before anything else.
"""

from __future__ import annotations

import os
import sys

from cardioview.cli import COMMANDS

SELF_TEST = "--self-test"


def install_safe_streams() -> None:
    """Give a windowed build writable standard streams (the null device) where it has none."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))


def route(argv: list[str]) -> list[str]:
    """The ``cardioview`` command line for the executable's arguments.

    A bare path (the operating system's "Open with", or a file dropped on the
    executable) opens the viewer on it; anything else is passed through.
    """
    if not argv:
        return ["gui"]
    first = argv[0]
    if first in COMMANDS or first.startswith("-"):
        return list(argv)
    return ["gui", *argv]


def main(argv: list[str] | None = None) -> int:
    install_safe_streams()
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == SELF_TEST:
        from cardioview.selftest import main as selftest_main

        # A built bundle must be able to open its main window: the GUI check is not optional there.
        return selftest_main(argv[1:], require_gui=True)
    from cardioview.cli import main as cli_main

    return cli_main(route(argv))
