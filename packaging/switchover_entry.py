"""Frozen entry point for PyInstaller: the same `switchover.main:main` that the pip-installed command runs."""

import sys

from switchover.main import main

if __name__ == "__main__":
    sys.exit(main())
