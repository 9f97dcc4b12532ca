"""The sandbox simulator of the v3 API and the loopback HTTP server it runs behind."""

from __future__ import annotations

import hashlib
import http.client
import json
import random
import re
import sqlite3
import stat
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smscli.sandbox import v3_wire
from smscli.sandbox.common import PLATFORM_TZ
from smscli.sandbox.loopback import DropConnection, LoopbackServer
from smscli.sandbox.v3 import (
    SANDBOX_API_KEY,
    SANDBOX_API_SECRET,
    SANDBOX_APP_ID,
    Sandbox,
)
from smscli.sandbox.v3_wire import MAGIC_CONTENT, MAGIC_NUMBER_SUFFIXES, STATUS_REASONS

BASE = "https://api.laaffic.com/v3"
T0 = 1_790_000_000.0  # 2026-09-21T22:13:20+08:00
NUMBER_RULE = re.compile(r"[1-9][0-9]{5,14}")


def md5_sign(key: str, secret: str, timestamp: str) -> str:
    return hashlib.md5((key + secret + timestamp).encode()).hexdigest()


def auth(
    now: float, *, key: str = SANDBOX_API_KEY, secret: str = SANDBOX_API_SECRET
) -> dict[str, str]:
    timestamp = str(int(now))
    return {
        "Content-Type": "application/json;charset=UTF-8",
        "Api-Key": key,
        "Timestamp": timestamp,
        "Sign": md5_sign(key, secret, timestamp),
    }


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def numbers(count: int, start: int = 8613800000000) -> str:
    # Stay clear of the magic suffixes 0997-0999.
    return ",".join(str(start + i * 10) for i in range(count))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox(tmp_path: Path, clock: Clock) -> Iterator[Sandbox]:
    with Sandbox(tmp_path / "state", clock=clock, record=True) as sb:
        yield sb


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(transport=sandbox.transport(), base_url=BASE) as c:
        yield c


