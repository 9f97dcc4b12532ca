"""The v3 simulator's state: the balance, the msgId counter and the accepted messages.

A request's accepted messages are stored as runs of consecutive msgIds, one row per run of at
most 128: first msgId, count, the numbers (each space-padded to 15 bytes, so getReport takes
one out with substr) and the submission time. A message's fate is not stored: getReport
derives it from the number's ending (the magic table) and the time. The file records its
schema version (``PRAGMA user_version``): a file written by an older smscli (one row per
message) is converted when opened, keeping balance, msgIds and messages; a file with any
other schema is recreated (messages forgotten, opening balance restored)."""

from __future__ import annotations

import pathlib
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from smscli.sandbox.common import PLATFORM_TZ, StateDb

# The samples' sequences look like 1000095: start each second at 1000000.
_SEQ_START: Final = 1_000_000
_SEQ_SPAN: Final = 10**7
_MIN_MSG_ID: Final = 10**18
# Stored numbers are space-padded to the longest valid number, so the n-th is at n * 15.
NUMBER_WIDTH: Final = 15
# msgIds per stored row: 128 x 15 bytes keeps a row inside one 4 KiB page (substr reads a
# whole value, overflow pages included).
_RUN_LENGTH: Final = 128
_SCHEMA_VERSION: Final = 1


class V3Store(StateDb):
    """Only SQL runs under the lock: callers prepare rows before and build answers after."""

    LAST_ID = "last_msg_id"
    _TABLES: Final = (
        # One row per run of consecutive msgIds of one request: msgIds first_id ..
        # first_id + size - 1, numbers space-padded to NUMBER_WIDTH bytes each.
        "CREATE TABLE IF NOT EXISTS runs (first_id INTEGER PRIMARY KEY, size INTEGER NOT NULL,"
        " numbers BLOB NOT NULL, submitted_at REAL NOT NULL)",
        "CREATE TABLE IF NOT EXISTS account (id INTEGER PRIMARY KEY CHECK (id = 1),"
        " balance INTEGER NOT NULL, last_msg_id INTEGER NOT NULL)",
    )
    # For each asked id (a JSON array of integers read by json_each, so one statement serves
    # any count): the run holding it is the one with the largest first_id <= id, if the id is
    # inside it. Only constants are formatted into the SQL.
    _LOOKUP: Final = (
        "SELECT q.key, rtrim(CAST(substr(r.numbers, (q.value - r.first_id)"  # noqa: S608
        f" * {NUMBER_WIDTH} + 1, {NUMBER_WIDTH}) AS TEXT)), r.submitted_at"
        " FROM json_each(?) AS q JOIN runs AS r"
        " ON r.first_id = (SELECT max(first_id) FROM runs WHERE first_id <= q.value)"
        " WHERE q.value < r.first_id + r.size"
    )

    def __init__(self, path: pathlib.Path | None, initial_balance: int) -> None:
        super().__init__(path)
        # getReport may read pages all over the file: keep up to 16 MiB of them (about a
        # million messages; the default 2 MiB holds about 130,000) rather than re-read them.
        self.db.execute("PRAGMA cache_size = -16384")
        with self.transaction():
            self._prepare_schema()
            self.open_account(initial_balance)

    def _prepare_schema(self) -> None:
        """Inside the write transaction, so concurrent openers convert a file only once."""
        (version,) = self.db.execute("PRAGMA user_version").fetchone()
        if version == _SCHEMA_VERSION:
            return
        tables = {
            name
            for (name,) in self.db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
        if version == 0 and tables <= {"messages", "account"}:
            # New, or the first schema (one row per message, same account table): convert,
            # each old message becoming a run of one.
            for statement in self._TABLES:
                self.db.execute(statement)
            if "messages" in tables:
                self.db.execute(
                    "INSERT INTO runs (first_id, size, numbers, submitted_at)"
                    " SELECT msg_id, 1, CAST(number AS BLOB), submitted_at FROM messages"
                )
                self.db.execute("DROP TABLE messages")
        else:
            # Some other schema (a newer smscli's): a simulator can start over.
            for name in tables:
                quoted = name.replace('"', '""')
                self.db.execute(f'DROP TABLE "{quoted}"')
            for statement in self._TABLES:
                self.db.execute(statement)
        self.db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    def submit(self, numbers: Sequence[str], now: float, price: int) -> int | None:
        """Store the (valid) numbers and charge `price` for each: the first of their
        consecutive msgIds, or None (and nothing stored) if unaffordable."""
        count = len(numbers)
        # One C-level format call pads every number (all are 6-15 ASCII digits).
        padded = ((f"%-{NUMBER_WIDTH}s" * count) % tuple(numbers)).encode("ascii")
        step = _RUN_LENGTH * NUMBER_WIDTH
        runs = [
            (offset, min(_RUN_LENGTH, count - offset), padded[start : start + step])
            for offset, start in zip(
                range(0, count, _RUN_LENGTH), range(0, len(padded), step), strict=True
            )
        ]
        with self.writing():
            first = self.charge(price * count, count, msg_id_floor(now))
            if first is None:
                return None
            self.db.executemany(
                "INSERT INTO runs (first_id, size, numbers, submitted_at) VALUES (?, ?, ?, ?)",
                [(first + offset, size, chunk, now) for offset, size, chunk in runs],
            )
            return first

    def lookup(self, msg_ids: Sequence[str]) -> list[tuple[int, str, float]]:
        """(index in msg_ids, number, submitted_at) for each id that was issued, in msg_ids'
        order. The ids must be 19-digit decimal strings within SQLite's integer range."""
        if not msg_ids:
            return []
        with self.lock:
            rows: list[tuple[int, str, float]] = self.db.execute(
                self._LOOKUP, (f"[{','.join(msg_ids)}]",)
            ).fetchall()
        rows.sort()
        return rows

    def runs_between(self, start: float, end: float) -> list[tuple[int, int, bytes, float]]:
        """(first msgId, count, padded numbers, submitted_at) of the runs submitted in
        [start, end), in msgId order."""
        with self.lock:
            rows = self.db.execute(
                "SELECT first_id, size, numbers, submitted_at FROM runs"
                " WHERE submitted_at >= ? AND submitted_at < ? ORDER BY first_id",
                (start, end),
            ).fetchall()
        return [(first, size, bytes(blob), at) for first, size, blob, at in rows]


def msg_id_floor(now: float) -> int:
    """The smallest msgId of this second: yyMMddHHmmss then a 7-digit sequence."""
    stamp = datetime.fromtimestamp(now, PLATFORM_TZ).strftime("%y%m%d%H%M%S")
    # Years 2000-2009 would lose the leading digit; never hand out fewer than 19 digits.
    return max(int(stamp) * _SEQ_SPAN + _SEQ_START, _MIN_MSG_ID)
