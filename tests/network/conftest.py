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
    server = Orthanc(
        tmp_path_factory.mktemp("orthanc"),
        {"cardioview": (OUR_AET, scp_ports["move"]), "listener": (LISTENER_AET, scp_ports["listener"])},
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def predictor():
    from cardioview.inference.predictor import Predictor

    return Predictor()


@pytest.fixture(scope="session")
def chest_films(tmp_path_factory) -> list[Path]:
    """One study of two real frontal chest CR films (two series): pydicom-data's RG1_UNCR and a half-size copy."""
    from tests.network.films import downsized_copy, rg1_uncr

    folder = tmp_path_factory.mktemp("films")
    return [rg1_uncr(), downsized_copy(rg1_uncr(), folder / "rg1_half.dcm", factor=2)]
