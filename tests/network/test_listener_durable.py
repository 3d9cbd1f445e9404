"""The durable queue: a kill -9 mid-push and a restart analyse every film exactly once; a full queue and a disk
under the free-space floor are answered 0xA700 at once; a failed forward is visible; retention; permissions."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import stat
import subprocess
import threading
import time

import pydicom
import pytest
from pydicom.uid import generate_uid
from pynetdicom import AE

from cardioview.network.listener import Listener, ListenerOptions
from cardioview.network.nodes import Node
from tests.conftest import REPO_ROOT
from tests.helpers import cardioview_command, child_env, csv_rows, wait_until_answering
from tests.network.films import downsized_copy, rg1_uncr
from tests.network.orthanc import free_port


def _start_listen(out, port) -> subprocess.Popen:
    process = subprocess.Popen(
        cardioview_command("listen", "--port", port, "--out", out, "--no-dicom-results", "--min-free-mb", "0"),
        cwd=REPO_ROOT,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(OMP_NUM_THREADS="1"),
    )
    wait_until_answering(Node(name="l", ae_title="CARDIOVIEW", host="127.0.0.1", port=port), process, 180, poll=0.3)
    return process


def _rows(out) -> list[dict]:
    """The listener's rows so far (none before its first row)."""
    path = out / "results.csv"
    return csv_rows(path) if path.exists() else []


