"""Backups of the chat store and restoring them: `python -m chat_server backup|restore`.

- SQLite: SQLite's online backup API copies the database page by page inside one read
  transaction, so the copy is one consistent moment even while the sidecar writes (WAL lets
  the writer go on meanwhile). A copy of the file with `cp` is not: it can catch half a
  commit, or miss what still sits in the -wal file.
- PostgreSQL: `pg_dump --format=custom` (one snapshot of the database or of
  CHAT_DATABASE_SCHEMA) and `pg_restore` in one transaction.

A backup goes to a new file only (written beside it, then renamed: a failed run leaves no
half backup under the name). A restore goes into an empty store only: a target that already
holds operators, readers or conversations is refused, since replacing it would lose them.
Attachment bodies kept in the database (CHAT_ATTACHMENTS_URL=db, the default on PostgreSQL)
are in the backup; in a folder or an S3 bucket they are copied with the usual tools.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
# A store with a row in any of these is in use: restoring over it would lose the rows.
_IN_USE = ("chat_operators", "chat_readers", "chat_conversations")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class Target:
    """Where the store lives: CHAT_DATABASE_URL (or the data folder's SQLite) and schema."""

    url: str
    schema: str = ""

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.url).get_backend_name() == "sqlite"

    @property
    def sqlite_path(self) -> Path:
        return Path(make_url(self.url).database or "")

    @property
    def libpq_url(self) -> str:
        """The URL as pg_dump reads it: no SQLAlchemy driver name (postgresql+asyncpg)."""
        return make_url(self.url).set(drivername="postgresql").render_as_string(
            hide_password=False)


def backup(target: Target, to: Path) -> str:
    """Copy the store into the new file `to`; returns a line saying what was copied."""
    if to.exists():
        raise BackupError(f"{to} already exists; back up to a new file")
    if not to.parent.is_dir():
        raise BackupError(f"{to.parent} is not a folder")
    partial = to.with_name(to.name + ".partial")
    try:
        if target.is_sqlite:
            _sqlite_backup(target.sqlite_path, partial)
        else:
            _pg_dump(target, partial)
        os.replace(partial, to)
    finally:
        partial.unlink(missing_ok=True)
    return f"backed up to {to} ({to.stat().st_size} bytes)"


def restore(target: Target, source: Path) -> str:
    """Restore the backup file `source` into the (empty) store; returns a line of what."""
    kind = backup_kind(source)
    if target.is_sqlite and kind != "sqlite":
        raise BackupError(f"{source} is a PostgreSQL dump, but the store is SQLite "
                          f"({target.sqlite_path}); restore it with CHAT_DATABASE_URL set to "
                          "a postgresql://… database")
    if not target.is_sqlite and kind != "postgresql":
        raise BackupError(f"{source} is a SQLite backup, but the store is PostgreSQL; "
                          "restore it with CHAT_DATABASE_URL=sqlite:///path")
    if target.is_sqlite:
        _sqlite_restore(source, target.sqlite_path)
        return f"restored {source} into {target.sqlite_path}"
    _pg_restore(target, source)
    return f"restored {source} into {make_url(target.url).database}" + (
        f", schema {target.schema}" if target.schema else "")


