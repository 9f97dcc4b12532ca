"""The v3 account-wide calls (providers.md A.3): getSentRcd (sent records by time window) and
recordMo (inbound messages). Request checks and answer parsing; V3Client makes the calls.

- getSentRcd: GET with startTime/endTime as ISO-8601 with offset, sent URL-encoded (the
  official SDK writes the raw `+08:00`, which arrives as a space); at most 31 days per call,
  only the last 90 days; at most 50,000 records per call, paged with startIndex. Per-message
  status: the English pages say 0 ok / 2 failed, the Chinese ones 0 ok / -1 sending / 1
  failed: both are read. The FAQ allows one call a minute (-15 "too frequent").
- recordMo: POST JSON {appId, current, size <= 100, params {strTime, endTime}}, window at most
  one month, nothing before 2022-07-01T00:00:00+08:00.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final

from smscli.gateways.base import DeliveryStatus
from smscli.gateways.records import Inbound, InboundPage, SentPage, SentRecord

_EPOCH_SECONDS_DIGITS: Final = 10
_EPOCH_MS_DIGITS: Final = 13

MAX_SENT_SPAN: Final = timedelta(days=31)
SENT_HISTORY: Final = timedelta(days=90)
MAX_SENT_PAGE: Final = 50_000
MAX_MO_SPAN: Final = timedelta(days=31)
MAX_MO_SIZE: Final = 100
MO_EARLIEST: Final = datetime(2022, 7, 1, tzinfo=timezone(timedelta(hours=8)))
# Where the platform's msgIds carry a time (yyMMddHHmmss), it is UTC+8.
_ID_TZ: Final = timezone(timedelta(hours=8))

# Both vocabularies (English: 0/2; Chinese: 0/-1/1). Anything else stays unknown rather than
# being guessed: a status only ever moves forward, so a wrong "failed" could never be undone.
SENT_STATUS: Final[dict[str, tuple[DeliveryStatus, str]]] = {
    "0": (DeliveryStatus.DELIVERED, "delivered"),
    "-1": (DeliveryStatus.PENDING, "sending: no delivery report yet"),
    "1": (DeliveryStatus.FAILED, "the carrier did not deliver it"),
    "2": (DeliveryStatus.FAILED, "the carrier did not deliver it"),
}


def iso(value: datetime) -> str:
    """An aware datetime as the platform writes it: 2021-02-12T00:00:00+08:00."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("times sent to the gateway must be timezone-aware")
    return value.isoformat(timespec="seconds")


def sent_params(app_id: str, start: datetime, end: datetime, start_index: int) -> dict[str, str]:
    if end <= start:
        raise ValueError("the window must end after it starts")
    if end - start > MAX_SENT_SPAN:
        raise ValueError("getSentRcd takes a window of at most 31 days")
    if start_index < 0:
        raise ValueError("startIndex must be 0 or more")
    return {
        "appId": app_id,
        "startTime": iso(start),
        "endTime": iso(end),
        "startIndex": str(start_index),
    }


def mo_body(app_id: str, start: datetime, end: datetime, current: int, size: int) -> dict[str, Any]:
    if end <= start:
        raise ValueError("the window must end after it starts")
    if end - start > MAX_MO_SPAN:
        raise ValueError("recordMo takes a window of at most one month")
    if not 1 <= size <= MAX_MO_SIZE:
        raise ValueError(f"recordMo pages hold 1 to {MAX_MO_SIZE} records")
    if current < 1:
        raise ValueError("recordMo pages count from 1")
    return {
        "appId": app_id,
        "current": current,
        "size": size,
        "params": {"strTime": iso(start), "endTime": iso(end)},
    }


def sent_page(data: Mapping[str, Any], start_index: int, window: tuple[datetime, datetime]
              ) -> SentPage:
    array = data.get("array")
    items = [item for item in array if isinstance(item, dict)] if isinstance(array, list) else []
    records = tuple(r for r in (_sent_record(item, window) for item in items) if r is not None)
    success, fail = _int(data.get("success")), _int(data.get("fail"))
    total = None if success is None and fail is None else (success or 0) + (fail or 0)
    return SentPage(records=records, start_index=start_index, total=total)


