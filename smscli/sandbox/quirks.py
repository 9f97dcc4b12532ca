"""Quirk modes of the simulators: answers shaped the way real gateways and their servers send
them, beyond what the documents show (real-answers.md, issue 10). Switched on per simulator,
so users can test their own scripts (and smscli) against them:

    smscli sandbox serve --quirk bom --quirk numbers
    smscli config set sandbox_quirks bom,no-credit -p sandbox      (the in-process sandbox)
    SMSCLI_SANDBOX_QUIRKS=bom,gbk smscli report --last -p sandbox-mobset

Each quirk only reshapes an answer the simulator would give anyway: what it means stays the
same (except `no-array`, which drops the msgIds, as real answers sometimes do)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Final

BOM: Final = b"\xef\xbb\xbf"

V3_QUIRKS: Final[dict[str, str]] = {
    "bom": "a UTF-8 BOM before every JSON body (IIS/.NET servers)",
    "numbers": "values as JSON numbers, not strings: status, counts, msgIds, balance",
    "order-id-null": 'every "orderId" null, even when orderIds were sent',
    "no-credit": "getBalance without the credit field (as onbuka answers)",
    "no-array": "sendSms without the array: success counts numbers it lists no msgId for",
    "plus-numbers": "numbers echoed back with a leading +",
    "lowercase-msgid": 'the key "msgid" instead of "msgId" (the push format\'s spelling)',
    "naive-time": "getReport / getSentRcd receiveTime without an offset",
    "epoch-ms-time": "getReport / getSentRcd receiveTime as epoch milliseconds",
    "http-errors": "errors (status != 0) with HTTP 403 (auth, IP), 500 (-18) or 400 (others)",
}
MOBSET_QUIRKS: Final[dict[str, str]] = {
    "bom": "a UTF-8 BOM before every JSON body (IIS/.NET servers)",
    "numbers": "values as JSON numbers, not strings: Code, SmsId, Status",
    "gbk": "bodies encoded in GBK, with no charset in the Content-Type",
    "decimal-balance": 'SmsGetBalance answers {"Code":0,"Balance":"<n>.00"}',
    "repeat-reports": "SmsGetReport hands the same reports out again on every call",
}
ALL_QUIRKS: Final = sorted(set(V3_QUIRKS) | set(MOBSET_QUIRKS))

_AUTH_STATUSES: Final = frozenset({"-1", "-2", "-13", "-30", "-31", "-32"})


def parse(text: str | Iterable[str] | None) -> frozenset[str]:
    """Quirk names from "bom,numbers" (or a list of such texts); ValueError for an unknown
    one."""
    if text is None:
        return frozenset()
    parts = [text] if isinstance(text, str) else list(text)
    names = {name.strip().lower() for part in parts for name in part.split(",") if name.strip()}
    unknown = sorted(names - set(ALL_QUIRKS))
    if unknown:
        raise ValueError(
            f"unknown sandbox quirk {', '.join(unknown)} (known: {', '.join(ALL_QUIRKS)})"
        )
    return frozenset(names)


class QuirkError(ValueError):
    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def for_simulator(given: Iterable[str], *, mobset: bool) -> frozenset[str]:
    """The quirks named in `given` (texts like "bom,numbers"), each known and meant for this
    simulator; QuirkError (with a hint for the user) otherwise."""
    try:
        chosen = parse(given)
    except ValueError as exc:
        raise QuirkError(str(exc), "smscli sandbox quirks lists them") from None
    known = MOBSET_QUIRKS if mobset else V3_QUIRKS
    other = sorted(chosen - set(known))
    if other:
        raise QuirkError(
            f"quirk {', '.join(other)} does not apply to the {'mobset' if mobset else 'v3'} "
            "simulator",
            f"its quirks: {', '.join(known)}",
        )
    return chosen


def problem(text: str) -> str | None:
    """For the profile key's validation: None when every name is known."""
    try:
        parse(text)
    except ValueError as exc:
        return str(exc)
    return None


