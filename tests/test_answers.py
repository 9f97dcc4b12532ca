"""Reading answers as real gateways send them (issue 10): bytes to text, numbers kept exact,
echoed numbers matched, receiveTime in its many forms."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime

import pytest

from smscli.gateways.base import Submitted
from smscli.gateways.decoding import JsonNumber, decode_text, number_text, parse_json
from smscli.gateways.matching import match_number
from smscli.gateways.v3_answers import msg_id_text, parse_receive_time, send_result


@pytest.mark.parametrize(
    ("content", "content_type", "fallback"),
    [
        (codecs.BOM_UTF8 + '{"a":"取短信状态报告成功"}'.encode(), None, None),
        (codecs.BOM_UTF16_LE + '{"a":"取短信状态报告成功"}'.encode("utf-16-le"), None, None),
        ('{"a":"取短信状态报告成功"}'.encode("gbk"), "application/json; charset=gb2312", None),
        ('{"a":"取短信状态报告成功"}'.encode("gbk"), "application/json", "gb18030"),
        ('{"a":"取短信状态报告成功"}'.encode("gbk"), "application/json; charset=utf-8", "gb18030"),
        (codecs.BOM_UTF8 + '{"a":"取短信状态报告成功"}'.encode("gbk"), None, "gb18030"),
    ],
)
def test_bodies_decode_whatever_their_charset(
    content: bytes, content_type: str | None, fallback: str | None
) -> None:
    assert parse_json(content, content_type, fallback=fallback) == {"a": "取短信状态报告成功"}


def test_an_undeclared_gbk_body_without_a_fallback_is_not_read_as_garbage() -> None:
    with pytest.raises(UnicodeDecodeError):
        decode_text("取短信状态报告成功".encode("gbk"), None)


def test_numbers_stay_exact() -> None:
    body = parse_json(b'{"id":2108021054011000095,"f":2.108021054011e+18,"s":0.0}', None)
    assert body["id"] == 2108021054011000095
    assert body["f"] == "2.108021054011e+18" and isinstance(body["f"], JsonNumber)
    assert msg_id_text(body["id"]) == "2108021054011000095"
    assert msg_id_text(body["f"]) is None  # its digits were lost before it reached us
    assert msg_id_text("") is None and msg_id_text(None) is None
    assert [number_text(v) for v in ("0", 0, "0.0", body["s"], " -16 ", "1.5", None, True)] == [
        "0", "0", "0", "0", "-16", None, None, None
    ]


@pytest.mark.parametrize(
    ("echoed", "index"),
    [
        ("447700900123", 0),
        ("+447700900123", 0),
        ("00447700900123", 0),
        ("+44 7700 900124", 1),
        ("7700900124", 1),  # country code dropped
        ("8613800138000", None),  # nobody's
        ("", None),
    ],
)
def test_echoed_numbers_match_the_sent_ones(echoed: str, index: int | None) -> None:
    assert match_number(echoed, ["447700900123", "447700900124"], [0, 1]) == index


def test_a_country_code_added_matches_only_when_unambiguous() -> None:
    assert match_number("8613800138000", ["13800138000"], [0]) == 0
    assert match_number("8613800138000", ["13800138000", "613800138000"], [0, 1]) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-02-12T09:30:03+08:00", datetime(2021, 2, 12, 1, 30, 3, tzinfo=UTC)),
        ("2021-02-12 09:30:03", datetime(2021, 2, 12, 1, 30, 3, tzinfo=UTC)),
        ("2021-02-12T01:30:03.5Z", datetime(2021, 2, 12, 1, 30, 3, 500000, tzinfo=UTC)),
        (1613093403000, datetime(2021, 2, 12, 1, 30, 3, tzinfo=UTC)),
        ("1613093403", datetime(2021, 2, 12, 1, 30, 3, tzinfo=UTC)),
        ("", None),
        (None, None),
        ("yesterday", None),
    ],
)
def test_receive_time_forms(value: object, expected: datetime | None) -> None:
    assert parse_receive_time(value) == expected


def test_send_result_builds_the_same_submitted_on_its_fast_path() -> None:
    # Numbers echoed as sent are built with tuple.__new__: the same Submitted, field for field,
    # as the NamedTuple's constructor gives (and as the rewritten-number path builds).
    data = {
        "status": "0",
        "success": "3",
        "fail": "0",
        "array": [
            {"msgId": "7001", "number": "447700900001", "orderId": None},
            {"msgId": "7002", "number": "447700900002", "orderId": "o-2"},
            {"msgId": "7003", "number": "+447700900003"},
        ],
    }
    result = send_result(data, ["447700900001", "447700900002", "447700900003"])
    expected = [
        Submitted("447700900001", "7001", None),
        Submitted("447700900002", "7002", "o-2"),
        Submitted("447700900003", "7003", None),
    ]
    assert list(result.accepted) == expected
    assert all(type(sub) is Submitted for sub in result.accepted)
    assert [sub.order_id for sub in result.accepted] == [None, "o-2", None]
    assert not result.untracked
