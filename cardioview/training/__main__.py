"""``python -m cardioview.training train|evaluate ...`` (also the torchrun entry point)."""

import sys

from cardioview.training.cli import main

sys.exit(main())
