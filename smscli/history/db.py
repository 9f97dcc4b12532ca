"""The history file itself: where it lives, opening it private (0600 in a 0700 directory),
its pragmas, its write transaction, and sqlite errors as one readable line. Pure: no typer,
no rich, no printing.

WAL mode lets a cron `send` and a support `history` run at the same time; writers take the
write lock up front (BEGIN IMMEDIATE) and wait up to BUSY_TIMEOUT for each other.
"""

from __future__ import annotations

import errno
import functools
import os
import pathlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Concatenate, Final, ParamSpec, Self, TypeVar

from smscli.errors import UsageError
from smscli.history import schema

FILE_NAME: Final = "history.sqlite3"
# Long enough to outlast another process's longest transaction (creating a 200,000-number job,
# pruning), short enough that a stuck lock becomes an error instead of a hang.
BUSY_TIMEOUT: Final = 30.0
# msgIds (or jobs) per query: well under SQLite's limit of bound parameters.
BATCH: Final = 500

P = ParamSpec("P")
R = TypeVar("R")


class StoreError(UsageError):
    """The history database cannot be used (locked, damaged, unwritable)."""


class JobNotFound(StoreError):
    pass


def default_path() -> pathlib.Path:
    from smscli.settings import data_dir

    return data_dir() / FILE_NAME


def now() -> datetime:
    return datetime.now(UTC)


def ts(value: datetime) -> str:
    """The history's time text: ISO-8601 UTC with milliseconds (sorts as text); a naive
    value is local wall-clock time."""
    if value.tzinfo is None:
        value = value.astimezone()
    return value.astimezone(UTC).isoformat(timespec="milliseconds")


def dt(text: object) -> datetime | None:
    return datetime.fromisoformat(str(text)) if text else None


def text_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


def store_error(path: pathlib.Path, exc: sqlite3.Error, doing: str = "") -> StoreError:
    reason = str(exc)
    where = f"history database {path}"
    prefix = f"{doing}: " if doing else ""
    if "locked" in reason or "busy" in reason:
        return StoreError(
            f"{prefix}the {where} stayed locked for {BUSY_TIMEOUT:.0f} s",
            hint="another smscli process is writing it; try again, or use --no-history",
        )
    if "not a database" in reason or "malformed" in reason or "corrupt" in reason:
        return StoreError(
            f"{prefix}the {where} is damaged ({reason})",
            hint="move the file aside (a new history starts), or use --no-history",
        )
    return StoreError(f"{prefix}{where}: {reason}", hint="or use --no-history")


D = TypeVar("D", bound="Database")


def guarded(method: Callable[Concatenate[D, P], R]) -> Callable[Concatenate[D, P], R]:
    """sqlite errors become one readable StoreError line (locked, damaged, read-only...)."""

    def wrapper(self: D, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise store_error(self.path, exc) from None

    functools.update_wrapper(wrapper, method)
    return wrapper


class Database:
    """One connection to the history file. Not shared between threads: open one per thread
    (run_chunks calls the journal from the main thread only)."""

    def __init__(self, db: sqlite3.Connection, path: pathlib.Path) -> None:
        self._db = db
        self.path = path

    @classmethod
    def open(cls, path: pathlib.Path | None = None, *, timeout: float = BUSY_TIMEOUT) -> Self:
        path = path or default_path()
        new = _create_private(path)
        try:
            db = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise store_error(path, exc, "cannot open the history") from None
        try:
            _configure(db, new)
            _migrate(db, path)
            # Only after migrating: a migration's sorts and temporary tables grow with the
            # history (~300 MB in memory for 10 M messages), and belong in temporary files.
            # A multi-row INSERT inside a transaction keeps a statement journal (the old
            # copies of the pages it changes, to undo that statement alone): in memory
            # instead of a temporary file in /var/tmp written and deleted for every answer.
            db.execute("PRAGMA temp_store = MEMORY")
        except sqlite3.Error as exc:
            db.close()
            raise store_error(path, exc, "cannot open the history") from None
        except BaseException:
            db.close()
            raise
        return cls(db, path)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction with the lock taken up front: a deferred one could fail with
        SQLITE_BUSY when upgrading from read to write, instead of waiting its turn."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise


def _create_private(path: pathlib.Path) -> bool:
    """Directory 0700 and file 0600 before SQLite touches them (its -wal and -shm files take
    the database file's mode); True when the file is new and empty. Existing ones are the
    user's: their modes are left alone."""
    try:
        if not path.parent.is_dir():
            if path.parent.exists():
                # mkdir(exist_ok=True) raises FileExistsError for a file in the way, which
                # would read as "the database exists" below.
                raise NotADirectoryError(errno.ENOTDIR, "the data directory is a file")
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        return path.stat().st_size == 0
    except OSError as exc:
        raise StoreError(
            f"cannot create the history database {path}: {exc.strerror or exc}",
            hint="check the data directory's permissions, or use --no-history",
        ) from None
    return True


def _configure(db: sqlite3.Connection, new: bool) -> None:
    if new:
        # Lets `prune` give space back. Only possible on an empty file, and only asked then:
        # on an existing one it would wait for the write lock.
        db.execute("PRAGMA auto_vacuum = INCREMENTAL")
    db.execute("PRAGMA journal_mode = WAL")
    # In WAL mode NORMAL skips the fsync per commit, yet a commit survives the process crashing
    # or being killed (only an OS crash or power loss can drop the last commits) - the failure
    # the journal exists for. FULL would cost an fsync per chunk.
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    # 16 MB of page cache keeps the indexes of a 200,000-number job in memory while journalled.
    db.execute("PRAGMA cache_size = -16000")


def give_back(db: sqlite3.Connection) -> None:
    """Return the file's free pages to the file system (auto_vacuum = INCREMENTAL). Through
    executescript: the pragma frees one page per step, and execute() steps a statement that
    returns no columns only once (it freed a single page)."""
    db.executescript("PRAGMA incremental_vacuum;")


def _migrate(db: sqlite3.Connection, path: pathlib.Path) -> None:
    # Read through the module: a test appends a migration by replacing schema.MIGRATIONS.
    target = schema.VERSION
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version == target:
        return
    if version > target:
        raise StoreError(
            f"the history database {path} was written by a newer smscli (schema {version})",
            hint="upgrade smscli, or set SMSCLI_DATA_DIR to use another history",
        )
    db.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have migrated while this one waited for the lock.
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        for statements in schema.MIGRATIONS[version:]:
            for statement in statements:
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {target}")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    if version < schema.REWRITTEN:
        # A migration rewrote the messages (and chunks) tables: the old copies' pages go back.
        give_back(db)