def parsed(response: httpx.Response) -> dict[str, Any]:
    """The JSON answer, after checking it is byte for byte what json.dumps writes (the sandbox
    assembles some answers by hand, for speed)."""
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    canonical = json.dumps(result, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert response.content == canonical
    return result


def post(client: httpx.Client, clock: Clock, path: str, body: Any) -> dict[str, Any]:
    return parsed(client.post(path, json=body, headers=auth(clock.now)))


def get(client: httpx.Client, clock: Clock, path: str, **params: str) -> dict[str, Any]:
    return parsed(client.get(path, params=params, headers=auth(clock.now)))


def send(client: httpx.Client, clock: Clock, **fields: Any) -> dict[str, Any]:
    body = {"appId": SANDBOX_APP_ID, "content": "hello world", **fields}
    return post(client, clock, "/sendSms", body)


def report(client: httpx.Client, clock: Clock, ids: list[str]) -> dict[str, Any]:
    return get(client, clock, "/getReport", appId=SANDBOX_APP_ID, msgIds=",".join(ids))


def msg_ids(result: dict[str, Any]) -> list[str]:
    return [entry["msgId"] for entry in result["array"]]


# -- authentication ----------------------------------------------------------------------


def test_documented_sign_vector() -> None:
    assert md5_sign("bDqJFiq9", "7bz1lzh9", "1630468800") == "05d7a50893e22a5c4bb3216ae3396c7c"


def test_accepts_the_documentation_sample_request() -> None:
    with Sandbox(None, clock=lambda: 1630468800.0) as sb:
        request = httpx.Request(
            "GET",
            f"{BASE}/getReport?appId=4luaKsL2&msgIds=2108021054011000095,2108021059531000096",
            headers={
                "Content-Type": "application/json;charset=UTF-8",
                "Sign": "05d7a50893e22a5c4bb3216ae3396c7c",
                "Timestamp": "1630468800",
                "Api-Key": "bDqJFiq9",
            },
        )
        body = sb.handle(request).json()
    assert body == {
        "status": "0",
        "reason": "success",
        "success": "0",
        "fail": "0",
        "sending": "0",
        "nofound": "2",
        "array": [],
    }


@pytest.mark.parametrize(
    "change",
    [
        {"Sign": "0" * 32},
        {"Sign": ""},
        {"Api-Key": "someone-else"},
        {"Api-Key": ""},
        {"Sign": md5_sign(SANDBOX_API_KEY, "wrong-secret", str(int(T0)))},
    ],
)
def test_bad_credentials_are_minus_1(
    client: httpx.Client, clock: Clock, change: dict[str, str]
) -> None:
    headers = {**auth(clock.now), **change}
    response = client.get("/getBalance", headers=headers)
    assert response.status_code == 200
    assert response.json() == {"status": "-1", "reason": "Authentication error"}


@pytest.mark.parametrize("missing", ["Api-Key", "Sign"])
def test_missing_auth_header_is_minus_1(client: httpx.Client, clock: Clock, missing: str) -> None:
    headers = auth(clock.now)
    del headers[missing]
    assert client.get("/getBalance", headers=headers).json()["status"] == "-1"


def test_sign_compared_case_insensitively(client: httpx.Client, clock: Clock) -> None:
    headers = auth(clock.now)
    headers["Sign"] = headers["Sign"].upper()
    assert client.get("/getBalance", headers=headers).json()["status"] == "0"


@pytest.mark.parametrize("offset", [-1801, 1801, -86400, 10**6])
def test_stale_timestamp_is_minus_16(client: httpx.Client, clock: Clock, offset: int) -> None:
    response = client.get("/getBalance", headers=auth(clock.now + offset))
    assert response.json() == {"status": "-16", "reason": "Timestamp expires"}


@pytest.mark.parametrize("offset", [-1800, 0, 1800])
def test_timestamp_within_half_an_hour_is_accepted(
    client: httpx.Client, clock: Clock, offset: int
) -> None:
    assert client.get("/getBalance", headers=auth(clock.now + offset)).json()["status"] == "0"


@pytest.mark.parametrize("timestamp", ["", "abc", "1.79e9", "-1790000000", str(int(T0) * 1000)])
def test_malformed_timestamp_is_minus_16(
    client: httpx.Client, clock: Clock, timestamp: str
) -> None:
    headers = {**auth(clock.now), "Timestamp": timestamp}
    headers["Sign"] = md5_sign(SANDBOX_API_KEY, SANDBOX_API_SECRET, timestamp)
    assert client.get("/getBalance", headers=headers).json()["status"] == "-16"


@pytest.mark.parametrize("app_id", [None, "", "other-app", 42])
def test_wrong_or_missing_app_id_is_minus_32(
    client: httpx.Client, clock: Clock, app_id: object
) -> None:
    body = {"appId": app_id, "numbers": numbers(1), "content": "hi"}
    assert post(client, clock, "/sendSms", body)["status"] == "-32"
    assert get(client, clock, "/getReport", msgIds="2108021054011000095")["status"] == "-32"


# -- sendSms -----------------------------------------------------------------------------


def test_send_success_shape(client: httpx.Client, clock: Clock) -> None:
    result = send(client, clock, numbers="91856321412,91856321413", orderId="21412,21413")
    assert result["status"] == "0"
    assert result["reason"] == "success"
    assert (result["success"], result["fail"]) == ("2", "0")
    assert [(e["number"], e["orderId"]) for e in result["array"]] == [
        ("91856321412", "21412"),
        ("91856321413", "21413"),
    ]
    assert all(isinstance(value, str) for value in result.values() if value is not result["array"])


def test_order_id_is_null_when_not_given(client: httpx.Client, clock: Clock) -> None:
    result = send(client, clock, numbers=numbers(2))
    assert [entry["orderId"] for entry in result["array"]] == [None, None]


def test_response_content_type_is_json_utf8(client: httpx.Client, clock: Clock) -> None:
    response = client.get("/getBalance", headers=auth(clock.now))
    assert response.headers["content-type"] == "application/json;charset=UTF-8"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"content": ""}, "-4"),
        ({"content": "   "}, "-4"),
        ({"content": None}, "-4"),
        ({"content": "x" * 1025}, "-5"),
        ({"content": "🎉" * 513}, "-5"),  # 1026 UTF-16 units, as the Java platform counts
        ({"numbers": ""}, "-8"),
        ({"numbers": None}, "-8"),
        ({"numbers": numbers(1001)}, "-7"),
        ({"numbers": numbers(2), "senderId": "S" * 33}, "-22"),
        ({"numbers": numbers(2), "orderId": "1"}, "-22"),
        ({"numbers": numbers(2), "orderId": "1,2,3"}, "-22"),
        ({"numbers": "123,0861380000000,+8613800000000"}, "-9"),
        ({"numbers": 8613800000000}, "-22"),
        ({"numbers": numbers(1), "content": ["hi"]}, "-22"),
        ({"numbers": numbers(1), "content": "buy SANDBOX:SENSITIVE now"}, "-3"),
        ({"numbers": numbers(1), "content": "SANDBOX:NOBALANCE"}, "-10"),
    ],
)
def test_send_limits(client: httpx.Client, clock: Clock, fields: dict[str, Any], code: str) -> None:
    body = {"appId": SANDBOX_APP_ID, "numbers": numbers(1), "content": "hi", **fields}
    result = post(client, clock, "/sendSms", body)
    assert result == {"status": code, "reason": STATUS_REASONS[code]}


@pytest.mark.parametrize(
    "fields",
    [
        {"content": "x" * 1024},
        {"content": "🎉" * 512},
        {"numbers": numbers(1000)},
        {"senderId": "S" * 32},
        {"senderId": ""},
        {"senderId": None},
        {"orderId": ""},
    ],
)
def test_send_at_the_limits_succeeds(
    client: httpx.Client, clock: Clock, fields: dict[str, Any]
) -> None:
    assert send(client, clock, **{"numbers": numbers(1), **fields})["status"] == "0"


def test_get_send_allows_100_numbers_not_101(client: httpx.Client, clock: Clock) -> None:
    ok = get(client, clock, "/sendSms", appId=SANDBOX_APP_ID, numbers=numbers(100), content="hi")
    assert (ok["status"], ok["success"]) == ("0", "100")
    too_many = get(
        client, clock, "/sendSms", appId=SANDBOX_APP_ID, numbers=numbers(101), content="hi"
    )
    assert too_many["status"] == "-7"


def test_unparseable_json_is_minus_22(client: httpx.Client, clock: Clock) -> None:
    for content in (b"{not json", b"", b"[1, 2]", b'"text"', b"\xff\xfe\x00"):
        response = client.post("/sendSms", content=content, headers=auth(clock.now))
        assert response.json() == {"status": "-22", "reason": "parameter exception"}


