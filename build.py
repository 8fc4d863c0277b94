#!/usr/bin/env python3
"""The writers' command line: build, serve, check, new, search. See `python build.py --help`."""

import sys

from builder.cli import main

if __name__ == "__main__":
    sys.exit(main())
