"""One entry point: ``cardioview [gui|predict|train|evaluate|bundle|compare|export-onnx]``.

Each subcommand imports its heavy dependencies only when it runs, so
``cardioview --help`` and the GUI start fast.
"""

from __future__ import annotations

import argparse
import sys

from cardioview import __version__
from cardioview.gui.options import add_gui_arguments

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE = 0, 1, 2


COMMANDS = (
    "gui",
    "predict",
    "train",
    "evaluate",
    "bundle",
    "compare",
    "refit",
    "views",
    "export-onnx",
    "sign-bundle",
    "train-anatomy",
    "evaluate-anatomy",
    "listen",
    "pacs",
)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; only ``command``'s module is imported to declare its options."""
    parser = argparse.ArgumentParser(
        prog="cardioview",
        description="Cardiomegaly detection with an attention map on frontal chest X-rays "
        "(research and decision support; not cleared for diagnosis).",
    )
    parser.add_argument("--version", action="version", version=f"cardioview {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    from cardioview.predict_cli import add_predict_arguments

    add_predict_arguments(sub.add_parser("predict", help="analyse files or folders, write results.csv and PNG reports"))

    gui = sub.add_parser("gui", help="open the desktop viewer (default)")
    add_gui_arguments(gui)

    train = sub.add_parser("train", help="train a model on labelled chest X-rays")
    evaluate = sub.add_parser("evaluate", help="evaluate a weights bundle on labelled images")
    bundle = sub.add_parser("bundle", help="turn a finished training run into a calibrated weights bundle")
    compare = sub.add_parser("compare", help="compare weights bundles on the same labelled images (e.g. an ablation)")
    refit = sub.add_parser("refit", help="refit a bundle's preprocessing, calibration and threshold on validation")
    views = sub.add_parser("views", help="measure a bundle per view (PA / AP) on its validation and test splits")
    training_parsers = {
        "train": train,
        "evaluate": evaluate,
        "bundle": bundle,
        "compare": compare,
        "refit": refit,
        "views": views,
    }
    if command in training_parsers:
        # the training CLI declares its own options; only the command being run imports it
        _add_lazy(training_parsers[command], "cardioview.training.cli", "add_training_arguments", command)

    export = sub.add_parser("export-onnx", help="export a bundle's network to ONNX (the inference contract)")
    export.add_argument("--weights", help="bundle folder (default: the shipped weights)")
    export.add_argument("--out", required=True, help="destination .onnx file (never overwritten)")

    from cardioview.model.sign_cli import add_sign_arguments

    add_sign_arguments(sub.add_parser("sign-bundle", help="sign a weights bundle with a trusted Ed25519 key"))
    # issue 12: heart/lung segmenter training and evaluation (torch / OpenCV: source install only)
    anatomy_train = sub.add_parser("train-anatomy", help="train the heart/lung segmenter (resumable)")
    anatomy_eval = sub.add_parser("evaluate-anatomy", help="Dice, CTR agreement and heart-box IoU of the segmenter")
    if command == "train-anatomy":
        _add_lazy(anatomy_train, "cardioview.training.anatomy.train_cli", "add_arguments", command)
    if command == "evaluate-anatomy":
        _add_lazy(anatomy_eval, "cardioview.training.anatomy.evaluate", "add_arguments", command)
    _add_network_parsers(sub, command)
    return parser


def _add_network_parsers(sub, command: str | None) -> None:
    """DICOM network commands (cardioview.network); pynetdicom is imported only when one of them runs."""
    listen = sub.add_parser("listen", help="Storage SCP: analyse chest films as a PACS sends them")
    pacs = sub.add_parser("pacs", help="PACS echo / find / get / send")
    if command == "listen":
        _add_lazy(listen, "cardioview.network.listen_cli", "add_listen_arguments")
    if command == "pacs":
        _add_lazy(pacs, "cardioview.network.pacs_cli", "add_pacs_arguments")


def _add_lazy(parser: argparse.ArgumentParser, module: str, function: str, *args) -> None:
    """Let a subpackage declare its own arguments; the parser still builds if it is absent."""
    import importlib

    try:
        getattr(importlib.import_module(module), function)(parser, *args)
    except ImportError as exc:
        # e.g. training in the torch-free clinical bundle: main() says so instead of "unrecognized arguments".
        parser.set_defaults(
            _unavailable=f"not available in this installation ({exc}); "
            "use a source install with torch: pip install -e '.[train]'"
        )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    argv = list(argv) or ["gui"]
    command = next((a for a in argv if a in COMMANDS), None)
    parser = build_parser(command)
    args, unknown = parser.parse_known_args(argv)
    command = args.command or "gui"
    unavailable = getattr(args, "_unavailable", None)
    if unknown and not unavailable:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if unavailable:
        print(f"cardioview {command}: {unavailable}", file=sys.stderr)
        return EXIT_USAGE
    if command == "predict":
        from cardioview.predict_cli import run_predict

        return run_predict(args)
    if command == "gui":
        from cardioview.gui.app import run_gui

        return run_gui(args)
    if command in ("train", "evaluate", "bundle", "compare", "refit", "views"):
        from cardioview.training import cli as training_cli

        return training_cli.COMMANDS[command][1](args)
    if command == "export-onnx":
        return _export_onnx(args)
    if command == "sign-bundle":
        from cardioview.model.sign_cli import run_sign

        return run_sign(args)
    if command == "train-anatomy":
        from cardioview.training.anatomy import train_cli as anatomy_cli

        return anatomy_cli.run(args)
    if command == "evaluate-anatomy":
        from cardioview.training.anatomy import evaluate as anatomy_eval

        return anatomy_eval.run(args)
    if command == "listen":
        from cardioview.network.listen_cli import run_listen

        return run_listen(args)
    if command == "pacs":
        from cardioview.network.pacs_cli import run_pacs

        return run_pacs(args)
    parser.error(f"unknown command {command}")
    return EXIT_USAGE


def _export_onnx(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cardioview.errors import CardioViewError, WeightsError
    from cardioview.model.bundle import find_default_bundle, load_bundle

    out = Path(args.out)
    if out.exists():
        print(f"cardioview export-onnx: {out} exists; not overwriting it", file=sys.stderr)
        return EXIT_USAGE
    try:
        root = args.weights or find_default_bundle()
        if root is None:
            raise WeightsError("no weights found: pass --weights BUNDLE")
        bundle = load_bundle(root)
        try:
            from cardioview.model.checkpoint import load_network
            from cardioview.model.onnx_export import export_onnx
        except ImportError as exc:
            raise WeightsError(f"ONNX export needs torch ({exc}): pip install -e '.[train]'") from exc
        export_onnx(load_network(bundle), out, temperature=bundle.temperature)
    except CardioViewError as exc:
        print(f"cardioview export-onnx: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {out} (input 'image' N,3,H,W; outputs 'probability' N,1 and 'attention' N,1,h,w)")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
