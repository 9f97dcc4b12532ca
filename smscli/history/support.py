"""The support desk's reads and writes on the history (its tables: SUPPORT_TABLES in
smscli.history.schema).

Works on an open smscli.history.store.Store, through its connection and write transaction:
one file, one lock discipline (BEGIN IMMEDIATE), so a cron `sync` and a support person's
`lookup` can run at the same time. A page of records is saved with its sync cursor in one
transaction: a sync stopped at any point has saved every page it fetched and resumes after the
last one.

Numbers are stored as `send` normalises them (a gateway may echo "+44…" or "0044…"), so a
lookup by number finds them.

Merging: a record whose msgId a job of the same provider holds updates that job's message
(status, time, code, detail; never its job, order_id or content) and is also kept in
gateway_sent; readers show the pair once, as the job's message. A delivery state only moves
forward: unknown/not_found < pending < delivered/failed, and a final state is never replaced.
"""

from __future__ import annotations

import functools
import hashlib
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from smscli.gateways.base import DeliveryStatus
from smscli.gateways.records import Inbound, SentRecord
from smscli.gateways.reports import Report
from smscli.history.db import dt, now, store_error
from smscli.history.db import ts as _ts
from smscli.history.store import Store
from smscli.numbers import normalize

# The rank of a delivery state: a record may only replace one of lower rank (or of the same
# rank when that one is not final, to refresh its detail).
_RANK_SQL: Final = (
    "CASE {0} WHEN 'delivered' THEN 2 WHEN 'failed' THEN 2 WHEN 'pending' THEN 1 ELSE 0 END"
)
_FORWARD: Final = (
    f"({_RANK_SQL.format('excluded.status')} > {_RANK_SQL.format('gateway_sent.status')}"
    f" OR ({_RANK_SQL.format('excluded.status')} = {_RANK_SQL.format('gateway_sent.status')}"
    " AND gateway_sent.status NOT IN ('delivered', 'failed')))"
)
_UPSERT_SENT: Final = (
    "INSERT INTO gateway_sent (provider, msg_id, profile, number, time, sent_known, status,"  # noqa: S608
    " status_time, code, detail, synced) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (provider, msg_id) DO UPDATE SET status = excluded.status,"
    " status_time = coalesce(excluded.status_time, gateway_sent.status_time),"
    " code = excluded.code, detail = excluded.detail,"
    # A send time learnt later beats a delivery time used in its place.
    " time = CASE WHEN excluded.sent_known AND NOT gateway_sent.sent_known"
    " THEN excluded.time ELSE gateway_sent.time END,"
    " sent_known = max(gateway_sent.sent_known, excluded.sent_known)"
    f" WHERE {_FORWARD}"
)
_INSERT_INBOUND: Final = (
    "INSERT INTO inbound (provider, profile, number, to_number, content, time, msg_id,"
    " fingerprint, synced) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)

_RANK: Final = {
    DeliveryStatus.DELIVERED: 2,
    DeliveryStatus.FAILED: 2,
    DeliveryStatus.PENDING: 1,
}


def forward(old: DeliveryStatus | None, new: DeliveryStatus) -> bool:
    """Whether `new` may replace `old`: a higher rank (unknown/not_found < pending <
    delivered/failed), or the same rank when `old` is not final (a fresher detail)."""
    before = _RANK.get(old, 0) if old is not None else 0
    after = _RANK.get(new, 0)
    return after > before or (after == before and before < 2)


# The history's time text, cached: a page of records shares a few hundred distinct times.
ts = functools.lru_cache(maxsize=4096)(_ts)


@dataclass(frozen=True, slots=True)
class Cursor:
    """A window left unfinished: resume it at `index` (getSentRcd startIndex, recordMo page)."""

    start: datetime
    end: datetime
    index: int


@dataclass(frozen=True, slots=True)
class SyncState:
    profile: str
    kind: str
    covered_from: datetime | None = None
    covered_until: datetime | None = None
    cursor: Cursor | None = None
    last_success: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class SentRow:
    """A gateway record (getSentRcd, or a lookup's getReport)."""

    msg_id: str
    number: str
    time: datetime
    sent_known: bool
    status: str
    status_time: datetime | None
    code: str | None
    detail: str | None
    profile: str
    provider: str


@dataclass(frozen=True, slots=True)
class InboundRow:
    number: str
    to: str | None
    content: str | None
    time: datetime
    msg_id: str | None
    profile: str
    provider: str


class AccountStore:
    """The support tables of one open history (a smscli.history.store.Store)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # The Store's own connection and write transaction: one lock discipline for the file.
        self._db: sqlite3.Connection = store._db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        try:
            with self.store._write() as db:
                yield db
        except sqlite3.Error as exc:
            raise store_error(self.store.path, exc, "cannot save the gateway's records") from None

    # -- sync state --------------------------------------------------------------------------

    def state(self, profile: str, kind: str) -> SyncState:
        try:
            row = self._db.execute(
                "SELECT covered_from, covered_until, cursor_start, cursor_end, cursor_index,"
                " last_success, last_error FROM sync_state WHERE profile = ? AND kind = ?",
                (profile, kind),
            ).fetchone()
        except sqlite3.Error as exc:
            raise store_error(self.store.path, exc) from None
        if row is None:
            return SyncState(profile, kind)
        start, end = dt(row[2]), dt(row[3])
        cursor = Cursor(start, end, int(row[4] or 0)) if start and end else None
        return SyncState(profile, kind, dt(row[0]), dt(row[1]), cursor, dt(row[5]), row[6])

    def _put_state(self, db: sqlite3.Connection, state: SyncState) -> None:
        cursor = state.cursor
        db.execute(
            "INSERT OR REPLACE INTO sync_state (profile, kind, covered_from, covered_until,"
            " cursor_start, cursor_end, cursor_index, last_success, last_error, updated)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                state.profile,
                state.kind,
                ts(state.covered_from) if state.covered_from else None,
                ts(state.covered_until) if state.covered_until else None,
                ts(cursor.start) if cursor else None,
                ts(cursor.end) if cursor else None,
                cursor.index if cursor else None,
                ts(state.last_success) if state.last_success else None,
                state.last_error,
                ts(now()),
            ),
        )

    def put_state(self, state: SyncState) -> None:
        with self._write() as db:
            self._put_state(db, state)

    # -- writes ------------------------------------------------------------------------------

    def save_sent(
        self,
        records: Sequence[SentRecord],
        *,
        provider: str,
        profile: str,
        state: SyncState | None,
    ) -> None:
        """One page of records and the state after it (if any), in one transaction."""
        stamp = ts(now())
        rows = []
        for r in records:
            when = r.sent or r.status_time
            rows.append(
                (
                    provider,
                    r.msg_id,
                    profile,
                    normalize(r.number),
                    ts(when) if when else stamp,
                    1 if r.sent else 0,
                    r.status.value,
                    ts(r.status_time) if r.status_time else None,
                    r.code,
                    r.detail,
                    stamp,
                )
            )
        # smscli's own messages first, through the history's own API (its message table is
        # its business): if this stops before the page below is saved, the page is fetched
        # again and this is simply repeated.
        self._forward_own(records, provider)
        with self._write() as db:
            db.executemany(_UPSERT_SENT, rows)
            if state is not None:
                self._put_state(db, state)

    def _forward_own(self, records: Sequence[SentRecord], provider: str) -> None:
        """The records whose msgId a job of `provider` holds move that job's message forward
        (never back): its job, order_id and content are untouched."""
        known = self.store.lookup([r.msg_id for r in records], provider)
        if not known:
            return
        reports = [
            Report(r.msg_id, r.status, r.number, r.status_time, r.code, r.detail)
            for r in records
            if r.msg_id in known and forward(known[r.msg_id].status, r.status)
        ]
        if reports:
            self.store.record_reports(reports, provider=provider)

    def save_inbound(
        self,
        records: Sequence[Inbound],
        *,
        provider: str,
        profile: str,
        state: SyncState | None,
        store_content: bool = True,
    ) -> int:
        """Inbound messages (each once) and the state after them; how many were new. Without
        `store_content` (the profile's store_content = false) their text is not kept."""
        stamp = ts(now())
        rows = []
        for r in records:
            when = ts(r.time) if r.time else stamp
            rows.append(
                (provider, profile, normalize(r.number), r.to,
                 r.content if store_content else None, when,
                 r.msg_id,
                 fingerprint(r, when), stamp)
            )
        with self._write() as db:
            before = db.total_changes
            db.executemany(_INSERT_INBOUND, rows)
            added = db.total_changes - before
            if state is not None:
                self._put_state(db, state)
        return added

    # -- reads -------------------------------------------------------------------------------

    def sent_to(self, number: str, since: datetime) -> list[SentRow]:
        """The gateway's records of messages to `number` since `since`, newest first."""
        try:
            rows = self._db.execute(
                "SELECT msg_id, number, time, sent_known, status, status_time, code, detail,"
                " profile, provider FROM gateway_sent WHERE number = ? AND time >= ?"
                " ORDER BY time DESC",
                (number, ts(since)),
            ).fetchall()
        except sqlite3.Error as exc:
            raise store_error(self.store.path, exc) from None
        return [
            SentRow(r[0], r[1], _must(dt(r[2])), bool(r[3]), r[4], dt(r[5]), r[6], r[7], r[8],
                    r[9])
            for r in rows
        ]

    def inbound(
        self, since: datetime, number: str | None = None, limit: int | None = None
    ) -> list[InboundRow]:
        """Inbound messages since `since` (from `number` only, if given), newest first."""
        sql = (
            "SELECT number, to_number, content, time, msg_id, profile, provider FROM inbound"
            " WHERE time >= ?"
        )
        params: list[object] = [ts(since)]
        if number is not None:
            sql += " AND number = ?"
            params.append(number)
        sql += " ORDER BY time DESC, id DESC"
        if limit:
            sql += " LIMIT ?"
            params.append(limit)
        try:
            rows = self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise store_error(self.store.path, exc) from None
        return [
            InboundRow(r[0], r[1], r[2], _must(dt(r[3])), r[4], r[5], r[6]) for r in rows
        ]

    def unsettled(
        self, numbers: Sequence[str], since: datetime, provider: str, limit: int
    ) -> dict[str, str]:
        """msgId -> number of messages to `numbers` since `since` through `provider` whose
        delivery state is not final yet (smscli's own and the gateway's records), at most
        `limit`, newest first: what a lookup asks getReport about."""
        found: dict[str, str] = {}
        for number in numbers:
            for hit in self.store.messages_to(number, since=since):
                m = hit.message
                if (
                    hit.job.provider == provider
                    and m.msg_id
                    and m.outcome == "accepted"
                    and m.status not in ("delivered", "failed")
                ):
                    found.setdefault(m.msg_id, m.number)
        marks = ",".join("?" * len(numbers))
        try:
            rows = self._db.execute(
                "SELECT msg_id, number FROM gateway_sent"  # noqa: S608
                f" WHERE number IN ({marks}) AND provider = ? AND time >= ?"
                " AND status NOT IN ('delivered', 'failed') ORDER BY time DESC LIMIT ?",
                (*numbers, provider, ts(since), limit),
            ).fetchall()
        except sqlite3.Error as exc:
            raise store_error(self.store.path, exc) from None
        for msg_id, number in rows:
            found.setdefault(str(msg_id), str(number))
        return dict(list(found.items())[:limit])

    def oldest_pending(self, profile: str, since: datetime) -> datetime | None:
        """The time of the oldest record of `profile` still pending, not older than `since`."""
        row = self._db.execute(
            "SELECT min(time) FROM gateway_sent WHERE profile = ? AND status = 'pending'"
            " AND time >= ?",
            (profile, ts(since)),
        ).fetchone()
        return dt(row[0]) if row else None

    def prune(self, cutoff: datetime, *, dry_run: bool = False) -> tuple[int, int]:
        """Delete gateway records and inbound messages older than `cutoff`; (records,
        messages) deleted (or, with dry_run, that would be). The sync state is kept: what
        was synced stays synced, it is only no longer kept."""
        stamp = ts(cutoff)
        with self._write() as db:
            (sent,) = db.execute(
                "SELECT count(*) FROM gateway_sent WHERE time < ?", (stamp,)
            ).fetchone()
            (inbound,) = db.execute(
                "SELECT count(*) FROM inbound WHERE time < ?", (stamp,)
            ).fetchone()
            if not dry_run:
                db.execute("DELETE FROM gateway_sent WHERE time < ?", (stamp,))
                db.execute("DELETE FROM inbound WHERE time < ?", (stamp,))
        return int(sent), int(inbound)

    def counts(self) -> tuple[int, int]:
        """(gateway records, inbound messages) held: for tests and benchmarks."""
        (sent,) = self._db.execute("SELECT count(*) FROM gateway_sent").fetchone()
        (inbound,) = self._db.execute("SELECT count(*) FROM inbound").fetchone()
        return int(sent), int(inbound)


def fingerprint(record: Inbound, when: str) -> str:
    """The gateway's id when it gives one, else a hash of what makes the message itself."""
    if record.msg_id:
        return f"id:{record.msg_id}"
    text = "\0".join((record.number, record.to or "", when, record.content))
    return "h:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _must(value: datetime | None) -> datetime:
    if value is None:
        raise ValueError("a stored time is missing")
    return value
