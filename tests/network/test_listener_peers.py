"""Peers under control: the called AE title, --allow, TLS on loopback, a stalled PDU, the association limit,
the audit trail and a bad --ae-title, against real dcmtk / pynetdicom peers."""

from __future__ import annotations

import json
import shutil
import socket
import struct
import subprocess

import pytest
from pynetdicom import AE
from pynetdicom.sop_class import Verification

from cardioview.cli import main
from cardioview.network.listener import Listener, ListenerOptions
from cardioview.network.peers import PeerRule, server_tls_context
from tests.network.films import downsized_copy, rg1_uncr
from tests.network.test_listener import rows
from tests.network.tls_certs import CertificateAuthority, client_context


def _echoscu(port: int, calling: str = "ECHOSCU", called: str = "CARDIOVIEW") -> subprocess.CompletedProcess:
    echoscu = shutil.which("echoscu")
    if echoscu is None:
        pytest.skip("DCMTK's echoscu is not installed (Debian: apt-get install dcmtk)")
    return subprocess.run(
        [echoscu, "-aet", calling, "-aec", called, "127.0.0.1", str(port)], capture_output=True, text=True, timeout=60
    )


def _audit(out) -> list[dict]:
    return [json.loads(line) for line in (out / "audit.jsonl").read_text().splitlines()]


@pytest.fixture
def started(predictor, tmp_path):
    """start(options) -> a running listener on a free loopback port; stopped after the test."""
    running = []

    def start(**options):
        listener = Listener(predictor, tmp_path / "out", ListenerOptions(port=0, dicom_results=False, **options))
        listener.start()
        running.append(listener)
        return listener

    yield start
    for listener in running:
        listener.stop()


def test_wrong_called_ae_and_peers_outside_allow_are_rejected_and_audited(started, tmp_path):
    listener = started(allow=(PeerRule("GOODSCU", "127.0.0.1"), PeerRule("ANYHOST")))
    assert _echoscu(listener.port, "GOODSCU").returncode == 0
    assert _echoscu(listener.port, "ANYHOST").returncode == 0
    wrong_called = _echoscu(listener.port, "GOODSCU", called="WRONGAE")
    assert wrong_called.returncode != 0 and "Called AE Title Not Recognized" in wrong_called.stderr
    stranger = _echoscu(listener.port, "STRANGER")
    assert stranger.returncode != 0 and "Calling AE Title Not Recognized" in stranger.stderr
    elsewhere = started(allow=(PeerRule("GOODSCU", "10.9.9.9"),))  # right AE, wrong host
    assert _echoscu(elsewhere.port, "GOODSCU").returncode != 0
    outcomes = [(e["calling_ae"], e["outcome"]) for e in _audit(tmp_path / "out") if e["event"] == "association"]
    assert ("GOODSCU", "rejected: called AE title not ours") in outcomes
    assert ("STRANGER", "rejected: calling AE/host not in --allow") in outcomes
    assert all(e["peer"] == "127.0.0.1" for e in _audit(tmp_path / "out"))


def test_tls_association_stores_a_film_and_plain_or_untrusted_clients_are_refused(started, tmp_path):
    ca = CertificateAuthority(tmp_path / "pki")
    server = ca.issue("listener", server=True)
    client = ca.issue("modality", server=False)
    listener = started(tls=server_tls_context(str(server[0]), str(server[1]), str(ca.cert_path)))
    film = downsized_copy(rg1_uncr(), tmp_path / "film.dcm", factor=8)

    def associate(tls_args):
        ae = AE(ae_title="MODALITY")
        ae.add_requested_context(Verification)
        ae.add_requested_context("1.2.840.10008.5.1.4.1.1.1")
        ae.acse_timeout = ae.network_timeout = 10
        return ae.associate("127.0.0.1", listener.port, ae_title="CARDIOVIEW", tls_args=tls_args)

    assoc = associate((client_context(ca, client), "localhost"))
    assert assoc.is_established
    import pydicom

    assert assoc.send_c_store(pydicom.dcmread(film)).Status == 0x0000
    assoc.release()
    assert listener.wait_idle(1, timeout=120)
    assert not associate(None).is_established  # plain DICOM on the TLS port
    assert not associate((client_context(ca, None), "localhost")).is_established  # no client certificate
    stranger_ca = CertificateAuthority(tmp_path / "other", name="Untrusted CA")
    intruder = client_context(ca, stranger_ca.issue("intruder", server=False))
    assert not associate((intruder, "localhost")).is_established
    again = associate((client_context(ca, client), "localhost"))  # the listener is still serving
    assert again.is_established and again.send_c_echo().Status == 0x0000
    again.release()
    [row] = rows(tmp_path / "out")
    assert row["status"] == "ok"


def test_a_stalled_pdu_is_dropped_after_the_network_timeout_and_the_association_limit_holds(started):
    listener = started(network_timeout=2, acse_timeout=30, max_associations=1)
    with socket.create_connection(("127.0.0.1", listener.port), timeout=20) as sock:
        sock.sendall(b"\x01\x00" + struct.pack(">I", 0xFFFFFFF0))  # an A-ASSOCIATE-RQ "of 4 GB", then silence
        try:
            closed = sock.recv(4096)  # closed by the 2 s network timeout (not the 30 s ACSE one, nor our 20 s)
        except ConnectionResetError:
            closed = b""
        assert closed == b""
    listener = started(max_associations=1)  # (a half-open request holds its slot until the ACSE timeout)
    first = AE(ae_title="FIRST")
    first.add_requested_context(Verification)
    held = first.associate("127.0.0.1", listener.port, ae_title="CARDIOVIEW")
    assert held.is_established
    second = AE(ae_title="SECOND")
    second.add_requested_context(Verification)
    refused = second.associate("127.0.0.1", listener.port, ae_title="CARDIOVIEW")
    assert refused.is_rejected
    held.release()


def test_an_ae_title_over_16_characters_is_a_usage_error(tmp_path, capsys):
    for command in (["listen", "--out", str(tmp_path)], ["pacs", "echo", "--to", "X@127.0.0.1:104"]):
        with pytest.raises(SystemExit) as exit_info:
            main([*command, "--ae-title", "A_TITLE_OF_20_CHARS"])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert "is 19 characters long; DICOM allows at most 16" in err and "Traceback" not in err
