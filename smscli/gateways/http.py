"""HTTP plumbing the provider clients share: one request sent and its answer read, every
transport failure mapped to an smscli error (never an httpx one), redacted tracing for
--verbose, the HTTP status judged, and the platform's own JSON in 4xx/5xx answers read. The
client itself is set up in smscli.gateways.environment; bodies are decoded in
smscli.gateways.decoding."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from smscli.errors import ErrorKind, GatewayError, NetworkError
from smscli.gateways.base import Trace
from smscli.gateways.decoding import decode_text, parse_json

TRACE_BODY_LIMIT = 2000

# Given a JSON object a gateway sent with a 4xx/5xx status: True when it is the platform's own
# answer (its code says what went wrong), to be handed back like a 200 one; False to fall back
# to the HTTP status alone (a web server's or proxy's own error page).
OwnAnswer = Callable[[Mapping[str, Any]], bool]


def mask_key(value: str) -> str:
    """Enough of an API key to tell keys apart in a log, not enough to use it."""
    if len(value) <= 6:
        return "…"
    return f"{value[:3]}…{value[-2:]}"


def _clip(text: str) -> str:
    if len(text) <= TRACE_BODY_LIMIT:
        return text
    return f"{text[:TRACE_BODY_LIMIT]}… ({len(text) - TRACE_BODY_LIMIT} more characters)"


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def request_json(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    trace: Trace | None,
    trace_headers: Mapping[str, str],
    trace_body: str | None = None,
    json_body: Any = None,
    params: Mapping[str, str] | None = None,
    form: Mapping[str, str] | None = None,
    content: bytes | None = None,
    own_answer: OwnAnswer | None = None,
    fallback_charset: str | None = None,
) -> tuple[dict[str, Any], httpx.Response]:
    """Send one request and return its JSON object. `trace_headers`/`trace_body` are the
    already-redacted forms shown with --verbose: the real ones never reach the trace. A
    4xx answer whose body is the platform's own JSON (`own_answer` says) is returned like a
    200 one, so the gateway's code and reason are not dropped for the bare HTTP status (the
    caller checks `response.status_code`); a 5xx one stays a server error (NetworkError, the
    outcome unknown) whose message keeps that code and reason (json_answer)."""
    response = send_request(
        client,
        method,
        url,
        headers=headers,
        trace=trace,
        trace_headers=trace_headers,
        trace_body=trace_body,
        json_body=json_body,
        params=params,
        form=form,
        content=content,
        fallback_charset=fallback_charset,
    )
    body = json_answer(response, url, own_answer=own_answer, fallback_charset=fallback_charset)
    return body, response


def send_request(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    trace: Trace | None,
    trace_headers: Mapping[str, str],
    trace_body: str | None = None,
    json_body: Any = None,
    params: Mapping[str, str] | None = None,
    form: Mapping[str, str] | None = None,
    content: bytes | None = None,
    fallback_charset: str | None = None,
) -> httpx.Response:
    """Send one request and return the answer unread (any HTTP status): for a caller that
    must keep the raw bytes before anything can go wrong reading them."""
    if trace:
        shown = " ".join(f"{k}={v}" for k, v in trace_headers.items())
        query = ""
        if params:
            query = "?" + "&".join(f"{k}={v}" for k, v in params.items())
        trace(f"> {method} {url}{_clip(query)} {shown}".rstrip())
        if trace_body:
            trace(f"> {_clip(trace_body)}")
    target: str | httpx.URL = url
    if params:
        quick = query_url(url, params)
        if quick is not None:
            target, params = quick, None
    started = time.monotonic()
    try:
        response = client.request(
            method,
            target,
            headers=dict(headers),
            json=json_body,
            params=params,
            data=form,
            content=content,
        )
    except httpx.HTTPError as exc:
        raise _transport_error(exc, url) from None
    elapsed_ms = (time.monotonic() - started) * 1000
    if trace:
        try:
            text = decode_text(
                response.content, response.headers.get("content-type"), fallback=fallback_charset
            )
        except UnicodeDecodeError:
            text = response.content.decode("utf-8", "replace")
        trace(f"< {response.status_code} ({elapsed_ms:.0f} ms) {_clip(text)}")
    return response


# Characters urlencode leaves as they are; a comma becomes %2C.
_PLAIN_QUERY = re.compile(r"[A-Za-z0-9_.~,-]*")
# Per base URL: httpx.URL parsed once, or None where the quick form did not match httpx's own.
_QUICK_BASES: dict[str, httpx.URL | None] = {}


def query_url(url: str, params: Mapping[str, str]) -> httpx.URL | None:
    """`url` with `params` as its query, exactly as httpx would build it, for a query of
    plain characters (a getReport of 200 msgIds: digits and commas); None otherwise (httpx
    builds it then). httpx checks and re-quotes a query in Python, character by character:
    about 1 ms per getReport, a quarter of a 100,000-id report's work in its threads. The
    quick form reuses httpx's parsed base URL with the query put in place; the first one
    per base URL is compared with httpx's own, and a mismatch (another httpx version)
    turns the quick form off for that URL."""
    items = list(params.items())
    if not all(_PLAIN_QUERY.fullmatch(k) and _PLAIN_QUERY.fullmatch(v) for k, v in items):
        return None
    query = "&".join(f"{k}={v.replace(',', '%2C')}" for k, v in items)
    if url not in _QUICK_BASES:
        quick = _with_query(httpx.URL(url), query)
        _QUICK_BASES[url] = (
            httpx.URL(url) if quick is not None and quick == httpx.URL(url, params=params)
            else None
        )
        return quick if _QUICK_BASES[url] is not None else None
    base = _QUICK_BASES[url]
    return _with_query(base, query) if base is not None else None


def _with_query(base: httpx.URL, query: str) -> httpx.URL | None:
    reference = getattr(base, "_uri_reference", None)
    if reference is None or getattr(reference, "query", "") is not None:
        return None
    try:
        quick = httpx.URL.__new__(httpx.URL)
        quick._uri_reference = reference._replace(query=query)
    except (AttributeError, TypeError):
        return None
    return quick


def json_answer(
    response: httpx.Response,
    url: str,
    *,
    own_answer: OwnAnswer | None = None,
    fallback_charset: str | None = None,
) -> dict[str, Any]:
    """The JSON object of an answer; NetworkError/GatewayError as the HTTP status says when
    there is none (or, for 4xx/5xx, when it is not the platform's own, see request_json)."""
    try:
        body = parse_json(
            response.content, response.headers.get("content-type"), fallback=fallback_charset
        )
    except ValueError:  # UnicodeDecodeError is one too
        body = None
    own = own_answer is not None and isinstance(body, dict) and own_answer(body)
    if response.status_code >= 400 and not own:
        check_status(response, url)
    if response.status_code >= 500 and own and isinstance(body, dict):
        # A server error that speaks the platform's JSON (v3 -18, mobset -7) still says the
        # server failed somewhere: whether a send went through is unknown, so it is never
        # called rejected (a "rejected" request invites sending it again). Its code and
        # reason are kept in the message.
        said = "; ".join(
            f"{key}={value}" for key, value in body.items() if isinstance(value, str | int)
        )
        raise NetworkError(
            f"{_host(url)} answered HTTP {response.status_code} (server error): {said}",
            maybe_processed=True,
            status_code=response.status_code,
        )
    if body is None:
        kind = response.headers.get("content-type", "no content type")
        raise NetworkError(
            f"{_host(url)} answered HTTP {response.status_code} with a body that is not JSON "
            f"({kind}, {len(response.content)} bytes)",
            maybe_processed=True,
            status_code=response.status_code,
            hint="check base_url, or whether a proxy or captive portal answered instead",
        ) from None
    if not isinstance(body, dict):
        raise NetworkError(
            f"{_host(url)} answered with JSON that is not an object",
            maybe_processed=True,
            status_code=response.status_code,
        )
    return body


def check_status(response: httpx.Response, url: str) -> None:
    status = response.status_code
    host = _host(url)
    if status < 400:
        return
    if status >= 500:
        raise NetworkError(
            f"{host} answered HTTP {status} (server error)",
            maybe_processed=True,
            status_code=status,
            retry_after=_retry_after(response),
        )
    if status == 429:
        raise GatewayError(
            f"{host} answered HTTP 429: too many requests",
            code="HTTP 429",
            kind=ErrorKind.RATE,
            hint="wait a little, or lower --concurrency / --rate",
            retry_after=_retry_after(response),
        )
    if status in (401, 403):
        raise GatewayError(
            f"{host} refused access (HTTP {status})",
            code=f"HTTP {status}",
            kind=ErrorKind.AUTH,
            hint="check the credentials and base_url (smscli config show)",
        )
    if status == 404:
        raise GatewayError(
            f"{host} has no such endpoint: {urlsplit(url).path} (HTTP 404)",
            code="HTTP 404",
            kind=ErrorKind.INPUT,
            hint="check base_url (smscli config show)",
        )
    raise GatewayError(f"{host} answered HTTP {status}", code=f"HTTP {status}")


def _transport_error(exc: httpx.HTTPError, url: str) -> NetworkError:
    host = _host(url)
    # Only failures before the request could leave are provably "not processed".
    if isinstance(exc, httpx.ConnectTimeout):
        return NetworkError(f"timed out connecting to {host}", maybe_processed=False)
    if isinstance(exc, httpx.ConnectError | httpx.ProxyError | httpx.UnsupportedProtocol):
        return NetworkError(
            f"could not connect to {host}: {_reason(exc)}",
            maybe_processed=False,
            hint="check the network, proxy settings and base_url",
        )
    if isinstance(exc, httpx.PoolTimeout):
        return NetworkError(f"no free connection to {host} in time", maybe_processed=False)
    if isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout):
        return NetworkError(
            f"{host} did not answer in time",
            maybe_processed=True,
            hint="raise the profile's timeout if the gateway is slow",
        )
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return NetworkError(
            f"the connection to {host} broke before an answer arrived ({_reason(exc)})",
            maybe_processed=True,
        )
    return NetworkError(f"request to {host} failed: {_reason(exc)}", maybe_processed=True)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
