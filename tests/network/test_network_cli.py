"""``cardioview predict --dicom-out`` and ``cardioview pacs ...`` end to end."""

from __future__ import annotations

import pydicom

from cardioview.cli import main
from tests.conftest import REPO_ROOT
from tests.network.orthanc import ORTHANC_AET, free_port
from tests.network.test_dicom_results import dciodvfy_errors

SAMPLES = REPO_ROOT / "resources" / "samples"


def test_predict_dicom_out_writes_valid_sc_and_sr_per_input(tmp_path):
    inputs = [SAMPLES / "rg1_cr_chest_pa_monochrome1.dcm", SAMPLES / "nih_00000001_000_cardiomegaly.png"]
    code = main(
        [
            "predict",
            *map(str, inputs),
            "--out",
            str(tmp_path / "out"),
            "--no-report",
            "--dicom-out",
            str(tmp_path / "dicom"),
        ]
    )
    assert code == 0
    written = sorted(p.name for p in (tmp_path / "dicom").iterdir())
    # a raster has no source film for a Segmentation; the DICOM film gets its heart/lung SEG
    assert written == [
        "nih_00000001_000_cardiomegaly_sc.dcm",
        "nih_00000001_000_cardiomegaly_sr.dcm",
        "rg1_cr_chest_pa_monochrome1_sc.dcm",
        "rg1_cr_chest_pa_monochrome1_seg.dcm",
        "rg1_cr_chest_pa_monochrome1_sr.dcm",
    ]
    for name in written:
        assert dciodvfy_errors(tmp_path / "dicom" / name) == [], name
    source = pydicom.dcmread(inputs[0], stop_before_pixels=True)
    assert pydicom.dcmread(tmp_path / "dicom" / written[2]).StudyInstanceUID == source.StudyInstanceUID


def test_pacs_commands_echo_find_send_and_a_clear_failure(orthanc, tmp_path, capsys, predictor, chest_films):
    orthanc.clear()
    orthanc.upload(chest_films[0])
    to = f"{ORTHANC_AET}@127.0.0.1:{orthanc.dicom_port}"
    assert main(["pacs", "echo", "--to", to]) == 0
    assert main(["pacs", "find", "--to", to, "--patient-id", "9RG1"]) == 0
    assert pydicom.dcmread(chest_films[0], stop_before_pixels=True).StudyInstanceUID in capsys.readouterr().out
    assert (
        main(
            [
                "predict",
                str(chest_films[0]),
                "--out",
                str(tmp_path / "o"),
                "--no-report",
                "--dicom-out",
                str(tmp_path / "d"),
            ]
        )
        == 0
    )
    assert main(["pacs", "send", *map(str, sorted((tmp_path / "d").iterdir())), "--to", to]) == 0
    assert len(orthanc.rest("/instances")) == 4  # the film, its SC, SR and SEG
    capsys.readouterr()
    assert main(["pacs", "echo", "--to", f"X@127.0.0.1:{free_port()}"]) == 1
    assert "nothing listens" in capsys.readouterr().err
