"""``CardioView --self-test``: prove that a build decodes, analyses and reports, offline (see runner.py).

One entry: :func:`run_selftest` (and :func:`main`, its command line, also ``python -m cardioview.selftest``).
"""

from cardioview.selftest.runner import main, run_selftest

__all__ = ["main", "run_selftest"]
