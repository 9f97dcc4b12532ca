"""`smscli sync`: pull the gateway's sent records and inbound messages into the history (the
pieces `lookup` and `inbox` share with it are in smscli.cli.syncing)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from smscli import console
from smscli.cli import common as c
from smscli.cli import options as o
from smscli.cli.syncing import (
    DEFAULT_SINCE,
    SinceOpt,
    count,
    freshness,
    local_time,
    open_history,
    run_sync,
    since_time,
)

if TYPE_CHECKING:
    from smscli.settings import ResolvedProfile
    from smscli.support.sync import SyncResult


@c.handle_errors
def sync(
    ctx: typer.Context,
    since: SinceOpt = DEFAULT_SINCE,
    rate_wait: Annotated[
        float,
        typer.Option(
            "--rate-wait",
            metavar="SECONDS",
            min=0,
            help="How long to wait when the gateway says 'too frequent' (-15) and gives no "
            "Retry-After (getSentRcd allows one call a minute).",
        ),
    ] = 61.0,
    profile: o.ProfileOpt = None,
    silent: o.SilentOpt = False,
    verbose: o.VerboseOpt = False,
) -> None:
    """Pull the account's records into the history.

    The gateway's records of every message sent from the account, and the inbound messages,
    for the window. Incremental: it remembers per profile what it has, so a cron entry every
    few minutes keeps the history current for everyone who runs `lookup`. Interrupted
    (Ctrl-C, a network fault), it keeps every page it fetched and resumes there next time.

    \b
    Examples:
      smscli sync                      the last 7 days, or what is new since the last sync
      smscli sync --since 30d -p shop
      */5 * * * *  smscli sync -p shop --silent  (crontab: mail only on trouble)
    """
    opts = c.common(ctx, profile, None, False, False, verbose, silent=silent)
    when = since_time(since)
    prof = c.load_profile(opts)
    gateway = c.open_gateway(prof, opts)
    store = open_history()
    try:
        try:
            result = run_sync(gateway, store, prof, when, wait=True, rate_wait=rate_wait)
        except KeyboardInterrupt:
            console.info("sync stopped: every page fetched so far is saved; run it again to go on")
            raise
        for line in summary(result, prof):
            console.info(line)
        for line in freshness(store, prof, when):
            console.detail(line)
    finally:
        store.close()
        gateway.close()


def summary(result: SyncResult, prof: ResolvedProfile) -> list[str]:
    lines = []
    parts = []
    if result.sent.calls:
        parts.append(f"{count(result.sent.records, 'sent record')} "
                     f"({count(result.sent.calls, 'call')})")
    if result.inbound.calls:
        parts.append(f"{count(result.inbound.records, 'inbound message')} "
                     f"({count(result.inbound.calls, 'call')})")
    if result.reports:
        parts.append(count(result.reports, "delivery report"))
    what = ", ".join(parts) if parts else "nothing new"
    lines.append(f"synced profile {prof.name} ({prof.provider}): {what}")
    if result.clamped is not None:
        lines.append(
            f"the gateway keeps sent records for 90 days: synced from {local_time(result.clamped)}"
        )
    for missing in result.not_consulted:
        lines.append(f"not available from {prof.provider}: {missing}")
    return lines


