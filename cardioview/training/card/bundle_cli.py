"""``cardioview bundle`` and ``cardioview refit``: the commands that write a weights bundle.

``bundle`` turns a finished run into a calibrated bundle with its model card
(:mod:`cardioview.training.card.bundle_writer`); ``refit`` refits a bundle in place
(:mod:`cardioview.training.classifier.refit`). Both may sign the manifest with a trusted key.
Registered in :mod:`cardioview.training.cli`. Exit codes: 0 ok, 2 bad usage or unusable data.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cardioview.errors import CardioViewError, WeightsError
from cardioview.model.bundle import load_bundle, sign_bundle
from cardioview.model.signing import load_private_key, public_key_id
from cardioview.model.trusted_keys import TRUSTED_KEYS
from cardioview.training.classifier.data import DataError

EXIT_OK, EXIT_USAGE = 0, 2


def add_bundle_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--run", type=Path, default=None, help="a finished training run folder (not needed with --card-only)"
    )
    p.add_argument("--out", type=Path, required=True, help="bundle folder to write (e.g. weights/cxa_dense121)")
    p.add_argument("--name", default="cxa_dense121")
    p.add_argument("--threshold-rule", choices=("youden", "max-f1"), default="youden")
    p.add_argument("--attention-limit", type=int, default=0)
    p.add_argument("--bootstrap", type=int, default=2000)
    p.add_argument(
        "--card-notes",
        type=Path,
        default=None,
        help="markdown whose '## Title' sections fill the model card's text (Summary, Data, Recipe, ...)",
    )
    p.add_argument(
        "--contact-sheet",
        type=Path,
        default=None,
        help="labels.csv of full-size images for contact_sheet.jpg (e.g. ../shared/data/nih1024/labels.csv)",
    )
    p.add_argument(
        "--ablation",
        type=Path,
        default=None,
        help="comparison.json (or its folder) from 'cardioview compare' for the card's ablation section",
    )
    p.add_argument(
        "--ensemble",
        type=Path,
        default=None,
        help="comparison.json (or its folder) from 'cardioview compare --ensemble': recorded in the manifest as "
        "ensemble_measurement (a signed bundle needs --signing-key) and rendered in the card",
    )
    p.add_argument(
        "--probe",
        type=Path,
        action="append",
        default=[],
        help="probe.json (or its folder) from the head probe, for the card's attention-options table; repeatable",
    )
    p.add_argument(
        "--boxes",
        type=Path,
        default=None,
        help="box table (a boxes.csv beside its films, or BBox_List_2017.csv): localisation in the manifest",
    )
    p.add_argument(
        "--signing-key",
        type=Path,
        default=None,
        metavar="KEY.pem",
        help="sign the manifest with this trusted Ed25519 private key (with --card-only: sign the bundle in --out)",
    )
    p.add_argument(
        "--card-only",
        action="store_true",
        help="keep the bundle in --out as it is; only (re)write its contact sheet and MODEL_CARD.md",
    )


def write_card(args: argparse.Namespace) -> None:
    """Contact sheet (if asked) and MODEL_CARD.md for the bundle just written."""
    from cardioview.training.card.model_card import read_notes, write_model_card

    rows = None
    if args.contact_sheet is not None:
        from cardioview.training.card.contact_sheet import contact_sheet
        from cardioview.training.classifier.data import read_labels_csv

        # positives first, so the sheet reads as two groups
        samples = sorted(read_labels_csv(args.contact_sheet), key=lambda s: (-s.label, str(s.path)))
        rows = contact_sheet(args.out, samples, args.out / "contact_sheet.jpg", overwrite=True)

    def read_json(path: Path, name: str) -> dict:
        return json.loads(_json_file(path, name).read_text(encoding="utf-8"))

    comparison = read_json(args.ablation, "comparison.json") if args.ablation is not None else None
    probes = [read_json(p, "probe.json") for p in args.probe]
    notes = read_notes(args.card_notes) if args.card_notes is not None else {}
    write_model_card(args.out, notes, comparison=comparison, sheet_rows=rows, probes=probes)


def _json_file(path: Path, name: str) -> Path:
    """``path`` itself, or ``path/name`` when ``path`` is a folder."""
    return path / name if path.is_dir() else path


def _signing_key(path: Path | None):
    """The private key for ``--signing-key``, checked to be one the application trusts."""
    if path is None:
        return None

    key = load_private_key(path)
    if public_key_id(key) not in TRUSTED_KEYS:
        raise WeightsError(
            f"{path}: key {public_key_id(key)} is not trusted by this application "
            "(add it with cardioview sign-bundle --public-key, see README)"
        )
    return key


def run_bundle(args: argparse.Namespace) -> int:
    """Calibrate, threshold, evaluate and export a run into a weights bundle."""
    from cardioview.training.card.bundle_writer import build_bundle

    if not args.card_only and (args.run is None or not (args.run / "best.safetensors").is_file()):
        print(f"error: --run {args.run}: no best.safetensors (not a finished run)", file=sys.stderr)
        return EXIT_USAGE
    for given in (args.card_notes, args.contact_sheet, args.ablation, args.ensemble, args.boxes, *args.probe):
        if given is not None and not given.exists():
            print(f"error: {given}: not found", file=sys.stderr)
            return EXIT_USAGE
    try:
        key = _signing_key(args.signing_key)  # before the long build: a bad key fails fast
        if args.card_only:
            bundle = sign_bundle(args.out, key) if key is not None else load_bundle(args.out)
            manifest = bundle.manifest  # loading verified the manifest (and its signature)
        else:
            manifest = build_bundle(
                args.run,
                args.out,
                args.name,
                args.threshold_rule,
                args.attention_limit,
                args.bootstrap,
                boxes=args.boxes,
                signing_key=key,
            )
        if args.ensemble is not None:
            from cardioview.training.evaluation.ensemble import record_measurement

            measured = json.loads(_json_file(args.ensemble, "comparison.json").read_text(encoding="utf-8"))
            manifest = record_measurement(args.out, measured, key)
        write_card(args)
    except (DataError, CardioViewError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    ev = manifest.get("evaluation", {})
    if ev:
        from cardioview.training.evaluation.evaluate import format_table

        print(format_table(ev))
    print(f"bundle written to {args.out}", file=sys.stderr)
    return EXIT_OK


def add_refit_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--bundle", type=Path, required=True, help="the bundle to refit in place (e.g. weights/cxa_dense121)"
    )
    p.add_argument("--data", type=Path, required=True, help="the bundle's training source (labels.csv folder)")
    p.add_argument("--seed", type=int, default=0, help="the split seed of the bundle's training run")
    p.add_argument(
        "--boxes",
        type=Path,
        default=None,
        help="nih-boxes/boxes.csv: localisation, pair and per-view figures on those films",
    )
    p.add_argument("--bootstrap", type=int, default=2000)
    p.add_argument("--signing-key", type=Path, default=None, metavar="KEY.pem", help="sign the new manifest")


def run_refit(args: argparse.Namespace) -> int:
    """Refit a bundle's preprocessing (version 2), calibration and threshold on validation (no retraining)."""
    from cardioview.training.classifier.refit import refit_bundle
    from cardioview.training.evaluation.evaluate import format_table

    try:
        key = _signing_key(args.signing_key)
        manifest = refit_bundle(args.bundle, args.data, args.boxes, args.seed, key, args.bootstrap)
    except (DataError, CardioViewError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(format_table(manifest["evaluation"]))
    print(
        f"bundle refitted in {args.bundle}; re-render its card with: bundle --out {args.bundle} --card-only",
        file=sys.stderr,
    )
    return EXIT_OK
