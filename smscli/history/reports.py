"""Delivery reports and the history: what it knows of msgIds (`report`'s starting point), and
writing reports back onto messages - or, for msgIds no job holds, into orphan_reports (a queue
provider hands each report out once), moved onto the message once it appears."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypeVar

from smscli.gateways.base import DeliveryStatus, Report
from smscli.history import codes
from smscli.history.db import BATCH, dt, guarded, marks, now, ts
from smscli.history.keys import key, key_sql, keys
from smscli.history.queries import job_filter
from smscli.history.reader import JobReader
from smscli.history.records import TRACKED, Tracked, tracked, tracked_orphan

_STATUSES: Final = {status.value: status for status in DeliveryStatus}
# `+`: not a way into the table (that is the msgId index), only a filter.
_OF_PROVIDER: Final = " AND +m.job_id IN (SELECT id FROM jobs WHERE provider = ?)"

# A message holding a msgId: (msg_id, job_id, chunk, pos, state, report) as stored, as the
# row read (a lookup's has the number after them).
_Held = tuple[Any, ...]
# How the messages holding a msgId are found: by its key, or by the msgId as given.
_K = TypeVar("_K", int | str, str)
# A stored report's (time, code, detail), each distinct one read once per lookup.
_Read = tuple[datetime | None, str | None, str | None]


@dataclass
class _Seen:
    """The messages rows a lookup read (keep_rows), for record_reports to write by without
    reading them again: valid while the history is as it was then (`version`: nothing was
    committed to it by another connection, and nothing written on this one but by
    record_reports, which keeps it up to date). Each key's rows are taken by the report that
    is recorded for it."""

    provider: str
    version: tuple[int, int]
    rows: dict[str, list[_Held]]  # by msgId as given


# What a delivery status adds to a message's state (codes.state), and the status a state
# holds (codes.status_of), as tables.
_STATE_OF: Final = {status: codes.state(0, status.value) for status in DeliveryStatus}
_STATUS_OF: Final = (None, *codes.STATUSES)


def _is_final(status: DeliveryStatus | None) -> bool:
    return status is not None and status.final


class ReportReads(JobReader):
    _seen: _Seen | None = None
    # (provider, version) when record_reports last moved kept reports onto messages.
    _adopted: tuple[str, tuple[int, int]] | None = None

    def _version(self) -> tuple[int, int]:
        """Changes when another connection commits to the history (data_version) or this
        one writes anything (total_changes)."""
        row = self._db.execute("PRAGMA data_version").fetchone()
        return int(row[0]), self._db.total_changes

    @guarded
    def ids_for_job(self, job_id: int) -> dict[str, Tracked]:
        """msgId -> (number, status, time, code, detail) of a job's accepted messages."""
        self.job(job_id)
        return dict(
            tracked(row)
            for row in self._db.execute(
                f"{TRACKED} FROM messages m WHERE m.job_id = ? AND m.msg_id IS NOT NULL"
                " ORDER BY m.chunk, m.pos",
                (job_id,),
            )
        )

    @guarded
    def ids_for_last_job(self, profile: str | None = None) -> dict[str, Tracked]:
        """The newest job's (of `profile`, or of any) ids; {} when there is no job."""
        job_id = self.last_job_id(profile)
        return {} if job_id is None else self.ids_for_job(job_id)

    @guarded
    def ids_since(self, since: datetime, profile: str | None = None) -> dict[str, Tracked]:
        """The ids of every job created since `since` (of `profile`, or of any)."""
        where, params = job_filter(since, profile, None, table="j")
        return dict(
            tracked(row)
            for row in self._db.execute(
                f"{TRACKED} FROM messages m JOIN jobs j ON j.id = m.job_id"
                f" WHERE m.msg_id IS NOT NULL AND {' AND '.join(where)}"
                " ORDER BY j.id, m.chunk, m.pos",
                params,
            )
        )

    @guarded
    def lookup(
        self, msg_ids: Sequence[str], provider: str | None = None, *, keep_rows: bool = False
    ) -> dict[str, Tracked]:
        """What the history knows of these msgIds (of `provider`'s jobs, or of any): their
        messages' last states, and reports kept for msgIds no job holds (orphan_reports).
        Ids it knows nothing of are left out. A kept report wins over its message's state
        only when it is final and the message's is not (it arrived before the message was
        journalled).

        keep_rows (with `provider`): the rows read are kept until record_reports records a
        report for their msgId (`report`: each id looked up is recorded next, once), which
        then does not read them again, unless the history has changed since."""
        found: dict[str, Tracked] = {}
        read: dict[str, _Read] = {}
        keep = keep_rows and provider is not None
        for start in range(0, len(msg_ids), BATCH):
            part = list(msg_ids[start : start + BATCH])
            found.update(self._tracked_messages(part, provider, read, keep=keep))
            for msg_id, kept in self._tracked_orphans(part, provider).items():
                known = found.get(msg_id)
                if known is None:
                    found[msg_id] = kept
                elif not _is_final(known.status) and _is_final(kept.status):
                    found[msg_id] = kept._replace(number=known.number or kept.number)
        return found

    def _tracked_messages(
        self, msg_ids: list[str], provider: str | None, read: dict[str, _Read], *, keep: bool
    ) -> dict[str, Tracked]:
        """records.tracked of each row, for 100,000 msgIds at a time (`report`): the ids
        given are the keys (not a copy of each made from its row), and each distinct stored
        report is read once (the reports of one answer are stored alike: one JSON text,
        one time and code shared by all of them). `keep`: the rows are kept (_Seen)."""
        stored_as = keys(msg_ids)
        given = dict(zip(stored_as, msg_ids, strict=True))
        params: list[object] = list(stored_as)
        scope = ""
        if provider is not None:
            scope = _OF_PROVIDER
            params.append(provider)
        found: dict[str, Tracked] = {}
        status_of = _STATUS_OF
        # Tracked(...) without the Python frame of a NamedTuple's generated __new__.
        new = tuple.__new__
        rows: dict[str, list[_Held]] = {}
        finals: list[str] = []
        before = self._version() if keep else None
        # In job order, so a msgId a gateway reused answers with its newest message.
        for row in self._db.execute(
            "SELECT m.msg_id, m.job_id, m.chunk, m.pos, m.state, m.report, m.number"  # noqa: S608
            f" FROM messages m WHERE m.msg_id IN ({marks(msg_ids)}){scope}"
            " ORDER BY m.job_id, m.chunk, m.pos",
            params,
        ):
            msg_id, _, _, _, state, stored, number = row
            mine = given.get(msg_id)
            if mine is None:  # not as given (cannot be, as keys() reads them): as it is
                mine = str(msg_id)
            if keep:
                if 4 <= state < 12:  # final (codes.is_final): not asked again, not kept
                    finals.append(mine)
                else:
                    held = rows.get(mine)
                    if held is None:
                        rows[mine] = [row]
                    else:
                        held.append(row)
            number = None if number is None else str(number)
            if stored is None:
                found[mine] = new(Tracked, (number, status_of[state >> 2], None, None, None))
                continue
            got = read.get(stored)
            if got is None:
                status_time, code, detail, _ = codes.unpack_report(stored)
                got = read[stored] = (codes.when(status_time), code, detail)
            found[mine] = new(Tracked, (number, status_of[state >> 2], *got))
        if keep and provider is not None:
            for mine in finals:  # none of its rows kept (record_reports reads them)
                rows.pop(mine, None)
            self._keep_seen(provider, before, rows)
        return found

    def _keep_seen(
        self,
        provider: str,
        before: tuple[int, int] | None,
        rows: dict[str, list[_Held]],
    ) -> None:
        """Rows read while nothing changed the history (the same version before and after
        reading them) join those kept, which are only as good as that version."""
        version = self._version()
        if version != before:
            return
        seen = self._seen
        if seen is None or seen.provider != provider or seen.version != version:
            seen = self._seen = _Seen(provider, version, {})
        seen.rows.update(rows)

    def _tracked_orphans(self, msg_ids: list[str], provider: str | None) -> dict[str, Tracked]:
        scope, params = "", [*msg_ids]
        if provider is not None:
            scope = " AND provider = ?"
            params.append(provider)
        return dict(
            tracked_orphan(row)
            for row in self._db.execute(
                "SELECT msg_id, number, status, status_time, code, detail"  # noqa: S608
                f" FROM orphan_reports WHERE msg_id IN ({marks(msg_ids)}){scope}"
                " ORDER BY received, rowid",
                params,
            )
        )

    @guarded
    def sent_times(
        self, msg_ids: Sequence[str], provider: str | None = None
    ) -> dict[str, datetime]:
        """When the request of each msgId's message was answered (ids the history holds):
        tells a message still queued at the gateway from one the gateway has forgotten."""
        found: dict[str, datetime] = {}
        for start in range(0, len(msg_ids), BATCH):
            part = list(msg_ids[start : start + BATCH])
            scope, params = "", list[object](keys(part))
            if provider is not None:
                scope = _OF_PROVIDER
                params.append(provider)
            rows = self._db.execute(
                "SELECT m.msg_id, coalesce(c.finished, c.started) FROM messages m"  # noqa: S608
                " JOIN chunks c ON c.job_id = m.job_id AND c.idx = m.chunk"
                f" WHERE m.msg_id IN ({marks(part)}){scope} ORDER BY m.job_id",
                params,
            )
            for msg_id, when in rows:
                sent = dt(when)
                if sent is not None:
                    found[str(msg_id)] = sent
        return found

    @guarded
    def orphan_reports(self, provider: str | None = None) -> dict[str, Tracked]:
        """The reports kept for msgIds no job holds, oldest first."""
        sql = "SELECT msg_id, number, status, status_time, code, detail FROM orphan_reports"
        params: tuple[str, ...] = ()
        if provider is not None:
            sql += " WHERE provider = ?"
            params = (provider,)
        return dict(
            tracked_orphan(row)
            for row in self._db.execute(sql + " ORDER BY received, rowid", params)
        )

    @guarded
    def record_reports(self, reports: Iterable[Report], *, provider: str | None = None) -> int:
        """Write delivery states back by msgId; returns how many messages changed. msgIds are
        unique within one provider's platform only: pass `provider` to keep another
        provider's message with the same id untouched. A final state (delivered/failed) is
        never replaced by a non-final one: gateways forget old ids and answer not_found.

        With `provider`, a report for a msgId none of its jobs holds is kept in
        orphan_reports (a queue provider hands it out only once), unless it only says
        not_found; kept reports whose message has appeared since are moved onto it. All in one
        transaction: the reports are saved, or (on an error) none is."""
        reports = list(reports)
        stamp = ts(now())
        ids = [r.msg_id for r in reports]
        if provider is not None and self._nothing_to_write(reports, ids, provider):
            return 0
        adopted = False
        self._adopted = None
        try:
            with self._write() as db:
                held = self._held_now(db, ids, provider)
                changed = _write_reports(db, zip(reports, ids, strict=True), held)
                if provider is not None:
                    strays = [r for r in reports if r.msg_id not in held]
                    if strays:
                        _keep_orphans(db, strays, provider, stamp)
                    adopted = _adopt_orphans(db, provider)
        except BaseException:
            self._seen = None
            raise
        version = self._version()
        if provider is not None:
            self._adopted = (provider, version)
        seen = self._seen
        if seen is not None:
            if adopted:  # moved kept reports onto messages whose rows may be kept: stale
                self._seen = None
            else:  # the rows kept are as they were: only these reports' were written
                seen.version = version
        return changed

    def _nothing_to_write(self, reports: list[Report], ids: list[str], provider: str) -> bool:
        """True when recording these reports would write nothing, as the kept rows say
        (`report` asking again about pending messages, answered the same): then no write
        transaction is needed at all (its rows are let go, as recording takes them). Only
        while the history is as it was when the rows were read and when kept reports were
        last moved onto messages (after which none could be moved: a report kept since
        would have been kept without a message to move onto), and every id has kept rows."""
        seen = self._seen
        if seen is None or seen.provider != provider or self._adopted != (provider, seen.version):
            return False
        rows = seen.rows
        if not all(msg_id in rows for msg_id in ids) or seen.version != self._version():
            return False
        held = {msg_id: rows[msg_id] for msg_id in ids}
        if _updates(zip(reports, ids, strict=True), held):
            return False
        for msg_id in ids:
            rows.pop(msg_id, None)
        return True

    def _held_now(
        self, db: sqlite3.Connection, ids: Sequence[str], provider: str | None
    ) -> dict[str, list[_Held]]:
        """_held by msgId as given, inside the write transaction: the rows a lookup kept,
        where the history is still as it was when they were read (then nothing can change it
        before this transaction ends); the others read now."""
        held: dict[str, list[_Held]] = {}
        missing: Sequence[str] = ids
        seen = self._seen
        if seen is not None and seen.provider == provider:
            if seen.version == self._version():
                rows = seen.rows
                missing = []
                for msg_id in ids:
                    got = rows.pop(msg_id, None)
                    if got is None:
                        missing.append(msg_id)
                    else:
                        held[msg_id] = got
            else:
                self._seen = None
        if missing:
            stored_as = keys(missing)
            found = _held(db, stored_as, provider)
            for msg_id, k in zip(missing, stored_as, strict=True):
                got = found.get(k)
                if got:
                    held[msg_id] = got
        return held


