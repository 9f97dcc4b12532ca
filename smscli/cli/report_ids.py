"""Which msgIds `report` asks about, and with which profile: the ids given (arguments, -f,
stdin) with the profile named, or the ids --last/--job/--since pick from the history with
the profile that sent them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from smscli import console
from smscli.cli import common as c
from smscli.errors import UsageError
from smscli.message import plural

if TYPE_CHECKING:
    from smscli.msgids import CollectedIds
    from smscli.selection import HistorySelection
    from smscli.settings import ResolvedProfile


def which_ids(
    opts: c.Common,
    msg_ids: list[str],
    file: str | None,
    selection: HistorySelection | None,
    *,
    no_history: bool,
) -> tuple[CollectedIds, ResolvedProfile]:
    """The ids to ask about and the profile to ask with."""
    if selection is None:
        collected = given_ids(msg_ids, file)
        return collected, c.load_profile(opts)
    from smscli.selection import refuse_other_ids

    refuse_other_ids(selection, msg_ids, file)
    if no_history:
        raise UsageError(f"{selection.option} reads the local history: drop --no-history")
    selection = last_of_any_profile(selection, opts)
    prof = profile_for(opts, selection)
    return from_history(selection, prof), prof


def given_ids(msg_ids: list[str], file: str | None) -> CollectedIds:
    from smscli.msgids import collect_ids

    collected = collect_ids(
        msg_ids, file=file, stdin=console.current().stdin, stdin_is_tty=console.stdin_is_tty()
    )
    if collected.duplicates:
        console.detail(f"{collected.duplicates:,} duplicate msgIds: each is queried once")
    return collected


def last_of_any_profile(selection: HistorySelection, opts: c.Common) -> HistorySelection:
    """`--last` with no profile named means the last thing sent, whichever profile sent it
    (e.g. `send -p sandbox` then plain `report --last`): that job, with its own profile."""
    import os
    from dataclasses import replace

    if not selection.last or opts.profile is not None or os.environ.get("SMSCLI_PROFILE"):
        return selection
    from smscli.history.store import Store

    with Store.open() as store:
        newest = store.last_job_id(None)
    if newest is None:
        return selection
    return replace(selection, last=False, job=newest)


def profile_for(opts: c.Common, selection: HistorySelection) -> ResolvedProfile:
    """The profile to ask with: a --job's own, unless -p names one (as `send --resume`)."""
    if selection.job is None:
        return c.load_profile(opts)
    from smscli.history.store import Store

    with Store.open() as store:
        job = store.job(selection.job)
    return c.job_profile(opts, job, "asking")


def from_history(selection: HistorySelection, prof: ResolvedProfile) -> CollectedIds:
    from smscli.history.store import Store
    from smscli.selection import ids_from_history

    with Store.open() as store:
        collected = ids_from_history(store, selection, prof.name)
    if collected.ids:
        found = plural(len(collected.ids), "msgId")
        console.detail(f"{collected.origin}: {found} from the history")
        if collected.skipped:
            console.warn(
                f"{plural(collected.skipped, 'more number')} of {collected.origin} "
                "sent without a message id: "
                f"{'its' if collected.skipped == 1 else 'their'} delivery cannot be followed "
                "(not shown)"
            )
    else:
        console.info(f"no message of profile {prof.name} in the history ({selection.option})")
    return collected
