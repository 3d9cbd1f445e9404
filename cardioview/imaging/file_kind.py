"""Is a path a regular file that may be opened? Named pipes, devices and sockets are never opened.

Opening a FIFO named x.dcm blocks until a writer appears, and reading a symbolic link to
/dev/zero never ends: the folder scan, input collection and the loader ask here first.
Symbolic links are followed only to regular files.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def not_regular_reason(path: str | Path) -> str | None:
    """None for a regular file (or a symbolic link to one); otherwise why it is not opened.

    Never opens ``path`` and never raises for an odd path (too long, broken link, no permission).
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        return path_error_reason(exc, path)
    if stat.S_ISREG(st.st_mode):
        return None
    kind = next((name for test, name in _KINDS if test(st.st_mode)), "not a regular file")
    via = " reached through a symbolic link" if _is_link(path) else ""
    return f"not a regular file ({kind}{via}): skipped without opening it"


def path_error_reason(exc: OSError, path: str | Path | None = None) -> str:
    """A one-line reason for an OSError met while listing or inspecting ``path``."""
    if exc.errno == errno.ENAMETOOLONG:
        return "the path is longer than this system allows: skipped (move or rename the file)"
    if exc.errno in (errno.ENOENT, errno.ENOTDIR) and path is not None and _is_link(path):
        return "a broken symbolic link: skipped"
    if exc.errno == errno.ELOOP:
        return "a symbolic link loop: skipped"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "no permission to read it: skipped"
    return f"cannot read it ({exc.strerror or type(exc).__name__}): skipped"


def _is_link(path: str | Path) -> bool:
    try:
        return os.path.islink(path)
    except (OSError, ValueError):
        return False