def _write_reports(
    db: sqlite3.Connection,
    reports: Iterable[tuple[Report, _K]],
    held: Mapping[_K, list[_Held]],
) -> int:
    """Each report onto the messages holding its msgId (`held`); how many rows changed."""
    updates = _updates(reports, held)
    if updates:  # asking again about pending messages changes nothing, usually
        db.executemany(
            "UPDATE messages SET state = ?, report = ? WHERE job_id = ? AND chunk = ? AND pos = ?",
            updates,
        )
    return len(updates)


def _updates(
    reports: Iterable[tuple[Report, _K]], held: Mapping[_K, list[_Held]]
) -> list[tuple[object, ...]]:
    """The rows to write for each report onto the messages holding its msgId (`held`):
    only where the report changes the row (asking again about pending messages costs a
    read, not a write), and a final state is never replaced by a non-final one."""
    at = codes.ms(now())
    updates: list[tuple[object, ...]] = []
    # The reports of one answer mostly say the same (time, code, detail): each head made
    # once, and a report that holds the same objects as the last one takes its head as is.
    heads: dict[tuple[datetime | None, str | None, str | None], str] = {}
    head = ""
    last: Report | None = None
    for report, k in reports:
        got = held.get(k)
        if not got:
            continue
        if (
            last is None
            or report.time is not last.time
            or report.code is not last.code
            or report.detail is not last.detail
        ):
            said = (report.time, report.code, report.detail)
            made = heads.get(said)
            head = heads[said] = codes.report_head(*said) if made is None else made
            last = report
        # codes.state(outcome, status) is the outcome plus this; codes.is_final(state) is
        # 4 <= state < 12 (delivered, failed), spelled out: this runs per message.
        add = _STATE_OF[report.status]
        final = 4 <= add < 12
        for row in got:
            code, stored = row[4], row[5]
            new = (code & 3) + add
            if not final and 4 <= code < 12:
                continue
            if new == code and stored is not None and stored.startswith(head):
                continue
            updates.append((new, f"{head}{at}]", row[1], row[2], row[3]))
    return updates


