"""Time to refuse a header of 500,000 sequence items, and what the item count costs a normal load.

Prints the refusal time of load() and scan() on the hostile file (plain and
deflated) as a ratio to loading CT_small.dcm, and the item count's share of
loading RG1_UNCR.dcm (7 MB). Before the item limit, loading the 8 MB file took
16-34 s (pydicom builds one Dataset per item).

    python benchmarks/hostile_header_benchmark.py
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

import bench_common  # noqa: F401  (puts the repository on sys.path)
from pydicom.data import get_testdata_file

from cardioview.errors import ImageLoadError
from cardioview.imaging import load, scan
from cardioview.imaging.dicom_items import check_item_count
from tests.imaging.hostile_files import deflated, many_items


def _median_s(fn, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        try:
            fn()
        except ImageLoadError:
            pass
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        plain = many_items(root / "items.dcm")
        packed = deflated(plain, root / "deflated.dcm")
        folder = root / "folder"
        folder.mkdir()
        shutil.copy(plain, folder / "items.dcm")
        shutil.copy(packed, folder / "deflated.dcm")
        reference = _median_s(lambda: load(get_testdata_file("CT_small.dcm")))
        print(f"load CT_small.dcm (reference): {reference * 1000:.1f} ms")
        for name, fn in (
            ("load 500,000 items", lambda: load(plain)),
            ("load 500,000 items, deflated", lambda: load(packed)),
            ("scan a folder of both", lambda: scan(folder)),
        ):
            seconds = _median_s(fn)
            print(f"{name}: {seconds * 1000:.1f} ms = {seconds / reference:.1f}x the reference load")
    big = Path(get_testdata_file("RG1_UNCR.dcm"))
    count, whole = _median_s(lambda: check_item_count(big)), _median_s(lambda: load(big))
    print(
        f"item count on RG1_UNCR.dcm ({big.stat().st_size >> 20} MB): {count * 1000:.1f} ms "
        f"= {count / whole:.2f}x its load ({whole * 1000:.0f} ms)"
    )


if __name__ == "__main__":
    main()
