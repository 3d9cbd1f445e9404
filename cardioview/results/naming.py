"""Output file stems: one rule for every file a result is written to.

A stem is the source file's stem, shortened to fit any file system (an input's name may be
up to 255 bytes, and outputs add ``_sc``, ``_heart``, ``_1``...), or, when de-identifying,
a counter: file names can carry patient names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: Longest stem in bytes: room for the suffixes and counters the writer adds.
STEM_LIMIT = 120


def short_stem(stem: str, limit: int = STEM_LIMIT) -> str:
    """``stem`` cut (by quarters, so cut points stay on characters) until it fits ``limit`` bytes."""
    while len(os.fsencode(stem)) > limit:
        stem = stem[: len(stem) * 3 // 4]
    return stem or "image"


@dataclass(frozen=True)
class OutputNames:
    """How one front-end names its outputs.

    Attributes:
        deidentify: name by counter (``anonymous`` + number), never by the source file.
        anonymous: the de-identified stem ("report" -> report_0001).
        digits: width of the counter.
        suffix: added to a source stem (the viewer's "_report").
    """

    deidentify: bool = False
    anonymous: str = "report"
    digits: int = 4
    suffix: str = ""

    def stem(self, source: str | Path, number: int | None = None) -> str:
        """The stem for the output of ``source``; ``number``: its place in the run (1-based), None alone."""
        if self.deidentify:
            return self.anonymous if number is None else f"{self.anonymous}_{number:0{self.digits}d}"
        return short_stem(Path(source).stem) + self.suffix
