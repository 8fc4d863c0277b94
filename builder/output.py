"""The one way output reaches the disk.

Everything the build produces is added here first; nothing is written until the whole build
succeeded, so a failed build leaves the previous site intact. It refuses paths outside
the output folder and two sources for one path, writes only files whose bytes changed (a hash
manifest remembers the last build) and removes files the previous build wrote but this one
did not.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from builder.errors import Problem

MANIFEST = ".helpcenter-manifest.json"


@dataclass
class WriteStats:
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    bytes_total: int = 0


@dataclass
class _Entry:
    source: str
    data: bytes | None = None  # None: copy `path` instead
    path: Path | None = None


@dataclass(frozen=True)
class _Staged:
    digest: str
    size: int
    temporary: str | None  # None: the file on disk already has these bytes


class OutputError(ValueError):
    pass


@dataclass
class SiteOutput:
    out_dir: Path
    problems: list[Problem] = field(default_factory=list)
    _entries: dict[str, _Entry] = field(default_factory=dict)
    _written: dict[str, str] = field(default_factory=dict)  # rel path → sha256 of last write
    _recent: list[str] = field(default_factory=list)  # added since the last take_recent()
    _safe_dirs: set[str] = field(default_factory=set)  # folders known to resolve inside out_dir
    _staged: dict[str, _Staged] = field(default_factory=dict)
    _made_dirs: set[str] = field(default_factory=set)  # folders this output created

    def __post_init__(self) -> None:
        self.out_dir = self.out_dir.resolve()
        self._out = str(self.out_dir)
        self._written = self._read_manifest()

    def add(self, rel_path: str, data: bytes | str, source: str) -> None:
        key = self._check(rel_path, source)
        if key is not None:
            raw = data.encode("utf-8") if isinstance(data, str) else data
            self._put(key, _Entry(source, data=raw))

    def copy(self, rel_path: str, file: Path, source: str) -> None:
        """Copy a file (an image next to an article) without reading it into memory now."""
        key = self._check(rel_path, source)
        if key is not None:
            self._put(key, _Entry(source, path=file))

    def _put(self, key: str, entry: _Entry) -> None:
        self._entries[key] = entry
        self._recent.append(key)
        staged = self._staged.pop(key, None)
        if staged is not None and staged.temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(staged.temporary)  # staged bytes of an entry replaced since

    def take_recent(self) -> list[str]:
        """Paths added since the last call (what an incremental rebuild produced)."""
        recent, self._recent = sorted(set(self._recent)), []
        return recent

    def paths(self) -> list[str]:
        return sorted(self._entries)

    def get(self, rel_path: str) -> bytes | None:
        entry = self._entries.get(rel_path)
        if entry is None:
            return None
        if entry.data is not None:
            return entry.data
        assert entry.path is not None  # an entry holds its bytes or the file to copy
        return entry.path.read_bytes()

    def _check(self, rel_path: str, source: str) -> str | None:
        """Normalised key, or None (with a problem) for a path we must not write."""
        pure = PurePosixPath(rel_path)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts or rel_path.endswith("/"):
            self.problems.append(Problem(source, 0, f"refusing to write outside the site: "
                                                    f"{rel_path!r}"))
            return None
        key = pure.as_posix()
        if not self._inside(key):
            self.problems.append(Problem(source, 0, f"refusing to write outside the site: "
                                                    f"{rel_path!r}"))
            return None
        if key == MANIFEST:
            self.problems.append(Problem(source, 0, f"{MANIFEST} is reserved for the build"))
            return None
        previous = self._entries.get(key)
        if previous is not None and previous.source != source:
            self.problems.append(Problem(source, 0, f"{key} would also be written by "
                                                    f"{previous.source}"))
            return None
        return key

    def _inside(self, key: str) -> bool:
        """A symlinked folder inside the site could lead out of it. Files need no check (the
        final rename replaces a symlinked file instead of following it), and each folder is
        resolved once: a filesystem call per page would cost as much as rendering it."""
        folder = key.rpartition("/")[0]
        if folder in self._safe_dirs:
            return True
        if not (self.out_dir / folder).resolve().is_relative_to(self.out_dir):
            return False
        self._safe_dirs.add(folder)
        return True

    def stage(self) -> None:
        """Write every entry added so far that changed to a temporary file beside its target.

        Staging is the slow part of a commit (hashing and writing the bytes); a build stages
        its pages while the search indexes are still being built, and `commit` then only
        renames. Nothing a reader sees changes until `commit`; `discard` undoes a stage.
        """
        for key in sorted(set(self._entries) - set(self._staged)):
            data = self.get(key) or b""
            digest = hashlib.sha256(data).hexdigest()
            target = os.path.join(self._out, key)
            temporary = None
            if self._written.get(key) != digest or not os.path.isfile(target):
                temporary = self._write_aside(key, data)
            self._staged[key] = _Staged(digest, len(data), temporary)

    def commit(self, remove_stale: bool = True) -> WriteStats:
        """Write what changed since the last build, then remove what this build no longer has."""
        self.stage()
        stats = WriteStats()
        hashes: dict[str, str] = {}
        for key in sorted(self._staged):
            staged = self._staged[key]
            hashes[key] = staged.digest
            stats.bytes_total += staged.size
            if staged.temporary is None:
                stats.unchanged += 1
                continue
            os.replace(staged.temporary, os.path.join(self._out, key))
            stats.written += 1
        self._staged = {}
        if remove_stale:
            stats.removed = self._remove_stale(hashes)
            self._made_dirs = set()  # removing stale files may have removed emptied folders
        self._written = hashes if remove_stale else {**self._written, **hashes}
        self._save_manifest()
        self._recent = []
        return stats

    def discard(self) -> None:
        """Remove the temporary files of a stage that will not be committed (a failed build)."""
        for staged in self._staged.values():
            if staged.temporary is not None:
                with contextlib.suppress(OSError):
                    os.unlink(staged.temporary)
        self._staged = {}

    def _write_aside(self, key: str, data: bytes) -> str:
        folder, _, name = key.rpartition("/")
        directory = os.path.join(self._out, folder) if folder else self._out
        if folder not in self._made_dirs:
            os.makedirs(directory, exist_ok=True)
            self._made_dirs.add(folder)
        temporary = os.path.join(directory, f".{name}.tmp{os.getpid()}")
        with open(temporary, "wb") as handle:
            handle.write(data)
        return temporary

    def _save_manifest(self) -> None:
        # The manifest must match the disk after every write, or the next full build would
        # skip a file that an incremental rebuild changed in between.
        _write_atomically(self.out_dir / MANIFEST,
                          json.dumps(self._written, sort_keys=True, indent=0).encode())

    def flush(self, keys: list[str]) -> int:
        """Write just these entries now (incremental rebuilds); returns how many changed."""
        changed = 0
        for key in keys:
            data = self.get(key) or b""
            digest = hashlib.sha256(data).hexdigest()
            if self._written.get(key) != digest:
                _write_atomically(self.out_dir / key, data)
                self._written[key] = digest
                changed += 1
        if changed:
            self._save_manifest()
        return changed

    def _remove_stale(self, current: dict[str, str]) -> int:
        removed = 0
        for key in sorted(set(self._written) - set(current)):
            target = self.out_dir / key
            if target.is_file() and target.resolve().is_relative_to(self.out_dir):
                target.unlink()
                removed += 1
                _prune_empty_dirs(target.parent, self.out_dir)
        return removed

    def _read_manifest(self) -> dict[str, str]:
        try:
            data = json.loads((self.out_dir / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def check_output_dir(out_dir: Path) -> str | None:
    """Refuse to build into a non-empty folder that is not a previous build (e.g. `--out ~`)."""
    if not out_dir.exists():
        return None
    if not out_dir.is_dir():
        return f"{out_dir} exists and is not a folder"
    if (out_dir / MANIFEST).is_file() or not any(out_dir.iterdir()):
        return None
    return (f"{out_dir} is not empty and was not written by this builder; "
            "choose another --out or empty it")


def _write_atomically(target: Path, data: bytes) -> None:
    """Readers of the served site never see half a file: write aside, then rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp{os.getpid()}")
    temporary.write_bytes(data)
    os.replace(temporary, target)


def _prune_empty_dirs(folder: Path, stop: Path) -> None:
    while folder != stop and folder.is_relative_to(stop):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def clear(out_dir: Path) -> None:
    """Remove a previous build entirely (only one this builder wrote)."""
    if (out_dir / MANIFEST).is_file():
        shutil.rmtree(out_dir)
