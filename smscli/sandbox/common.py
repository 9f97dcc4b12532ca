"""What the two simulators share: the SQLite state file (one connection, one lock, BEGIN
IMMEDIATE writes, the account row holding the balance and the last id handed out), the magic
number endings, the checks every request goes through (constant-time comparison, md5
signatures, lengths counted as the platforms count them) and the frame of a simulator
(latency, recorded requests, an httpx transport, the quirk modes).

Before, each simulator had its own copy of all of this (the mobset one imported the v3 one's
transaction helper)."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import json
import pathlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from enum import IntEnum
from typing import Final, Self

import httpx

# Both platforms live on Beijing time (+08:00, no daylight saving since 1991): timestamps
# are checked, msgIds stamped and report times written in it.
PLATFORM_TZ: Final = timezone(timedelta(hours=8))


# One text per instant: getReport asks for the same few over and over (every message of one
# sendSms has the same), and formatting one costs more than the rest of an entry.
@functools.lru_cache(maxsize=4096)
def iso_seconds(timestamp: float) -> str:
    """An instant as v3 writes it: ISO-8601 to the second, with +08:00."""
    return datetime.fromtimestamp(timestamp, PLATFORM_TZ).isoformat("T", "seconds")


def beijing_text(timestamp: float) -> str:
    """An instant as mobset writes it: "yyyy-MM-dd HH:mm:ss", Beijing time."""
    return datetime.fromtimestamp(timestamp, PLATFORM_TZ).strftime("%Y-%m-%d %H:%M:%S")


class Fate(IntEnum):
    """What becomes of an accepted message, chosen by the end of its number."""

    DELIVER = 0
    FAIL = 1
    STUCK = 2  # never reported


# The endings both simulators give the same meaning; v3 adds one for a rejected number.
SUFFIX_FATES: Final[dict[str, Fate]] = {"0999": Fate.FAIL, "0998": Fate.STUCK}


def fate_of(number: str) -> Fate:
    return SUFFIX_FATES.get(number[-4:], Fate.DELIVER)


class ApiError(Exception):
    """An error answer, raised deep in validation and turned into the platform's body once:
    v3 codes are text ("-3"), mobset's numbers (-9) with a Chinese message."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message


def same(given: str, expected: str) -> bool:
    """Credentials compared in constant time."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def md5_hex(*parts: str) -> str:
    """Both platforms sign with md5 over a plain concatenation (v3 Sign, mobset SecretKey).
    Written here rather than imported from the clients, so that a client's mistake is not
    mirrored by the simulator it is tested against."""
    return hashlib.md5("".join(parts).encode("utf-8")).hexdigest()


def utf16_length(text: str) -> int:
    """Length as Java and .NET strings count it: an emoji counts twice (and a lone surrogate,
    which JSON can carry, once)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def dumps(body: Mapping[str, object]) -> bytes:
    """Compact UTF-8 JSON, non-ASCII as is (as both platforms write it)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class ImmediateTransaction:
    """BEGIN IMMEDIATE ... COMMIT/ROLLBACK: take the write lock up front, so two processes can
    neither hand out the same id nor pop the same report."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error:
                # Never leave the shared connection inside a transaction: every later BEGIN
                # would fail and the simulator would answer its database error forever.
                self._db.execute("ROLLBACK")
                raise
        else:
            self._db.execute("ROLLBACK")


class StateDb:
    """A simulator's state in SQLite: `state_dir/<file>` (WAL, shared by every thread and
    process that opens it) or memory. One connection guarded by `lock` serves every thread;
    BEGIN IMMEDIATE serialises writers from other processes. The `account` table has one row:
    the balance and the last id handed out (`LAST_ID`, the column's name)."""

    LAST_ID: str = "last_id"

    def __init__(self, path: pathlib.Path | None) -> None:
        target = ":memory:" if path is None else str(path)
        self.lock = threading.Lock()
        self.db = sqlite3.connect(target, timeout=30.0, isolation_level=None,
                                  check_same_thread=False)
        if path is not None:
            self.db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL is durable across process exits, which is all a simulator needs.
            self.db.execute("PRAGMA synchronous=NORMAL")

    def transaction(self) -> ImmediateTransaction:
        return ImmediateTransaction(self.db)

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """The lock and a write transaction."""
        with self.lock, ImmediateTransaction(self.db):
            yield

    def open_account(self, balance: int, last_id: int = 0) -> None:
        """Inside the creating transaction: only the process that creates the file sets the
        opening balance."""
        self.db.execute(
            # LAST_ID is a class constant, never input.
            f"INSERT OR IGNORE INTO account (id, balance, {self.LAST_ID}) VALUES (1, ?, ?)",  # noqa: S608
            (balance, last_id),
        )

    def charge(self, cost: int, count: int, floor: int = 0) -> int | None:
        """Inside a write transaction: take `cost` from the balance and hand out `count`
        consecutive ids (none below `floor`); the first of them, or None when the balance
        cannot pay (nothing changed)."""
        balance, last = self.db.execute(
            f"SELECT balance, {self.LAST_ID} FROM account WHERE id = 1"  # noqa: S608
        ).fetchone()
        if balance < cost:
            return None
        first: int = max(last + 1, floor)
        self.db.execute(
            f"UPDATE account SET balance = ?, {self.LAST_ID} = ? WHERE id = 1",  # noqa: S608
            (balance - cost, first + count - 1),
        )
        return first

    def balance(self) -> int:
        with self.lock:
            row = self.db.execute("SELECT balance FROM account WHERE id = 1").fetchone()
        return int(row[0])

    def close(self) -> None:
        with self.lock:
            self.db.close()


def state_path(state_dir: pathlib.Path | None, name: str) -> pathlib.Path | None:
    """The state file in `state_dir` (created private), or None for memory."""
    if state_dir is None:
        return None
    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    return state_dir / name


class Simulator:
    """The frame of both simulators: call `handle` (or use `transport()`) from any number of
    threads. `latency` is public: a bench may change it between phases."""

    _store: StateDb

    def __init__(
        self,
        *,
        latency: float,
        clock: Callable[[], float],
        delivery_delay: float,
        record: bool,
        quirks: Iterable[str],
    ) -> None:
        from smscli.sandbox import quirks as quirk_modes

        # Answers reshaped as real servers send them (smscli.sandbox.quirks).
        self.quirks = quirk_modes.parse(list(quirks))
        self.latency = latency
        self._clock = clock
        self._delivery_delay = delivery_delay
        self._record = record

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def handle(self, request: httpx.Request) -> httpx.Response:
        raise NotImplementedError

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def close(self) -> None:
        self._store.close()

    def _arrive(self, request: httpx.Request) -> None:
        """What happens to every request first: the simulated network delay (outside any
        lock), then its body read."""
        if self.latency > 0:
            time.sleep(self.latency)
        request.read()
