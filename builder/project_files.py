"""What the build may read from a project: files inside its folder, as UTF-8 text, bounded in size.

The build runs where deploy secrets live (CI environments, `/proc/self/environ`, home folders),
and everything it reads from content/, brand/ and themes/ can end up in the published site.
Writers may use symlinks, but nothing outside the project folder (the folder of config.yml)
reaches the output: `ProjectFiles.escape` is the one place that decides, and the content walk,
`serve`'s re-reads, brand files and theme overrides all ask it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

MEGABYTE = 1024 * 1024


class FileRefused(ValueError):
    """A project file that must not be read; `line` and `message` make the Problem."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class ProjectFiles:
    """The project folder and the folders already known to lie inside it.

    Resolving every path costs a system call per path component (a tenth of a second on
    vkcloud's 2,060 articles), so a walk keeps the folders it has resolved: an entry that is
    not a symlink, in a folder known to be inside, is inside too. Make a new one per walk: a
    folder replaced by a symlink later is then resolved again.
    """

    root: Path
    _inside: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.root = Path(os.path.realpath(self.root))
        self._inside.add(str(self.root))

    def escape(self, path: Path) -> Path | None:
        """Where `path` really leads when that is outside the project folder; None when inside."""
        text = str(path)
        if text in self._inside:
            return None
        folder, name = os.path.split(text)
        # A plain entry of a folder known to be inside is inside; ".." is not a plain entry.
        if folder in self._inside and name not in ("", ".", "..") and not os.path.islink(text):
            self._inside.add(text)
            return None
        real = Path(os.path.realpath(text))
        if not real.is_relative_to(self.root):
            return real
        self._inside.add(text)
        return None

    def check(self, path: Path) -> None:
        """Raise FileRefused when `path` leads outside the project folder."""
        target = self.escape(path)
        if target is not None:
            raise FileRefused(1, outside_message(target))

    def read_text(self, path: Path, *, limit: int | None = None, what: str = "file",
                  setting: str = "") -> str:
        """A project file as text: inside the project, a regular file, at most `limit` bytes
        (named by `setting` in the message), UTF-8. Raises FileRefused or OSError."""
        self.check(path)
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):  # a pipe would block the build, a device never end
            raise FileRefused(1, "not a regular file")
        if limit is not None and info.st_size > limit:
            raise FileRefused(1, f"{what} is {_size(info.st_size)}, over the limit of "
                                 f"{_size(limit)} ({setting})")
        return decode_utf8(path.read_bytes())


def outside_message(target: Path) -> str:
    return (f"leads outside the project folder (to {target}); only files inside it are "
            "published")


def decode_utf8(data: bytes) -> str:
    """Text of a file that must be UTF-8; FileRefused names the line of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FileRefused(line, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line}); "
                                "save the file as UTF-8") from None


def _size(size: int) -> str:
    """2 MB, 2.5 MB, 31 MB; below a megabyte in KB (the limit can be set that low)."""
    if size < MEGABYTE:
        return f"{size / 1024:.0f} KB"
    value = size / MEGABYTE
    return f"{value:.0f} MB" if value >= 10 or value == int(value) else f"{value:.1f} MB"
