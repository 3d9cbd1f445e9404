"""Exceptions shared by every layer.

Each carries a one-line, user-facing reason; the CLI and the GUI show
``str(err)`` and never a traceback.
"""

from __future__ import annotations

from pathlib import Path


class CardioViewError(Exception):
    """Base class for every error the app reports to a user."""


class ImageLoadError(CardioViewError):
    """A file could not be turned into an XRay.

    Args:
        path: the file that failed.
        reason: one line saying why, fit to show a user.
    """

    def __init__(self, path: str | Path, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}")


class UnsupportedImageError(ImageLoadError):
    """The file is readable but not something we can analyse (e.g. no pixels)."""


class MissingDecoderError(ImageLoadError):
    """A compressed DICOM whose transfer syntax needs a plugin that is not installed."""


class ImageTooLargeError(ImageLoadError):
    """The header declares more pixels than the pixel budget allows."""


class WeightsError(CardioViewError):
    """A weights bundle is missing, incomplete, or fails its hash check."""


class BackendUnavailableError(CardioViewError):
    """The requested inference backend or device cannot be used here."""
