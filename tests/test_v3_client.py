"""The v3 client in-process, through httpx.MockTransport: signing, parsing, every error."""

from __future__ import annotations

import hashlib
import json
import ssl
from pathlib import Path

import httpx
import pytest

from smscli.errors import ErrorKind, ExitCode, GatewayError, NetworkError
from smscli.gateways import v3_codes
from smscli.gateways.base import BatchElement, DeliveryStatus
from smscli.gateways.v3 import V3Client, sign

KEY, SECRET, APP = "bDqJFiq9", "7bz1lzh9", "4luaKsL2"


def client(handler: object, **kw: object) -> V3Client:
    return V3Client(
        api_key=KEY,
        api_secret=SECRET,
        app_id=APP,
        base_url="https://gw.test/v3/",
        transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def test_sign_matches_documented_vector() -> None:
    assert sign(KEY, SECRET, "1630468800") == "05d7a50893e22a5c4bb3216ae3396c7c"


def test_send_signs_posts_json_and_parses_strings() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json={
                "status": "0",
                "reason": "success",
                "success": "2",
                "fail": "0",
                "array": [
                    {"msgId": "2108021054011000095", "number": "91856321412", "orderId": "a"},
                    {"msgId": "2108021059531000096", "number": "91856321413", "orderId": None},
                ],
            },
        )

    result = client(handler, clock=lambda: 1630468800.4).send(
        ["91856321412", "91856321413"], "héllo ✓", sender_id="ACME", order_ids=["a", "b"]
    )
    request = seen[0]
    assert request.method == "POST"
    assert str(request.url) == "https://gw.test/v3/sendSms"
    assert request.headers["Api-Key"] == KEY
    assert request.headers["Timestamp"] == "1630468800"
    assert request.headers["Sign"] == "05d7a50893e22a5c4bb3216ae3396c7c"
    assert request.headers["Content-Type"].startswith("application/json")
    body = json.loads(request.content.decode("utf-8"))
    assert body == {
        "appId": APP,
        "numbers": "91856321412,91856321413",
        "content": "héllo ✓",
        "senderId": "ACME",
        "orderId": "a,b",
    }
    assert "héllo ✓".encode() in request.content  # UTF-8 on the wire, not \\u escapes
    assert result.success == 2 and result.fail == 0
    assert [s.msg_id for s in result.accepted] == ["2108021054011000095", "2108021059531000096"]
    assert result.accepted[1].order_id is None


@pytest.mark.parametrize("code", sorted(v3_codes.CODES, key=int, reverse=True))
def test_every_status_code_decodes_to_english_and_a_kind(code: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": code, "reason": "vendor text that varies"})

    with pytest.raises(GatewayError) as info:
        client(handler).get_balance()
    err = info.value
    assert err.code == code
    assert f"status {code}" in err.message
    assert "vendor text" not in err.message  # never rely on the gateway's reason
    assert err.provider_message == "vendor text that varies"
    expected_auth = code in {"-1", "-2", "-13", "-30", "-31", "-32"}
    assert (err.exit_code == ExitCode.AUTH) == expected_auth
    if not expected_auth:
        assert err.exit_code == ExitCode.REJECTED


def test_unknown_status_is_still_readable() -> None:
    err = v3_codes.decode("-99")
    assert "-99" in err.reason and err.kind is ErrorKind.REJECTED


def test_rate_and_clock_codes_are_provably_unsent() -> None:
    for code in ("-15", "-16"):
        exc = GatewayError("x", code=code, kind=v3_codes.decode(code).kind)
        assert exc.retryable_unsent
    assert not GatewayError("x", kind=v3_codes.decode("-10").kind).retryable_unsent


@pytest.mark.parametrize(
    ("response", "maybe_processed", "fragment"),
    [
        (httpx.Response(500, text="oops"), True, "HTTP 500"),
        (httpx.Response(503, text="busy"), True, "HTTP 503"),
        (httpx.Response(200, text="<html>"), True, "not JSON"),
        (httpx.Response(200, json=[1, 2]), True, "not an object"),
        (httpx.Response(200, json={"foo": "bar"}), True, "no status"),
    ],
)
def test_server_faults_become_network_errors(
    response: httpx.Response, maybe_processed: bool, fragment: str
) -> None:
    with pytest.raises(NetworkError) as info:
        client(lambda request: response).send(["447700900123"], "hi")
    assert info.value.maybe_processed is maybe_processed
    assert fragment in info.value.message
    assert info.value.exit_code == ExitCode.NETWORK


@pytest.mark.parametrize(
    ("exc", "maybe_processed"),
    [
        (httpx.ConnectError("refused"), False),
        (httpx.ConnectTimeout("slow"), False),
        (httpx.ReadTimeout("slow"), True),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), True),
        (httpx.ReadError("connection reset by peer"), True),
    ],
)
def test_transport_errors_never_leak_httpx(exc: Exception, maybe_processed: bool) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    with pytest.raises(NetworkError) as info:
        client(handler).send(["447700900123"], "hi")
    assert info.value.maybe_processed is maybe_processed
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_http_status_mapping() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "3"})

    with pytest.raises(GatewayError) as info:
        client(handler).get_balance()
    assert info.value.kind is ErrorKind.RATE and info.value.retry_after == 3.0
    with pytest.raises(GatewayError) as info:
        client(lambda r: httpx.Response(401)).get_balance()
    assert info.value.exit_code == ExitCode.AUTH
    with pytest.raises(GatewayError) as info:
        client(lambda r: httpx.Response(404)).get_balance()
    assert "base_url" in (info.value.hint or "")


