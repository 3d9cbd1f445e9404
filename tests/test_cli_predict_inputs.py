"""`cardioview predict` on the issue 21 inputs: endless and sparse files, hard links, forged headers.

Every input gets its row and a plain reason; nothing stalls the run, no reason echoes file content.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cardioview.cli import main
from tests.dicom_factory import nih_image
from tests.helpers import child_env, csv_rows, run_cardioview
from tests.imaging.hostile_files import endless_link, forged_jpeg_sof, sparse_copy, unknown_vr

REPO = Path(__file__).resolve().parents[1]
FILM = REPO / "resources" / "samples" / "nih_00000001_000_cardiomegaly.png"


def test_endless_and_20_gb_sparse_files_each_get_a_row(tmp_path, tiny_bundle):
    folder = tmp_path / "inbox"
    folder.mkdir()
    endless = endless_link(folder / "endless.dcm")
    sparse = sparse_copy(folder / "sparse_20gb.dcm")
    if endless is None or sparse is None:
        pytest.skip("needs /proc/self/pagemap and a file system with sparse files")
    out = tmp_path / "out"
    # A subprocess with a generous limit: a stall must fail this test, not hang the suite.
    done = run_cardioview(
        "predict", folder, "--out", out, "--weights", tiny_bundle, "--no-report", env=child_env(OMP_NUM_THREADS="1")
    )
    rows = {Path(r["path"]).name: r for r in csv_rows(out / "results.csv")}
    assert set(rows) == {"endless.dcm", "sparse_20gb.dcm"}, done.stderr
    assert rows["endless.dcm"]["status"] == "error" and "no DICOM data" in rows["endless.dcm"]["error"]
    # The sparse copy is MR_small with 20 GB of zeros after it: read up to its pixel data, then judged as an MR.
    assert rows["sparse_20gb.dcm"]["status"] == "unsuitable" and "MR" in rows["sparse_20gb.dcm"]["error"]
    assert "Traceback" not in done.stderr


def test_every_name_of_a_file_gets_its_row_and_a_repeated_argument_is_folded_with_a_note(tmp_path, tiny_bundle):
    folder = tmp_path / "inbox"
    folder.mkdir()
    first = folder / "film.png"
    first.write_bytes(FILM.read_bytes())
    os.link(first, folder / "film_hardlink.png")
    (folder / "film_symlink.png").symlink_to(first)
    out = tmp_path / "out"
    assert (
        main(
            [
                "predict",
                str(folder),
                str(first),
                str(first),
                "--out",
                str(out),
                "--weights",
                str(tiny_bundle),
                "--no-report",
            ]
        )
        == 0
    )
    rows = csv_rows(out / "results.csv")
    assert sorted(Path(r["path"]).name for r in rows) == ["film.png", "film_hardlink.png", "film_symlink.png"]
    assert len({r["probability"] for r in rows}) == 1  # one film, three names, one answer
    notes = {Path(r["path"]).name: r["warnings"] for r in rows}
    assert "given 3 times; analysed once" in notes["film.png"]  # found in the folder and named twice
    assert "given" not in notes["film_hardlink.png"] + notes["film_symlink.png"]


def test_forged_headers_and_non_images_get_plain_reasons_that_echo_nothing(tmp_path, tiny_bundle):
    folder = tmp_path / "inbox"
    folder.mkdir()
    forged_jpeg_sof(nih_image(), folder / "forged_sof.jpg")
    unknown_vr(folder / "unknown_vr.dcm")
    secret = b"\x01\x02SMITH^JOHN 1234567 "  # binary, with a name in it: never to be quoted back
    (folder / "notes.png").write_bytes(secret * 20)
    out = tmp_path / "out"
    assert main(["predict", str(folder), "--out", str(out), "--weights", str(tiny_bundle), "--no-report"]) == 1
    rows = {Path(r["path"]).name: r for r in csv_rows(out / "results.csv")}
    assert all(r["status"] == "error" for r in rows.values())
    assert "65500" in rows["forged_sof.jpg"]["error"] and "refused before decoding" in rows["forged_sof.jpg"]["error"]
    assert (
        "(0028,0004)" in rows["unknown_vr.dcm"]["error"]
        and "unknown value representation" in rows["unknown_vr.dcm"]["error"]
    )
    assert "NotImplementedError" not in rows["unknown_vr.dcm"]["error"]
    text = (out / "results.csv").read_text(encoding="utf-8")
    assert "SMITH" not in text and secret[:8].hex(" ") not in text and "01 02" not in text


def test_forged_jpeg_size_is_refused_while_a_real_small_jpeg_loads(tmp_path):
    from cardioview.errors import ImageLoadError
    from cardioview.imaging import load

    film = nih_image()
    with pytest.raises(ImageLoadError, match="forged header"):
        load(forged_jpeg_sof(film, tmp_path / "forged.jpg"))
    path = tmp_path / "real.jpg"
    Image.fromarray(film).save(path, quality=30)  # a heavily compressed but honest 1024 px film
    assert load(path).pixels.shape == (1024, 1024)
    uniform = tmp_path / "uniform.jpg"
    Image.fromarray(np.zeros((2048, 2048), np.uint8)).save(uniform)  # the most compressible honest JPEG
    assert uniform.stat().st_size < 64 << 10
    with pytest.raises(Exception, match="constant image"):  # past the size check, refused for being blank
        load(uniform)


def test_a_jpeg_with_a_large_app_segment_before_its_frame_header_still_loads(tmp_path):
    from cardioview.imaging import load

    film = nih_image()
    path = tmp_path / "big_app.jpg"
    Image.fromarray(film).save(path, quality=90)
    data = path.read_bytes()
    segment = b"\xff\xe9" + (65535).to_bytes(2, "big") + bytes(65533)  # APP9 filler, 20 x 64 KB > 1 MB
    path.write_bytes(data[:2] + segment * 20 + data[2:])
    assert load(path).pixels.shape == (1024, 1024)
