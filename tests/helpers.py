"""Helpers the tests share: reading the CSV files the commands write, running ``cardioview`` in a child process,
waiting for a listener to answer."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import REPO_ROOT


def csv_rows(path: Path, columns: tuple[str, ...] | None = None) -> list[dict]:
    """The rows of the CSV file at ``path`` as dicts, read as strict UTF-8 (the file must decode).

    Args:
        columns: when given, the file's header must be exactly these columns.
    """
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if columns is not None:
            assert tuple(reader.fieldnames) == tuple(columns), reader.fieldnames
        return list(reader)


def cardioview_command(*args) -> list[str]:
    """The argument list of ``python -m cardioview ARGS`` with this interpreter."""
    return [sys.executable, "-m", "cardioview", *map(str, args)]


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment for a child ``cardioview``: the checkout importable, plus ``extra``."""
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT), **extra}


def run_cardioview(*args, timeout: float = 300, **options) -> subprocess.CompletedProcess:
    """``cardioview ARGS`` in a real child process at the repository root, stdout and stderr captured as text.

    A real process where a test needs one: a stall fails the test at ``timeout`` instead of hanging the suite,
    and warnings reach stderr instead of pytest's own capture. ``options`` go to subprocess.run (env, errors...).
    """
    return subprocess.run(
        cardioview_command(*args), cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, **options
    )


def wait_until_answering(node, process: subprocess.Popen, timeout: float, poll: float = 0.5) -> None:
    """Wait until the listener ``process`` answers C-ECHO at ``node``; fails when it exits or ``timeout`` passes."""
    from cardioview.network import dimse

    deadline = time.monotonic() + timeout
    while True:
        try:
            dimse.echo(node, timeout=2)
            return
        except dimse.PacsError:
            assert time.monotonic() < deadline and process.poll() is None, "listener did not start"
            time.sleep(poll)


def viewer_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """:func:`child_env` for a scripted viewer: offscreen Qt, settings and logs in ``tmp_path``, plus ``extra``."""
    return child_env(
        QT_QPA_PLATFORM="offscreen",
        CARDIOVIEW_CONFIG_DIR=str(tmp_path / "config"),
        CARDIOVIEW_LOG_DIR=str(tmp_path / "logs"),
        **extra,
    )
