"""Expanding the paths a user gives into the image files to analyse."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from cardioview.imaging.file_kind import not_regular_reason, path_error_reason
from cardioview.imaging.loader import is_candidate_image
from cardioview.imaging.sniff import DICOM_SUFFIXES, RASTER_SUFFIXES

#: A folder entry with one of these names is analysed even when its content
#: does not look like an image, so an empty or mislabelled file gets a reason.
IMAGE_SUFFIXES = (DICOM_SUFFIXES - {""}) | set(RASTER_SUFFIXES)


@dataclass
class Inputs:
    """Files to analyse, in a stable order; entries refused without opening them; skipped count.

    Every name gets its entry: two hard links (or a link and its target) are two files to the
    user. Only the very same path reached twice (an argument repeated, or a file named and
    also found in a folder named) is analysed once; ``repeats`` says how often it was named.

    Attributes:
        files: regular files to analyse.
        rejected: (path, reason) for entries never opened: named pipes, devices, sockets,
            broken links, paths longer than the system allows, unlistable folders.
        skipped: folder entries that are not images (notes, reports).
        repeats: file -> how many times its path was reached (only those reached more than once).
    """

    files: list[Path] = field(default_factory=list)
    skipped: int = 0
    rejected: list[tuple[Path, str]] = field(default_factory=list)
    repeats: dict[Path, int] = field(default_factory=dict)

    def repeat_note(self, path: Path) -> str:
        """The warning for a file whose path was given or found more than once; "" otherwise."""
        times = self.repeats.get(path, 1)
        return f"the same path was given {times} times; analysed once" if times > 1 else ""


def collect_inputs(paths: list[Path]) -> Inputs:
    """Files are taken as given (a bad one then gets its own error row); folders are
    walked recursively, keeping files that look like images by content or by name
    (an empty "x.dcm" or a text file named ".png" then gets its own error row);
    the rest (notes, reports) is skipped and counted.
    Hidden files and folders (".name") are ignored. Only regular files are ever opened
    (symbolic links are followed to regular files only); anything else is rejected with a reason.
    """
    result = Inputs()
    seen: dict[str, Path] = {}
    for path in paths:
        if _is_dir(path):
            _walk(result, seen, path)
        else:
            reason = not_regular_reason(path)
            if reason is not None:
                result.rejected.append((path, reason))
            else:
                _add(result, seen, path)
    return result


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # e.g. ENAMETOOLONG: not_regular_reason says why
        return False


def _walk(result: Inputs, seen: dict[str, Path], root: Path) -> None:
    def unlistable(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else root
        result.rejected.append((where, f"folder {path_error_reason(exc, where)}"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=unlistable):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            child = Path(dirpath, name)
            reason = not_regular_reason(child)
            if reason is not None:
                result.rejected.append((child, reason))
            elif child.suffix.lower() in IMAGE_SUFFIXES or is_candidate_image(child):
                _add(result, seen, child)
            else:
                result.skipped += 1


def _add(result: Inputs, seen: dict[str, Path], path: Path) -> None:
    # The path as written, made absolute but with links kept: a hard or symbolic link is another name.
    key = os.path.normpath(os.path.abspath(path))
    first = seen.get(key)
    if first is None:
        seen[key] = path
        result.files.append(path)
    else:
        result.repeats[first] = result.repeats.get(first, 1) + 1
