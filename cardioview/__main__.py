"""`python -m cardioview ...` (also what `torchrun -m cardioview train ...` runs)."""

import sys

from cardioview.cli import main

if __name__ == "__main__":
    sys.exit(main())
