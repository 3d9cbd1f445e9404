"""Loading chest X-rays from DICOM and raster files (headless: numpy, pydicom, Pillow; no OpenCV).

``load``, ``scan`` and ``is_candidate_image`` are imported on first use, so that
importing the package (as the viewer does at start-up) does not pay for pydicom.
"""

from __future__ import annotations

import importlib

from cardioview.imaging.budget import DEFAULT_PIXEL_BUDGET
from cardioview.imaging.study_index import StudyIndex
from cardioview.imaging.xray import Window, XRay, XRayMetadata

_LAZY = {
    "load": "cardioview.imaging.loader",
    "is_candidate_image": "cardioview.imaging.loader",
    "scan": "cardioview.imaging.folder_scan",
}

__all__ = [
    "DEFAULT_PIXEL_BUDGET",
    "StudyIndex",
    "Window",
    "XRay",
    "XRayMetadata",
    "is_candidate_image",
    "load",
    "scan",
]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
