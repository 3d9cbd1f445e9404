"""What ``cardioview predict`` adds for the segmenter: its options (the ctr column, the masks and the
report's CTR are the results layer's: cardioview/results)."""

from __future__ import annotations

import argparse


def add_anatomy_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--masks-out",
        metavar="DIR",
        help="write DIR/<stem>_heart.png and DIR/<stem>_lungs.png (0/255, the input's own size)",
    )
    parser.add_argument(
        "--anatomy-weights",
        metavar="BUNDLE",
        default=None,
        help="heart/lung segmenter bundle (default: weights/cxr_anatomy when present)",
    )
    parser.add_argument(
        "--no-anatomy",
        dest="anatomy_weights",
        action="store_const",
        const=False,
        help="skip the segmentation and the CTR",
    )
