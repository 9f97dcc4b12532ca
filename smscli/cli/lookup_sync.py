"""`lookup`'s look at the gateway before it answers: sync the window (sent records, then inbound
messages; no waiting on -15), ask getReport about the shown messages still pending, and say
what was consulted and how fresh the history is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from smscli import console
from smscli.cli import common as c
from smscli.cli.syncing import freshness, run_sync
from smscli.errors import ConfigError, NetworkError, SmsCliError

if TYPE_CHECKING:
    from datetime import datetime

    from smscli.history.store import Store
    from smscli.settings import ResolvedProfile


def sync_first(
    store: Store, opts: c.Common, since: datetime, numbers: list[str]
) -> list[str]:
    """Sync the window (sent records, then inbound messages: one refused does not stop the
    other; no waiting on -15), then ask getReport about the shown messages whose state is not
    final. Returns the notes on what was consulted and how fresh it is."""
    from smscli.support.sync import capabilities

    try:
        prof = c.load_profile(opts)
    except ConfigError as exc:
        hint = f"{exc.hint}; " if exc.hint else ""
        raise ConfigError(
            exc.message, hint=f"{hint}or add --no-sync to answer from the local history alone"
        ) from None
    gateway = c.open_gateway(prof, opts)
    synced = True
    never = False  # the sent-record sync failed: say so if it never worked either
    clamped: datetime | None = None
    try:
        for part in ("sent", "inbound"):
            try:
                done = run_sync(gateway, store, prof, since, wait=False, refresh_pending=False,
                                sent=part == "sent", inbound=part == "inbound")
                clamped = clamped or done.clamped
            except NetworkError as exc:
                console.warn(
                    f"could not reach the gateway ({exc.message}): answered from the history"
                )
                return _fresh_or_never(store, prof, since, gateway)
            except SmsCliError as exc:
                # Rate-limited (-15), refused, or the history busy: the rows are still the
                # history's best answer, said to be so.
                what = "sent records" if part == "sent" else "inbound messages"
                console.warn(f"could not sync {what} ({exc.message}): answered from the history")
                synced = False
                never = never or part == "sent"
        _refresh(gateway, store, prof, since, numbers)
    finally:
        gateway.close()
    consulted, missing = capabilities(gateway)
    notes = []
    if synced:
        notes.append(f"consulted: the local history, and from {prof.name} ({prof.provider}): "
                     + "; ".join(consulted))
    notes.extend(f"not consulted: {item}" for item in missing)
    if clamped is not None:
        # --since reaches further back than the gateway keeps sent records: say so, or an
        # empty answer for those days reads as "nothing was sent".
        notes.append(f"not consulted: the gateway's sent records before "
                     f"{clamped.astimezone():%Y-%m-%d %H:%M} "
                     "(it keeps them for 90 days)")
    if never:
        return notes + _fresh_or_never(store, prof, since, gateway)
    return notes + freshness(store, prof, since)


def _fresh_or_never(
    store: Store, prof: ResolvedProfile, since: datetime, gateway: object
) -> list[str]:
    """How fresh the account's sent records are; when they were never synced, that the rows
    are smscli's own sends only (silence would read as "nothing was sent to this number")."""
    from smscli.support.sync import SentSource

    lines = freshness(store, prof, since)
    if lines or not isinstance(gateway, SentSource):
        return lines
    return [f"sent records of profile {prof.name} were never synced: only smscli's own sends "
            "are in the history"]


def _refresh(
    gateway: object, store: Store, prof: ResolvedProfile, since: datetime, numbers: list[str]
) -> None:
    """The shown messages still pending, asked by msgId (getReport has no per-minute limit,
    so this works even when the sync was refused as too frequent)."""
    from smscli.history.support import AccountStore
    from smscli.support.refresh import MAX_REFRESH_IDS, refresh

    account = AccountStore(store)
    unsettled = account.unsettled(numbers, since, prof.provider, MAX_REFRESH_IDS)
    try:
        refresh(gateway, account, provider=prof.provider, profile=prof.name,
                unsettled=unsettled)
    except SmsCliError as exc:
        console.warn(f"could not refresh delivery states ({exc.message})")
