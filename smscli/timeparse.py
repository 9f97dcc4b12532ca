"""Times given on the command line: durations (`--older-than 90d`), points in the past
(`--since 2h`, `--since 2026-11-01`) and the time of a scheduled send (`--at`)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Final

from smscli.errors import UsageError

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


MAX_DURATION_DAYS: Final = 100 * 365


def parse_duration(text: str) -> timedelta:
    """`90d`, `2h`, `1w2d`, `30m`, `45s`. Raises ValueError with a readable reason."""
    raw = text.strip().lower()
    pos, total = 0, 0.0
    for match in _DURATION.finditer(raw):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not raw or pos != len(raw):
        raise ValueError(f"{text!r} is not a duration such as 30m, 2h, 3d or 1w")
    # Bounded so that "now minus it" stays a date (1000000d would overflow datetime).
    if total > MAX_DURATION_DAYS * 86400:
        raise ValueError(f"{text!r} is more than {MAX_DURATION_DAYS // 365} years")
    return timedelta(seconds=total)


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """A point in time: a duration ago (`2h`, `3d`) or an ISO date / date-time (`2026-11-01`
    is local midnight; a time without an offset is local). Returned aware, in UTC."""
    try:
        return (now or datetime.now(UTC)) - parse_duration(text)
    except ValueError:
        if _DURATION.match(text.strip().lower()) and not re.match(r"\d{4}-", text.strip()):
            raise  # a duration, but out of range: say that, not "not a date"
    raw = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            day = date.fromisoformat(raw)
            value = datetime(day.year, day.month, day.day)
        else:
            value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a duration (30m, 2h, 3d, 1w) nor a date (2026-11-01)"
        ) from None
    try:
        if value.tzinfo is None:
            value = value.astimezone()
        return value.astimezone(UTC)
    except (OverflowError, ValueError, OSError):
        # Year 1 or 9999 moved across time zones leaves what datetime can hold.
        raise ValueError(f"{text!r} is outside the dates this can look back to") from None


# A date and a time: "2026-12-01 09:00", "2026-12-01T09:00:30", optionally followed by "Z"
# (or UTC) or an offset ("+08:00", "-0800"). A bare date is refused: midnight is rarely meant.
_AT_PATTERN = (
    r"(\d{4}-\d{2}-\d{2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"\s*(Z|UTC|[+-]\d{2}:?\d{2})?"
)
# A schedule years ahead is a typo, and the far end of the calendar cannot be converted to the
# gateway's time zone.
MAX_AT_DAYS = 366
_AT_HINT = 'e.g. --at "2026-12-01 09:00" (local time) or --at "2026-12-01T09:00+08:00"'


def parse_at(text: str, *, now: datetime | None = None) -> datetime:
    """`--at` as an aware datetime: local time unless the text names an offset or Z. Exit 2
    (UsageError) for anything unreadable or not in the future."""
    match = re.fullmatch(_AT_PATTERN, text.strip(), re.IGNORECASE)
    if match is None:
        raise UsageError(f"--at {text!r} is not a date and time", hint=_AT_HINT)
    date, hour, minute, second, zone = match.groups()
    iso = f"{date}T{int(hour):02d}:{minute}:{second or '00'}"
    if zone:
        zone = zone.upper()
        iso += "+00:00" if zone in ("Z", "UTC") else f"{zone[:3]}:{zone[-2:]}"
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        raise UsageError(f"--at {text!r} is not a valid date and time", hint=_AT_HINT) from None
    current = now if now is not None else datetime.now().astimezone()
    try:
        # A naive time is this machine's local time (TZ); astimezone() makes it aware.
        at = parsed.astimezone() if parsed.tzinfo is None else parsed
        too_far = at - current > timedelta(days=MAX_AT_DAYS)
    except (OverflowError, ValueError, OSError):
        # The ends of the calendar cannot be moved across time zones (mobset wants Beijing).
        if parsed.year < current.year:
            raise UsageError(f"--at {text!r} is in the past", hint=_AT_HINT) from None
        too_far = True
    if too_far:
        raise UsageError(
            f"--at {text!r} is more than {MAX_AT_DAYS} days ahead",
            hint="a scheduled send waits at the gateway; give a time within a year",
        )
    if at <= current:
        raise UsageError(
            f"--at {describe_at(at)} is in the past (now {describe_at(current)})",
            hint="give a future time; without --at the messages go out at once",
        )
    return at


def describe_at(at: datetime) -> str:
    """'2026-12-01 09:00 PST (UTC-08:00)': the time as given, and its offset."""
    offset = at.strftime("%z")
    utc = f"UTC{offset[:3]}:{offset[3:5]}" if offset else ""
    name = at.tzname() or ""
    shown = at.strftime("%Y-%m-%d %H:%M:%S" if at.second else "%Y-%m-%d %H:%M")
    if name == "UTC" and offset == "+0000":
        return f"{shown} UTC"
    if name and name != utc:
        return f"{shown} {name} ({utc})" if utc else f"{shown} {name}"
    return f"{shown} {utc}".rstrip()
