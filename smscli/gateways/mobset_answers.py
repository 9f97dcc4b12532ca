"""Reading mobset's SDK3 answers: the Code of a call (negative: the gateway's error), the
verdict on each sent number (its ids tied to the numbers whatever keys the Details use),
queued delivery reports, inbound messages and the balance. Plain functions over the decoded
JSON, keys already lower-case; the client (smscli.gateways.mobset) sends the requests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from smscli.errors import GatewayError
from smscli.gateways import mobset_codes
from smscli.gateways.base import DeliveryStatus, Report, SendResult, Submitted
from smscli.gateways.decoding import number_text
from smscli.gateways.matching import match_number as _match
from smscli.gateways.records import Inbound

# Beijing time has had no daylight saving since 1991: a fixed offset is exact, and it keeps the
# TimeStamp independent of this machine's time zone.
BEIJING: Final = timezone(timedelta(hours=8), "UTC+08:00")

_ID_KEYS: Final = ("smsid", "msgid")
_PHONE_KEYS: Final = ("phonenumber", "mobile", "phone", "number", "mobiles", "phonenumbers")
_BALANCE_KEYS: Final = ("balance", "count", "smscount", "num", "amount", "remain", "surplus")
# Words a gateway uses when it does not know a `Methods` value (Chinese and English).
_UNKNOWN_METHOD_WORDS: Final = ("methods", "方法", "不支持", "未知", "unknown", "not support")
_TIME_FORMATS: Final = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")

# Per-message status of SmsGetReport: SDK3 documents only 12 and 13; the rest is the legacy
# Sms_Status table (providers.md B.4), kept in case those values reappear.
_REPORT_STATUS: Final[dict[str, tuple[DeliveryStatus, str]]] = {
    "0": (DeliveryStatus.PENDING, "submitted"),
    "1": (DeliveryStatus.PENDING, "under review"),
    "2": (DeliveryStatus.FAILED, "submission failed"),
    "3": (DeliveryStatus.FAILED, "submission failed"),
    "4": (DeliveryStatus.FAILED, "submission failed"),
    "5": (DeliveryStatus.FAILED, "submission failed"),
    "6": (DeliveryStatus.FAILED, "number not supported"),
    "7": (DeliveryStatus.FAILED, "review failed"),
    "10": (DeliveryStatus.PENDING, "sent, awaiting receipt"),
    "11": (DeliveryStatus.FAILED, "sending failed"),
    "12": (DeliveryStatus.DELIVERED, "received"),
    "13": (DeliveryStatus.FAILED, "not received"),
    "15": (DeliveryStatus.UNKNOWN, "unknown status"),
}


@dataclass(frozen=True, slots=True)
class _Entry:
    msg_id: str | None
    phone: str | None


def own_answer(data: Mapping[str, Any]) -> bool:
    """A 4xx/5xx answer that is mobset's own JSON error (a negative Code): its code decides."""
    code = lower_keys(data).get("code")
    number = int_value(code)
    return number is not None and number < 0


def gateway_error(code: str, message: object, http_status: int = 200) -> GatewayError:
    decoded = mobset_codes.decode(code)
    provider_message = str(message).strip() if message is not None else ""
    text = f"gateway code {code}: {decoded.reason}"
    if provider_message:
        text += f" ({provider_message})"
    if http_status != 200:
        text += f" (HTTP {http_status})"
    return GatewayError(
        text,
        code=code,
        kind=decoded.kind,
        hint=decoded.hint,
        provider_message=provider_message or None,
    )


def says_unknown_method(message: str | None) -> bool:
    text = (message or "").lower()
    return any(word in text for word in _UNKNOWN_METHOD_WORDS)


def lower_keys(data: Mapping[str, Any]) -> dict[str, Any]:
    # `Code` and `code` both occur (the SmsGetReport page uses both): keys are case-blind.
    return {str(key).lower(): value for key, value in data.items()}


def int_value(value: object) -> int | None:
    # number_text already reads "12", 12, "12.0" alike and refuses the rest.
    text = number_text(value)
    return None if text is None else int(text)


def _text(value: object) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _first(entry: Mapping[str, Any], keys: Sequence[str]) -> str | None:
    for key in keys:
        value = _text(entry.get(key))
        if value is not None:
            return value
    return None


def entries(details: object) -> list[dict[str, Any]]:
    if isinstance(details, Mapping):
        details = [details]
    if not isinstance(details, list):
        return []
    return [lower_keys(item) for item in details if isinstance(item, Mapping)]


def _sendentries(details: object) -> list[_Entry]:
    """Details of SmsSend: objects (key names uncertain, providers.md D.1), or bare ids as a
    list or comma-separated text (the legacy SDK's shape)."""
    if isinstance(details, str):
        return [_Entry(i.strip(), None) for i in details.split(",") if i.strip()]
    if isinstance(details, Mapping):
        details = [details]
    if not isinstance(details, list):
        return []
    entries: list[_Entry] = []
    for item in details:
        if isinstance(item, Mapping):
            fields = lower_keys(item)
            entries.append(_Entry(_first(fields, _ID_KEYS), _first(fields, _PHONE_KEYS)))
        elif _text(item) is not None:
            entries.append(_Entry(_text(item), None))
    return entries


