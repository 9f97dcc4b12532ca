"""`smscli history prune`: delete old jobs, and the support desk's synced copies with them."""

from __future__ import annotations

from typing import Annotated

import typer

from smscli import console
from smscli.cli import common as c
from smscli.errors import UsageError
from smscli.message import plural


@c.handle_errors
def prune(
    older_than: Annotated[
        str,
        typer.Option(
            "--older-than",
            metavar="DURATION",
            help="Delete jobs created longer ago than this: 90d, 12w, 36h...",
            show_default=False,
        ),
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete old jobs with their numbers and delivery states.

    \b
    Examples:
      smscli history prune --older-than 90d
      smscli history prune --older-than 12w -y     in cron
    """
    from smscli.timeparse import parse_duration

    try:
        age = parse_duration(older_than)
    except ValueError as exc:
        raise UsageError(f"--older-than: {exc}") from None
    from smscli.history.db import now
    from smscli.history.store import Store
    from smscli.history.support import AccountStore

    store = Store.open()
    account = AccountStore(store)
    try:
        found = store.prune(age, dry_run=True)
        # The support desk's copies of the gateway's records and inbound messages too.
        records, inbound = account.prune(now() - age, dry_run=True)
        if not found.jobs and not records and not inbound:
            console.info(f"nothing to prune: no job is older than {older_than}")
            return
        what = (
            f"{plural(found.jobs, 'job')} ({plural(found.messages, 'message')})"
            f"{_synced(records, inbound)}"
        )
        if not _confirmed(f"{what} older than {older_than}", yes):
            console.info("Nothing deleted.")
            return
        done = store.prune(age)
        records, inbound = account.prune(now() - age)
    finally:
        store.close()
    console.info(
        f"deleted {plural(done.jobs, 'job')} ({plural(done.messages, 'message')})"
        f"{_synced(records, inbound)} older than {older_than}"
    )


def _synced(records: int, inbound: int) -> str:
    if not records and not inbound:
        return ""
    return (
        f", {plural(records, 'synced gateway record')} and "
        f"{plural(inbound, 'inbound message')}"
    )


def _confirmed(what: str, yes: bool) -> bool:
    """--yes, or the person at the terminal said yes; refused outright without one."""
    if yes:
        return True
    if not console.interactive():
        raise UsageError(f"would delete {what}", hint="add --yes to delete them")
    return bool(typer.confirm(f"Delete {what}?", default=False, err=True))