def test_partial_success_leaves_abnormal_numbers_out(client: httpx.Client, clock: Clock) -> None:
    given = [
        "8613800000010",
        "12345",  # too short
        "0861380000000",  # trunk zero
        "+8613800000020",  # no plus sign allowed
        "8613800000997",  # magic: rejected as abnormal
        "1234567890123456",  # too long
        "",  # empty entry from ",,"
        "8613800000030",
    ]
    result = send(client, clock, numbers=",".join(given), orderId=",".join(map(str, range(8))))
    assert (result["status"], result["success"], result["fail"]) == ("0", "2", "6")
    assert [(e["number"], e["orderId"]) for e in result["array"]] == [
        ("8613800000010", "0"),
        ("8613800000030", "7"),
    ]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(alphabet="0123456789+ x", max_size=17), min_size=1, max_size=12),
)
def test_number_validation_rule(candidates: list[str]) -> None:
    expected = [n for n in candidates if NUMBER_RULE.fullmatch(n) and not n.endswith("0997")]
    with Sandbox(None, balance="1000") as sb, httpx.Client(transport=sb.transport()) as c:
        body = {"appId": SANDBOX_APP_ID, "numbers": ",".join(candidates), "content": "hi"}
        result = c.post(f"{BASE}/sendSms", json=body, headers=auth(time.time())).json()
    if not ",".join(candidates).strip():
        assert result["status"] == "-8"
    elif not expected:
        assert result["status"] == "-9"
    else:
        assert [entry["number"] for entry in result["array"]] == expected
        assert result["fail"] == str(len(candidates) - len(expected))


def test_unicode_content_is_received_byte_exact(
    sandbox: Sandbox, client: httpx.Client, clock: Clock
) -> None:
    content = 'Привет, мир! 你好 🎉 Ünïcödé "quotes" & <tags> \\ \n tab\t'
    assert send(client, clock, numbers=numbers(1), content=content)["status"] == "0"
    recorded = sandbox.received[-1]
    assert recorded.method == "POST"
    assert recorded.path == "/v3/sendSms"
    assert recorded.json["content"] == content
    assert json.loads(recorded.body)["content"] == content
    assert recorded.headers["api-key"] == SANDBOX_API_KEY

    result = get(
        client, clock, "/sendSms", appId=SANDBOX_APP_ID, numbers=numbers(1), content=content
    )
    assert result["status"] == "0"
    assert sandbox.received[-1].query["content"] == content


def test_nothing_is_recorded_unless_asked(tmp_path: Path) -> None:
    with Sandbox(tmp_path, clock=Clock()) as sb, httpx.Client(transport=sb.transport()) as c:
        c.get(f"{BASE}/getBalance", headers=auth(T0))
        assert sb.received == []


_CANDIDATE_NUMBERS = [
    "8613800000010",
    "8613800000020",
    "447000000001",
    "123456",
    "123456789012345",
    "8613800000999",
    "8613800000998",
    "8613800000997",  # rejected
    "12345",  # too short
    "1234567890123456",  # too long
    "0861380000000",  # trunk zero
    "+8613800000020",
    "",
]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(_CANDIDATE_NUMBERS),
            # Any text but commas and lone surrogates (which UTF-8 cannot carry).
            st.text(st.characters(codec="utf-8", exclude_characters=","), max_size=6),
        ),
        min_size=1,
        max_size=15,
    ),
    st.booleans(),
)
def test_send_answer_pairs_numbers_with_order_ids(
    pairs: list[tuple[str, str]], with_order_ids: bool
) -> None:
    given_numbers = ",".join(number for number, _ in pairs)
    order_ids = ",".join(order_id for _, order_id in pairs)
    body = {"appId": SANDBOX_APP_ID, "numbers": given_numbers, "content": "hi"}
    if with_order_ids:
        body["orderId"] = order_ids
    expected = [
        (number, order_id if with_order_ids and order_ids else None)
        for number, order_id in pairs
        if NUMBER_RULE.fullmatch(number) and not number.endswith("0997")
    ]
    clock = Clock(time.time())
    with Sandbox(None, balance="1000") as sb, httpx.Client(transport=sb.transport()) as c:
        result = post(c, clock, f"{BASE}/sendSms", body)
    if not given_numbers.strip():
        assert result["status"] == "-8"
    elif not expected:
        assert result["status"] == "-9"
    else:
        assert [(e["number"], e["orderId"]) for e in result["array"]] == expected
        assert (result["success"], result["fail"]) == (
            str(len(expected)),
            str(len(pairs) - len(expected)),
        )
        ids = [int(i) for i in msg_ids(result)]
        assert ids == list(range(ids[0], ids[0] + len(ids)))


def test_batch_answer_escapes_order_ids(client: httpx.Client, clock: Clock) -> None:
    array = [
        {"numbers": numbers(2), "content": "a", "orderId": 'q"uote,back\\slash'},
        {"numbers": numbers(1), "content": "b"},
        {"numbers": f"{numbers(1)},123", "content": "c", "orderId": "\u2028é\x00🎉,tab\t"},
    ]
    result = post(client, clock, "/sendSms/batch", {"appId": SANDBOX_APP_ID, "array": array})
    assert [e["orderId"] for e in result["array"]] == [
        'q"uote',
        "back\\slash",
        None,
        "\u2028é\x00🎉",
    ]


