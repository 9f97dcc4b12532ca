"""getReport items read directly in their documented shape (v3_reports.read_report's quick
way, taken per report of a 100,000-id `report`) read as the general way reads them."""

from __future__ import annotations

from typing import Any

import pytest

from smscli.gateways.v3_reports import read_report

ID = "2304252117461165117"
ITEMS: list[dict[str, Any]] = [
    {"msgId": ID, "number": "447700900123", "receiveTime": "2026-12-01T10:00:00+08:00",
     "status": "0"},
    {"msgId": ID, "number": "447700900123", "receiveTime": "2026-12-01 10:00:00", "status": "1"},
    {"msgId": ID, "number": "447700900123", "receiveTime": "", "status": "-1"},
    {"msgId": ID, "number": "447700900123", "status": "2"},
    {"msgId": ID, "number": "447700900123", "receivetime": "1764554400", "status": "0"},
    {"msgId": ID, "number": "447700900123", "receiveTime": ["x"], "status": "0"},
    {"msgId": ID, "number": "447700900123", "receiveTime": 1764554400000, "status": "0"},
    {"msgId": f" {ID}", "number": "447700900123", "status": "0"},
    {"msgId": f"{ID}\t", "number": "447700900123", "status": "0"},
    {"msgId": "", "number": "447700900123", "status": "0"},
    {"msgId": int(ID), "number": "447700900123", "status": "0"},
    {"msgid": ID, "number": "447700900123", "status": "0"},
    {"msgId": ID, "number": "", "status": "0"},
    {"msgId": ID, "number": 447700900123, "status": "0"},
    {"msgId": ID, "status": "0"},
    {"msgId": ID, "number": "447700900123", "status": 0},
    {"msgId": ID, "number": "447700900123", "status": "0.0"},
    {"msgId": ID, "number": "447700900123", "status": " 0"},
    {"msgId": ID, "number": "447700900123", "status": "7"},
    {"msgId": ID, "number": "447700900123", "status": None},
    {"msgId": ID, "number": "447700900123", "Status": "-1"},
]  # fmt: skip


@pytest.mark.parametrize("item", ITEMS)
def test_an_item_reads_the_same_whichever_way(item: dict[str, Any]) -> None:
    # Without `times` the general way reads it; with them, the quick one where it may.
    assert read_report(item, {}) == read_report(item)
    times: dict[object, Any] = {}
    first, again = read_report(item, times), read_report(item, times)
    assert first == again == read_report(item)
