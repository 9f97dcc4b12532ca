"""Where mobset requests go: the host for a CorpID (three ranges, three hosts), a base_url
taken as the endpoint or as its base, and what to tell the user about an endpoint (plain HTTP,
a CorpID on another range's host)."""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

from smscli.errors import ConfigError

# CorpID range -> host (providers.md B.1).
HOSTS: Final[dict[int, str]] = {1: "sms.mobset.com", 2: "sms2.mobset.com", 3: "sms3.mobset.com"}
HTTPS_PORT: Final = 843
HTTP_PORT: Final = 8095
HTTPS_PATH: Final = "/SDK3/SMS"
HTTP_PATH: Final = "/SDK3/Sms"

_LOOPBACK_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1"})


def default_endpoint(corp_id: str) -> str:
    """The HTTPS endpoint for a CorpID, from its range; ConfigError outside 100000-399999."""
    number = int(corp_id) if corp_id.isascii() and corp_id.isdigit() else -1
    if not 100000 <= number <= 399999:
        raise ConfigError(
            f"corp_id {corp_id!r} is outside the documented ranges (100000-399999), so the "
            "gateway host is unknown",
            hint="check corp_id, or set base_url to the endpoint mobset gave you",
        )
    return f"https://{HOSTS[number // 100000]}:{HTTPS_PORT}{HTTPS_PATH}"


def endpoint_from_base_url(base_url: str) -> str:
    """base_url may be the endpoint itself (path ending in /SDK3/SMS, any case) or a base that
    the documented path is appended to."""
    url = base_url.rstrip("/")
    if url.lower().endswith("/sdk3/sms"):
        return url
    path = HTTP_PATH if urlsplit(url).scheme == "http" else HTTPS_PATH
    return url + path


def endpoint_warnings(url: str, corp_id: str) -> tuple[str, ...]:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    warnings: list[str] = []
    if parts.scheme == "http" and host not in _LOOPBACK_HOSTS and not host.startswith("127."):
        warnings.append(
            "plain HTTP: the SecretKey travels unencrypted (anyone on the path can replay "
            "requests for 20 minutes and try to guess the password); use https"
        )
    if corp_id.isascii() and corp_id.isdigit() and host in HOSTS.values():
        expected = HOSTS.get(int(corp_id) // 100000)
        if expected is not None and expected != host:
            warnings.append(f"corp_id {corp_id} belongs on {expected}, not {host}")
    return tuple(warnings)