def test_content_length_counts_a_lone_surrogate_once(client: httpx.Client, clock: Clock) -> None:
    for count, code in ((1024, "0"), (1025, "-5")):
        body = {"appId": SANDBOX_APP_ID, "numbers": numbers(1), "content": "\ud800" * count}
        content = json.dumps(body).encode()  # \ud800 escapes: JSON can carry lone surrogates
        response = client.post("/sendSms", content=content, headers=auth(clock.now))
        assert response.json()["status"] == code


# -- msgIds ------------------------------------------------------------------------------


def test_msg_ids_are_19_digits_time_prefixed_and_increasing(
    client: httpx.Client, clock: Clock
) -> None:
    ids = msg_ids(send(client, clock, numbers=numbers(50))) + msg_ids(
        send(client, clock, numbers=numbers(50))
    )
    prefix = datetime.fromtimestamp(T0, PLATFORM_TZ).strftime("%y%m%d%H%M%S")
    assert all(re.fullmatch(r"\d{19}", i) and i.startswith(prefix) for i in ids)
    assert [int(i) for i in ids] == sorted({int(i) for i in ids})


def test_msg_ids_unique_across_instances_sharing_a_state_dir(tmp_path: Path) -> None:
    clock = Clock()  # the same second for everyone: only the stored counter separates them
    first = Sandbox(tmp_path, clock=clock)
    second = Sandbox(tmp_path, clock=clock)
    seen: list[str] = []
    with (
        httpx.Client(transport=first.transport(), base_url=BASE) as a,
        httpx.Client(transport=second.transport(), base_url=BASE) as b,
    ):
        for _ in range(5):
            seen += msg_ids(send(a, clock, numbers=numbers(20)))
            seen += msg_ids(send(b, clock, numbers=numbers(20)))
    first.close()
    second.close()
    assert len(seen) == len(set(seen)) == 200
    assert all(len(i) == 19 for i in seen)
    assert [int(i) for i in seen] == sorted(int(i) for i in seen)


_PROCESS_SCRIPT = textwrap.dedent(
    """
    import hashlib, json, pathlib, sys, time
    import httpx
    from smscli.sandbox.v3 import Sandbox
    sb = Sandbox(pathlib.Path(sys.argv[1]), balance="1000")
    ids = []
    with httpx.Client(transport=sb.transport()) as client:
        for _ in range(10):
            ts = str(int(time.time()))
            sign = hashlib.md5(("bDqJFiq9" + "7bz1lzh9" + ts).encode()).hexdigest()
            headers = {"Api-Key": "bDqJFiq9", "Timestamp": ts, "Sign": sign}
            body = {"appId": "4luaKsL2", "numbers": ",".join(["8613800000000"] * 200),
                    "content": "x"}
            result = client.post("http://sb/v3/sendSms", json=body, headers=headers).json()
            ids += [entry["msgId"] for entry in result["array"]]
    sb.close()
    print(json.dumps(ids))
    """
)


