"""Last-updated dates and commits from git, read in ONE `git log` pass for the whole tree.

A process per file would cost seconds on thousands of articles. Walking the log newest first,
the first event seen for a path is its state at HEAD: modified/added gives its last commit,
deleted or renamed-away means the file is gone (used to catch translations whose original was
removed or moved). Outside git, or without git installed, there is no history and no error.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from builder.model import GitInfo

_RECORD = "\x1e"
_FIELD = "\x1f"


@dataclass
class GitHistory:
    latest: dict[str, GitInfo] = field(default_factory=dict)  # path (relative to root) → info
    # paths gone at HEAD → the path they were renamed to (None when deleted)
    gone: dict[str, str | None] = field(default_factory=dict)

    def info(self, rel_path: str) -> GitInfo | None:
        return self.latest.get(rel_path)


def read_history(root: Path) -> GitHistory | None:
    """History of every file under `root`, paths relative to `root`; None outside git."""
    command = [
        "git", "-c", "core.quotepath=off", "-C", str(root), "log", "--relative",
        f"--format={_RECORD}%H{_FIELD}%ct", "--name-status", "-M", "--no-color", "--", ".",
    ]
    try:
        done = subprocess.run(command, capture_output=True, check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return parse_log(done.stdout.decode("utf-8", "replace"))


def parse_log(text: str) -> GitHistory:
    history = GitHistory()
    seen: set[str] = set()
    for record in text.split(_RECORD)[1:]:
        header, _, changes = record.partition("\n")
        commit, _, stamp = header.partition(_FIELD)
        info = GitInfo(updated=datetime.fromtimestamp(int(stamp), tz=UTC), commit=commit)
        for line in changes.splitlines():
            parts = line.split("\t")
            if len(parts) < 2:
                continue
            status = parts[0][:1]
            if status == "R" and len(parts) == 3:
                _first(history, seen, parts[1], gone_to=parts[2])
                _first(history, seen, parts[2], info=info)
            elif status == "D":
                _first(history, seen, parts[1], gone_to=None, deleted=True)
            else:
                _first(history, seen, parts[-1], info=info)
    return history


def _first(history: GitHistory, seen: set[str], path: str, info: GitInfo | None = None,
           gone_to: str | None = None, deleted: bool = False) -> None:
    """Only the newest event of a path counts: it is the path's state at HEAD."""
    if path in seen:
        return
    seen.add(path)
    if info is not None:
        history.latest[path] = info
    elif deleted or gone_to is not None:
        history.gone[path] = gone_to