def _sent_record(item: Mapping[str, Any], window: tuple[datetime, datetime]) -> SentRecord | None:
    # Plain non-empty strings (the documented shape) skip the general conversion: a sync of a
    # million records does this a million times.
    msg_id = item.get("msgId")
    if type(msg_id) is not str or not msg_id or msg_id != msg_id.strip():
        msg_id = _text(item.get("msgId", item.get("msgid")))
    number = item.get("number")
    if type(number) is not str or not number or number != number.strip():
        number = _text(item.get("number", item.get("mobile")))
    if msg_id is None or number is None:
        return None  # nothing a support person could look up
    raw = item.get("status")
    raw = raw if type(raw) is str and raw in SENT_STATUS else (_text(raw) or "")
    status, meaning = SENT_STATUS.get(raw, (DeliveryStatus.UNKNOWN, f"unknown status {raw!r}"))
    when = parse_time(item.get("receiveTime"))
    return SentRecord(
        msg_id=msg_id,
        number=number,
        status=status,
        sent=id_time(msg_id, window),
        status_time=when if status.final else None,
        code=raw or None,
        detail=meaning,
    )


def id_time(msg_id: str, window: tuple[datetime, datetime]) -> datetime | None:
    """The send time a msgId carries as yyMMddHHmmss (UTC+8), if it lies in the queried window
    (give or take a minute). Not every msgId carries one (real-answers.md V2): then None."""
    if len(msg_id) < 13 or not msg_id.isdigit():
        return None
    stamp = _id_stamp(msg_id[:12])
    if stamp is None:
        return None
    slack = timedelta(minutes=1)
    if window[0] - slack <= stamp <= window[1] + slack:
        return stamp
    return None


# Thousands of records share one second: parse each stamp once (a sync of a million records
# spent most of its time in strptime).
@functools.lru_cache(maxsize=4096)
def _id_stamp(digits: str) -> datetime | None:
    try:
        return datetime(
            2000 + int(digits[0:2]), int(digits[2:4]), int(digits[4:6]),
            int(digits[6:8]), int(digits[8:10]), int(digits[10:12]), tzinfo=_ID_TZ,
        )
    except ValueError:
        return None


def mo_page(data: Mapping[str, Any], current: int) -> InboundPage:
    body = data.get("data")
    body = body if isinstance(body, dict) else {}
    items = body.get("records")
    items = [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
    records = tuple(r for r in (_mo_record(item) for item in items) if r is not None)
    return InboundPage(
        records=records,
        current=_int(body.get("current")) or current,
        pages=_int(body.get("pages")) or 0,
        total=_int(body.get("total")) or 0,
    )


def _mo_record(item: Mapping[str, Any]) -> Inbound | None:
    number = _text(item.get("number", item.get("mobile")))
    if number is None:
        return None
    content = item.get("content")
    return Inbound(
        number=number,
        to=_text(item.get("sendId", item.get("sendid"))),
        content="" if content is None else str(content),
        time=parse_time(item.get("receiveTime", item.get("reply_time"))),
        msg_id=_text(item.get("msgId", item.get("msgid"))),
    )


def parse_time(value: object) -> datetime | None:
    if isinstance(value, str):
        return _parse_text_time(value)
    return _parse_time(value)


@functools.lru_cache(maxsize=4096)
def _parse_text_time(value: str) -> datetime | None:
    return _parse_time(value)


def _parse_time(value: object) -> datetime | None:
    """ISO-8601 with offset as documented; also "yyyy-MM-dd HH:mm:ss" and epoch milliseconds
    (real answers vary). A time without an offset is taken as UTC+8, the platform's zone."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return _epoch(value)
    text = str(value).strip()
    if not text:
        return None
    if text.isdigit():
        return _epoch(int(text))
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=_ID_TZ)


def _epoch(value: float) -> datetime | None:
    """Epoch milliseconds (13 digits) or seconds (10 digits), as getReport's receiveTime is
    read (v3_answers.parse_receive_time); any other number is no time: seconds read as milliseconds
    would put a message in 1970."""
    try:
        whole = int(value)
        digits = len(str(abs(whole)))
        if digits == _EPOCH_MS_DIGITS:
            return datetime.fromtimestamp(value / 1000, UTC)
        if digits == _EPOCH_SECONDS_DIGITS:
            return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return None


def _text(value: object) -> str | None:
    if value is None or isinstance(value, dict | list | bool):
        return None
    text = str(value).strip()
    return text or None


def _int(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None
