"""The checks profile values pass, whichever way they come (file, env, option, `config set`).
Each returns the problem ("must use https") or None; the registry (smscli.profilekeys) names
which key uses which."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = [
    "Validator",
    "base_url_problem",
    "between",
    "country_code",
    "digits",
    "header_safe",
    "quirks_problem",
    "sender_token",
]

Validator = Callable[[Any], str | None]  # returns a problem ("must be > 0") or None

_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
# mobset publishes plain-HTTP endpoints (providers.md B.1); its client warns when one is used.
_MOBSET_HTTP_HOSTS = frozenset({"sms.mobset.com", "sms2.mobset.com", "sms3.mobset.com"})


def base_url_problem(url: str) -> str | None:
    """https everywhere; plain http only for a loopback host (the sandbox server, tests) and
    for mobset's documented HTTP hosts (the mobset client warns when one is used)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "is not a valid URL"
    if not host:
        return "must be a full URL such as https://api.example.com/v3"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http":
        if _is_loopback(host) or host.lower() in _MOBSET_HTTP_HOSTS:
            return None
        return (
            "must use https (plain http only for 127.0.0.1, localhost, ::1 or mobset's "
            "sms/sms2/sms3.mobset.com)"
        )
    return "must start with https://"


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def header_safe(value: str) -> str | None:
    # These travel in HTTP headers or the signature: a non-ASCII character, a newline or a
    # space pasted along with the key cannot be sent (or would be a different key). Said here,
    # when the profile is read, instead of as a traceback after the job has started.
    if value.isascii() and value.isprintable() and " " not in value:
        return None
    return (
        "must be printable ASCII with no spaces or line breaks "
        "(copy it again from the account page)"
    )


def sender_token(value: str) -> str | None:
    from smscli.argtext import sender_problem

    return sender_problem(value)


def country_code(value: str) -> str | None:
    if len(value) == 2 and value.isascii() and value.isalpha():
        return None
    return "must be a two-letter ISO 3166 country code such as GB, US or ID"


def between(low: float, high: float, flag: str | None = None) -> Validator:
    """The bounds a value shares with its command-line option, so a profile cannot set what
    the option would refuse (concurrency = 100000, rate = 1e-10)."""
    same = f" (as --{flag})" if flag else ""

    def problem(value: float) -> str | None:
        if low <= value <= high:
            return None
        return f"must be between {low:g} and {high:g}{same}"

    return problem


def quirks_problem(value: str) -> str | None:
    from smscli.sandbox.quirks import problem

    return problem(value)


def digits(value: str) -> str | None:
    return None if value.isascii() and value.isdigit() else "must be digits only"
