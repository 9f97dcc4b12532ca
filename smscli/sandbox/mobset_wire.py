"""The mobset simulator's requests read and answers written: the limits, the magic values,
the gateway's Chinese messages, the form fields (query then body, in wire order) and the
answer bodies."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from urllib.parse import parse_qsl

import httpx

from smscli.sandbox.common import PLATFORM_TZ, ApiError, dumps, utf16_length

MAX_NUMBERS: Final = 50
MAX_CONTENT_CHARS: Final = 900
MAX_REPORTS: Final = 50
MAX_RECV: Final = 50

MAGIC_NUMBER_SUFFIXES: Final[dict[str, str]] = {
    "0999": "accepted; report Status 13 (ExStatus UNDELIV) after delivery_delay",
    "0998": "accepted; never reported",
}
MAGIC_CONTENT: Final[dict[str, int]] = {
    "SANDBOX:SENSITIVE": -9,
    "SANDBOX:NOBALANCE": -4,
}

# The legacy table's words (providers.md B.6), with the sandbox's detail where it helps.
MESSAGES: Final[dict[str, str]] = {
    "missing": "输入参数不完整",
    "credentials": "非法来源IP地址或帐号密码有误",
    "timestamp": "非法来源IP地址或帐号密码有误(TimeStamp错误或与北京时间相差超过20分钟)",
    "method": "输入参数不完整(Methods不支持)",
    "order": "输入参数不完整(Methods必须放在Content之前)",
    "too_many": "输入参数有误(号码数量超过50个)",
    "too_long": "输入参数有误(短信内容超过900个字)",
    "timer": "输入参数有误(TimerSend格式应为YYYY-MM-DD HH:MM:SS)",
    "number": "目标号码有误",
    "balance": "企业帐号余额不足",
    "keyword": "短信内容含有过滤关键字",
    "database": "连接数据库失败",
    "sent": "发送成功",
    "report": "取短信状态报告成功",
    "balance_ok": "取账号剩余短信量成功",
    "recv": "取上行短信成功",
}

_JSON_CONTENT_TYPE: Final = "application/json; charset=utf-8"
REQUIRED: Final = ("CorpID", "LoginName", "TimeStamp", "SecretKey", "Methods")
NUMBER_RE: Final = re.compile(r"[0-9]{6,20}")
TIMESTAMP_RE: Final = re.compile(r"[0-9]{14}")
_TIMER_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """What the sandbox saw. `fields` are the decoded (name, value) pairs in wire order, the
    query's first, then the body's; header names are lower-case."""

    method: str
    path: str
    headers: dict[str, str]
    fields: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        """The fields by name (the first of each)."""
        out: dict[str, str] = {}
        for name, value in self.fields:
            out.setdefault(name, value)
        return out


def fields(request: httpx.Request) -> list[tuple[str, str]]:
    """The query's fields, then (for POST) the form body's, decoded as UTF-8, in wire order."""
    pairs = list(request.url.params.multi_items())
    if request.method == "POST" and request.content:
        try:
            text = request.content.decode("utf-8")
            pairs.extend(parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict"))
        except UnicodeDecodeError:
            raise ApiError("-1", f"{MESSAGES['missing']}(请使用UTF-8编码)") from None
    return pairs


def parse_timer(text: str) -> float:
    if not _TIMER_RE.fullmatch(text):
        raise ApiError("-6", MESSAGES["timer"])
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=PLATFORM_TZ).timestamp()
    except ValueError:
        raise ApiError("-6", MESSAGES["timer"]) from None


def segments(content: str) -> int:
    length = utf16_length(content)
    return 1 if length <= 70 else math.ceil(length / 67)


def error_body(error: ApiError) -> dict[str, object]:
    return {"Code": int(error.code), "Message": error.message}


def json_response(body: dict[str, object]) -> httpx.Response:
    return httpx.Response(200, content=dumps(body), headers={"Content-Type": _JSON_CONTENT_TYPE})


def not_found(request: httpx.Request) -> httpx.Response:
    # IIS answers an unknown path with an HTML page, not JSON.
    return httpx.Response(
        404,
        text="<html><body><h2>404 - File or directory not found.</h2></body></html>",
        headers={"Content-Type": "text/html; charset=utf-8"},
    )
