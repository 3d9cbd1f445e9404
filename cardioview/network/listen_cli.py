"""``cardioview listen``: run the triage listener until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from cardioview.errors import CardioViewError


def add_listen_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ae-title", default="CARDIOVIEW", help="our AE title (default CARDIOVIEW)")
    parser.add_argument("--port", type=int, default=11112, help="port to listen on (default 11112)")
    parser.add_argument("--host", default="0.0.0.0", help="address to bind (default all)")
    parser.add_argument("--out", required=True, metavar="DIR", help="received files, results.csv, SC/SR objects")
    parser.add_argument("--forward", metavar="AE@host:port",
                        help="send each result's Secondary Capture and SR there (or a DICOMweb URL: STOW-RS)")
    parser.add_argument("--no-dicom-results", action="store_true", help="results.csv only: no SC/SR objects")
    parser.add_argument("--deidentify", action="store_true", help="SC/SR get placeholder Patient/Study")
    parser.add_argument("--reports", action="store_true",
                        help="also write the annotated PNG report of each analysed film to OUT/reports/")
    parser.add_argument("--weights", metavar="BUNDLE")
    parser.add_argument("--backend", default="auto", choices=("auto", "onnx", "torch"))
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    parser.add_argument("--threshold", type=float)


def run_listen(args: argparse.Namespace) -> int:
    from cardioview.inference.predictor import Predictor
    from cardioview.network.listener import Listener, ListenerOptions
    from cardioview.network.nodes import Node

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("pydicom").setLevel(logging.CRITICAL)
    try:
        forward = Node.parse(args.forward, name="forward") if args.forward else None
        if forward is not None and args.no_dicom_results:
            raise CardioViewError("--forward sends the SC/SR objects: it cannot go with --no-dicom-results")
        predictor = Predictor(args.weights, backend=args.backend, device=args.device, threshold=args.threshold)
        listener = Listener(predictor, args.out, ListenerOptions(
            ae_title=args.ae_title, port=args.port, host=args.host, forward=forward,
            dicom_results=not args.no_dicom_results, deidentify=args.deidentify, reports=args.reports))
        listener.start()
    except CardioViewError as exc:
        print(f"cardioview listen: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    print(f"listening as {args.ae_title} on port {listener.port} with {predictor.model_id}; "
          f"results in {listener.results.path}", file=sys.stderr, flush=True)
    stop.wait()
    print("stopping: finishing the images already received ...", file=sys.stderr, flush=True)
    listener.stop(drain=True)
    c = listener.counts
    print(f"received {c['received']}: {c['ok']} analysed, {c['skipped']} skipped, {c['error']} failed",
          file=sys.stderr, flush=True)
    return 0