def test_kill_9_mid_push_then_restart_analyses_every_film_exactly_once(tmp_path):
    storescu = shutil.which("storescu")
    if storescu is None:
        pytest.skip("DCMTK's storescu is not installed (Debian: apt-get install dcmtk)")
    films = [downsized_copy(rg1_uncr(), tmp_path / f"film{i:02d}.dcm", factor=4) for i in range(60)]
    uids = {pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID for f in films}
    out, port = tmp_path / "out", free_port()
    push = [storescu, "-aec", "CARDIOVIEW", "127.0.0.1", str(port), *map(str, films)]
    listener = _start_listen(out, port)
    sender = subprocess.Popen(push, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while len(list((out / "received").glob("*.dcm"))) < 20:  # a burst is in, most of it not yet analysed
            assert time.monotonic() < deadline, "the push did not arrive"
            time.sleep(0.02)
        listener.send_signal(signal.SIGKILL)
        listener.wait(timeout=60)
        sender.wait(timeout=120)
    finally:
        for process in (listener, sender):
            if process.poll() is None:
                process.kill()
    received_before = sorted(p.name for p in (out / "received").glob("*.dcm"))
    unanalysed = len(received_before) - len(_rows(out))
    assert unanalysed > 0
    (out / "received" / ".000999.5f3a9c.tmp").write_bytes(b"half a film")  # what a kill mid-write leaves
    listener = _start_listen(out, port)
    try:
        resent = subprocess.run(push, capture_output=True, text=True, timeout=300)  # the sender retries it all
        assert resent.returncode == 0, resent.stderr
        deadline = time.monotonic() + 600
        while len(_rows(out)) < len(films):
            assert time.monotonic() < deadline and listener.poll() is None, "not every film was analysed"
            time.sleep(0.2)
        listener.send_signal(signal.SIGTERM)
        _, err = listener.communicate(timeout=120)
    finally:
        if listener.poll() is None:
            listener.kill()
    written = _rows(out)
    assert sorted(r["sop_instance_uid"] for r in written) == sorted(uids)  # every film once, none twice
    assert {r["status"] for r in written} == {"ok"}
    assert f"{unanalysed} film(s) received before the last stop had no result" in err
    names = sorted(p.name for p in (out / "received").glob("*.dcm"))
    assert len(names) == len(films) and set(received_before) <= set(names)  # numbers never reused
    assert not list((out / "received").glob(".*.tmp"))
    audit = [json.loads(line) for line in (out / "audit.jsonl").read_text().splitlines()]
    assert sum(e["event"] == "recovery" for e in audit) == unanalysed
    assert sum(e["outcome"].startswith("duplicate") for e in audit) == len(received_before)
    print(f"\nkill -9 with {unanalysed} of {len(received_before)} received films unanalysed: all recovered")


class _Gate:
    """The real predictor, held until ``open()``: the analysis thread stays busy while the network side is tested."""

    def __init__(self, predictor):
        self.predictor, self.bundle, self.event = predictor, predictor.bundle, threading.Event()

    def predict(self, xray):
        self.event.wait(timeout=300)
        return self.predictor.predict(xray)

    def open(self):
        self.event.set()


def _store_one(port, ds) -> int:
    ae = AE(ae_title="MODALITY")
    ae.add_requested_context(ds.SOPClassUID)
    assoc = ae.associate("127.0.0.1", port, ae_title="CARDIOVIEW")
    try:
        return assoc.send_c_store(ds).Status
    finally:
        assoc.release()


def _fresh(source):
    ds = pydicom.dcmread(source)
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    return ds


def test_full_queue_and_low_disk_get_0xa700_at_once_and_nothing_is_written(predictor, tmp_path):
    source = downsized_copy(rg1_uncr(), tmp_path / "film.dcm", factor=8)
    gate = _Gate(predictor)
    listener = Listener(gate, tmp_path / "out", ListenerOptions(port=0, dicom_results=False, queue_size=2))
    listener.start()
    try:
        statuses = [_store_one(listener.port, _fresh(source)) for _ in range(4)]
        assert statuses == [0x0000, 0x0000, 0xA700, 0xA700]  # the queue holds 2 films
        first = pydicom.dcmread(sorted((tmp_path / "out" / "received").glob("*.dcm"))[0])
        assert _store_one(listener.port, first) == 0x0000  # a resend of a film it holds: success, not stored again
        assert len(list((tmp_path / "out" / "received").glob("*.dcm"))) == 2
        listener.inbox.min_free_mb = 1e12  # a floor no disk clears
        gate.open()
        assert listener.wait_idle(2, timeout=120)
        assert _store_one(listener.port, _fresh(source)) == 0xA700
    finally:
        gate.open()
        listener.stop()
    assert len(list((tmp_path / "out" / "received").glob("*.dcm"))) == 2
    assert listener.counts["refused"] == 3 and listener.counts["duplicate"] == 1


def test_a_failed_forward_is_an_incomplete_row_on_stderr_and_stored_data_is_owner_only(predictor, tmp_path, caplog):
    # The error goes to the "cardioview.listen" logger, which `cardioview listen` sends to stderr (basicConfig);
    # read in-process from the logger, as other tests may have re-routed the root handlers.
    caplog.set_level(logging.ERROR, logger="cardioview.listen")
    nowhere = Node(name="pacs", ae_title="PACS", host="127.0.0.1", port=free_port())
    listener = Listener(predictor, tmp_path / "out", ListenerOptions(port=0, forward=nowhere, retain_days=1))
    listener.start()
    try:
        film = downsized_copy(rg1_uncr(), tmp_path / "film.dcm", factor=8)
        assert _store_one(listener.port, pydicom.dcmread(film)) == 0x0000
        assert listener.wait_idle(1, timeout=120)
    finally:
        listener.stop()
    [row] = _rows(tmp_path / "out")
    assert row["status"] == "incomplete" and "forward failed" in row["error"] and "nothing listens" in row["error"]
    assert row["probability"] and row["study_instance_uid"] == pydicom.dcmread(film).StudyInstanceUID
    err = caplog.text
    assert "forward failed" in err
    out = tmp_path / "out"
    source = pydicom.dcmread(film, stop_before_pixels=True)
    [entry] = [json.loads(line) for line in (out / "audit.jsonl").read_text().splitlines() if '"store"' in line]
    assert entry["calling_ae"] == "MODALITY" and entry["peer"] == "127.0.0.1"
    assert entry["sop_instance_uid"] == source.SOPInstanceUID and entry["outcome"] == "stored and queued"
    for text in ((out / "audit.jsonl").read_text(), (out / "results.csv").read_text(), err):  # no patient data
        assert str(source.PatientName) not in text and str(source.PatientID) not in text
    for folder in (out, out / "received", out / "dicom"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    stored = [out / "results.csv", out / "audit.jsonl", *(out / "received").glob("*.dcm"), *(out / "dicom").iterdir()]
    assert len(stored) == 6  # results, audit, the film, its SC, SR and SEG
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in stored)
    # retention: a film older than --retain-days with its row recorded goes; the next start sweeps it
    [received] = (out / "received").glob("*.dcm")
    os.utime(received, (time.time() - 2 * 86400,) * 2)
    Listener(predictor, out, ListenerOptions(retain_days=1)).recover()
    assert not received.exists()


def test_a_film_the_listener_died_on_twice_gets_an_error_row_instead_of_a_third_try(predictor, tmp_path):
    """A restart loop must not analyse a film that takes the process down for ever: two interrupted analyses
    (recorded in received/.NNNNNN.attempts before each starts) and the next start gives it an error row."""
    first = Listener(predictor, tmp_path / "out", ListenerOptions(port=0, dicom_results=False))
    number = first.inbox.next_number()
    poison = first.inbox.store(number, downsized_copy(rg1_uncr(), tmp_path / "film.dcm", factor=8).read_bytes())
    retried = first.inbox.store(
        first.inbox.next_number(), downsized_copy(rg1_uncr(), tmp_path / "b.dcm", factor=8).read_bytes()
    )
    for _ in range(2):  # what two deaths during its analysis leave behind
        first.inbox.begin_attempt(poison)
    first.inbox.begin_attempt(retried)  # one death: retried
    listener = Listener(predictor, tmp_path / "out", ListenerOptions(port=0, dicom_results=False))
    listener.start()
    try:
        assert listener.wait_idle(2, timeout=120)
    finally:
        listener.stop()
    rows = {r["path"]: r for r in _rows(tmp_path / "out")}
    assert rows[str(poison)]["status"] == "error" and "interrupted 2 times" in rows[str(poison)]["error"]
    assert rows[str(retried)]["status"] == "ok"
    assert not list((tmp_path / "out" / "received").glob(".*.attempts"))
