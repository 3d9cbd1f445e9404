"""Reads that end: a file seen as if it stopped after a given number of bytes.

A "regular" file can be endless (a link to /proc/self/pagemap: stat says regular, size 0,
reads never end) or huge (a 20 GB sparse copy of a DICOM), and a forged length can ask a
parser for gigabytes. Every DICOM parse goes through a BoundedReader, so it reads at most
what its header can need.
"""

from __future__ import annotations

import os
from typing import BinaryIO

#: Most bytes a DICOM header (everything before the pixel data) may take. Real headers
#: take kilobytes; overlays, icons and private blobs a few megabytes.
MAX_HEADER_BYTES = 64 << 20
#: Most read calls one parse may make (pydicom makes 2-3 per element, about 7 us each):
#: 64 MB of empty 8-byte elements would otherwise take a minute to parse.
MAX_READS = 1_000_000


class TooManyReads(Exception):
    """A parse read in more pieces than MAX_READS: millions of tiny elements."""


class BoundedReader:
    """A read-only binary file that ends after ``limit`` bytes (or at its real end, if sooner).

    What pydicom's reader uses: read, seek, tell (and ``name``). ``cut`` turns True when a read
    was shortened by the limit while the file held more.
    """

    def __init__(self, f: BinaryIO, limit: int, max_reads: int = MAX_READS):
        self._f, self._limit, self.cut = f, limit, False
        self._reads_left = max_reads
        self.name = getattr(f, "name", None)

    def read(self, size: int | None = -1) -> bytes:
        self._reads_left -= 1
        if self._reads_left < 0:
            raise TooManyReads
        room = max(0, self._limit - self._f.tell())
        if size is not None and 0 <= size <= room:
            return self._f.read(size)
        data = self._f.read(room)
        if len(data) == room and self._f.read(1):  # the file goes on past the limit
            self.cut = True
            self._f.seek(-1, os.SEEK_CUR)
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._f.seek(offset, whence)

    def tell(self) -> int:
        return self._f.tell()


def read_prefix_chunks(f: BinaryIO, limit: int, chunk: int = 4 << 20):
    """Yield the file's first ``limit`` bytes (or fewer) in chunks."""
    left = limit
    while left > 0 and (piece := f.read(min(chunk, left))):
        left -= len(piece)
        yield piece
