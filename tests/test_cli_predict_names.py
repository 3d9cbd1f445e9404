"""`cardioview predict` with hostile names: undecodable bytes, over-long paths, spreadsheet formulas, pipes."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from pydicom.data import get_testdata_file

from cardioview.cli import main
from cardioview.csv_safe import safe_cell
from tests.helpers import csv_rows, run_cardioview

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "resources" / "samples"
FILM = SAMPLES / "nih_00000001_000_cardiomegaly.png"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cells(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as f:
        return [cell for row in csv.reader(f) for cell in row]


def test_non_utf8_file_name_gets_its_row(tmp_path, tiny_bundle, capsys):
    folder = tmp_path / "inbox"
    folder.mkdir()
    raw = os.fsencode(folder) + b"/chest_\xff\xfe.dcm"  # Latin-1 bytes: not valid UTF-8
    with open(raw, "wb") as f:
        f.write(Path(get_testdata_file("RG1_UNCR.dcm")).read_bytes())
    with open(os.fsencode(folder) + b"/broken_\xe9.png", "wb") as f:
        f.write(b"not a picture")
    out = tmp_path / "out"
    assert main(["predict", str(folder), "--out", str(out), "--weights", str(tiny_bundle)]) == 1
    rows = {Path(r["path"]).name: r for r in csv_rows(out / "results.csv")}
    assert set(rows) == {"chest_\\xff\\xfe.dcm", "broken_\\xe9.png"}  # shown as escapes, never dropped
    assert rows["chest_\\xff\\xfe.dcm"]["status"] == "ok"
    assert rows["broken_\\xe9.png"]["status"] == "error" and rows["broken_\\xe9.png"]["error"].startswith(
        "broken_\\xe9"
    )
    assert (out / os.fsdecode(b"chest_\xff\xfe.png")).is_file()  # the report keeps the real name
    assert "Traceback" not in capsys.readouterr().err


def _deep_folder(root: Path, depth: int = 24) -> Path:
    """root/ddd.../ddd.../... deeper than PATH_MAX (4096), made with directory fds, a real film at the bottom."""
    name = "d" * 200
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir(name, dir_fd=fd)
            nxt = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nxt
        out = os.open("film.png", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, FILM.read_bytes())
        os.close(out)
    finally:
        os.close(fd)
    return root.joinpath(*[name] * depth, "film.png")


def test_paths_longer_than_the_system_allows_get_a_row(tmp_path, tiny_bundle, capsys):
    folder = tmp_path / "deep"
    folder.mkdir()
    shutil.copy(FILM, folder / "ok.png")
    deep_file = _deep_folder(folder)
    assert len(os.fsencode(deep_file)) > 4096
    long_name = tmp_path / ("x" * 300 + ".png")  # one name over the 255-byte limit, given directly
    out = tmp_path / "out"
    code = main(
        [
            "predict",
            str(folder),
            str(deep_file),
            str(long_name),
            "--out",
            str(out),
            "--weights",
            str(tiny_bundle),
            "--no-report",
        ]
    )
    assert code == 1
    rows = csv_rows(out / "results.csv")
    assert [r["status"] for r in rows if r["path"].endswith("ok.png")] == ["ok"]
    errors = [r for r in rows if r["status"] == "error"]
    assert len(errors) >= 3 and all("longer than this system allows" in r["error"] for r in errors)
    assert any(r["path"] == str(deep_file) for r in errors) and any(r["path"] == str(long_name) for r in errors)
    assert "Traceback" not in capsys.readouterr().err


def test_a_long_input_name_still_gets_a_report(tmp_path, tiny_bundle):
    src = tmp_path / ("n" * 250 + ".png")  # 254 bytes: legal, but name + "_1.png" would not be
    shutil.copy(FILM, src)
    out = tmp_path / "out"
    for _ in range(2):
        assert main(["predict", str(src), "--out", str(out), "--weights", str(tiny_bundle)]) == 0
    assert len(list(out.glob("n*.png"))) == 2


@pytest.fixture()
def formula_folder(tmp_path) -> Path:
    folder = tmp_path / "formulas"
    folder.mkdir()
    shutil.copy(FILM, folder / '=HYPERLINK("evil.example";"click").png')  # a real film
    (folder / "+1+2.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00broken")  # broken bytes
    Image.open(FILM).convert("L").save(folder / "@SUM(1).jpg", quality=90)  # a real JPEG
    (folder / "-2+3.png").write_bytes(b"\x89PNG\r\n\x1a\nthen nothing")  # truncated PNG
    (folder / "\tTAB.png").write_bytes(b"")
    return folder


@pytest.mark.parametrize("relative", [False, True])
def test_no_cell_starts_a_formula(formula_folder, tmp_path, tiny_bundle, monkeypatch, relative):
    out = tmp_path / f"out_{relative}"
    if relative:  # relative inputs: the path cell itself starts with the file name
        monkeypatch.chdir(formula_folder)
        paths = sorted(os.listdir("."))
    else:
        paths = [str(formula_folder)]
    assert main(["predict", "--out", str(out), "--weights", str(tiny_bundle), "--", *paths]) == 1
    rows = csv_rows(out / "results.csv")
    assert len(rows) == 5
    assert {r["status"] for r in rows if "HYPERLINK" in r["path"] or "SUM" in r["path"]} == {"ok"}
    for cell in _cells(out / "results.csv"):
        assert not cell.startswith(FORMULA_START), cell
    by_error = {r["error"] for r in rows if r["status"] == "error"}
    assert any(e.startswith("'+1+2.dcm") for e in by_error) and any(e.startswith("'-2+3.png") for e in by_error)
    for r in rows:
        if r["status"] == "ok":
            assert 0.0 <= float(r["probability"]) <= 1.0 and float(r["threshold"]) == 0.5  # numbers stay numbers


def test_safe_cell_keeps_numbers_numeric():
    assert safe_cell(-0.25) == "-0.25" and safe_cell("-0.25") == "-0.25" and safe_cell("1e-3") == "1e-3"
    assert safe_cell("=1+1") == "'=1+1" and safe_cell("-1+1") == "'-1+1" and safe_cell("@x") == "'@x"
    assert safe_cell("\rx") == "'\rx" and safe_cell("plain") == "plain" and safe_cell(3) == "3"


def test_a_named_pipe_given_to_predict_gets_a_row(tmp_path, tiny_bundle):
    if not hasattr(os, "mkfifo"):
        pytest.skip("named pipes need a POSIX system")
    os.mkfifo(tmp_path / "x.dcm")
    (tmp_path / "zero.dcm").symlink_to("/dev/zero")
    out = tmp_path / "out"
    assert (
        main(
            [
                "predict",
                str(tmp_path / "x.dcm"),
                str(tmp_path / "zero.dcm"),
                "--out",
                str(out),
                "--weights",
                str(tiny_bundle),
            ]
        )
        == 1
    )
    rows = {Path(r["path"]).name: r["error"] for r in csv_rows(out / "results.csv")}
    assert "named pipe" in rows["x.dcm"] and "character device" in rows["zero.dcm"]


def test_library_messages_stay_off_stderr(tmp_path, tiny_bundle):
    import pydicom
    from pydicom import config

    folder = tmp_path / "odd"
    folder.mkdir()
    ds = pydicom.dcmread(get_testdata_file("RG1_UNCR.dcm"))
    mode = config.settings.writing_validation_mode
    config.settings.writing_validation_mode = config.IGNORE
    try:  # values pydicom warns about on reading, one of them a patient's name
        ds.PatientName = "Doe^Jane^" + "X" * 80
        ds.PatientSex, ds.StudyDate = "MALE-TOO-LONG-VALUE", "not-a-date"
        ds.save_as(folder / "noisy.dcm")
    finally:
        config.settings.writing_validation_mode = mode
    for name in ("badVR.dcm", "JPEG2000.dcm", "emri_small_jpeg_2k_lossless_too_short.dcm"):
        shutil.copy(get_testdata_file(name), folder / name)
    out = tmp_path / "out"
    # a real process: pytest would otherwise capture the warnings itself
    done = run_cardioview(
        "predict", folder, "--out", out, "--weights", tiny_bundle, "--no-report", errors="backslashreplace"
    )
    assert done.returncode == 1
    err = done.stderr
    lines = [line for line in err.splitlines() if line.strip()]
    user_lines = [
        line
        for line in lines
        if line.startswith(("  error:", "  not applicable:")) or " ok, " in line or "image file(s) to analyse" in line
    ]
    assert lines == user_lines, "\n".join(set(lines) - set(user_lines))
    assert "UserWarning" not in err and "Doe" not in err
    for log in out.glob("debug*.log"):
        assert "Doe" not in log.read_text(encoding="utf-8")
    assert csv_rows(out / "results.csv")[-1]["status"] in ("ok", "error")


def test_library_output_goes_to_the_debug_log(tmp_path):
    log = tmp_path / "debug.log"
    script = (
        "import logging, sys, warnings\n"
        "from pathlib import Path\n"
        "import numpy as np\n"
        "from cardioview.library_output import route_library_output\n"
        f"route_library_output(Path({str(log)!r}))\n"
        "np.float64(1.0) / np.float64(0.0)\n"  # numpy's RuntimeWarning
        "logging.getLogger('PIL.PngImagePlugin').warning('codec message')\n"
        "logging.getLogger('pydicom').warning('Doe^Jane')\n"  # pydicom may quote patient names: dropped
        "print('the user message', file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "the user message\n"
    text = log.read_text(encoding="utf-8")
    assert "divide by zero" in text and "codec message" in text and "Doe" not in text
