"""Decode compressed DICOM pixel data in a supervised worker process.

The native decoders can take the interpreter down with them: python-gdcm
throws C++ exceptions that abort (SIGABRT), pylibjpeg-rle raises a Rust
``PanicException`` (a BaseException). A crash in the worker costs one file a
reason ("the JPEG 2000 decoder crashed on this file"); the worker is started
again for the next file. One persistent 'spawn' worker (safe with Qt threads,
and what a PyInstaller bundle supports via ``multiprocessing.freeze_support``)
keeps the added cost to one pickled round trip per image.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset

from cardioview.imaging.detail import library_detail

#: Seconds one decode may take before the worker is killed.
DECODE_TIMEOUT_S = 120.0
#: Address-space cap for the worker (Linux/macOS): a decoder that believes a
#: forged codestream fails there instead of exhausting the machine.
WORKER_MEMORY_LIMIT = 3 * 1024**3

_CTX = multiprocessing.get_context("spawn")


@dataclass(frozen=True)
class DecodeFailure:
    """Why the worker produced no frame."""

    kind: str  # "error", "panic", "crashed", "timeout"
    detail: str
    missing_dependencies: bool = False


def pixel_dataset(ds: Dataset) -> Dataset:
    """The image pixel module and pixel data only: what the worker needs (no patient data)."""
    small = Dataset()
    small.file_meta = FileMetaDataset()
    small.file_meta.TransferSyntaxUID = ds.file_meta.TransferSyntaxUID
    for element in ds.group_dataset(0x0028):
        small.add(element)
    for keyword in ("NumberOfFrames", "PixelData"):
        if keyword in ds:
            small.add(ds[keyword])
    return small


def decode_in_process(ds: Dataset, index: int = 0) -> tuple[np.ndarray, str]:
    """Frame ``index`` (0-based) and its photometric interpretation, decoded here (what the worker runs).

    YBR_FULL(_422) stays YBR: pydicom's RGB conversion of a whole frame makes float
    copies (2.6 GB for a 100 MP film); the gray conversion converts per chunk instead.
    """
    from pydicom.pixels import get_decoder

    decoder = get_decoder(ds.file_meta.TransferSyntaxUID)
    frame, meta = decoder.as_array(ds, index=index, as_rgb=False)
    return frame, str(meta.get("photometric_interpretation") or ds.get("PhotometricInterpretation", "")).upper()


class DecodeWorker:
    """A restartable worker process; ``decode`` is thread-safe (one decode at a time)."""

    def __init__(self, timeout_s: float = DECODE_TIMEOUT_S, memory_limit: int | None = WORKER_MEMORY_LIMIT):
        self.timeout_s = timeout_s
        self.memory_limit = memory_limit
        self._lock = threading.Lock()
        self._process: Any = None
        self._send: Any = None
        self._receive: Any = None
        self.restarts = 0

    def decode(self, ds: Dataset, index: int = 0) -> tuple[np.ndarray, str] | DecodeFailure:
        """Decode frame ``index`` (default the first) of ``ds`` (a ``pixel_dataset``) in the worker."""
        with self._lock:
            self._ensure_started()
            try:
                self._send.send((ds, index))
                if not self._receive.poll(self.timeout_s):
                    self._kill()
                    return DecodeFailure("timeout", f"no result after {self.timeout_s:.0f} s")
                status, *payload = self._receive.recv()
            except (EOFError, OSError, BrokenPipeError):
                return self._died()
            if status == "ok":
                return payload[0], payload[1]
            return DecodeFailure(status, payload[0], bool(payload[1]))

    def close(self) -> None:
        with self._lock:
            self._kill()

    def _ensure_started(self) -> None:
        if self._process is not None and self._process.is_alive():
            return
        self._kill()
        to_worker_r, to_worker_w = _CTX.Pipe(duplex=False)
        from_worker_r, from_worker_w = _CTX.Pipe(duplex=False)
        self._process = _CTX.Process(
            target=_serve, args=(to_worker_r, from_worker_w, self.memory_limit), name="cardioview-decoder", daemon=True
        )
        self._process.start()
        # Close our copies of the worker's ends, so its death reads as EOF here.
        to_worker_r.close()
        from_worker_w.close()
        self._send, self._receive = to_worker_w, from_worker_r

    def _died(self) -> DecodeFailure:
        process = self._process
        process.join(5)
        code = process.exitcode
        self._kill()
        self.restarts += 1
        how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return DecodeFailure("crashed", how)

    def _kill(self) -> None:
        if self._process is not None and self._process.pid is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join(5)
        for conn in (self._send, self._receive):
            if conn is not None:
                conn.close()
        self._process = self._send = self._receive = None


def _serve(receive: Any, send: Any, memory_limit: int | None) -> None:
    """Worker loop: datasets in, ("ok", frame, photometric) or a failure out."""
    _limit_memory(memory_limit)
    _silence_stderr()
    while True:
        try:
            ds, index = receive.recv()
        except (EOFError, OSError):
            return
        try:
            frame, photometric = decode_in_process(ds, index)
            reply: tuple = ("ok", frame, photometric)
        except MemoryError:
            reply = ("error", "not enough memory to decode this image", False)
        except Exception as exc:  # noqa: BLE001 - reported to the parent as one line
            reply = ("error", library_detail(exc), _missing(ds) and "not support" in str(exc).lower())
        except BaseException as exc:  # pyo3_runtime.PanicException from a Rust decoder
            if type(exc).__name__ != "PanicException":
                raise
            reply = ("panic", library_detail(exc), False)
        send.send(reply)


def _missing(ds: Dataset) -> bool:
    from pydicom.pixels import get_decoder

    return bool(get_decoder(ds.file_meta.TransferSyntaxUID).missing_dependencies)


def _limit_memory(limit: int | None) -> None:
    if not limit:
        return
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # Windows, or a lower hard limit already
        pass


def _silence_stderr() -> None:
    # Codec messages ("terminate called after ...") are not for the user.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:
        pass


_shared: DecodeWorker | None = None
_shared_lock = threading.Lock()


def shared_worker() -> DecodeWorker:
    """The process-wide worker the loader uses (started on first use)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = DecodeWorker()
        return _shared
