"""Fuzz harness for issue 21's classes: regenerate them from pydicom's and the shared NIH films, run predict.

For each NIH film (cropped to 1024 x 880 so a quarter turn shows) it writes the plainly stored film and the
same film as the header states it: EXIF Orientation in TIFF (plain and LZW), JPEG and PNG (eXIf before and
after the image data), MONOCHROME2 with Presentation LUT Shape INVERSE, MONOCHROME1 with INVERSE, Pixel
Padding Value (and Range Limit), a window that blanks the film, a hard link and a symbolic link. Once: an
endless file (a link to /proc/self/pagemap), a 20 GB sparse copy of MR_small.dcm, a forged 4 GB Pixel Data
length, a 16x16 JPEG whose SOF claims 65500x1024, a DICOM with the unknown VR "JE", a non-image with a name
in it. Then one ``cardioview predict`` run (shipped bundle, ONNX) over the folder, and per case: status,
P, |P - P(plain film)| for the valid ones (must be <= 0.03), the reason for the others; peak memory of the
predict process and its decode worker (must stay under 2 GB); that every name got its row.

    python benchmarks/fuzz_hostile.py [--films 3] [--keep DIR] [--valid-only] [--code CHECKOUT] [--timeout S]

``--code /work/main --valid-only`` runs another checkout's predict over the valid cases (a stalling file
would only time it out), to compare its probabilities with this one's.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_common  # noqa: F401  (puts the repository on sys.path)
import cv2
import numpy as np

from tests.dicom_factory import write_dicom
from tests.imaging.declared_films import (
    blanking_window,
    inverse_mono1,
    inverse_mono2,
    padded_12bit,
    plain_12bit,
    png_with_late_exif,
    save_oriented,
)
from tests.imaging.hostile_files import endless_link, forged_jpeg_sof, forged_pixel_length, sparse_copy, unknown_vr

REPO = Path(__file__).resolve().parents[1]
NIH = REPO.parent / "shared" / "data" / "nih1024" / "images"
TOLERANCE, LIMIT_MB = 0.03, 2048

# name -> (builder(film, path) -> path, file suffix, the reference it must match: "plain" or "plain12")
VALID = {
    "tiff_orientation6": (lambda f, p: save_oriented(f, 6, "tiff", p), ".tif", "plain"),
    "tiff_lzw_orientation8": (lambda f, p: save_oriented(f, 8, "tiff_lzw", p), ".tif", "plain"),
    "jpeg_orientation6": (lambda f, p: save_oriented(f, 6, "jpeg", p), ".jpg", "plain"),
    "png_exif_orientation6": (lambda f, p: save_oriented(f, 6, "png", p), ".png", "plain"),
    "png_late_exif_orientation5": (lambda f, p: png_with_late_exif(f, 5, p), ".png", "plain"),
    "mono2_presentation_inverse": (inverse_mono2, ".dcm", "plain"),
    "mono1_presentation_inverse": (inverse_mono1, ".dcm", "plain"),
    "blanking_window": (blanking_window, ".dcm", "plain"),
    "padding_value": (padded_12bit, ".dcm", "plain12"),
    "padding_range_limit": (lambda f, p: padded_12bit(f, p, range_limit=True), ".dcm", "plain12"),
}


def build(folder: Path, films: list[Path], valid_only: bool = False) -> tuple[dict[str, str], dict[str, str]]:
    """Write every case; returns (file name -> reference file name for the valid ones, name -> expectation)."""
    references: dict[str, str] = {}
    expected: dict[str, str] = {}
    for source in films:
        film = np.ascontiguousarray(cv2.imread(str(source), cv2.IMREAD_GRAYSCALE)[:, 72:952])
        stem = source.stem
        plain = write_dicom(folder / f"{stem}__plain.dcm", film).name
        plain12 = plain_12bit(film, folder / f"{stem}__plain12.dcm").name
        cv2.imwrite(str(folder / f"{stem}__plain.png"), film)
        references[f"{stem}__plain.png"] = plain
        for case, (builder, suffix, reference) in VALID.items():
            name = f"{stem}__{case}{suffix}"
            builder(film, folder / name)
            references[name] = plain if reference == "plain" else plain12
        os.link(folder / plain, folder / f"{stem}__hardlink.dcm")
        (folder / f"{stem}__symlink.dcm").symlink_to(folder / plain)
        references[f"{stem}__hardlink.dcm"] = references[f"{stem}__symlink.dcm"] = plain
    if valid_only:
        return references, expected
    film = cv2.imread(str(films[0]), cv2.IMREAD_GRAYSCALE)
    hostile = {
        "endless_pagemap.dcm": (endless_link, "error"),
        "sparse_20gb_mr.dcm": (sparse_copy, "unsuitable"),
        "forged_pixel_length_4gb.dcm": (forged_pixel_length, "error"),
        "forged_sof_65500x1024.jpg": (lambda p: forged_jpeg_sof(film, p), "error"),
        "unknown_vr_je.dcm": (unknown_vr, "error"),
    }
    for name, (builder, outcome) in hostile.items():
        if builder(folder / name) is not None:
            expected[name] = outcome
    (folder / "notes_with_a_name.png").write_bytes(b"\x01\x02SMITH^JOHN 1234567 " * 20)
    expected["notes_with_a_name.png"] = "error"
    return references, expected


def run_predict(folder: Path, out: Path, code: Path, timeout: int) -> tuple[float, float, str]:
    """(seconds, peak MB of predict and its decode worker, stderr) of ``code``'s predict over ``folder``."""
    env = {**os.environ, "PYTHONPATH": str(code), "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "cardioview",
                "predict",
                str(folder),
                "--out",
                str(out),
                "--weights",
                str(REPO / "weights" / "cxa_dense121"),
                "--backend",
                "onnx",
                "--device",
                "cpu",
                "--no-report",
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=code,
        )
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, float("nan"), f"predict did not finish in {timeout} s: a stall"
    seconds = time.perf_counter() - start
    # Largest resident set of any waited-for descendant (predict, its decode worker), in kB on Linux.
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak_mb, done.stderr


