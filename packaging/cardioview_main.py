"""PyInstaller's script for the CardioView executable (see cardioview.frozen for what it does)."""

import multiprocessing
import sys

if __name__ == "__main__":
    # A frozen child process (multiprocessing's spawn/forkserver helpers) must run its task, not the app.
    multiprocessing.freeze_support()
    from cardioview.frozen import main

    sys.exit(main())
