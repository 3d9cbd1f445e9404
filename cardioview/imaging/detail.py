"""A library's failure as one line for a reason shown to the user, without the file's content.

Library messages quote what they choke on ("broken PNG file (chunk b'...')", "could not convert
string to float: 'SMITH'"): quoted values are replaced by an ellipsis, since they are the user's
data (a patient's name can sit in any header value).
"""

from __future__ import annotations

import re

# A quoted value, optionally a bytes literal: '...', "...", b'...', b"...".
# An object's repr, as Pillow quotes the file it was given: <_io.BufferedReader name='...'>.
_OBJECT = re.compile(r"\s*<[^<>]*>")
_QUOTED = re.compile(r"""(?<!\w)b?(['"])(?:\\.|(?!\1).)*\1""")


def library_detail(exc: BaseException, limit: int = 200) -> str:
    """The first meaningful line of ``exc`` (pydicom lists one failure per plugin after a header line
    ending in ':'; the first of those is kept), quoted values removed, at most ``limit`` characters."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    line = lines[1] if len(lines) > 1 and lines[0].endswith(":") else lines[0]
    return without_quoted_values(line)[:limit]


def without_quoted_values(text: str) -> str:
    """``text`` with every quoted value ('x', "x", b'x') replaced by '…' and object reprs (<...>) left out."""
    return _OBJECT.sub("", _QUOTED.sub("…", text)).strip()