def send_result(
    data: Mapping[str, Any], numbers: Sequence[str], order_ids: Sequence[str] | None
) -> SendResult:
    code = int_value(data.get("code")) or 0
    entries = _sendentries(data.get("details"))
    if not entries:
        if code > 0:
            return SendResult(
                (),
                0,
                0,
                untracked=tuple(numbers),
                note=f"the gateway says it sent {code} message(s) but its answer carried no "
                "message ids, so their delivery cannot be followed",
                code=str(code),
            )
        return SendResult((), 0, len(numbers))

    free = list(range(len(numbers)))
    placed: list[tuple[int | None, _Entry]] = []
    unplaced: list[_Entry] = []
    for entry in entries:
        index = _match(entry.phone, numbers, free) if entry.phone else None
        if index is not None:
            free.remove(index)
            placed.append((index, entry))
        elif entry.phone:
            placed.append((None, entry))  # a number we did not send: kept as the gateway wrote it
        else:
            unplaced.append(entry)
    if unplaced and len(unplaced) == len(free):
        # No phone numbers in the answer: the ids follow the order of PhoneNumbers.
        placed.extend(zip(free, unplaced, strict=True))
        free, unplaced = [], []

    accepted: list[Submitted] = []
    untracked: list[str] = []
    for index, entry in sorted(placed, key=lambda p: len(numbers) if p[0] is None else p[0]):
        number = numbers[index] if index is not None else (entry.phone or "")
        if entry.msg_id is None:
            untracked.append(number)
            continue
        order_id = order_ids[index] if order_ids is not None and index is not None else None
        accepted.append(Submitted(number=number, msg_id=entry.msg_id, order_id=order_id))
    if unplaced:
        untracked.extend(numbers[i] for i in free)
    # Numbers sent whose ids cannot be tied to them: sent all the same (never resent, exit 3).
    note = (
        f"the gateway sent {len(untracked)} message(s) whose ids its answer does not tie "
        "to a number, so their delivery cannot be followed"
        if untracked
        else None
    )
    return SendResult(
        accepted=tuple(accepted),
        success=len(accepted),
        fail=max(0, len(numbers) - len(accepted) - len(untracked)),
        untracked=tuple(untracked),
        note=note,
        code=str(code) if untracked else None,
    )


def read_report(entry: Mapping[str, Any]) -> Report | None:
    msg_id = _first(entry, _ID_KEYS)
    if msg_id is None:
        return None  # nothing to attach it to
    raw = _text(entry.get("status")) or ""
    ex_status = _text(entry.get("exstatus"))
    known = _REPORT_STATUS.get(raw)
    if known is None:
        status, meaning = DeliveryStatus.UNKNOWN, f"unknown status {raw!r}"
    else:
        status, meaning = known
    if raw in ("12", "13"):
        detail = ex_status or meaning
    else:
        detail = f"{meaning} ({ex_status})" if ex_status else meaning
    return Report(
        msg_id=msg_id,
        status=status,
        number=_first(entry, _PHONE_KEYS),
        time=parse_beijing_time(entry.get("reporttime")),
        code=raw or None,
        detail=detail,
    )


def read_inbound(entry: Mapping[str, Any]) -> Inbound | None:
    """An SmsGetRecv entry (keys already lower-case). RecvNumber is the account's number the
    phone wrote to, AddNum the extension after it (if any)."""
    number = _text(entry.get("phonenumber")) or _first(entry, _PHONE_KEYS)
    if number is None:
        return None
    to = _text(entry.get("recvnumber"))
    extension = _text(entry.get("addnum"))
    if extension:
        to = f"{to or ''}{extension}"
    content = entry.get("content")
    return Inbound(
        number=number,
        to=to,
        content="" if content is None else str(content),
        time=parse_beijing_time(entry.get("recvtime")),
        msg_id=_first(entry, _ID_KEYS),
    )


def parse_beijing_time(value: object) -> datetime | None:
    """The "yyyy-MM-dd HH:mm:ss" of reports (and near variants), Beijing time, made aware."""
    text = _text(value)
    if text is None:
        return None
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=BEIJING)
        except ValueError:
            continue
    return None


def _amount(value: object) -> str | None:
    """A balance exactly as written ("12.50", 1234), or None when it is not a number."""
    text = _text(value)
    if text is None:
        return None
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return text if number.is_finite() else None


def balance_amount(data: Mapping[str, Any]) -> str:
    for key in _BALANCE_KEYS:
        amount = _amount(data[key]) if key in data else None
        if amount is not None:
            return amount
    details = data.get("details")
    scalar = _amount(details) if not isinstance(details, dict | list) else None
    if scalar is not None:
        return scalar
    for entry in entries(details):
        for key in _BALANCE_KEYS:
            amount = _amount(entry[key]) if key in entry else None
            if amount is not None:
                return amount
    count = int_value(data.get("code"))
    return str(count) if count is not None else "0"