def test_report_and_balance_parse() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("getBalance"):
            return httpx.Response(
                200,
                json={"status": "0", "balance": "12.5000", "gift": "1.0000", "credit": "0.0000"},
            )
        assert request.url.params["msgIds"] == "1,2,3"
        assert request.url.params["appId"] == APP
        return httpx.Response(
            200,
            json={
                "status": "0",
                "success": "1",
                "fail": "1",
                "sending": "1",
                "nofound": "1",
                "array": [
                    {
                        "msgId": "1",
                        "number": "4477",
                        "receiveTime": "2021-02-12T09:30:03+08:00",
                        "status": "0",
                    },
                    {"msgId": "2", "number": "4478", "receiveTime": "", "status": "-1"},
                    {
                        "msgId": "3",
                        "number": "4479",
                        "receiveTime": "2021-02-12T09:30:03+08:00",
                        "status": "1",
                    },
                ],
            },
        )

    gw = client(handler)
    result = gw.get_report(["1", "2", "3"])
    assert [r.status for r in result.reports] == [
        DeliveryStatus.DELIVERED,
        DeliveryStatus.PENDING,
        DeliveryStatus.FAILED,
    ]
    assert result.reports[0].time is not None and result.reports[0].time.utcoffset() is not None
    assert result.reports[1].time is None
    assert result.not_found == 1
    balance = gw.get_balance()
    assert (balance.balance, balance.gift, balance.credit) == ("12.5000", "1.0000", "0.0000")


def test_batch_body_shape() -> None:
    seen: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, json={"status": "0", "success": "3", "fail": "0", "array": []})

    # success 3 with an empty array: sent without ids (issue 10), never "rejected".
    result = client(handler).send_batch(
        [
            BatchElement(("111111", "222222"), "one", "S", ("a", "b")),
            BatchElement(("333333",), "two"),
        ]
    )
    assert result.accepted == ()
    assert result.untracked == ("111111", "222222", "333333")
    assert result.code == "0" and "without a usable message id" in (result.note or "")
    assert seen[0] == {
        "appId": APP,
        "array": [
            {"numbers": "111111,222222", "content": "one", "senderId": "S", "orderId": "a,b"},
            {"numbers": "333333", "content": "two"},
        ],
    }


def test_verbose_trace_masks_secrets() -> None:
    lines: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": "0", "balance": "1"})

    gw = client(handler, trace=lines.append, clock=lambda: 1630468800)
    gw.get_balance()
    text = "\n".join(lines)
    assert "GET https://gw.test/v3/getBalance" in text
    assert "< 200" in text
    assert KEY not in text and SECRET not in text
    assert "05d7a50893e22a5c4bb3216ae3396c7c" not in text
    assert "bDq…q9" in text


def test_tls_verification_is_on(tmp_path: Path) -> None:
    gw = V3Client(api_key=KEY, api_secret=SECRET, app_id=APP, base_url="https://gw.test/v3")
    pool = gw._client._transport._pool  # type: ignore[attr-defined]
    assert pool._ssl_context.verify_mode == ssl.CERT_REQUIRED
    assert pool._ssl_context.check_hostname is True
    gw.close()


def test_md5_is_plain_concatenation() -> None:
    assert sign("a", "b", "1") == hashlib.md5(b"ab1").hexdigest()


def test_expired_timestamp_adopts_the_gateways_clock_and_retries_once() -> None:
    from email.utils import formatdate

    server_now = 1_800_000_000.0
    stamps: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        stamp = int(request.headers["Timestamp"])
        stamps.append(stamp)
        date = {"Date": formatdate(server_now, usegmt=True)}
        if abs(stamp - server_now) > 1800:
            return httpx.Response(200, json={"status": "-16"}, headers=date)
        return httpx.Response(200, json={"status": "0", "balance": "1"}, headers=date)

    gw = client(handler, clock=lambda: server_now - 7200)  # our clock is 2 h slow
    assert gw.get_balance().balance == "1"
    assert len(stamps) == 2 and abs(stamps[1] - server_now) < 2
    assert abs(gw.clock_offset - 7200) < 2


def test_expired_timestamp_without_a_date_header_is_not_retried() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(200, json={"status": "-16"})

    with pytest.raises(GatewayError) as info:
        client(handler).get_balance()
    assert info.value.code == "-16" and len(calls) == 1


def test_capabilities_are_declared() -> None:
    gw = V3Client(api_key=KEY, api_secret=SECRET, app_id=APP, base_url="https://gw.test/v3")
    assert (gw.report_mode, gw.can_schedule, gw.multi_content) == ("query", False, True)
    assert (gw.balance_unit, gw.warnings, gw.clock_offset) == (None, (), 0.0)
    gw.close()