def test_msg_ids_unique_across_processes(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _PROCESS_SCRIPT, str(tmp_path)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    ids: list[str] = []
    for proc in procs:
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0
        ids += json.loads(out)
    assert len(ids) == len(set(ids)) == 3 * 10 * 200
    # Every process's messages are in the shared state.
    with (
        Sandbox(tmp_path, delivery_delay=3600) as sb,
        httpx.Client(transport=sb.transport(), base_url=BASE) as c,
    ):
        now = Clock(time.time())
        for start in range(0, len(ids), 200):
            result = report(c, now, ids[start : start + 200])
            assert (result["sending"], result["nofound"]) == ("200", "0")
            assert {e["number"] for e in result["array"]} == {"8613800000000"}


# -- delivery and getReport --------------------------------------------------------------


def test_delivery_moves_from_sending_to_delivered(client: httpx.Client, clock: Clock) -> None:
    ids = msg_ids(send(client, clock, numbers="91856321412,91856321413"))
    pending = report(client, clock, ids)
    assert (pending["sending"], pending["success"], pending["nofound"]) == ("2", "0", "0")
    assert {(e["status"], e["receiveTime"]) for e in pending["array"]} == {("-1", "")}

    clock.advance(2.9)
    assert report(client, clock, ids)["sending"] == "2"

    clock.advance(0.1)
    done = report(client, clock, ids)
    assert (done["success"], done["fail"], done["sending"]) == ("2", "0", "0")
    expected_time = datetime.fromtimestamp(T0 + 3, PLATFORM_TZ).isoformat()
    assert expected_time == "2026-09-21T22:13:23+08:00"
    assert [(e["msgId"], e["number"], e["status"], e["receiveTime"]) for e in done["array"]] == [
        (ids[0], "91856321412", "0", expected_time),
        (ids[1], "91856321413", "0", expected_time),
    ]


def test_report_is_repeatable(client: httpx.Client, clock: Clock) -> None:
    ids = msg_ids(send(client, clock, numbers=numbers(3)))
    clock.advance(5)
    assert report(client, clock, ids) == report(client, clock, ids)


def test_custom_delivery_delay(tmp_path: Path) -> None:
    clock = Clock()
    with (
        Sandbox(tmp_path, clock=clock, delivery_delay=0) as sb,
        httpx.Client(transport=sb.transport(), base_url=BASE) as c,
    ):
        ids = msg_ids(send(c, clock, numbers=numbers(1)))
        assert report(c, clock, ids)["success"] == "1"


def test_magic_numbers(client: httpx.Client, clock: Clock) -> None:
    assert set(MAGIC_NUMBER_SUFFIXES) == {"0999", "0998", "0997"}
    result = send(client, clock, numbers="8613800000999,8613800000998,8613800000997,8613800000010")
    assert (result["success"], result["fail"]) == ("3", "1")
    by_number = {e["number"]: e["msgId"] for e in result["array"]}
    assert "8613800000997" not in by_number

    clock.advance(3600)
    done = report(client, clock, list(by_number.values()))
    statuses = {e["number"]: (e["status"], e["receiveTime"] != "") for e in done["array"]}
    assert statuses == {
        "8613800000999": ("1", True),
        "8613800000998": ("-1", False),
        "8613800000010": ("0", True),
    }
    assert (done["success"], done["fail"], done["sending"]) == ("1", "1", "1")


def test_magic_content_table() -> None:
    assert MAGIC_CONTENT == {"SANDBOX:SENSITIVE": "-3", "SANDBOX:NOBALANCE": "-10"}


def test_report_counts_unknown_ids_as_nofound(client: httpx.Client, clock: Clock) -> None:
    ids = msg_ids(send(client, clock, numbers=numbers(2)))
    unknown = ["2108021054011000095", "abc", "", "0" * 19]
    result = report(client, clock, [*ids, *unknown, ids[0]])
    assert (result["sending"], result["nofound"]) == ("2", "4")
    assert msg_ids(result) == ids


def test_report_accepts_200_ids_and_refuses_201(client: httpx.Client, clock: Clock) -> None:
    ids = [str(2108021054011000000 + i) for i in range(201)]
    assert report(client, clock, ids[:200])["nofound"] == "200"
    assert report(client, clock, ids) == {
        "status": "-14",
        "reason": "Field is empty or query ID is abnormal",
    }


def test_report_without_ids_is_minus_14(client: httpx.Client, clock: Clock) -> None:
    assert report(client, clock, [])["status"] == "-14"
    assert get(client, clock, "/getReport", appId=SANDBOX_APP_ID)["status"] == "-14"


# -- batch -------------------------------------------------------------------------------


def test_batch_documentation_example(client: httpx.Client, clock: Clock) -> None:
    body = {
        "appId": "4luaKsL2",
        "array": [
            {
                "numbers": "91856321412,91856321413",
                "content": "test message",
                "senderId": "",
                "orderId": "56584,56585",
            },
            {"numbers": "91856321414", "content": "test message1", "senderId": ""},
        ],
    }
    result = post(client, clock, "/sendSms/batch", body)
    assert (result["status"], result["success"], result["fail"]) == ("0", "3", "0")
    assert [(e["number"], e["orderId"]) for e in result["array"]] == [
        ("91856321412", "56584"),
        ("91856321413", "56585"),
        ("91856321414", None),
    ]
    clock.advance(3)
    assert report(client, clock, msg_ids(result))["success"] == "3"


@pytest.mark.parametrize(
    ("array", "code"),
    [
        ([], "-8"),
        ("not a list", "-22"),
        (["not an object"], "-22"),
        ([{"numbers": numbers(1), "content": "ok"}, {"numbers": numbers(1), "content": ""}], "-4"),
        (
            [{"numbers": numbers(600), "content": "a"}, {"numbers": numbers(401), "content": "b"}],
            "-7",
        ),
        ([{"numbers": numbers(1001), "content": "a"}], "-7"),
        ([{"numbers": "123", "content": "a"}, {"numbers": "0123456", "content": "b"}], "-9"),
        ([{"numbers": numbers(2), "content": "a", "orderId": "1"}], "-22"),
    ],
)
def test_batch_rejections_send_nothing(
    client: httpx.Client, clock: Clock, array: object, code: str
) -> None:
    result = post(client, clock, "/sendSms/batch", {"appId": SANDBOX_APP_ID, "array": array})
    assert result["status"] == code
    assert get(client, clock, "/getBalance")["balance"] == "100.0000"


def test_batch_abnormal_numbers_counted_across_elements(client: httpx.Client, clock: Clock) -> None:
    array = [
        {"numbers": "123", "content": "a"},
        {"numbers": "8613800000010,8613800000997", "content": "b"},
    ]
    result = post(client, clock, "/sendSms/batch", {"appId": SANDBOX_APP_ID, "array": array})
    assert (result["status"], result["success"], result["fail"]) == ("0", "1", "2")


# -- balance and state -------------------------------------------------------------------


def test_balance_shape_and_charging(client: httpx.Client, clock: Clock) -> None:
    assert get(client, clock, "/getBalance") == {
        "status": "0",
        "reason": "success",
        "balance": "100.0000",
        "gift": "0.0000",
        "credit": "0.0000",
    }
    send(client, clock, numbers=f"{numbers(3)},123")
    assert get(client, clock, "/getBalance")["balance"] == "99.9700"


def test_insufficient_balance_is_minus_10_and_charges_nothing(tmp_path: Path) -> None:
    clock = Clock()
    with (
        Sandbox(tmp_path, clock=clock, balance="0.0200") as sb,
        httpx.Client(transport=sb.transport(), base_url=BASE) as c,
    ):
        assert send(c, clock, numbers=numbers(3))["status"] == "-10"
        assert get(c, clock, "/getBalance")["balance"] == "0.0200"
        assert send(c, clock, numbers=numbers(2))["status"] == "0"
        assert get(c, clock, "/getBalance")["balance"] == "0.0000"
        assert send(c, clock, numbers=numbers(1))["status"] == "-10"


def test_magic_content_charges_nothing(client: httpx.Client, clock: Clock) -> None:
    send(client, clock, numbers=numbers(5), content="SANDBOX:NOBALANCE")
    send(client, clock, numbers=numbers(5), content="SANDBOX:SENSITIVE")
    assert get(client, clock, "/getBalance")["balance"] == "100.0000"


@pytest.mark.parametrize("balance", ["-1", "abc", "0.00001", "NaN", "Infinity", ""])
def test_invalid_opening_balance_is_refused(balance: str) -> None:
    with pytest.raises(ValueError, match="balance"):
        Sandbox(None, balance=balance)


def test_state_survives_a_new_instance(tmp_path: Path) -> None:
    clock = Clock()
    with (
        Sandbox(tmp_path, clock=clock) as first,
        httpx.Client(transport=first.transport(), base_url=BASE) as c,
    ):
        ids = msg_ids(send(c, clock, numbers=numbers(4)))
    clock.advance(10)
    # The opening balance only applies when the state file is created.
    with (
        Sandbox(tmp_path, clock=clock, balance="5") as second,
        httpx.Client(transport=second.transport(), base_url=BASE) as c,
    ):
        assert report(c, clock, ids)["success"] == "4"
        assert get(c, clock, "/getBalance")["balance"] == "99.9600"


def test_state_dir_is_created_private(tmp_path: Path) -> None:
    state = tmp_path / "a" / "sandbox"
    with Sandbox(state):
        pass
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert (state / "sandbox.sqlite3").is_file()


def test_in_memory_state(clock: Clock) -> None:
    with (
        Sandbox(None, clock=clock) as sb,
        httpx.Client(transport=sb.transport(), base_url=BASE) as c,
    ):
        ids = msg_ids(send(c, clock, numbers=numbers(2)))
        clock.advance(3)
        assert report(c, clock, ids)["success"] == "2"


_FIRST_SCHEMA = (  # the state file as the first sandbox wrote it: one row per message
    "CREATE TABLE messages (msg_id INTEGER PRIMARY KEY, number TEXT NOT NULL,"
    " submitted_at REAL NOT NULL, fate INTEGER NOT NULL)",
    "CREATE TABLE account (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " balance INTEGER NOT NULL, last_msg_id INTEGER NOT NULL)",
)


