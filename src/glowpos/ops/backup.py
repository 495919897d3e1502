"""Backing up and restoring the whole database, online.

SQLite (one clinic, one file): SQLite's online backup API copies the database page by page
while the counter keeps working (readers and the writer are not stopped; a page changed
mid-copy makes the copy restart that step), into a temporary file that is checked with
`PRAGMA integrity_check` and only then renamed to FILE — a backup is whole or absent.
Restore copies FILE back over the live database through the same API, in one step.

PostgreSQL: `pg_dump --format=custom` (a consistent snapshot, taken without blocking writers)
and `pg_restore --clean --if-exists --single-transaction` (the restore happens entirely or
not at all). The client tools must be of the server's major version or newer.

After a restore, `migrate` brings an older backup up to the code's schema.
"""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.db import connections

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """The backup or restore could not be done; nothing was changed."""


@dataclass(frozen=True)
class Done:
    path: Path
    vendor: str
    size: int


def _vendor(alias: str) -> str:
    vendor = connections[alias].vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"No backup for a {vendor} database.")
    return vendor


def backup(path: str | os.PathLike, *, alias: str = "default") -> Done:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    vendor = _vendor(alias)
    try:
        if vendor == "sqlite":
            _sqlite_backup(partial, alias)
        else:
            _pg_dump(partial, alias)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return Done(path, vendor, path.stat().st_size)


def restore(path: str | os.PathLike, *, alias: str = "default") -> Done:
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file.")
    vendor = _vendor(alias)
    with path.open("rb") as f:
        head = f.read(16)
    expected = SQLITE_MAGIC if vendor == "sqlite" else PGDUMP_MAGIC
    if not head.startswith(expected):
        kind = "an SQLite database" if vendor == "sqlite" else "a pg_dump custom-format archive"
        raise BackupError(f"{path} is not {kind}; this installation runs on {vendor}.")
    if vendor == "sqlite":
        _sqlite_restore(path, alias)
    else:
        _pg_restore(path, alias)
    return Done(path, vendor, path.stat().st_size)


# SQLite ---------------------------------------------------------------------------------------

def _live(alias: str) -> sqlite3.Connection:
    connection = connections[alias]
    connection.ensure_connection()
    return connection.connection


def _checkable(db: sqlite3.Connection) -> sqlite3.Connection:
    """CHECK constraints use REGEXP (document numbers, branch codes), which Django gives its own
    connections; integrity_check evaluates them, so this one needs it too."""
    db.create_function("REGEXP", 2, lambda pattern, value: value is not None and re.search(pattern, str(value))
                       is not None, deterministic=True)
    return db


def _sqlite_backup(partial: Path, alias: str) -> None:
    partial.unlink(missing_ok=True)
    target = _checkable(sqlite3.connect(partial))
    try:
        # 1,024 pages (4 MB) a step: the writer gets the lock back between steps.
        _live(alias).backup(target, pages=1024)
        ok = target.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise BackupError(f"the copy failed its integrity check: {ok}")
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        target.close()


def _sqlite_restore(path: Path, alias: str) -> None:
    source = _checkable(sqlite3.connect(f"file:{path}?mode=ro", uri=True))
    try:
        ok = source.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise BackupError(f"{path} failed its integrity check: {ok}")
        tables = {r[0] for r in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "django_migrations" not in tables:
            raise BackupError(f"{path} is an SQLite database but not a GlowPOS backup.")
        source.backup(_live(alias))
    finally:
        source.close()


# PostgreSQL -----------------------------------------------------------------------------------

def _pg_args(alias: str) -> tuple[list[str], dict[str, str]]:
    db = connections[alias].settings_dict
    args = []
    if db.get("HOST"):
        args += ["--host", db["HOST"]]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return [*args, "--dbname", db["NAME"]], env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return found


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()[-2000:]}")


def _pg_dump(partial: Path, alias: str) -> None:
    args, env = _pg_args(alias)
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(partial), *args],
         env)


def _pg_restore(path: Path, alias: str) -> None:
    args, env = _pg_args(alias)
    # Our own connection must hold no lock the restore's DROPs would wait for.
    connections[alias].close()
    _run([_tool("pg_restore"), "--clean", "--if-exists", "--single-transaction", "--exit-on-error",
          "--no-owner", "--no-privileges", *args, str(path)], env)
