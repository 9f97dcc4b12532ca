"""What `sync`, `lookup` and `inbox` share: the --since option, reading numbers as `send`
does, opening the history, and one sync run with its progress line and waits on stderr, and
how current the history's copy of the account is."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from smscli import console
from smscli.cli import common as c
from smscli.errors import ConfigError, InputError, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable

    from smscli.gateways.base import Gateway
    from smscli.history.store import Store
    from smscli.settings import ResolvedProfile
    from smscli.support.calls import Progress
    from smscli.support.sync import SyncResult

DEFAULT_SINCE = "7d"

SinceOpt = Annotated[
    str,
    typer.Option(
        "--since",
        metavar="2h|3d|1w|2026-11-01",
        help="The window: a duration ago (s, m, h, d, w) or an ISO date.",
    ),
]



def since_time(text: str) -> datetime:
    from smscli.timeparse import parse_since

    try:
        return parse_since(text)
    except ValueError as exc:
        raise UsageError(f"--since: {exc}") from None


def normalized(
    raw: str, what: str = "number", country: Callable[[], str | None] | None = None
) -> str:
    """A number as `send` normalises it; InputError (exit 2, nothing asked) when invalid.
    `country` gives the profile's default_country: with one, a number written without "+" or
    "00" that is valid in that country is a national number of it, as `send` reads it
    ("07400 123456" in GB, "202 555 0123" in the US, which alone would pass as international
    2025550123 and find nothing)."""
    from smscli.numbers import check, normalize, to_international

    code = country() if country is not None else None
    if code is not None:
        number, problem = to_international(raw, code)
    else:
        number = normalize(raw)
        problem = check(number)
    if problem:
        raise InputError(f"{what} {raw!r}: {problem}")
    return number


def profile_country(opts: c.Common) -> Callable[[], str | None]:
    """The profile's default_country, read once when first needed; None without a usable
    profile (lookup --no-sync and inbox --no-sync work without one)."""
    found: list[str | None] = []

    def country() -> str | None:
        if not found:
            try:
                found.append(c.country(c.load_profile(opts)))
            except ConfigError:
                found.append(None)
        return found[0]

    return country


def open_history() -> Store:
    from smscli.history.store import Store

    return Store.open()


def run_sync(
    gateway: Gateway,
    store: Store,
    prof: ResolvedProfile,
    since: datetime,
    *,
    wait: bool,
    rate_wait: float = 61.0,
    sent: bool = True,
    inbound: bool = True,
    refresh_pending: bool = True,
) -> SyncResult:
    from smscli.history.support import AccountStore
    from smscli.support.calls import Options
    from smscli.support.sync import sync

    drain = True
    if sent and gateway.report_mode == "queue":
        from smscli.cli.report_run import may_drain

        drain = may_drain(prof, store)
    line = ProgressLine()
    try:
        return sync(
            gateway,
            AccountStore(store),
            profile=prof.name,
            provider=prof.provider,
            since=since,
            sent=sent,
            inbound=inbound,
            options=Options(
                wait=wait,
                rate_wait=rate_wait,
                on_wait=line.waiting,
                on_progress=line.update,
                store_content=prof.bool_setting("store_content"),
                refresh_pending=refresh_pending,
                drain_reports=drain,
            ),
        )
    finally:
        line.close()


class ProgressLine:
    """One self-rewriting line on a terminal's stderr; waits are always told (one line each)."""

    def __init__(self) -> None:
        self.enabled = console.stderr_is_tty()
        self._shown = False

    def update(self, progress: Progress) -> None:
        if not self.enabled:
            return
        window = ""
        if progress.window is not None:
            start, end = (local_time(t) for t in progress.window)
            window = f", window {start} - {end}"
        noun = "sent record" if progress.kind == "sent" else "inbound message"
        text = (f"sync: {count(progress.records, noun)} "
                f"({count(progress.calls, 'call')}{window})")
        console.current().emit(f"\r\x1b[2K{text}")
        self._shown = True

    def waiting(self, seconds: float, why: str) -> None:
        self.close()
        console.info(f"{why}: waiting {seconds:.0f} s before asking again (Ctrl-C to stop; "
                     "a later sync continues from here)")

    def close(self) -> None:
        if self._shown:
            console.current().emit("\n")
            self._shown = False


def local_time(value: datetime) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def freshness(store: Store, prof: ResolvedProfile, since: datetime) -> list[str]:
    """How current the history's copy of the account's sent records is, in words."""
    from smscli.history.support import AccountStore
    from smscli.support.sync import SENT_HISTORY

    state = AccountStore(store).state(prof.name, "sent")
    if state.covered_until is None:
        return []
    # Older than the gateway keeps cannot be synced: not a gap worth mentioning.
    since = max(since, state.covered_until - SENT_HISTORY)
    lines = [f"sent records of profile {prof.name} synced up to {_age(state.covered_until)}"]
    if state.covered_from is not None and state.covered_from > since + timedelta(minutes=1):
        lines.append(f"  (they cover messages since {local_time(state.covered_from)} only)")
    return lines


def _age(when: datetime) -> str:
    from smscli.history.db import now

    seconds = max(0.0, (now() - when).total_seconds())
    if seconds < 90:
        ago = "just now"
    elif seconds < 90 * 60:
        ago = f"{seconds / 60:.0f} min ago"
    elif seconds < 36 * 3600:
        ago = f"{seconds / 3600:.0f} h ago"
    else:
        ago = f"{seconds / 86400:.0f} days ago"
    return f"{local_time(when)} ({ago})"