def _held(
    db: sqlite3.Connection, keys: Sequence[int | str], provider: str | None
) -> dict[int | str, list[_Held]]:
    """The messages holding these msgIds (as keys.key; of `provider`'s jobs, or of any): their
    positions and delivery states, read through the msgId index a batch at a time."""
    scope, extra = "", tuple[str, ...]()
    if provider is not None:
        scope, extra = " AND +job_id IN (SELECT id FROM jobs WHERE provider = ?)", (provider,)
    held: dict[int | str, list[_Held]] = {}
    for start in range(0, len(keys), BATCH):
        part = keys[start : start + BATCH]
        for row in db.execute(
            "SELECT msg_id, job_id, chunk, pos, state, report"  # noqa: S608
            f" FROM messages WHERE msg_id IN ({marks(part)}){scope}",
            (*part, *extra),
        ):
            got = held.get(row[0])
            if got is None:
                held[row[0]] = [row]
            else:
                got.append(row)
    return held


def _keep_orphans(
    db: sqlite3.Connection, reports: Sequence[Report], provider: str, stamp: str
) -> None:
    """Reports no message of `provider` takes, kept by (provider, msgId); the same rule as for
    messages: a final state is never replaced by a non-final one."""
    db.executemany(
        "INSERT INTO orphan_reports (provider, msg_id, number, status, status_time, code,"
        " detail, received) SELECT ?, ?, ?, ?, ?, ?, ?, ?"
        " WHERE NOT EXISTS (SELECT 1 FROM messages m JOIN jobs j ON j.id = m.job_id"
        " WHERE m.msg_id = ? AND j.provider = ?)"
        " ON CONFLICT (provider, msg_id) DO UPDATE SET number = coalesce(excluded.number,"
        " number), status = excluded.status, status_time = excluded.status_time,"
        " code = excluded.code, detail = excluded.detail, received = excluded.received"
        " WHERE status NOT IN ('delivered', 'failed')"
        " OR excluded.status IN ('delivered', 'failed')",
        (
            (
                provider,
                r.msg_id,
                r.number,
                r.status.value,
                ts(r.time) if r.time else None,
                r.code,
                r.detail,
                stamp,
                key(r.msg_id),
                provider,
            )
            for r in reports
            if r.status is not DeliveryStatus.NOT_FOUND
        ),
    )


def _adopt_orphans(db: sqlite3.Connection, provider: str) -> bool:
    """Kept reports whose message has been journalled since (a report pulled while its send's
    answer was still on the way) move onto the message. True when some did."""
    found = (
        f"EXISTS (SELECT 1 FROM messages m WHERE m.msg_id = {key_sql('o.msg_id')}"  # noqa: S608
        " AND m.job_id IN (SELECT id FROM jobs WHERE provider = ?))"
    )
    kept = [
        Report(str(msg_id), _STATUSES[status], None, dt(status_time), code, detail)
        for msg_id, status, status_time, code, detail in db.execute(
            "SELECT msg_id, status, status_time, code, detail FROM orphan_reports o"  # noqa: S608
            f" WHERE o.provider = ? AND {found} ORDER BY received, rowid",
            (provider, provider),
        )
    ]
    if not kept:
        return False
    stored_as = keys([r.msg_id for r in kept])
    _write_reports(db, zip(kept, stored_as, strict=True), _held(db, stored_as, provider))
    db.execute(
        f"DELETE FROM orphan_reports AS o WHERE o.provider = ? AND {found}",  # noqa: S608
        (provider, provider),
    )
    return True
