"""Reading the v3 platform's getReport answers into delivery reports. Apart from
smscli.gateways.v3_answers so that a send or a balance never imports the report records
(smscli.gateways.reports); the client imports it on its first get_report."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from smscli.gateways.base import DeliveryStatus
from smscli.gateways.decoding import number_text
from smscli.gateways.reports import Report
from smscli.gateways.v3_answers import _field, msg_id_text, opt_str, parse_receive_time

# Per-message status: 0 / -1 / 1 in getReport; the English getSentRcd pages say 2 for failed
# (providers.md A.3), so 2 is read as failed wherever it appears.
_REPORT_STATUS = {
    "0": DeliveryStatus.DELIVERED,
    "-1": DeliveryStatus.PENDING,
    "1": DeliveryStatus.FAILED,
    "2": DeliveryStatus.FAILED,
}


def read_report(
    item: Mapping[str, Any], times: dict[object, datetime | None] | None = None
) -> Report:
    """One getReport item. `times`: the receiveTimes already read (most reports of one
    answer share one, and every pending one has none): each distinct value is read once."""
    value = item.get("status")
    msg_id = item.get("msgId")
    number = item.get("number")
    if (
        times is not None
        and type(value) is str
        and value in _REPORT_STATUS
        and type(msg_id) is str
        and msg_id
        and not msg_id[0].isspace()
        and not msg_id[-1].isspace()
        and type(number) is str
        and number
    ):
        # The documented shape (strings, a documented status) is read directly, as what
        # follows reads it: this runs per report, 100,000 of them per `report`.
        received = _field(item, "receiveTime")
        try:
            time = times[received]
        except KeyError:
            time = times[received] = parse_receive_time(received)
        except TypeError:
            time = parse_receive_time(received)
        return Report(msg_id, _REPORT_STATUS[value], number, time, value)
    value = _field(item, "status")
    if type(value) is str and value in _REPORT_STATUS:
        # A documented status as the platform writes it reads as itself (number_text's
        # Decimal cost more than the rest of a report).
        raw = value
    else:
        raw = number_text(value) or (str(value).strip() if value is not None else "")
    status = _REPORT_STATUS.get(raw, DeliveryStatus.UNKNOWN)
    msg_id = msg_id_text(_field(item, "msgId"))
    received = _field(item, "receiveTime")
    if times is None:
        time = parse_receive_time(received)
    else:
        try:
            time = times[received]
        except KeyError:
            time = times[received] = parse_receive_time(received)
        except TypeError:  # not hashable (a list or object): no time, as parse_receive_time says
            time = parse_receive_time(received)
    return Report(
        msg_id=msg_id if msg_id is not None else str(_field(item, "msgId") or ""),
        status=status,
        number=opt_str(_field(item, "number")),
        time=time,
        code=raw or None,
        detail=None if status is not DeliveryStatus.UNKNOWN else f"unknown status {raw!r}",
    )
