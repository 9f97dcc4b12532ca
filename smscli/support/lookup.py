"""`lookup` and `inbox` rows: everything the history knows of some numbers, merged.

Three sources, one row per message: the jobs smscli sent (source "history": job, order_id and
content attached), the gateway's records of messages sent by any system on the account (source
"gateway", no job; a record whose msgId a job holds is that job's message and is not shown
twice), and inbound messages (direction "in", status "received"). A message's delivery state is
the most advanced of what the job recorded and what the gateway's record says.

Row keys (fixed): time, direction (out|in), number, msg_id, status (delivered|failed|pending|
unknown|received), detail, content, job, profile, source (history|gateway)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Final

from smscli.history.messages import NumberHit
from smscli.history.store import Store
from smscli.history.support import AccountStore, InboundRow, SentRow
from smscli.rows import delivery_detail

LOOKUP_KEYS: Final = (
    "time", "direction", "number", "msg_id", "status", "detail", "content", "job", "profile",
    "source",
)
INBOX_KEYS: Final = ("time", "number", "to", "content", "msg_id")

_RANK: Final = {"delivered": 2, "failed": 2, "pending": 1}


def rank(status: str | None) -> int:
    return _RANK.get(status or "", 0)


TimeText = Callable[[datetime], str]


def iso_text(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


def lookup_rows(
    store: Store, numbers: Iterable[str], since: datetime, *, time_text: TimeText = iso_text
) -> list[dict[str, object]]:
    """Every message to or from `numbers` since `since`, newest first. `time_text` writes the
    delivery time inside `detail` (local time for a table, ISO-8601 for machine formats)."""
    account = AccountStore(store)
    rows: list[dict[str, object]] = []
    for number in dict.fromkeys(numbers):
        gateway = account.sent_to(number, since)
        by_id = {(g.provider, g.msg_id): g for g in gateway}
        # Every job's message to the number, older ones too: a gateway record whose msgId one
        # of them holds (same provider) is that message, shown as the job's or not at all.
        ours: set[tuple[str, str]] = set()
        for hit in store.messages_to(number):
            msg_id = hit.message.msg_id
            if msg_id:
                ours.add((hit.job.provider, msg_id))
            if hit.job.created >= since:
                record = by_id.get((hit.job.provider, msg_id)) if msg_id else None
                rows.append(history_row(hit, record, time_text))
        rows.extend(
            gateway_row(record, time_text)
            for record in gateway
            if (record.provider, record.msg_id) not in ours
        )
        rows.extend(inbound_row(m) for m in account.inbound(since, number=number))
    rows.sort(key=_newest_first)
    return rows


def _newest_first(row: dict[str, object]) -> tuple[float, int]:
    when = row["time"]
    stamp = when.timestamp() if isinstance(when, datetime) else 0.0
    return (-stamp, 0 if row["direction"] == "in" else 1)


def history_row(
    hit: NumberHit, record: SentRow | None, time_text: TimeText = iso_text
) -> dict[str, object]:
    m, job = hit.message, hit.job
    status, detail = _history_status(hit, time_text)
    if record is not None and rank(record.status) > rank(status):
        status, detail = _shown(record.status), _gateway_detail(record, time_text)
    return {
        "time": m.sent or job.created,
        "direction": "out",
        "number": m.number,
        "msg_id": m.msg_id,
        "status": status,
        "detail": detail,
        "content": m.content if m.content is not None else job.message,
        "job": job.id,
        "profile": job.profile,
        "source": "history",
    }


def _at(when: datetime | None, time_text: TimeText) -> str | None:
    return time_text(when) if when is not None else None


def _history_status(hit: NumberHit, time_text: TimeText) -> tuple[str, str]:
    m = hit.message
    if m.outcome == "accepted":
        status = m.status.value if m.status is not None else "pending"
        detail = delivery_detail(status, m.code, m.detail, at=_at(m.status_time, time_text))
        return _shown(status), detail
    if m.outcome == "rejected":
        return "failed", f"rejected by the gateway: {m.error}" if m.error else "rejected"
    if m.outcome == "not_sent":
        return "failed", m.error or "not sent"
    if m.outcome in ("planned", "sending"):
        return "pending", "being sent by smscli now"
    return "unknown", m.error or "the send's outcome is unknown"


def _shown(status: str) -> str:
    """The row vocabulary: not_found reads as pending (on this platform it mostly means
    "still queued"); anything unexpected as unknown."""
    if status == "not_found":
        return "pending"
    return status if status in ("delivered", "failed", "pending") else "unknown"


def _gateway_detail(record: SentRow, time_text: TimeText) -> str:
    # Worded when shown, not when synced, by the same function as report's and history's rows.
    return delivery_detail(
        record.status, record.code, record.detail, at=_at(record.status_time, time_text)
    )


def gateway_row(record: SentRow, time_text: TimeText = iso_text) -> dict[str, object]:
    return {
        "time": record.time,
        "direction": "out",
        "number": record.number,
        "msg_id": record.msg_id,
        "status": _shown(record.status),
        "detail": _gateway_detail(record, time_text) + _time_note(record),
        "content": None,
        "job": None,
        "profile": record.profile,
        "source": "gateway",
    }


def _time_note(record: SentRow) -> str:
    if record.sent_known:
        return ""
    if record.status_time is not None:
        return "; its time is the delivery time (the gateway gave no send time)"
    return "; its time is when it was first synced (the gateway gave no send time)"


def inbound_row(message: InboundRow) -> dict[str, object]:
    return {
        "time": message.time,
        "direction": "in",
        "number": message.number,
        "msg_id": message.msg_id,
        "status": "received",
        "detail": f"to {message.to}" if message.to else "inbound message",
        "content": message.content,
        "job": None,
        "profile": message.profile,
        "source": "gateway",
    }


def inbox_rows(
    store: Store, since: datetime, number: str | None = None
) -> Iterator[dict[str, object]]:
    for message in AccountStore(store).inbound(since, number=number):
        yield {
            "time": message.time,
            "number": message.number,
            "to": message.to,
            "content": message.content,
            "msg_id": message.msg_id,
        }