def test_state_file_of_the_first_schema_is_converted(tmp_path: Path, clock: Clock) -> None:
    old = [2609212213201000000 + i for i in range(3)]  # T0's first msgIds
    db = sqlite3.connect(tmp_path / "sandbox.sqlite3")
    for statement in _FIRST_SCHEMA:
        db.execute(statement)
    db.executemany(
        "INSERT INTO messages VALUES (?, ?, ?, ?)",
        [
            (old[0], "8613800000010", T0 - 60, 0),
            (old[1], "8613800000999", T0 - 60, 1),
            (old[2], "8613800000998", T0 - 60, 2),
        ],
    )
    db.execute("INSERT INTO account VALUES (1, 995000, ?)", (old[2],))
    db.commit()
    db.close()
    for _ in range(2):  # converted once, then opened as it is
        with (
            Sandbox(tmp_path, clock=clock, balance="5") as sb,
            httpx.Client(transport=sb.transport(), base_url=BASE) as c,
        ):
            result = report(c, clock, [str(i) for i in old])
            assert [(e["number"], e["status"]) for e in result["array"]] == [
                ("8613800000010", "0"),
                ("8613800000999", "1"),
                ("8613800000998", "-1"),
            ]
            assert result["array"][0]["receiveTime"] == "2026-09-21T22:12:23+08:00"
            assert get(c, clock, "/getBalance")["balance"] == "99.5000"
    with (
        Sandbox(tmp_path, clock=clock) as sb,
        httpx.Client(transport=sb.transport(), base_url=BASE) as c,
    ):
        # The counter carried over: the same second continues after the old ids.
        assert msg_ids(send(c, clock, numbers=numbers(1))) == [str(old[2] + 1)]


def test_state_file_of_an_unknown_schema_is_recreated(tmp_path: Path, clock: Clock) -> None:
    db = sqlite3.connect(tmp_path / "sandbox.sqlite3")
    db.execute('CREATE TABLE "odd ""name""" (x)')
    db.execute("CREATE TABLE runs (x)")
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    with (
        Sandbox(tmp_path, clock=clock, balance="7") as sb,
        httpx.Client(transport=sb.transport(), base_url=BASE) as c,
    ):
        assert get(c, clock, "/getBalance")["balance"] == "7.0000"
        ids = msg_ids(send(c, clock, numbers=numbers(3)))
        clock.advance(3)
        assert report(c, clock, ids)["success"] == "3"


