"""The ``gui`` command's options: no Qt here, so ``cardioview --help`` and argument parsing never import it."""

from __future__ import annotations

import argparse
from pathlib import Path

from cardioview.inference.onnx_session import BACKENDS, DEVICES


def opacity(text: str) -> float:
    """``--opacity``'s type: a number within 0..1, else argparse's usage error."""
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"opacity must be within 0..1, got {text}")
    return value


def add_gui_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``gui`` command's options to ``parser`` and return it."""
    parser.add_argument("path", nargs="?", type=Path, help="an image file or a folder to open")
    parser.add_argument(
        "--analyze-all",
        "--analyse-all",
        dest="analyze_all",
        action="store_true",
        help="analyse every image of the folder after opening it",
    )
    parser.add_argument(
        "--opacity",
        type=opacity,
        default=None,
        help="heat-map opacity 0..1 for this session (default: the remembered one, first 0.2)",
    )
    parser.add_argument(
        "--screenshot",
        type=Path,
        default=None,
        metavar="FILE",
        help="save a PNG of the whole window once the first image and its heat map are shown",
    )
    parser.add_argument("--quit-after", action="store_true", help="exit (code 0) when the scripted steps are done")
    parser.add_argument(
        "--weights", type=Path, default=None, metavar="BUNDLE", help="weights bundle folder (default: the shipped one)"
    )
    parser.add_argument("--backend", choices=BACKENDS, default="auto")
    parser.add_argument("--device", choices=DEVICES, default="auto")
    return parser
