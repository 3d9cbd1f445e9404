"""Refuse a DICOM file whose header holds an absurd number of sequence items.

pydicom builds one Dataset per item: 500,000 empty items (8 MB) take tens of
seconds to parse. Counting the raw item tags first is a fast bytes scan, over the
part of the file a header parse may read (MAX_HEADER_BYTES), never the whole file:
a file can be endless (/proc/self/pagemap) or 20 GB of sparse zeros.
"""

from __future__ import annotations

from pathlib import Path

from cardioview.errors import ImageLoadError
from cardioview.imaging.bounded_read import MAX_HEADER_BYTES, read_prefix_chunks

#: Most sequence items a file may hold. Real headers hold hundreds at most;
#: encapsulated pixel data (one item per fragment) stays far below this too.
MAX_SEQUENCE_ITEMS = 100_000

# (FFFE,E000) Item, little and big endian.
_ITEM_TAGS = (b"\xfe\xff\x00\xe0", b"\xff\xfe\xe0\x00")


class ItemCounter:
    """Counts item tags in a byte stream fed in pieces (a file, or an inflated dataset)."""

    def __init__(self) -> None:
        self.total, self._tail = 0, b""

    def feed(self, piece: bytes) -> None:
        # The 3 carried bytes cannot hold a whole tag, so nothing is counted twice.
        data = self._tail + piece
        self.total += sum(data.count(t) for t in _ITEM_TAGS)
        self._tail = data[-3:]

    def check(self, path: Path, limit: int = MAX_SEQUENCE_ITEMS) -> None:
        """Raise ImageLoadError when more than ``limit`` items were counted."""
        if self.total > limit:
            raise ImageLoadError(
                path,
                f"DICOM file holds {self.total:,} sequence items (limit {limit:,}): "
                "refused as a hostile or corrupt file",
            )


def check_item_count(path: Path, limit: int = MAX_SEQUENCE_ITEMS, scanned: int = MAX_HEADER_BYTES) -> None:
    """Raise ImageLoadError when the first ``scanned`` bytes of ``path`` hold more than ``limit`` item tags."""
    counter = ItemCounter()
    with open(path, "rb") as f:
        for chunk in read_prefix_chunks(f, scanned):
            counter.feed(chunk)
    counter.check(path, limit)
