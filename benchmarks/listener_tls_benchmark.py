"""Listener TLS benchmark: C-STORE throughput into ``cardioview listen`` over TLS vs plain DICOM, same films, one run.

Real chest films (pydicom-data's RG1_UNCR at 1/``--factor`` per side, a new SOP Instance UID each), sent over one
association on loopback to a Listener (results.csv only). Two figures per transport, each the best of ``--repeats``:
- store: films per second from the first C-STORE to the last response (the network side: TLS costs show here);
- end to end: films per second until the last results.csv row (the model usually dominates).
The TLS listener requires a client certificate (a throw-away CA made with ``cryptography``). Ratio = TLS / plain.

Usage: python benchmarks/listener_tls_benchmark.py [--images N] [--factor F] [--repeats R] [--weights BUNDLE]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench_common import bundle_path  # benchmarks/ is on sys.path when run as a script


def make_films(folder: Path, count: int, factor: int) -> list:
    import pydicom
    from pydicom.uid import generate_uid

    from tests.network.films import downsized_copy, rg1_uncr

    folder.mkdir(parents=True)
    source = downsized_copy(rg1_uncr(), folder / "film.dcm", factor=factor)
    films = []
    for _ in range(count):
        ds = pydicom.dcmread(source)
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        films.append(ds)
    return films


def run_once(predictor, films: list, out: Path, tls: tuple | None) -> tuple[float, float]:
    """(store seconds, end-to-end seconds) for one push of ``films``."""
    from pynetdicom import AE

    from cardioview.network.listener import Listener, ListenerOptions
    from cardioview.network.peers import server_tls_context
    from cardioview.network.reactor import reactor_parked

    server_tls = server_tls_context(*tls[0]) if tls else None
    listener = Listener(predictor, out, ListenerOptions(port=0, dicom_results=False, tls=server_tls))
    listener.start()
    try:
        ae = AE(ae_title="BENCH")
        ae.add_requested_context(films[0].SOPClassUID, films[0].file_meta.TransferSyntaxUID)
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 600
        start = time.perf_counter()
        assoc = ae.associate(
            "127.0.0.1", listener.port, ae_title="CARDIOVIEW", tls_args=(tls[1], "localhost") if tls else None
        )
        if not assoc.is_established:
            raise SystemExit("association failed")
        with reactor_parked(assoc):  # as dimse.store does (a pynetdicom race, see network/reactor.py)
            for ds in films:
                if assoc.send_c_store(ds).Status != 0x0000:
                    raise SystemExit("a C-STORE failed")
        assoc.release()
        stored = time.perf_counter() - start
        if not listener.wait_idle(len(films), timeout=3600):
            raise SystemExit("the listener did not finish")
        return stored, time.perf_counter() - start
    finally:
        listener.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--factor", type=int, default=2, help="downsizing per side of the 1955x1841 film")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--weights")
    args = parser.parse_args()
    from cardioview.inference.predictor import Predictor
    from tests.network.tls_certs import CertificateAuthority, client_context

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        predictor = Predictor(bundle_path(args.weights, tmp))
        ca = CertificateAuthority(tmp / "pki")
        server, client = ca.issue("listener", server=True), ca.issue("bench", server=False)
        tls = ((str(server[0]), str(server[1]), str(ca.cert_path)), client_context(ca, client))
        best = {}
        for repeat in range(args.repeats):
            for name, transport in (("plain", None), ("tls", tls)):
                films = make_films(tmp / f"films_{name}_{repeat}", args.images, args.factor)
                times = run_once(predictor, films, tmp / f"out_{name}_{repeat}", transport)
                best[name] = tuple(min(a, b) for a, b in zip(best.get(name, times), times))
    n, size = args.images, len(films[0].PixelData) / 1e6
    print(f"{n} films of {size:.2f} MB pixel data, one association, loopback, best of {args.repeats}")
    for name in ("plain", "tls"):
        store_s, total_s = best[name]
        print(
            f"{name:5s}: store {n / store_s:7.2f} films/s ({n * size / store_s:6.1f} MB/s), "
            f"end to end {n / total_s:6.2f} films/s"
        )
    print(
        f"ratio TLS/plain: store {best['plain'][0] / best['tls'][0]:.2f}, "
        f"end to end {best['plain'][1] / best['tls'][1]:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