def test_report_finds_every_message_of_large_and_batched_sends(
    client: httpx.Client, clock: Clock
) -> None:
    first = send(client, clock, numbers=numbers(1000))
    clock.advance(1)  # a new second: the next msgIds start higher, leaving unissued ids between
    array = [
        {"numbers": numbers(300, 8613900000000), "content": "a"},
        {"numbers": "8613800000999,123,8613800000998", "content": "b", "orderId": "x,y,z"},
    ]
    second = post(client, clock, "/sendSms/batch", {"appId": SANDBOX_APP_ID, "array": array})
    assert (second["success"], second["fail"]) == ("302", "1")
    number_of = {e["msgId"]: e["number"] for e in first["array"] + second["array"]}
    unissued = str(int(first["array"][-1]["msgId"]) + 1)
    assert unissued not in number_of
    asked = list(number_of)
    random.Random(3).shuffle(asked)
    clock.advance(5)
    statuses: dict[str, str] = {}
    for start in range(0, len(asked), 199):
        chunk = asked[start : start + 199]
        result = report(client, clock, [unissued, *chunk])
        assert msg_ids(result) == chunk
        assert result["nofound"] == "1"
        assert all(e["number"] == number_of[e["msgId"]] for e in result["array"])
        statuses.update((e["number"], e["status"]) for e in result["array"])
    assert len(statuses) == 1302
    assert (statuses.pop("8613800000999"), statuses.pop("8613800000998")) == ("1", "-1")
    assert set(statuses.values()) == {"0"}


def test_report_ids_beyond_sqlite_integers_are_nofound(client: httpx.Client, clock: Clock) -> None:
    ids = msg_ids(send(client, clock, numbers=numbers(1)))
    huge = ["9223372036854775807", "9223372036854775808", "9999999999999999999"]
    result = report(client, clock, [*huge, *ids])
    assert (result["nofound"], result["sending"], msg_ids(result)) == ("3", "1", ids)


def test_threads_sending_and_reporting_at_once(tmp_path: Path, clock: Clock) -> None:
    errors: list[BaseException] = []
    with Sandbox(tmp_path, clock=clock, delivery_delay=0, balance="1000") as sb:

        def worker(index: int) -> None:
            try:
                with httpx.Client(transport=sb.transport(), base_url=BASE) as c:
                    for round_ in range(5):
                        start = 8613800000000 + index * 10**6 + round_ * 10**4
                        sent = send(c, clock, numbers=numbers(150, start))
                        got = report(c, clock, msg_ids(sent))
                        assert got["success"] == "150"
                        assert [(e["msgId"], e["number"]) for e in got["array"]] == [
                            (e["msgId"], e["number"]) for e in sent["array"]
                        ]
            except BaseException as error:  # surfaced below, in the test's own thread
                errors.append(error)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        with httpx.Client(transport=sb.transport(), base_url=BASE) as c:
            assert get(c, clock, "/getBalance")["balance"] == f"{1000 - 6 * 5 * 150 * 0.01:.4f}"
    assert errors == []


def test_latency_is_not_spent_holding_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Eight requests at once all wait out their latency at the same time: the latency sleep
    # meets a barrier of eight, which a sleep taken while holding the store could never pass.
    # (A count, not a stopwatch: a loaded machine cannot make it fail.)
    together = threading.Barrier(8)
    real_sleep = time.sleep

    def latency_sleep(seconds: float) -> None:
        together.wait(timeout=20)
        real_sleep(seconds)

    monkeypatch.setattr("smscli.sandbox.common.time.sleep", latency_sleep)
    statuses: list[str] = []
    with Sandbox(tmp_path, latency=0.01, balance="1000") as sb:

        def worker(index: int) -> None:
            body = {"appId": SANDBOX_APP_ID, "numbers": numbers(10), "content": "hi"}
            request = httpx.Request("POST", f"{BASE}/sendSms", json=body, headers=auth(time.time()))
            statuses.append(parsed(sb.handle(request))["status"])

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert not together.broken
    assert statuses == ["0"] * 8


def test_recording_off_does_no_recording_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(request: httpx.Request) -> None:
        raise AssertionError("recorded")

    monkeypatch.setattr(v3_wire, "recorded", fail)
    clock = Clock()
    with (
        Sandbox(tmp_path, clock=clock) as sb,
        httpx.Client(transport=sb.transport(), base_url=BASE) as c,
    ):
        assert send(c, clock, numbers=numbers(2))["status"] == "0"
        assert sb.received == []


# -- routing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "base",
    ["https://api.laaffic.com/v3", "https://api.itniotech.com/sms", "http://x/a/b/v3", "http://x"],
)
def test_routes_by_the_end_of_the_path(sandbox: Sandbox, clock: Clock, base: str) -> None:
    with httpx.Client(transport=sandbox.transport(), base_url=base) as c:
        assert send(c, clock, numbers=numbers(1))["status"] == "0"
        assert get(c, clock, "/getBalance")["status"] == "0"
        assert report(c, clock, ["2108021054011000095"])["nofound"] == "1"


@pytest.mark.parametrize("path", ["/postback/backfill", "/sendSmsX", "/v3/sendSms/batch/x", "/"])
def test_unknown_path_is_http_404_json(client: httpx.Client, clock: Clock, path: str) -> None:
    response = client.get(path, headers=auth(clock.now))
    assert response.status_code == 404
    assert response.json()["error"] == "Not Found"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/sendSms/batch", "POST"),
        ("POST", "/getReport", "GET"),
        ("PUT", "/sendSms", "GET, POST"),
        ("DELETE", "/getBalance", "GET"),
    ],
)
def test_wrong_method_is_http_405(
    client: httpx.Client, clock: Clock, method: str, path: str, allow: str
) -> None:
    response = client.request(method, path, headers=auth(clock.now))
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json()["status"] == 405


def test_latency_is_applied(tmp_path: Path) -> None:
    with Sandbox(None, latency=0.05) as sb, httpx.Client(transport=sb.transport()) as c:
        started = time.monotonic()
        c.get(f"{BASE}/getBalance", headers=auth(time.time()))
        assert time.monotonic() - started >= 0.05