def report(
    folder: Path, out: Path, references: dict[str, str], expected: dict[str, str], seconds: float, peak_mb: float
) -> bool:
    with open(out / "results.csv", newline="", encoding="utf-8") as f:
        rows = {Path(r["path"]).name: r for r in csv.DictReader(f)}
    names = sorted(p.name for p in folder.iterdir())
    missing = [n for n in names if n not in rows]
    gaps, wrong = [], []
    print(f"{'case':52s} {'status':11s} {'P':>7s} {'|dP|':>7s}  reason / warnings")
    for name in names:
        row = rows.get(name)
        if row is None:
            print(f"{name:52s} NO ROW")
            continue
        p = float(row["probability"]) if row["probability"] else None
        gap = ""
        if name in references and p is not None and references[name] != name:
            # the PNG stands in for the plain DICOM when a checkout folded its links into one row
            ref = rows.get(references[name]) or rows.get(references[name].replace("__plain.dcm", "__plain.png"))
            if ref and ref["probability"]:
                delta = abs(p - float(ref["probability"]))
                gaps.append(delta)
                gap = f"{delta:.4f}"
        if name in expected and row["status"] != expected[name]:
            wrong.append(name)
        if name in references and row["status"] != "ok":
            wrong.append(name)
        detail = (row["error"] or row["warnings"])[:110]
        print(f"{name:52s} {row['status']:11s} {p if p is not None else '':>7} {gap:>7s}  {detail}")
    echoed = "SMITH" in (out / "results.csv").read_text(encoding="utf-8")
    worst = max(gaps) if gaps else float("nan")
    print(f"\n{len(names)} files, {len(rows)} rows, {len(missing)} without a row; predict took {seconds:.1f} s")
    print(
        f"valid films: {len(gaps)} compared with the plainly stored film, max |dP| {worst:.4f} "
        f"(tolerance {TOLERANCE}); mean {np.mean(gaps):.4f}"
    )
    print(f"peak memory (predict and decode worker): {peak_mb:,.0f} MB (limit {LIMIT_MB:,} MB)")
    print(f"unexpected status: {wrong or 'none'}; file content echoed in results.csv: {echoed}")
    return not missing and not wrong and not echoed and worst <= TOLERANCE and peak_mb < LIMIT_MB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--films", type=int, default=3, help="NIH films to build the valid cases from")
    parser.add_argument("--keep", metavar="DIR", help="build the cases in DIR (kept) instead of a temporary folder")
    parser.add_argument("--valid-only", action="store_true", help="only the valid films (no stalling files)")
    parser.add_argument("--code", type=Path, default=REPO, help="checkout whose predict runs (default: this one)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds before predict counts as stalled")
    args = parser.parse_args()
    films = sorted(NIH.glob("*.png"))[: args.films]
    if not films:
        print(f"needs the NIH films in {NIH}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        folder, out = root / "cases", root / "out"
        folder.mkdir(parents=True)
        references, expected = build(folder, films, args.valid_only)
        seconds, peak_mb, stderr = run_predict(folder, out, args.code.resolve(), args.timeout)
        if not (out / "results.csv").is_file():
            print(stderr[-2000:], file=sys.stderr)
            return 1
        return 0 if report(folder, out, references, expected, seconds, peak_mb) else 1


if __name__ == "__main__":
    sys.exit(main())
