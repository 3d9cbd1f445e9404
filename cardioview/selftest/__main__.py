"""``python -m cardioview.selftest``."""

import sys

from cardioview.selftest.runner import main

sys.exit(main())
