"""``cardioview train-anatomy``: arguments and entry point (exit 0 ok, 2 bad data)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cardioview.training.anatomy.data import AnatomyDataError

EXIT_OK, EXIT_USAGE = 0, 2


def add_arguments(p: argparse.ArgumentParser, *_command) -> None:
    from cardioview.training.anatomy.train import AnatomyConfig

    d = AnatomyConfig(data="", out="")
    p.add_argument("--data", required=True, help="heart-lung folder (jsrt/ and wingspan/ with png/ and mask/)")
    p.add_argument("--out", required=True, help="run folder (outside the repository), e.g. ~/cardioview-runs/anatomy")
    p.add_argument("--input-size", type=int, default=d.input_size)
    p.add_argument("--base", type=int, default=d.base, help="U-Net channels at full resolution")
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--max-minutes", type=float, default=d.max_minutes)
    p.add_argument("--max-epochs", type=int, default=d.max_epochs)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--threads", type=int, default=d.threads)
    p.add_argument("--limit", type=int, default=0, help="only this many training images (smoke test)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out")


def run(args: argparse.Namespace) -> int:
    from cardioview.training.anatomy.train import AnatomyConfig, train

    out = str(Path(args.out).expanduser())
    cfg = AnatomyConfig(
        data=str(Path(args.data).expanduser()),
        out=out,
        input_size=args.input_size,
        base=args.base,
        batch_size=args.batch_size,
        lr=args.lr,
        max_minutes=args.max_minutes,
        max_epochs=args.max_epochs,
        seed=args.seed,
        threads=args.threads,
        limit=args.limit,
    )
    try:
        train(cfg, resume=args.resume, log=lambda m: print(m, flush=True))
    except AnatomyDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="cardioview train-anatomy")
    add_arguments(p)
    return run(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