# -- v3 ----------------------------------------------------------------------------------------


def v3_answer(endpoint: str, content: bytes, quirks: frozenset[str]) -> tuple[int, bytes]:
    """The HTTP status and body of a v3 answer (`content`: the sandbox's own, HTTP 200)."""
    body = json.loads(content)
    http_status = 200
    status = str(body.get("status", ""))
    if status != "0" and "http-errors" in quirks:
        http_status = 403 if status in _AUTH_STATUSES else 500 if status == "-18" else 400
    if status == "0":
        if endpoint in ("sendSms", "sendSms/batch"):
            _v3_send(body, quirks)
        elif endpoint in ("getReport", "getSentRcd"):
            # getSentRcd's records have getReport's shape (providers.md A.3).
            _v3_report(body, quirks)
        elif endpoint == "getBalance" and "no-credit" in quirks:
            body.pop("credit", None)
    if "numbers" in quirks:
        body = _as_numbers(body, skip={"reason", "number", "receiveTime", "orderId"})
    return http_status, _encode(body, quirks)


def _v3_send(body: dict[str, Any], quirks: frozenset[str]) -> None:
    items = body.get("array") or []
    for item in items:
        if "order-id-null" in quirks:
            item["orderId"] = None
        if "plus-numbers" in quirks:
            item["number"] = "+" + str(item["number"])
        if "lowercase-msgid" in quirks:
            item["msgid"] = item.pop("msgId")
    if "no-array" in quirks:
        body.pop("array", None)


def _v3_report(body: dict[str, Any], quirks: frozenset[str]) -> None:
    from datetime import datetime

    for item in body.get("array") or []:
        if "plus-numbers" in quirks:
            item["number"] = "+" + str(item["number"])
        if "lowercase-msgid" in quirks:
            item["msgid"] = item.pop("msgId")
        time = item.get("receiveTime")
        if not time:
            continue
        if "epoch-ms-time" in quirks:
            item["receiveTime"] = str(int(datetime.fromisoformat(time).timestamp() * 1000))
        elif "naive-time" in quirks:
            item["receiveTime"] = time[:19]


# -- mobset ------------------------------------------------------------------------------------


def mobset_answer(
    method: str | None, body: Mapping[str, object], quirks: frozenset[str]
) -> tuple[bytes, str]:
    """The body and Content-Type of a mobset answer."""
    shaped: Any = dict(body)
    if method == "SmsGetBalance" and "decimal-balance" in quirks:
        shaped = {"Code": 0, "Balance": f"{body.get('Code')}.00", "Message": body.get("Message")}
    if "numbers" in quirks:
        shaped = _as_numbers(shaped, skip={"Message", "ReportTime", "PhoneNumber", "ExStatus"})
    text = json.dumps(shaped, ensure_ascii=False, separators=(",", ":"))
    if "gbk" in quirks:
        content, content_type = text.encode("gbk", "replace"), "application/json"
    else:
        content, content_type = text.encode("utf-8"), "application/json; charset=utf-8"
    return (BOM + content if "bom" in quirks else content), content_type


# -- shared ------------------------------------------------------------------------------------


def _as_numbers(value: Any, *, skip: set[str], key: str | None = None) -> Any:
    """Every string of digits (optionally signed, with decimals) as a JSON number."""
    if isinstance(value, dict):
        return {k: _as_numbers(v, skip=skip, key=k) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_numbers(v, skip=skip, key=key) for v in value]
    if isinstance(value, str) and key not in skip and value:
        body = value.removeprefix("-")
        if body.isdigit():
            return int(value)
        head, dot, tail = body.partition(".")
        if dot and head.isdigit() and tail.isdigit():
            # As a server's serializer writes a decimal: 12.5, the trailing zeros gone.
            return float(value)
    return value


def _encode(body: Any, quirks: frozenset[str]) -> bytes:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    content = text.encode("utf-8")
    return BOM + content if "bom" in quirks else content
