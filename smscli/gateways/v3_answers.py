"""Reading the v3 platform's answers: the status of a call, the verdict on each sent number
(matched whatever form the gateway echoes it in), the times reports carry, and the platform's
own errors. Plain functions over the decoded JSON; the client (smscli.gateways.v3) sends the
requests. Delivery reports themselves are read by smscli.gateways.v3_reports, imported only
when reports are asked for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Final

from smscli.errors import GatewayError, NetworkError
from smscli.gateways import v3_codes
from smscli.gateways.base import Submitted
from smscli.gateways.decoding import JsonNumber, number_text
from smscli.gateways.matching import match_number

if TYPE_CHECKING:
    from smscli.gateways.sends import SendResult

# Every time the platform's documents show carries +08:00: a receiveTime written without an
# offset is read in that zone rather than in this machine's.
PLATFORM_TZ: Final = timezone(timedelta(hours=8))
# Epoch values: 10 digits are seconds, 13 milliseconds (from 2001 to 2286 either way).
_EPOCH_SECONDS_DIGITS: Final = 10
_EPOCH_MS_DIGITS: Final = 13


def status_text(data: Mapping[str, Any], path: str) -> str:
    """The status as canonical text: "0", 0 and "0.0" are all success."""
    raw = data.get("status")
    if raw is None or str(raw).strip() == "":
        raise NetworkError(f"the gateway's answer to {path} has no status field",
                           maybe_processed=True)
    return number_text(raw) or str(raw).strip()


def platform_answer(data: Mapping[str, Any]) -> bool:
    """A 4xx/5xx body carrying the platform's own {status, reason}: its code decides (403
    with -31 is the whitelist, exit 5). A web server's own error page (Spring's body has an
    HTTP-like `status` and no `reason`) is left to the HTTP status."""
    status = number_text(data.get("status"))
    if status is None or status == "0":
        return False
    return "reason" in data or status.startswith("-")


def gateway_error(status: str, data: Mapping[str, Any], http_status: int = 200) -> GatewayError:
    code = v3_codes.decode(status)
    reason = data.get("reason")
    shown = f" (HTTP {http_status})" if http_status != 200 else ""
    return GatewayError(
        f"gateway status {status}: {code.reason}{shown}",
        code=status,
        kind=code.kind,
        hint=code.hint,
        provider_message=str(reason) if reason else None,
        unprocessed=status.strip() in v3_codes.UNPROCESSED,
    )


def array_items(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    array = data.get("array")
    if not isinstance(array, list):
        return []
    # json.loads only makes dicts; the exact type check is much cheaper than Mapping's.
    return [item for item in array if type(item) is dict]


def _field(item: Mapping[str, Any], name: str) -> object:
    """`name` as documented (msgId), else in any case (the push format's msgid)."""
    if name in item:
        return item[name]
    lowered = name.lower()
    for key, value in item.items():
        if isinstance(key, str) and key.lower() == lowered:
            return value
    return None


def msg_id_text(value: object) -> str | None:
    """A usable msgId, exactly as sent: a string or a whole JSON number. None for an empty
    one, and for a number written with a fraction or exponent (2.108021054011e+18): its
    digits were lost before it reached us, and a rounded id would name another message."""
    if value is None or isinstance(value, bool | dict | list | JsonNumber):
        return None
    text = str(value).strip()
    return text or None


def send_result(
    data: Mapping[str, Any], numbers: Sequence[str]
) -> SendResult:
    """The verdict on each sent number. `array` lists only accepted numbers (providers.md
    A.3), so a number missing from it is rejected, unless `success` counts more numbers
    than the array lists: then the gateway accepted numbers it gave no usable id, which are
    sent without an id (`untracked`: never resent, exit 3), not rejected. Listed numbers are
    matched to the sent ones whatever their form (+, 00, 86...); a listed number with an
    empty or unusable msgId is sent without an id."""
    from smscli.gateways.sends import SendResult  # a balance or a report never builds one

    items = array_items(data)
    accepted: list[Submitted] = []
    untracked: list[str] = []
    unplaced: list[tuple[str | None, str | None]] = []  # (msgId, orderId) with no number

    def place(index: int | None, echoed: str, msg_id: str | None, order_id: str | None) -> None:
        number = numbers[index] if index is not None else echoed
        if msg_id is None:
            untracked.append(number)
        else:
            # A number the gateway rewrote beyond recognition keeps the gateway's form.
            accepted.append(Submitted(number, msg_id, order_id))

    # Numbers echoed as sent are matched through a dict (a 1000-number answer stays linear);
    # only the others go through match_number against what is left.
    slots: dict[str, list[int]] = {}
    for index in range(len(numbers) - 1, -1, -1):
        slots.setdefault(numbers[index], []).append(index)
    taken = [False] * len(numbers)
    rewritten: list[tuple[str, str | None, str | None]] = []
    # Submitted(...) without the Python frame of a NamedTuple's generated __new__ (the same
    # tuple): one is built per number accepted.
    submitted = tuple.__new__
    for item in items:
        # The documented shape (strings, `msgId`) is read directly: this runs per number.
        msg_id = item.get("msgId")
        if type(msg_id) is not str or not msg_id or msg_id[-1] == " " or msg_id[0] == " ":
            msg_id = msg_id_text(_field(item, "msgId"))
        order_id = item.get("orderId")
        if order_id is not None and (type(order_id) is not str or not order_id):
            order_id = opt_str(order_id)
        echoed = item.get("number")
        if type(echoed) is not str or not echoed:
            echoed = opt_str(_field(item, "number"))
        if echoed is None:
            unplaced.append((msg_id, order_id))
            continue
        same = slots.get(echoed)
        if same:
            index = same.pop()  # the first occurrence still free: a duplicate takes the next
            taken[index] = True
            if msg_id is None:
                untracked.append(numbers[index])
            else:
                accepted.append(submitted(Submitted, (numbers[index], msg_id, order_id)))
        else:
            rewritten.append((echoed, msg_id, order_id))
    free = [index for index, done in enumerate(taken) if not done]
    for echoed, msg_id, order_id in rewritten:
        found = match_number(echoed, numbers, free)
        if found is not None:
            free.remove(found)
        place(found, echoed, msg_id, order_id)
    if unplaced and len(unplaced) == len(free):
        # No numbers in the answer at all: the array follows the order of the request.
        for index, (msg_id, order_id) in zip(free, unplaced, strict=True):
            if msg_id is None:
                untracked.append(numbers[index])
            else:
                accepted.append(Submitted(numbers[index], msg_id, order_id))
        free, unplaced = [], []
    success = int_value(data.get("success"), default=len(items))
    listed = len(items) - len(unplaced)
    # Accepted beyond what the array lists: which of the unlisted numbers is not said, so
    # none of them may be called rejected.
    beyond = success - listed - len(unplaced)
    if beyond > 0 or unplaced:
        untracked.extend(numbers[i] for i in free)
    return SendResult(
        accepted=tuple(accepted),
        success=max(success, len(accepted)),
        fail=int_value(data.get("fail")),
        untracked=tuple(untracked),
        note=_untracked_message(len(untracked), beyond, len(free)) if untracked else None,
        code="0" if untracked else None,
    )


def _untracked_message(untracked: int, beyond: int, unlisted: int) -> str:
    if 0 < beyond < unlisted:
        return (
            f"the gateway accepted {beyond} of {unlisted} numbers its answer does not list, "
            "without saying which: none of them is resent, and their delivery cannot be "
            "followed"
        )
    return (
        f"the gateway accepted {untracked} number(s) without a usable message id "
        "(missing, empty or mangled in its answer): they were sent, and their delivery "
        "cannot be followed"
    )


def parse_receive_time(value: object) -> datetime | None:
    """receiveTime as real answers write it: ISO-8601 with an offset, with Z and
    milliseconds, without an offset (read as the platform's +08:00), epoch seconds or
    milliseconds (number or text); None when empty, null or unreadable. Always aware."""
    if value is None or isinstance(value, bool | dict | list):
        return None
    text = str(value).strip()
    if not text:
        return None
    # An ISO time is no number (and Decimal's refusal of one costs more than all the rest).
    whole = number_text(text) if ":" not in text else None
    if whole is not None and whole.isdigit():
        if len(whole) == _EPOCH_MS_DIGITS:
            return datetime.fromtimestamp(int(whole) / 1000, UTC)
        if len(whole) == _EPOCH_SECONDS_DIGITS:
            return datetime.fromtimestamp(int(whole), UTC)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=PLATFORM_TZ)


def int_value(value: object, default: int = 0) -> int:
    text = number_text(value)
    return int(text) if text is not None else default


def opt_str(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if text != "" else None
