"""``cardioview sign-bundle``: sign a weights bundle's manifest with a trusted Ed25519 key (torch-free).

    cardioview sign-bundle BUNDLE --key KEY.pem     re-hash the files, sign, verify (exit 0)
    cardioview sign-bundle --public-key KEY.pem     print the trusted_keys.py line for KEY's public half

Exit codes: 0 done, 2 bad usage, an unreadable key, an invalid bundle or an untrusted key.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_USAGE = 0, 2


def add_sign_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("bundle", nargs="?", type=Path, help="the bundle folder to sign (e.g. weights/cxa_dense121)")
    p.add_argument("--key", type=Path, help="Ed25519 private key, PKCS#8 PEM (keep it off clinical workstations)")
    p.add_argument(
        "--public-key",
        type=Path,
        metavar="KEY.pem",
        help="print the line to add to cardioview/model/trusted_keys.py for this key, then exit",
    )


def run_sign(args: argparse.Namespace) -> int:
    from cardioview.errors import WeightsError
    from cardioview.model.signing import load_private_key, public_key_line

    try:
        if args.public_key is not None:
            print(public_key_line(load_private_key(args.public_key)))
            return EXIT_OK
        if args.bundle is None or args.key is None:
            print("cardioview sign-bundle: give BUNDLE and --key KEY.pem (or --public-key KEY.pem)", file=sys.stderr)
            return EXIT_USAGE
        from cardioview.model.bundle import sign_bundle

        bundle = sign_bundle(args.bundle, load_private_key(args.key))
    except WeightsError as exc:
        print(f"cardioview sign-bundle: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"{bundle.root}: {bundle.trust.note}; intended use {bundle.intended_use}", file=sys.stderr)
    return EXIT_OK
