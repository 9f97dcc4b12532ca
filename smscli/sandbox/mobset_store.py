"""The mobset simulator's state: the balance, the SmsId counter, the messages waiting for
their report (a queue: each report is handed out once) and the injected inbound messages
(also handed out once)."""

from __future__ import annotations

import pathlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from smscli.sandbox.common import Fate, StateDb

SMS_ID_START: Final = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Pending:
    sms_id: int
    number: str
    ready_at: float
    fate: Fate


class MobsetStore(StateDb):
    LAST_ID = "last_sms_id"
    _SCHEMA: Final = (
        "CREATE TABLE IF NOT EXISTS messages (sms_id INTEGER PRIMARY KEY, number TEXT NOT NULL,"
        " ready_at REAL NOT NULL, fate INTEGER NOT NULL, reported INTEGER NOT NULL DEFAULT 0)",
        "CREATE INDEX IF NOT EXISTS queue ON messages (reported, ready_at, sms_id)",
        "CREATE TABLE IF NOT EXISTS account (id INTEGER PRIMARY KEY CHECK (id = 1),"
        " balance INTEGER NOT NULL, last_sms_id INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS inbound (id INTEGER PRIMARY KEY, number TEXT NOT NULL,"
        " recv_number TEXT NOT NULL, add_num TEXT NOT NULL, content TEXT NOT NULL,"
        " received_at REAL NOT NULL, handed_out INTEGER NOT NULL DEFAULT 0)",
    )

    def __init__(
        self, path: pathlib.Path | None, initial_balance: int, *, repeat: bool = False
    ) -> None:
        super().__init__(path)
        # The repeat-reports quirk: reports are handed out but never marked as handed out.
        self._repeat = repeat
        with self.writing():
            for statement in self._SCHEMA:
                self.db.execute(statement)
            self.open_account(initial_balance, SMS_ID_START)

    def submit(
        self, messages: Sequence[tuple[str, Fate]], ready_at: float, cost: int
    ) -> list[int] | None:
        """Store the messages and charge `cost`; None (nothing stored) if unaffordable."""
        with self.writing():
            first = self.charge(cost, len(messages))
            if first is None:
                return None
            ids = list(range(first, first + len(messages)))
            self.db.executemany(
                "INSERT INTO messages (sms_id, number, ready_at, fate) VALUES (?, ?, ?, ?)",
                (
                    (sms_id, number, ready_at, int(fate))
                    for sms_id, (number, fate) in zip(ids, messages, strict=True)
                ),
            )
            return ids

    def pop_reports(self, now: float, limit: int) -> list[Pending]:
        """The oldest reports that are due, marked as handed out in the same transaction."""
        with self.writing():
            rows = self.db.execute(
                "SELECT sms_id, number, ready_at, fate FROM messages"
                " WHERE reported = 0 AND fate != ? AND ready_at <= ?"
                " ORDER BY ready_at, sms_id LIMIT ?",
                (int(Fate.STUCK), now, limit),
            ).fetchall()
            if not self._repeat:
                self.db.executemany(
                    "UPDATE messages SET reported = 1 WHERE sms_id = ?",
                    ((row[0],) for row in rows),
                )
        return [Pending(row[0], row[1], row[2], Fate(row[3])) for row in rows]

    def add_inbound(
        self, number: str, recv_number: str, add_num: str, content: str, at: float
    ) -> None:
        with self.writing():
            self.db.execute(
                "INSERT INTO inbound (number, recv_number, add_num, content, received_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (number, recv_number, add_num, content, at),
            )

    def pop_inbound(self, limit: int) -> list[tuple[str, str, str, str, float]]:
        """The oldest inbound messages not handed out yet, marked in the same transaction."""
        with self.writing():
            rows = self.db.execute(
                "SELECT id, number, recv_number, add_num, content, received_at FROM inbound"
                " WHERE handed_out = 0 ORDER BY received_at, id LIMIT ?",
                (limit,),
            ).fetchall()
            self.db.executemany(
                "UPDATE inbound SET handed_out = 1 WHERE id = ?", ((row[0],) for row in rows)
            )
        return [tuple(row[1:]) for row in rows]
