"""The training commands: ``cardioview train``, ``evaluate``, ``bundle``, ``compare``, ``refit`` and ``views``.

The lead's ``cardioview/cli.py`` adds these to its sub-commands; ``python -m
cardioview.training train|evaluate ...`` runs them directly (also under torchrun).
Each command's arguments and entry point live in its own module (``COMMANDS`` names them).
Exit codes: 0 ok, 2 bad usage or unusable data.
"""

from __future__ import annotations

import argparse

from cardioview.training.card.bundle_cli import add_bundle_arguments, add_refit_arguments, run_bundle, run_refit
from cardioview.training.classifier.train_cli import add_train_arguments, run_train
from cardioview.training.evaluation.compare_cli import add_compare_arguments, run_compare


def add_evaluate_arguments(p: argparse.ArgumentParser) -> None:
    from cardioview.training.evaluation.evaluate_cli import add_arguments

    add_arguments(p)


def run_evaluate(args: argparse.Namespace) -> int:
    from cardioview.training.evaluation.evaluate_cli import run

    return run(args)


def add_views_arguments(p: argparse.ArgumentParser) -> None:
    from cardioview.training.evaluation.views_cli import add_arguments

    add_arguments(p)


def run_views(args: argparse.Namespace) -> int:
    """Measure a bundle per view (PA / AP, estimated on the splits) and optionally record it in its manifest."""
    from cardioview.training.evaluation.views_cli import run

    return run(args)


COMMANDS = {
    "train": (add_train_arguments, run_train),
    "evaluate": (add_evaluate_arguments, run_evaluate),
    "bundle": (add_bundle_arguments, run_bundle),
    "compare": (add_compare_arguments, run_compare),
    "refit": (add_refit_arguments, run_refit),
    "views": (add_views_arguments, run_views),
}


def add_training_arguments(p: argparse.ArgumentParser, command: str) -> None:
    """Declare the options of ``command`` (train, evaluate, bundle, compare, refit or views) on its parser ``p``."""
    COMMANDS[command][0](p)


def main(argv: list[str] | None = None) -> int:
    """``python -m cardioview.training {train,evaluate,bundle,compare,refit,views} ...``."""
    parser = argparse.ArgumentParser(prog="python -m cardioview.training")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (add, _) in COMMANDS.items():
        add(sub.add_parser(name, help=(COMMANDS[name][1].__doc__ or name).splitlines()[0]))
    args = parser.parse_args(argv)
    return COMMANDS[args.command][1](args)