# -- over real HTTP ----------------------------------------------------------------------


def test_loopback_round_trip(tmp_path: Path) -> None:
    with Sandbox(tmp_path, delivery_delay=0) as sb, LoopbackServer(sb.handle) as server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
        with httpx.Client(base_url=f"{server.url}/v3") as c:
            now = Clock(time.time())
            sent = send(c, now, numbers=numbers(3), content="héllo 🎉")
            assert sent["success"] == "3"
            assert report(c, now, msg_ids(sent))["success"] == "3"
            response = c.get("/getBalance", headers=auth(now.now))
            assert response.http_version == "HTTP/1.1"
            assert response.headers["content-length"] == str(len(response.content))


def test_loopback_keeps_connections_alive() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=f"{request.method} {request.url.path}")

    with LoopbackServer(handler) as server:
        host, port = server.url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        try:
            conn.request("GET", "/one")
            assert conn.getresponse().read() == b"GET /one"
            first_socket = conn.sock
            conn.request("POST", "/two", body=b"x" * 100)
            assert conn.getresponse().read() == b"POST /two"
            assert first_socket is not None and conn.sock is first_socket
        finally:
            conn.close()


def test_loopback_passes_request_through_faithfully() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, content=b"\x00\x01raw", headers={"X-Custom": "yes"})

    def chunks() -> Iterator[bytes]:
        yield b'{"a": '
        yield '"ü"}'.encode()

    with LoopbackServer(handler) as server, httpx.Client(base_url=server.url) as c:
        response = c.post("/p/q?x=1&x=2&y=%20z", content=chunks(), headers={"X-Hdr": "v"})
    assert (response.status_code, response.content) == (201, b"\x00\x01raw")
    assert response.headers["x-custom"] == "yes"
    request = seen[0]
    assert request.url.path == "/p/q"
    assert request.url.params.get_list("x") == ["1", "2"]
    assert request.url.params["y"] == " z"
    assert request.headers["x-hdr"] == "v"
    assert json.loads(request.content) == {"a": "ü"}


def test_concurrent_sends_through_loopback(tmp_path: Path) -> None:
    threads_count, per_request = 8, 1000
    barrier = threading.Barrier(threads_count)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    with Sandbox(tmp_path, balance="1000") as sb, LoopbackServer(sb.handle) as server:

        def worker(index: int) -> None:
            try:
                with httpx.Client(base_url=f"{server.url}/v3", timeout=30) as c:
                    barrier.wait(timeout=10)
                    start = 8613800000000 + index * 100_000
                    result = send(c, Clock(time.time()), numbers=numbers(per_request, start))
                    results.append(msg_ids(result))
            except BaseException as error:  # surfaced below, in the test's own thread
                errors.append(error)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(threads_count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert errors == []
    ids = [msg_id for batch in results for msg_id in batch]
    assert len(results) == threads_count
    assert len(ids) == len(set(ids)) == threads_count * per_request


def test_drop_connection_is_a_transport_error_for_httpx() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/drop":
            raise DropConnection
        return httpx.Response(200, text="fine")

    with LoopbackServer(handler) as server, httpx.Client(base_url=server.url) as c:
        assert c.get("/ok").text == "fine"
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            c.post("/drop", json={"appId": "x"})
        assert c.get("/ok").text == "fine"


def test_handler_exception_is_http_500(capsys: pytest.CaptureFixture[str]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("boom")

    with LoopbackServer(handler) as server, httpx.Client(base_url=server.url) as c:
        response = c.get("/x")
        assert response.status_code == 500
        assert "RuntimeError" in response.text
        assert c.get("/y").status_code == 500  # the connection and the server survive
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "")


def test_log_callback_receives_request_lines() -> None:
    lines: list[str] = []
    with LoopbackServer(lambda r: httpx.Response(204), log=lines.append) as server:
        httpx.get(f"{server.url}/hello")
    assert any("/hello" in line and "204" in line for line in lines)


@pytest.mark.parametrize(
    "host",
    ["0.0.0.0", "192.168.1.10", "10.0.0.1", "::", "example.com", ""],  # noqa: S104 - must refuse
)
def test_refuses_non_loopback_addresses(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        LoopbackServer(lambda r: httpx.Response(200), host=host)


def test_localhost_is_accepted() -> None:
    server = LoopbackServer(lambda r: httpx.Response(200), host="localhost")
    server.shutdown()
    assert server.url.startswith("http://127.0.0.1:")


def test_shutdown_is_idempotent_and_closes_idle_connections() -> None:
    server = LoopbackServer(lambda r: httpx.Response(200, text="ok")).start()
    with httpx.Client(base_url=server.url) as c:
        assert c.get("/").text == "ok"
        started = time.monotonic()
        server.shutdown()
        server.shutdown()
        assert time.monotonic() - started < 2
        with pytest.raises(httpx.TransportError):
            c.get("/")
    with pytest.raises(RuntimeError):
        server.start()


def test_shutdown_without_start_does_not_hang() -> None:
    LoopbackServer(lambda r: httpx.Response(200)).shutdown()


def test_serve_forever_in_calling_thread() -> None:
    server = LoopbackServer(lambda r: httpx.Response(200, text="served"))
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        assert httpx.get(server.url).text == "served"
    finally:
        server.shutdown()
        thread.join(timeout=5)
    assert not thread.is_alive()
