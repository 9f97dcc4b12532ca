"""The domain values a message row stores in compact form (schema v6): the send's outcome and
the delivery status in one small integer, the rest of a delivery report and the rare per-message
values as short JSON arrays, times as milliseconds since the epoch. And the one place a
message's error text is derived from its outcome and its chunk's error, instead of being
stored with every number."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Final

from smscli.gateways.base import DeliveryStatus
from smscli.model import ChunkState, MessageState
from smscli.rows import NOT_LISTED, UNTRACKED

# messages.state % 4: the send's outcome (0 and 1 are stored in no bytes at all).
OUTCOMES: Final = (
    MessageState.ACCEPTED, MessageState.REJECTED, MessageState.UNKNOWN, MessageState.NOT_SENT
)
ACCEPTED, REJECTED, UNKNOWN, NOT_SENT = 0, 1, 2, 3
# messages.state // 4: 0 no delivery report yet, else 1 + the status's index here.
STATUSES: Final = (
    DeliveryStatus.DELIVERED,
    DeliveryStatus.FAILED,
    DeliveryStatus.PENDING,
    DeliveryStatus.NOT_FOUND,
    DeliveryStatus.UNKNOWN,
)
_STATUS_CODE: Final = {status.value: 1 + i for i, status in enumerate(STATUSES)}
# SQL on a messages row named `m`: its outcome, and whether its delivery status is final.
OUTCOME_SQL: Final = "m.state % 4"
FINAL_SQL: Final = "m.state / 4 IN (1, 2)"


def status_sql(status: DeliveryStatus) -> str:
    """SQL true for a messages row `m` whose delivery status is `status`."""
    return f"m.state / 4 = {_STATUS_CODE[status.value]}"


def state(outcome: int, status: str | None) -> int:
    return outcome if status is None else outcome + 4 * _STATUS_CODE[status]


def outcome_of(code: int) -> MessageState:
    return OUTCOMES[code % 4]


def status_of(code: int) -> DeliveryStatus | None:
    return None if code < 4 else STATUSES[code // 4 - 1]


def is_final(code: int) -> bool:
    return code // 4 in (1, 2)


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MS: Final = timedelta(milliseconds=1)


def ms(value: datetime) -> int:
    """Milliseconds since the epoch (a naive value is local time), as ts() keeps them."""
    if value.tzinfo is None:
        value = value.astimezone()
    return (value - _EPOCH) // _MS


def when(stored: object) -> datetime | None:
    """A stored time: milliseconds (v6), or the ISO text of a migrated row."""
    if stored is None or stored == "":
        return None
    if isinstance(stored, int):
        return _EPOCH + stored * _MS
    return datetime.fromisoformat(str(stored))


_text = json.encoder.encode_basestring  # json.dumps(text, ensure_ascii=False), in C


def _value(value: str | int | None) -> str:
    if value is None:
        return "null"
    return str(value) if isinstance(value, int) else _text(value)


def report_head(status_time: datetime | None, code: str | None, detail: str | None) -> str:
    """The start of messages.report up to its `updated`: a stored report that starts with
    it says the same (record_reports then leaves the row alone)."""
    time = None if status_time is None else ms(status_time)
    return f"[{_value(time)},{_value(code)},{_value(detail)},"


def pack_report(status_time: datetime | None, code: str | None, detail: str | None, at: int) -> str:
    """messages.report: [status_time, code, detail, updated], compact JSON."""
    return f"{report_head(status_time, code, detail)}{at}]"


def unpack_report(stored: str | None) -> tuple[object, str | None, str | None, object]:
    """(status_time, code, detail, updated) as stored (times not converted)."""
    if stored is None:
        return None, None, None, None
    values = json.loads(stored)
    return values[0], values[1], values[2], values[3]


def pack_extra(
    order_id: str | None, sender: str | None, error: str | None = None
) -> str | None:
    """messages.extra: [order_id, sender, error] - NULL for nearly every message. An error is
    written only where message_error would not derive the same text (an answer no gateway
    gives); migrated rows keep theirs."""
    if order_id is None and sender is None and error is None:
        return None
    return json.dumps([order_id, sender, error], ensure_ascii=False, separators=(",", ":"))


def unpack_extra(stored: str | None) -> tuple[str | None, str | None, str | None]:
    """(order_id, sender, error)."""
    if stored is None:
        return None, None, None
    values = json.loads(stored)
    return values[0], values[1], values[2]


def message_error(
    outcome: int, msg_id: object, chunk_state: str, chunk_error: str | None
) -> str | None:
    """A message's error text from domain values: its outcome and msgId, and its chunk's
    state and error text. The same texts sending.rows_for gives the rows `send` prints."""
    if outcome == ACCEPTED:
        return UNTRACKED if msg_id is None else None
    if outcome == REJECTED:
        if chunk_state == ChunkState.ACCEPTED.value:
            return NOT_LISTED  # the gateway left it out of its accepted list
        if chunk_error is not None:
            return chunk_error
        refused = chunk_state == ChunkState.REFUSED.value
        return ChunkState.REFUSED.value if refused else ChunkState.REJECTED.value
    if outcome == UNKNOWN:
        return f"outcome unknown: {chunk_error or ChunkState.UNKNOWN.value}"
    if chunk_error is None:
        return "not sent: stopped before this request"
    return f"not sent: {chunk_error}"
