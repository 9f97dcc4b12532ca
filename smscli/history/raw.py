"""A queue provider's report answers as they came (raw_reports: saved before anything reads
them, so one smscli cannot read yet is kept instead of lost), and one-time notices."""

from __future__ import annotations

from typing import TYPE_CHECKING

from smscli.history.db import Database, dt, guarded, now, ts

if TYPE_CHECKING:
    from smscli.gateways.reportcalls import RawAnswer
    from smscli.history.rawreport import RawReport


class RawReports(Database):
    @guarded
    def keep_raw_report(
        self,
        *,
        provider: str,
        profile: str | None,
        body: bytes,
        content_type: str | None,
        http_status: int,
    ) -> int:
        """Save an answer's bytes before anything reads them; returns its id."""
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO raw_reports (provider, profile, received, http_status,"
                " content_type, body, state) VALUES (?, ?, ?, ?, ?, ?, 'new')",
                (provider, profile, ts(now()), http_status, content_type, body),
            )
            return int(cursor.lastrowid or 0)

    @guarded
    def raw_report_read(self, raw_id: int, reports: int) -> None:
        """The answer was read: dropped when it held no report (a --wait poll makes many)."""
        with self._write() as db:
            if reports:
                db.execute(
                    "UPDATE raw_reports SET state = 'read', reports = ? WHERE id = ?",
                    (reports, raw_id),
                )
            else:
                db.execute("DELETE FROM raw_reports WHERE id = ?", (raw_id,))

    @guarded
    def raw_report_unreadable(self, raw_id: int, error: str) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE raw_reports SET state = 'unreadable', error = ? WHERE id = ?",
                (error, raw_id),
            )

    @guarded
    def raw_reports(self, state: str | None = None) -> list[RawReport]:
        """Kept answers, oldest first (`state`: new, read or unreadable)."""
        from smscli.history.rawreport import RawReport  # only a queue provider's report reads them

        sql = (
            "SELECT id, provider, profile, received, http_status, content_type, body, state,"
            " reports, error FROM raw_reports"
        )
        params: tuple[str, ...] = ()
        if state is not None:
            sql += " WHERE state = ?"
            params = (state,)
        return [
            RawReport(
                id=row[0],
                provider=row[1],
                profile=row[2],
                received=dt(row[3]) or now(),
                http_status=row[4],
                content_type=row[5],
                body=bytes(row[6]),
                state=row[7],
                reports=row[8],
                error=row[9],
            )
            for row in self._db.execute(sql + " ORDER BY id", params)
        ]

    @guarded
    def first_notice(self, name: str) -> bool:
        """True the first time `name` is asked about (then never again): for warnings that
        are worth giving once per history, not once per command."""
        with self._write() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO notices (name, shown) VALUES (?, ?)", (name, ts(now()))
            )
            return cursor.rowcount == 1


class RawKeeper:
    """A store's raw_reports as reporting.drain_queue's keeper: every report answer of
    `provider` saved before it is read."""

    def __init__(self, store: RawReports, provider: str, profile: str | None = None) -> None:
        self.store = store
        self.provider = provider
        self.profile = profile

    def keep(self, raw: RawAnswer) -> int:
        return self.store.keep_raw_report(
            provider=self.provider,
            profile=self.profile,
            body=raw.body,
            content_type=raw.content_type,
            http_status=raw.http_status,
        )

    def read(self, raw_id: int, reports: int) -> None:
        self.store.raw_report_read(raw_id, reports)

    def unreadable(self, raw_id: int, error: str) -> str:
        self.store.raw_report_unreadable(raw_id, error)
        return f"the history {self.store.path} (table raw_reports, id {raw_id})"

    def unread(self) -> list[tuple[int, RawAnswer]]:
        from smscli.gateways.reportcalls import RawAnswer

        kept = self.store.raw_reports("new") + self.store.raw_reports("unreadable")
        return [
            (raw.id, RawAnswer(raw.body, raw.content_type, raw.http_status))
            for raw in sorted(kept, key=lambda raw: raw.id)
            if raw.provider == self.provider
        ]
