"""Which Python runs build.py: the README's `python build.py …` must work as typed, with
whatever `python` a newcomer has, once `make install` has made the project's `.venv`.

Standard library only: this runs before any dependency is imported.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

# The builder's own imports (module name → what pip calls it), checked before the first one
# so that a missing package becomes one sentence instead of a traceback.
REQUIRED = {
    "jinja2": "jinja2",
    "markdown_it": "markdown-it-py",
    "mdit_py_plugins": "mdit-py-plugins",
    "pygments": "pygments",
    "yaml": "pyyaml",
    "nh3": "nh3",
    "lunr": "lunr",
    "watchfiles": "watchfiles",
}
# Set on the re-executed process: a venv that lacks a package too must not loop.
REEXEC_MARK = "HELPCENTER_BUILD_REEXEC"
EXIT_MISSING = 2


def missing_packages() -> list[str]:
    """The pip names of the builder's dependencies this interpreter cannot import."""
    return [pip for module, pip in REQUIRED.items() if importlib.util.find_spec(module) is None]


def venv_python(project: Path) -> Path | None:
    """The project's virtualenv interpreter (`make install` creates it), if there is one."""
    for name in ("bin/python", "Scripts/python.exe"):
        candidate = project / ".venv" / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def ensure_dependencies(project: Path, argv: list[str]) -> None:
    """Return when the builder can be imported; otherwise re-run `argv` with the project's
    venv (this process is replaced) or exit with one line saying what to do."""
    missing = missing_packages()
    if not missing:
        return
    python = venv_python(project)
    if python is not None and os.environ.get(REEXEC_MARK) != "1":
        os.environ[REEXEC_MARK] = "1"
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(python, [str(python), *argv])
    sys.stderr.write(missing_message(missing, python) + "\n")
    raise SystemExit(EXIT_MISSING)


def missing_message(missing: list[str], python: Path | None) -> str:
    names = ", ".join(missing)
    if python is None:
        return (f"build.py: {sys.executable} lacks {names} and there is no .venv here: "
                f"run `make install` once, then the same command again")
    return (f"build.py: the project's {python} lacks {names} too: "
            f"run `make install` to complete it, then the same command again")
