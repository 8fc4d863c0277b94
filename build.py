#!/usr/bin/env python3
"""The writers' command line: build, serve, check, new, search. See `python build.py --help`."""

import sys
from pathlib import Path

from builder.environment import ensure_dependencies

if __name__ == "__main__":
    # Any `python` works: without the packages it re-runs under the project's .venv, or says
    # to run `make install` (one line, no traceback).
    ensure_dependencies(Path(__file__).resolve().parent, sys.argv)
    from builder.cli import main

    sys.exit(main())
