"""Network fixtures: a real Orthanc (skipped with the reason when the binary is absent) and real films."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.network.orthanc import LISTENER_AET, OUR_AET, Orthanc, free_port, orthanc_binary


@pytest.fixture(scope="session")
def scp_ports() -> dict[str, int]:
    """Ports Orthanc knows our two SCPs by: the C-MOVE destination and the listener."""
    return {"move": free_port(), "listener": free_port()}


@pytest.fixture(scope="session")
def orthanc(tmp_path_factory, scp_ports):
    if orthanc_binary() is None:
        pytest.skip("Orthanc is not installed (Debian: apt-get install orthanc orthanc-dicomweb)")
    server = Orthanc(tmp_path_factory.mktemp("orthanc"),
                     {"cardioview": (OUR_AET, scp_ports["move"]), "listener": (LISTENER_AET, scp_ports["listener"])})
    yield server
    server.stop()


@pytest.fixture(scope="session")
def predictor():
    from cardioview.inference.predictor import Predictor

    return Predictor()


@pytest.fixture(scope="session")
def chest_films() -> list[Path]:
    """Two real frontal chest CR films: pydicom-data's RG1_UNCR and the MONOCHROME1 sample."""
    from pydicom.data import get_testdata_file

    from tests.conftest import REPO_ROOT

    return [Path(get_testdata_file("RG1_UNCR.dcm")), REPO_ROOT / "resources/samples/rg1_cr_chest_pa_monochrome1.dcm"]
