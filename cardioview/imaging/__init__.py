"""Loading chest X-rays from DICOM and raster files (headless: numpy, pydicom, opencv)."""

from cardioview.imaging.budget import DEFAULT_PIXEL_BUDGET
from cardioview.imaging.loader import is_candidate_image, load
from cardioview.imaging.scan import StudyIndex, scan
from cardioview.imaging.xray import Window, XRay, XRayMetadata

__all__ = [
    "DEFAULT_PIXEL_BUDGET", "StudyIndex", "Window", "XRay", "XRayMetadata", "is_candidate_image", "load", "scan",
]
