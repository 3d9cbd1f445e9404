"""``cardioview pacs echo|find|get|send``: the network operations from a terminal.

A node is named from the settings (``--node NAME``) or given inline (``--to AE@host:port`` or a DICOMweb URL).
"""

from __future__ import annotations

import argparse
import sys

from cardioview.errors import CardioViewError


def add_pacs_arguments(parser: argparse.ArgumentParser) -> None:
    from cardioview.network.peers import ae_title_argument

    parser.add_argument("action", choices=("echo", "find", "get", "send"))
    parser.add_argument("files", nargs="*", metavar="FILE", help="send: DICOM files to store")
    parser.add_argument("--node", help="a node name from the PACS settings")
    parser.add_argument("--to", metavar="AE@host:port|URL", help="a node given inline")
    parser.add_argument("--ae-title", type=ae_title_argument, help="our AE title (default: the settings', CARDIOVIEW)")
    parser.add_argument("--patient-id", default="")
    parser.add_argument("--patient-name", default="")
    parser.add_argument("--accession", default="")
    parser.add_argument("--date-from", default="", help="YYYYMMDD")
    parser.add_argument("--date-to", default="", help="YYYYMMDD")
    parser.add_argument("--modality", action="append", help="repeatable; default CR and DX")
    parser.add_argument("--study", help="get: Study Instance UID")
    parser.add_argument("--cache", help="get: cache folder (default: the platform cache)")
    parser.add_argument("--timeout", type=float, default=10.0)


def run_pacs(args: argparse.Namespace) -> int:
    from cardioview.network import dicomweb, dimse
    from cardioview.network.cache import StudyCache
    from cardioview.network.nodes import Node, load_nodes

    try:
        settings = load_nodes()
        node = Node.parse(args.to, name="inline") if args.to else settings.node(args.node) if args.node else None
        if node is None:
            raise CardioViewError("name a node: --node NAME (from the settings) or --to AE@host:port")
        local = args.ae_title or settings.local_ae_title
        if args.action == "echo":
            dimse.echo(node, local, timeout=args.timeout)
            print(f"{node.name}: C-ECHO ok")
        elif args.action == "find":
            query = dimse.StudyQuery(
                args.patient_id,
                args.patient_name,
                args.date_from,
                args.date_to,
                tuple(args.modality or ("CR", "DX")),
                args.accession,
            )
            found = (
                dimse.find(node, query, local_ae=local, timeout=args.timeout)
                if node.has_dimse
                else dicomweb.search(node, query, timeout=args.timeout)
            )
            for ds in found:
                print(
                    "\t".join(
                        str(ds.get(k, ""))
                        for k in ("StudyInstanceUID", "StudyDate", "ModalitiesInStudy", "NumberOfStudyRelatedInstances")
                    )
                )
            print(f"{len(found)} stud{'y' if len(found) == 1 else 'ies'}", file=sys.stderr)
        elif args.action == "get":
            if not args.study:
                raise CardioViewError("get needs --study UID")
            cache = StudyCache(args.cache)
            if not node.has_dimse:
                files = dicomweb.retrieve(node, args.study, cache)
            elif node.retrieve == "move":
                files = dimse.move(node, args.study, cache, local, settings.local_port, timeout=args.timeout)
            else:
                files = dimse.get(node, args.study, cache, local_ae=local, timeout=args.timeout)
            print(f"{len(files)} file(s) in {cache.study_dir(args.study)}")
        else:
            if not args.files:
                raise CardioViewError("send needs FILE arguments")
            count = (
                dimse.store(node, args.files, local, timeout=args.timeout)
                if node.has_dimse
                else dicomweb.stow(node, [__import__("pydicom").dcmread(f) for f in args.files])
            )
            print(f"{count} object(s) stored on {node.name}")
    except CardioViewError as exc:
        print(f"cardioview pacs {args.action}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"cardioview pacs {args.action}: {exc}", file=sys.stderr)
        return 1
    return 0
