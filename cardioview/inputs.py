"""Expanding the paths a user gives into the image files to analyse."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cardioview.imaging.loader import is_candidate_image
from cardioview.imaging.sniff import DICOM_SUFFIXES, RASTER_SUFFIXES

#: A folder entry with one of these names is analysed even when its content
#: does not look like an image, so an empty or mislabelled file gets a reason.
IMAGE_SUFFIXES = (DICOM_SUFFIXES - {""}) | set(RASTER_SUFFIXES)


@dataclass
class Inputs:
    """Files to analyse, in a stable order, and how many folder entries were skipped."""

    files: list[Path] = field(default_factory=list)
    skipped: int = 0


def collect_inputs(paths: list[Path]) -> Inputs:
    """Files are taken as given (a bad one then gets its own error row); folders are
    walked recursively, keeping files that look like images by content or by name
    (an empty "x.dcm" or a text file named ".png" then gets its own error row);
    the rest (notes, reports) is skipped and counted.
    Hidden files and folders (".name") are ignored.
    """
    result = Inputs()
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if any(part.startswith(".") for part in child.relative_to(path).parts):
                    continue
                if child.suffix.lower() in IMAGE_SUFFIXES or is_candidate_image(child):
                    _add(result, seen, child)
                else:
                    result.skipped += 1
        else:
            _add(result, seen, path)
    return result


def _add(result: Inputs, seen: set[Path], path: Path) -> None:
    key = path.resolve()
    if key not in seen:
        seen.add(key)
        result.files.append(path)
