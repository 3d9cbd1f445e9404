"""One place that keeps library chatter off stderr: Python warnings, library loggers, GDCM's C++ trace.

stderr is for the user's messages (progress, one line per failed file). Library warnings
(pydicom, Pillow, numpy...), log records and GDCM's own warning/error trace would
otherwise interleave with them; here they go to a debug log file, or nowhere.
pydicom's records are dropped even from the debug log: they may quote element values
such as patient names.
"""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_HANDLER_NAME = "cardioview-library-output"


def route_library_output(debug_log: Path | None = None) -> None:
    """Route warnings and log records to ``debug_log`` (created on the first record) or discard them.

    Safe to call more than once (the last call wins).
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME or getattr(handler, "stream", None) in (sys.stderr, sys.__stderr__):
            root.removeHandler(handler)  # also a basicConfig stderr handler
    handler: logging.Handler
    if debug_log is not None:
        handler = logging.FileHandler(debug_log, encoding="utf-8", errors="backslashreplace", delay=True)
        handler.setFormatter(logging.Formatter(_FORMAT))
    else:
        handler = logging.NullHandler()
    handler.set_name(_HANDLER_NAME)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("pydicom").setLevel(logging.CRITICAL + 1)
    logging.lastResort = None  # no "No handlers could be found" fallback to stderr
    logging.captureWarnings(True)  # warnings.warn(...) -> logger "py.warnings"
    warnings.simplefilter("default")
    warnings.filterwarnings("ignore", module="pydicom")  # they quote element values (patient names)
    quiet_gdcm()


def quiet_gdcm() -> None:
    """Switch off GDCM's C++ trace (warnings and errors it prints straight to stderr); it raises instead."""
    try:
        import gdcm
    except ImportError:
        return
    gdcm.Trace.DebugOff()
    gdcm.Trace.WarningOff()
    gdcm.Trace.ErrorOff()
