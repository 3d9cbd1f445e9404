"""``cardioview listen``: run the triage listener until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from cardioview.errors import CardioViewError
from cardioview.inference.onnx_session import BACKENDS, DEVICES


def add_listen_arguments(parser: argparse.ArgumentParser) -> None:
    from cardioview.network.peers import ae_title_argument

    parser.add_argument(
        "--ae-title",
        default="CARDIOVIEW",
        type=ae_title_argument,
        help="our AE title; associations calling another are rejected (default CARDIOVIEW)",
    )
    parser.add_argument("--port", type=int, default=11112, help="port to listen on (default 11112)")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1, this machine only; 0.0.0.0 for all interfaces)",
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="received files, results.csv, SC/SR/SEG objects")
    parser.add_argument(
        "--forward", metavar="AE@host:port", help="send each result's SC, SR and SEG there (or a DICOMweb URL: STOW-RS)"
    )
    parser.add_argument("--no-dicom-results", action="store_true", help="results.csv only: no SC/SR/SEG objects")
    parser.add_argument("--deidentify", action="store_true", help="SC/SR get placeholder Patient/Study; no SEG")
    parser.add_argument(
        "--reports",
        action="store_true",
        help="also write the annotated PNG report of each analysed film to OUT/reports/",
    )
    peers = parser.add_argument_group("peers and security")
    peers.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="AE[@HOST]",
        help="admit only this calling AE title (from this host); repeatable; default: any peer",
    )
    peers.add_argument("--tls-cert", metavar="PEM", help="our certificate (chain): TLS only, no plain DICOM")
    peers.add_argument("--tls-key", metavar="PEM", help="the private key of --tls-cert")
    peers.add_argument("--tls-ca", metavar="PEM", help="require client certificates signed by this CA")
    peers.add_argument(
        "--max-associations", metavar="N", type=int, default=8, help="concurrent associations (default 8)"
    )
    peers.add_argument(
        "--acse-timeout",
        metavar="S",
        type=float,
        default=30.0,
        help="seconds to wait for an association request or release (default 30)",
    )
    peers.add_argument(
        "--network-timeout",
        metavar="S",
        type=float,
        default=60.0,
        help="seconds of silence after which a connection is dropped (default 60)",
    )
    store = parser.add_argument_group("storage")
    store.add_argument(
        "--queue-size",
        metavar="N",
        type=int,
        default=1024,
        help="films received and not yet analysed; beyond it stores get 0xA700 (default 1024)",
    )
    store.add_argument(
        "--min-free-mb",
        metavar="MB",
        type=float,
        default=500.0,
        help="refuse stores (0xA700) when OUT's disk has less free space (default 500 MB)",
    )
    store.add_argument(
        "--retain-days",
        type=float,
        metavar="DAYS",
        help="delete analysed films from OUT/received after DAYS (default: keep)",
    )
    parser.add_argument("--weights", metavar="BUNDLE")
    parser.add_argument("--backend", default="auto", choices=BACKENDS)
    parser.add_argument("--device", default="auto", choices=DEVICES)
    parser.add_argument("--threshold", type=float)


def _options(args: argparse.Namespace):
    from cardioview.network.listener import ListenerOptions
    from cardioview.network.nodes import Node
    from cardioview.network.peers import PeerRule, server_tls_context

    forward = Node.parse(args.forward, name="forward") if args.forward else None
    if forward is not None and args.no_dicom_results:
        raise CardioViewError("--forward sends the SC/SR/SEG objects: it cannot go with --no-dicom-results")
    if bool(args.tls_cert) != bool(args.tls_key) or (args.tls_ca and not args.tls_cert):
        raise CardioViewError("TLS needs --tls-cert and --tls-key together (--tls-ca with them)")
    for name in ("max_associations", "queue_size"):
        if getattr(args, name) < 1:
            raise CardioViewError(f"--{name.replace('_', '-')} must be at least 1")
    if args.retain_days is not None and args.retain_days <= 0:
        raise CardioViewError("--retain-days must be positive")
    tls = server_tls_context(args.tls_cert, args.tls_key, args.tls_ca) if args.tls_cert else None
    return ListenerOptions(
        ae_title=args.ae_title,
        port=args.port,
        host=args.host,
        forward=forward,
        dicom_results=not args.no_dicom_results,
        deidentify=args.deidentify,
        reports=args.reports,
        allow=tuple(PeerRule.parse(a) for a in args.allow),
        tls=tls,
        max_associations=args.max_associations,
        acse_timeout=args.acse_timeout,
        network_timeout=args.network_timeout,
        queue_size=args.queue_size,
        min_free_mb=args.min_free_mb,
        retain_days=args.retain_days,
    )


def run_listen(args: argparse.Namespace) -> int:
    from cardioview.inference.predictor import Predictor
    from cardioview.network.listener import Listener

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for library in ("pydicom", "pynetdicom"):  # their messages can quote identifiers; ours never do
        logging.getLogger(library).setLevel(logging.CRITICAL)
    try:
        options = _options(args)
        predictor = Predictor(args.weights, backend=args.backend, device=args.device, threshold=args.threshold)
        listener = Listener(predictor, args.out, options)
        listener.start()
    except CardioViewError as exc:
        print(f"cardioview listen: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    peers = ", ".join(map(str, options.allow)) or "any calling AE"
    print(
        f"listening as {options.ae_title} on {listener.address}{' (TLS)' if options.tls else ''} "
        f"for {peers}, with {predictor.model_id}; results in {listener.results.path}",
        file=sys.stderr,
        flush=True,
    )
    stop.wait()
    print("stopping: finishing the images already received ...", file=sys.stderr, flush=True)
    listener.stop(drain=True)
    c = listener.counts
    print(
        f"received {c['received']} (+{c['recovered']} recovered, {c['duplicate']} duplicates, {c['refused']} "
        f"refused): {c['ok']} analysed, {c['unsuitable']} not applicable, {c['incomplete']} with an output "
        f"missing, {c['error']} failed",
        file=sys.stderr,
        flush=True,
    )
    return 0