def backup_kind(path: Path) -> str:
    """'sqlite' or 'postgresql' by the file's first bytes; BackupError for anything else."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from exc
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is not a backup of the chat store (neither a SQLite database "
                      "nor a pg_dump custom-format archive)")


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite_backup(db: Path, to: Path) -> None:
    if not db.is_file():
        raise BackupError(f"no database at {db}")
    source = sqlite3.connect(db, timeout=30)
    try:
        _require_chat_store(source, str(db))
        copy = sqlite3.connect(to)
        try:
            # pages=-1: the whole database in one step, i.e. one read transaction. In steps,
            # every commit of the running sidecar would restart the copy from the start.
            source.backup(copy, pages=-1)
            if copy.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise BackupError(f"the copy of {db} does not pass SQLite's quick_check")
        finally:
            copy.close()
    finally:
        source.close()


def _sqlite_restore(source: Path, db: Path) -> None:
    backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        _require_chat_store(backup_db, str(source))
        db.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(db, timeout=30)
        try:
            _refuse_in_use(_sqlite_counts(target), str(db))
            # Through SQLite, not a file copy: it also replaces what a -wal file holds.
            backup_db.backup(target, pages=-1)
        finally:
            target.close()
    finally:
        backup_db.close()


def _require_chat_store(conn: sqlite3.Connection, shown: str) -> None:
    try:
        found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                             "AND name = 'chat_schema_version'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{shown} is not a readable SQLite database: {exc}") from exc
    if found is None:
        raise BackupError(f"{shown} holds no chat store (no chat_schema_version table)")


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
            for t in _IN_USE if t in tables}


def _refuse_in_use(counts: dict[str, int], shown: str) -> None:
    used = {table: n for table, n in counts.items() if n}
    if used:
        held = ", ".join(f"{n} {table.removeprefix('chat_')}" for table, n in used.items())
        raise BackupError(f"{shown} already holds a chat store ({held}); restore only into an "
                          "empty store: stop the sidecar and move the database aside, or "
                          "point CHAT_DATABASE_URL at a new one")


# --- PostgreSQL -----------------------------------------------------------------------------


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client, "
                          "the same major version as the server)")
    return found


def _pg_dump(target: Target, to: Path) -> None:
    command = [_pg_tool("pg_dump"), "--format=custom", f"--file={to}",
               f"--dbname={target.libpq_url}"]
    if target.schema:
        command.append(f"--schema={target.schema}")
    _run(command, "pg_dump")
    if target.schema and not _pg_archive_lists(to, "chat_schema_version"):
        raise BackupError(f"schema {target.schema} holds no chat store")


def _pg_restore(target: Target, source: Path) -> None:
    _refuse_in_use(_pg_counts(target), _pg_shown(target))
    # --clean --if-exists: an empty schema of the same name (made by hand, or by a sidecar
    # that started once) is replaced; anything else in it makes the transaction fail whole.
    _run([_pg_tool("pg_restore"), "--single-transaction", "--exit-on-error", "--no-owner",
          "--no-privileges", "--clean", "--if-exists", f"--dbname={target.libpq_url}",
          str(source)], "pg_restore")


def _pg_archive_lists(archive: Path, table: str) -> bool:
    listing = _run([_pg_tool("pg_restore"), "--list", str(archive)], "pg_restore --list")
    return any(" TABLE DATA " in line and f" {table} " in line for line in listing.splitlines())


def _pg_counts(target: Target) -> dict[str, int]:
    if target.schema and not _IDENTIFIER.fullmatch(target.schema):
        raise BackupError(f"CHAT_DATABASE_SCHEMA {target.schema!r} is not a plain schema name")
    literal = f"'{target.schema}'" if target.schema else "current_schema()"
    counts: dict[str, int] = {}
    for table in _IN_USE:
        exists = _psql(target, "SELECT 1 FROM information_schema.tables WHERE "
                               f"table_schema = {literal} AND table_name = '{table}'")
        if exists:
            qualified = f'"{target.schema}".{table}' if target.schema else table
            counts[table] = int(_psql(target, f"SELECT count(*) FROM {qualified}") or 0)
    return counts


def _psql(target: Target, query: str) -> str:
    return _run([_pg_tool("psql"), "--no-psqlrc", "--tuples-only", "--no-align",
                 "--set=ON_ERROR_STOP=1", f"--dbname={target.libpq_url}", "--command", query],
                "psql").strip()


def _pg_shown(target: Target) -> str:
    database = make_url(target.url).database or "the database"
    return f"{database} (schema {target.schema})" if target.schema else str(database)


def _run(command: list[str], name: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{name} failed: {done.stderr.strip() or done.returncode}")
    return done.stdout
