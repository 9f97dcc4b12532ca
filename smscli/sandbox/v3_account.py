"""The v3 sandbox's account-wide calls: getSentRcd (every message the account sent, whoever
sent it) and recordMo (inbound messages), plus the inbound messages a user injects
(`smscli sandbox inbound`). It shares the sandbox's state file (smscli.sandbox.v3_store).

getSentRcd (GET): appId, startTime, endTime (ISO-8601 with offset: a `+` that arrived as a
space, as the official SDK sends it unencoded, is -11), startIndex (default 0).
    -11  a time missing or not yyyy-MM-ddTHH:mm:ss with an offset, or startIndex not digits
    -22  endTime not after startTime
    -25  a window longer than 31 days, or starting more than 90 days ago
    -15  called again within `sent_rcd_interval` seconds (the FAQ's one call a minute; off
         unless set: `smscli sandbox serve --sent-rcd-interval 60`)
Answer: status, reason, success/fail (records of the whole window not failed / failed),
array[] {msgId, number, receiveTime, status}, at most `sent_page_size` (default 50,000)
records from startIndex, in msgId order. status "0" delivered, "-1" sending, and failed as
"1" (status_dialect "zh", the Chinese pages) or "2" ("en", the English ones).

recordMo (POST JSON): appId, current (>= 1), size (1-100), params {strTime, endTime}.
    -22  current or size out of range, params not an object, a time unreadable
    -25  a window longer than 31 days, or starting before 2022-07-01T00:00:00+08:00
Answer: status, reason, data {total, size, current, pages, records[] {number, sendId,
receiveTime, content, mcc, mnc, operator, pricedetail}}, oldest first.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Final

from smscli.sandbox.common import PLATFORM_TZ, ApiError, iso_seconds
from smscli.sandbox.v3_store import NUMBER_WIDTH, V3Store

MAX_SENT_SPAN: Final = timedelta(days=31)
SENT_HISTORY: Final = timedelta(days=90)
MAX_SENT_PAGE: Final = 50_000
MAX_MO_SPAN: Final = timedelta(days=31)
MAX_MO_SIZE: Final = 100
MO_EARLIEST: Final = datetime(2022, 7, 1, tzinfo=PLATFORM_TZ)
# The number injected messages are addressed to when no --to is given.
DEFAULT_TO: Final = "10690000"

_TIME_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
_FAILED: Final = {"zh": "1", "en": "2"}


class SandboxAccount:
    def __init__(
        self,
        store: V3Store,
        *,
        clock: Callable[[], float] = time.time,
        fate: Callable[[str, float], tuple[str, float | None]],
        failing_suffixes: tuple[str, ...] = (),
        sent_page_size: int = MAX_SENT_PAGE,
        status_dialect: str = "zh",
        sent_rcd_interval: float = 0.0,
    ) -> None:
        if not 1 <= sent_page_size <= MAX_SENT_PAGE:
            raise ValueError(f"sent_page_size must be 1 to {MAX_SENT_PAGE}")
        if status_dialect not in _FAILED:
            raise ValueError("status_dialect must be 'zh' (0/-1/1) or 'en' (0/2)")
        self._store = store
        self._clock = clock
        # (number, submitted_at) -> (status "0"/"-1"/"1", delivery time or None)
        self._fate = fate
        # Number endings whose messages may fail (the sandbox's magic table).
        self._failing = tuple(s.encode("ascii") for s in failing_suffixes)
        self.sent_page_size = sent_page_size
        self._failed = _FAILED[status_dialect]
        self.sent_rcd_interval = sent_rcd_interval
        self._last_sent_rcd: float | None = None
        with store.lock:
            store.db.execute(
                "CREATE TABLE IF NOT EXISTS inbound (id INTEGER PRIMARY KEY,"
                " number TEXT NOT NULL, to_number TEXT, content TEXT NOT NULL,"
                " received_at REAL NOT NULL)"
            )
            store.db.execute(
                "CREATE INDEX IF NOT EXISTS inbound_received ON inbound (received_at, id)"
            )
            # getSentRcd selects by time.
            store.db.execute("CREATE INDEX IF NOT EXISTS runs_submitted ON runs (submitted_at)")

    # -- injection -------------------------------------------------------------------------

    def inject_inbound(
        self, number: str, content: str, *, to: str | None = None, at: float | None = None
    ) -> None:
        with self._store.lock:
            self._store.db.execute(
                "INSERT INTO inbound (number, to_number, content, received_at) VALUES (?, ?, ?, ?)",
                (number, to or DEFAULT_TO, content, self._clock() if at is None else at),
            )

    # -- getSentRcd ------------------------------------------------------------------------

    def sent_records(self, params: Mapping[str, str]) -> dict[str, object]:
        start = _time(params.get("startTime"), "-11")
        end = _time(params.get("endTime"), "-11")
        raw_index = params.get("startIndex", "0") or "0"
        if not raw_index.isascii() or not raw_index.isdigit():
            raise ApiError("-11")
        if end <= start:
            raise ApiError("-22")
        now = self._clock()
        if end - start > MAX_SENT_SPAN or start.timestamp() < now - SENT_HISTORY.total_seconds():
            raise ApiError("-25")
        with self._store.lock:
            last = self._last_sent_rcd
            limited = last is not None and self.sent_rcd_interval > 0
            if limited and now - (last or 0.0) < self.sent_rcd_interval:
                raise ApiError("-15")
            self._last_sent_rcd = now
        index, limit = int(raw_index), self.sent_page_size
        items: list[dict[str, str]] = []
        success = fail = position = 0
        # success / fail count the whole window; only the runs that hold part of the page, or
        # may hold a failing number, are taken apart message by message (the rest are
        # counted whole: a sync of a million records asks 20 pages of the same window).
        for first_id, size, blob, submitted_at in self._store.runs_between(
            start.timestamp(), end.timestamp()
        ):
            in_page = index < position + size and position < index + limit
            if not in_page and not any(s in blob for s in self._failing):
                success += size
                position += size
                continue
            text = blob.decode("ascii")
            for offset in range(size):
                number = text[offset * NUMBER_WIDTH : (offset + 1) * NUMBER_WIDTH].rstrip()
                status, done_at = self._fate(number, submitted_at)
                if status == "1":
                    status = self._failed
                    fail += 1
                else:
                    success += 1
                if index <= position + offset < index + limit:
                    items.append(
                        {
                            "msgId": str(first_id + offset),
                            "number": number,
                            "receiveTime": "" if done_at is None else iso_seconds(done_at),
                            "status": status,
                        }
                    )
            position += size
        return {"success": str(success), "fail": str(fail), "array": items}

    # -- recordMo --------------------------------------------------------------------------

    def inbound(self, body: Mapping[str, object]) -> dict[str, object]:
        current, size = _whole(body.get("current", 1)), _whole(body.get("size", 10))
        if current < 1 or not 1 <= size <= MAX_MO_SIZE:
            raise ApiError("-22")
        window = body.get("params")
        if not isinstance(window, dict):
            raise ApiError("-22")
        start = _time(window.get("strTime"), "-22")
        end = _time(window.get("endTime"), "-22")
        if end <= start:
            raise ApiError("-22")
        if end - start > MAX_MO_SPAN or start < MO_EARLIEST:
            raise ApiError("-25")
        span = (start.timestamp(), end.timestamp())
        with self._store.lock:
            (total,) = self._store.db.execute(
                "SELECT count(*) FROM inbound WHERE received_at >= ? AND received_at < ?", span
            ).fetchone()
            rows = self._store.db.execute(
                "SELECT number, to_number, content, received_at FROM inbound"
                " WHERE received_at >= ? AND received_at < ? ORDER BY received_at, id"
                " LIMIT ? OFFSET ?",
                (*span, size, (current - 1) * size),
            ).fetchall()
        records = [
            {
                "number": number,
                "sendId": to,
                "receiveTime": iso_seconds(received_at),
                "content": content,
                "mcc": "460",
                "mnc": "00",
                "operator": "sandbox",
                "pricedetail": {"pay": "0", "chargeCnt": 0, "currency": "USD", "price": "0"},
            }
            for number, to, content, received_at in rows
        ]
        return {
            "data": {
                "total": total,
                "size": size,
                "current": current,
                "pages": -(-total // size),
                "records": records,
            }
        }


def _whole(value: object) -> int:
    """A JSON whole number, else -22."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ApiError("-22")


def _time(value: object, code: str) -> datetime:
    if not isinstance(value, str) or not _TIME_RE.fullmatch(value):
        raise ApiError(code)
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(code) from None
