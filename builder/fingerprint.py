"""Know, without reading a single article, that nothing changed since the last build.

A rebuild with no edits should cost milliseconds, not a full render. The fingerprint covers
every input of the output: each file under content/, the config, the theme (default and the
project's overrides), brand files, the builder's own code, the git HEAD (dates come from it),
SOURCE_DATE_EPOCH and the build options. File identity is (path, size, mtime_ns), as make
and most build tools trust it.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

from builder.config.loader import Config
from builder.output import MANIFEST

_BUILDER = Path(__file__).resolve().parent


def input_fingerprint(config: Config, theme_dirs: list[Path], options: str) -> str:
    digest = hashlib.sha256(options.encode())
    digest.update(os.environ.get("SOURCE_DATE_EPOCH", "").encode())
    digest.update(_git_head(config.root).encode())
    for folder in (config.content_dir, *theme_dirs, _BUILDER):
        _stat_tree(folder, digest)
    for key in ("brand.logo", "brand.favicon", "brand.custom_css"):
        path = config.resolve(key)
        if path is not None:
            _stat_file(path, digest)
    _stat_file(config.path, digest)
    return digest.hexdigest()


def output_intact(out_dir: Path) -> bool:
    """Every file the last build wrote is still there with its size unchanged... or at least
    still there: a deleted page must bring a real rebuild."""
    try:
        written = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(written, dict) and all((out_dir / path).is_file() for path in written)


def _stat_tree(folder: Path, digest: hashlib._Hash) -> None:
    stack = [str(folder)]
    followed: set[str] = set()  # real paths of symlinked folders: each once, so no loop
    while stack:
        current = stack.pop()
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name in ("__pycache__", ".cache") or entry.name.startswith(".git"):
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
            elif entry.is_symlink() and entry.is_dir():
                # The content walk follows symlinked folders (inside the project): so must
                # this, or an edit inside one would look like no change.
                real = os.path.realpath(entry.path)
                if real not in followed:
                    followed.add(real)
                    stack.append(entry.path)
            else:
                digest.update(f"{entry.path}\0{_identity(entry)}\n".encode())


def _identity(entry: os.DirEntry[str]) -> str:
    """Size and mtime of the file; of the link itself when it leads nowhere (the build then
    says what is wrong with it)."""
    try:
        stat = entry.stat()
    except OSError:
        stat = entry.stat(follow_symlinks=False)
    return f"{stat.st_size}\0{stat.st_mtime_ns}"


def _stat_file(path: Path, digest: hashlib._Hash) -> None:
    try:
        stat = path.stat()
    except OSError:
        digest.update(f"{path}\0missing\n".encode())
        return
    digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())


def _git_head(root: Path) -> str:
    try:
        done = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"],
                              capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""
